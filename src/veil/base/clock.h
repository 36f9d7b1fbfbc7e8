// Time as an explicit value: verifiers take `now` as a parameter; only the
// edges of the program read the system clock.
#pragma once

#include <chrono>
#include <cstdint>

namespace veil {

using UnixSeconds = int64_t;

inline UnixSeconds unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

inline int64_t monotonic_micros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace veil
