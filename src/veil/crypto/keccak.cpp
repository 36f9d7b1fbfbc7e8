// Keccak-f[1600] sponge (Keccak reference, "The Keccak reference" v3.0 §1.2),
// rate 1088 bits, capacity 512, original multi-rate padding 0x01 ... 0x80.
#include "veil/crypto/keccak.h"

#include <cstring>

namespace veil::crypto {
namespace {

constexpr uint64_t kRoundConstants[24] = {
    0x0000000000000001ULL, 0x0000000000008082ULL, 0x800000000000808aULL, 0x8000000080008000ULL,
    0x000000000000808bULL, 0x0000000080000001ULL, 0x8000000080008081ULL, 0x8000000000008009ULL,
    0x000000000000008aULL, 0x0000000000000088ULL, 0x0000000080008009ULL, 0x000000008000000aULL,
    0x000000008000808bULL, 0x800000000000008bULL, 0x8000000000008089ULL, 0x8000000000008003ULL,
    0x8000000000008002ULL, 0x8000000000000080ULL, 0x000000000000800aULL, 0x800000008000000aULL,
    0x8000000080008081ULL, 0x8000000000008080ULL, 0x0000000080000001ULL, 0x8000000080008008ULL,
};

// rho offsets, indexed by lane x + 5y.
constexpr unsigned kRho[25] = {
    0,  1,  62, 28, 27,  //
    36, 44, 6,  55, 20,  //
    3,  10, 43, 25, 39,  //
    41, 45, 15, 21, 8,   //
    18, 2,  61, 56, 14,
};

inline uint64_t rotl(uint64_t v, unsigned n) { return n == 0 ? v : (v << n) | (v >> (64 - n)); }

void keccak_f1600(uint64_t a[25]) {
  for (uint64_t rc : kRoundConstants) {
    // theta
    uint64_t c[5];
    for (int x = 0; x < 5; ++x) c[x] = a[x] ^ a[x + 5] ^ a[x + 10] ^ a[x + 15] ^ a[x + 20];
    for (int x = 0; x < 5; ++x) {
      uint64_t d = c[(x + 4) % 5] ^ rotl(c[(x + 1) % 5], 1);
      for (int y = 0; y < 25; y += 5) a[y + x] ^= d;
    }
    // rho and pi: B[y, 2x+3y] = rot(A[x, y], r[x, y])
    uint64_t b[25];
    for (int x = 0; x < 5; ++x) {
      for (int y = 0; y < 5; ++y) {
        b[y + 5 * ((2 * x + 3 * y) % 5)] = rotl(a[x + 5 * y], kRho[x + 5 * y]);
      }
    }
    // chi
    for (int y = 0; y < 25; y += 5) {
      for (int x = 0; x < 5; ++x) a[y + x] = b[y + x] ^ (~b[y + (x + 1) % 5] & b[y + (x + 2) % 5]);
    }
    // iota
    a[0] ^= rc;
  }
}

constexpr size_t kRate = 136;  // bytes

void absorb_block(uint64_t state[25], const uint8_t* block) {
  for (size_t i = 0; i < kRate / 8; ++i) state[i] ^= load_le64(block + 8 * i);
  keccak_f1600(state);
}

}  // namespace

Digest32 keccak256(ByteView data) {
  uint64_t state[25] = {};
  size_t off = 0;
  for (; data.size() - off >= kRate; off += kRate) absorb_block(state, data.data() + off);

  // Final block: the remainder, then pad10*1 with the Keccak domain bit 0x01.
  uint8_t last[kRate] = {};
  size_t rem = data.size() - off;
  if (rem != 0) std::memcpy(last, data.data() + off, rem);
  last[rem] ^= 0x01;
  last[kRate - 1] ^= 0x80;
  absorb_block(state, last);

  Digest32 out{};
  for (size_t i = 0; i < 4; ++i) store_le64(out.data() + 8 * i, state[i]);
  return out;
}

}  // namespace veil::crypto
