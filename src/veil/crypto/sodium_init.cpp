#include "veil/crypto/sodium_init.h"

#include <sodium.h>

#include <cstdio>
#include <cstdlib>

namespace veil::crypto::detail {

void ensure_sodium() {
  static const bool initialised = [] {
    if (sodium_init() < 0) {  // 1 = already initialised, also fine
      std::fputs("veil: libsodium initialisation failed\n", stderr);
      std::abort();
    }
    return true;
  }();
  (void)initialised;
}

}  // namespace veil::crypto::detail
