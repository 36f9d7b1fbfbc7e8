// Cryptographically secure randomness (OpenSSL RAND_bytes). A failing CSPRNG
// aborts the process: continuing with weak randomness is never acceptable.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "veil/base/bytes.h"

namespace veil::crypto {

void random_fill(std::span<uint8_t> out);
Bytes random_bytes(size_t n);

}  // namespace veil::crypto
