#include "veil/crypto/random.h"

#include <openssl/rand.h>

#include <algorithm>
#include <climits>
#include <cstdio>
#include <cstdlib>

namespace veil::crypto {

void random_fill(std::span<uint8_t> out) {
  size_t done = 0;
  while (done < out.size()) {
    size_t n = std::min(out.size() - done, size_t(INT_MAX));
    if (RAND_bytes(out.data() + done, int(n)) != 1) {
      std::fputs("veil: CSPRNG failure (RAND_bytes); aborting\n", stderr);
      std::abort();
    }
    done += n;
  }
}

Bytes random_bytes(size_t n) {
  Bytes out(n);
  random_fill(out);
  return out;
}

}  // namespace veil::crypto
