#pragma once

namespace veil {
inline constexpr const char* kVersion = "0.1.0";
}  // namespace veil
