// Internal: libsodium must be initialised once before use (picks CPU-specific
// implementations, opens the RNG). Not a public header.
#pragma once

namespace veil::crypto::detail {

// Thread-safe; aborts if libsodium cannot initialise.
void ensure_sodium();

}  // namespace veil::crypto::detail
