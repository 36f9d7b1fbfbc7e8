#include "veil/engine/interleaved.h"

#include <cmath>
#include <cstddef>
#include <cstring>

#include "veil/engine/half.h"
#include "veil/engine/quant.h"

namespace veil::engine {

namespace {

using namespace interleaved_layout;

// Quant bytes per row and block: Q4_0 16 (32 nibbles), Q8_0 32, Q4_K and Q5_K's low 4 bits 128.
size_t quant_bytes(TensorType t) {
  return t == TensorType::q4_0 ? kQK / 2 : t == TensorType::q4_k || t == TensorType::q5_k ? kQKK / 2 : kQK;
}
// Elements per block.
int64_t block_elems(TensorType t) {
  return t == TensorType::q4_k || t == TensorType::q5_k || t == TensorType::q6_k ? kQKK : kQK;
}

// Q4_K and Q5_K (Q5_K's high bits come before the low ones).
size_t k4_quants(bool q5) { return q5 ? kQ5kQuants : kQ4kQuants; }
size_t q4k_lane_byte(bool q5, int l, size_t j) {
  return k4_quants(q5) + (j / 4) * 64 + size_t(l) * 4 + j % 4;
}
size_t q5k_high_byte(int l, size_t j) { return kQ5High + (j / 4) * 64 + size_t(l) * 4 + j % 4; }

// Q6_K: the quants come in 4 chunks of 12 vectors, one per (half, h): elements 128 half + 32 s + 16 h
// .. + 15 for s = 0..3, the order the kernel reads them, so that a super-block streams in order.
// A chunk holds ql bytes 64 half + 16 h .. + 15 (4 vectors), ql bytes 64 half + 32 + 16 h .. + 15
// (4), then qh bytes 32 half + 16 h .. + 15 (4).
size_t q6k_low_byte(int l, size_t j) {  // ql byte j (0..127)
  const size_t half = j / 64, upper = j % 64 / 32, i = j % 32, h = i / 16;
  return kQ6Quants + (2 * half + h) * kQ6Chunk + (upper * 4 + i % 16 / 4) * 64 + size_t(l) * 4 + i % 4;
}
size_t q6k_high_byte(int l, size_t j) {  // qh byte j (0..63)
  const size_t half = j / 32, i = j % 32, h = i / 16;
  return kQ6Quants + (2 * half + h) * kQ6Chunk + 512 + (i % 16 / 4) * 64 + size_t(l) * 4 + i % 4;
}

// Offset of row l's quant byte j (0 <= j < quant_bytes) within a block of the group.
size_t lane_byte(int l, size_t j) { return kQuants + (j / 4) * 64 + size_t(l) * 4 + j % 4; }

}  // namespace

bool interleavable(TensorType t) {
  return t == TensorType::q4_0 || t == TensorType::q8_0 || t == TensorType::q4_k || t == TensorType::q5_k ||
         t == TensorType::q6_k;
}

size_t interleaved_block_bytes(TensorType t) {
  switch (t) {
    case TensorType::q8_0:
      return kQ8Block;
    case TensorType::q4_0:
      return kQ4Block;
    case TensorType::q4_k:
      return kQ4kBlock;
    case TensorType::q5_k:
      return kQ5kBlock;
    case TensorType::q6_k:
      return kQ6Block;
    default:
      return 0;
  }
}

size_t interleaved_bytes(TensorType t, int64_t n_in, int64_t n_out) {
  const size_t groups = size_t((n_out + kInterleaveRows - 1) / kInterleaveRows);
  return groups * size_t(n_in / block_elems(t)) * interleaved_block_bytes(t);
}

void interleave_rows(TensorType t, const uint8_t* rows, size_t row_bytes, int64_t n_in, int64_t n_out,
                     uint8_t* out) {
  const int64_t nb = n_in / block_elems(t);
  const size_t qb = quant_bytes(t), bb = interleaved_block_bytes(t), src_block = 2 + qb;
  // Q8_0's quants take a +128 bias (signed -> unsigned); Q4_0's nibbles are unsigned already.
  const uint8_t bias = t == TensorType::q8_0 ? 0x80 : 0;
  std::memset(out, 0, interleaved_bytes(t, n_in, n_out));
  for (int64_t r = 0; r < n_out; ++r) {
    const int l = int(r % kInterleaveRows);
    uint8_t* group = out + size_t(r / kInterleaveRows) * size_t(nb) * bb;
    const uint8_t* src = rows + size_t(r) * row_bytes;
    if (t == TensorType::q6_k) {
      for (int64_t b = 0; b < nb; ++b) {
        const auto* sb = reinterpret_cast<const BlockQ6_K*>(src) + b;
        uint8_t* db = group + size_t(b) * bb;
        std::memcpy(db + 2 * l, &sb->d, 2);
        for (size_t j = 0; j < 16; ++j)
          db[kQ6Scales + j * kInterleaveRows + size_t(l)] = uint8_t(sb->scales[j]);
        for (size_t j = 0; j < kQKK / 2; ++j) db[q6k_low_byte(l, j)] = sb->ql[j];
        for (size_t j = 0; j < kQKK / 4; ++j) db[q6k_high_byte(l, j)] = sb->qh[j];
      }
      continue;
    }
    if (t == TensorType::q4_k || t == TensorType::q5_k) {
      const bool q5 = t == TensorType::q5_k;
      for (int64_t b = 0; b < nb; ++b) {
        // Q4_K {d, dmin, scales[12], qs[128]}; Q5_K {d, dmin, scales[12], qh[32], qs[128]}.
        const uint8_t* sb = src + size_t(b) * (q5 ? sizeof(BlockQ5_K) : sizeof(BlockQ4_K));
        const uint8_t* qs = sb + (q5 ? offsetof(BlockQ5_K, qs) : offsetof(BlockQ4_K, qs));
        uint8_t* db = group + size_t(b) * bb;
        std::memcpy(db + 2 * l, sb, 2);
        std::memcpy(db + kKDmin + 2 * l, sb + 2, 2);
        for (int j = 0; j < 8; ++j) {
          uint8_t sc, m;
          k4_scale_min(j, sb + 4, &sc, &m);
          db[kKScales + size_t(j) * kInterleaveRows + size_t(l)] = sc;
          db[kKMins + size_t(j / 2) * 2 * kInterleaveRows + size_t(l) * 2 + size_t(j % 2)] = m;
        }
        for (size_t j = 0; j < qb; ++j) db[q4k_lane_byte(q5, l, j)] = qs[j];
        if (q5)
          for (size_t j = 0; j < kQKK / 8; ++j) db[q5k_high_byte(l, j)] = sb[offsetof(BlockQ5_K, qh) + j];
      }
      continue;
    }
    for (int64_t b = 0; b < nb; ++b) {
      const uint8_t* sb = src + size_t(b) * src_block;  // {F16 d; quants}
      uint8_t* db = group + size_t(b) * bb;
      std::memcpy(db + 2 * l, sb, 2);
      for (size_t j = 0; j < qb; ++j) db[lane_byte(l, j)] = uint8_t(sb[2 + j] ^ bias);
    }
  }
}

namespace {

float lane_f16(const uint8_t* p, int l) {
  uint16_t h;
  std::memcpy(&h, p + 2 * l, 2);
  return f16_to_f32(h);
}

// Sub-block j's scale and min of lane l in a Q4_K block.
int q4k_scale(const uint8_t* blk, int l, int j) {
  return blk[kKScales + size_t(j) * kInterleaveRows + size_t(l)];
}
int q4k_min(const uint8_t* blk, int l, int j) {
  return blk[kKMins + size_t(j / 2) * 2 * kInterleaveRows + size_t(l) * 2 + size_t(j % 2)];
}

// Element e (0..255) of lane l in a Q4_K block (its nibble) or a Q5_K block (its nibble + 16 x
// bit e / 32 of qh byte e % 32, ggml's order).
int q4k_quant(bool q5, const uint8_t* blk, int l, int e) {
  const int chunk = e / 64, i = e % 64;
  const uint8_t q = blk[q4k_lane_byte(q5, l, size_t(32 * chunk + i % 32))];
  const int lo = i < 32 ? q & 0x0F : q >> 4;
  if (!q5) return lo;
  return lo + 16 * ((blk[q5k_high_byte(l, size_t(e % 32))] >> (e / 32)) & 1);
}

// Element e (0..255) of lane l in a Q6_K block, 0..63 (ggml: 128 elements per half; in each,
// element 32s + i takes low bits from ql[64 half + i + 32 (s % 2)] (low nibble for s < 2) and bits
// 2s..2s+1 of qh[32 half + i]); its sub-block of 16 is e / 16.
int q6k_quant(const uint8_t* blk, int l, int e) {
  const int half = e / 128, s = e % 128 / 32, i = e % 32;
  const uint8_t lo = blk[q6k_low_byte(l, size_t(64 * half + i + 32 * (s % 2)))];
  const uint8_t hi = blk[q6k_high_byte(l, size_t(32 * half + i))];
  return (s < 2 ? lo & 0x0F : lo >> 4) | ((hi >> (2 * s)) & 3) << 4;
}
int q6k_scale(const uint8_t* blk, int l, int j) {
  return int8_t(blk[kQ6Scales + size_t(j) * kInterleaveRows + size_t(l)]);
}

}  // namespace

void dequantize_interleaved_row(TensorType t, const uint8_t* data, int64_t n_in, int64_t row, float* out) {
  const int64_t nb = n_in / block_elems(t);
  const size_t bb = interleaved_block_bytes(t);
  const int l = int(row % kInterleaveRows);
  const uint8_t* group = data + size_t(row / kInterleaveRows) * size_t(nb) * bb;
  if (t == TensorType::q6_k) {  // as dequant_q6_k: d * sc * (q - 32)
    for (int64_t b = 0; b < nb; ++b, out += kQKK) {
      const uint8_t* blk = group + size_t(b) * bb;
      const float d = lane_f16(blk, l);
      for (int e = 0; e < kQKK; ++e)
        out[e] = d * float(q6k_scale(blk, l, e / 16)) * float(q6k_quant(blk, l, e) - 32);
    }
    return;
  }
  if (t == TensorType::q4_k || t == TensorType::q5_k) {  // as dequant_q4_k/q5_k: d * sc * q - dmin * m
    const bool q5 = t == TensorType::q5_k;
    for (int64_t b = 0; b < nb; ++b, out += kQKK) {
      const uint8_t* blk = group + size_t(b) * bb;
      const float d = lane_f16(blk, l), dmin = lane_f16(blk + kKDmin, l);
      for (int e = 0; e < kQKK; ++e) {
        const int j = e / 32;
        out[e] = d * float(q4k_scale(blk, l, j)) * float(q4k_quant(q5, blk, l, e)) -
                 dmin * float(q4k_min(blk, l, j));
      }
    }
    return;
  }
  for (int64_t b = 0; b < nb; ++b, out += kQK) {
    const uint8_t* blk = group + size_t(b) * bb;
    uint16_t dh;
    std::memcpy(&dh, blk + 2 * l, 2);
    const float d = f16_to_f32(dh);
    if (t == TensorType::q4_0) {
      for (size_t j = 0; j < kQK / 2; ++j) {
        const uint8_t q = blk[lane_byte(l, j)];
        out[j] = float(int(q & 0x0F) - 8) * d;
        out[j + kQK / 2] = float(int(q >> 4) - 8) * d;
      }
    } else {
      for (size_t j = 0; j < kQK; ++j) out[j] = float(int(blk[lane_byte(l, j)]) - 128) * d;
    }
  }
}

namespace {

// The walk the portable kernels share: each row of [r0, r1) against each token, the row's blocks
// in order; block(blk, lane, act_block, acc) returns acc with the block (lane `lane` of its group's
// block `blk`) added.
template <typename ActBlock, typename Block>
void for_each_row_block(const MatmulArgs& m, int64_t r0, int64_t r1, int64_t nb, size_t bb,
                        const Block& block) {
  for (int64_t r = r0; r < r1; ++r) {
    const int l = int(r % kInterleaveRows);
    const uint8_t* group = m.w + size_t(r / kInterleaveRows) * size_t(nb) * bb;
    for (int t = 0; t < m.n_tok; ++t) {
      const auto* a = reinterpret_cast<const ActBlock*>(m.act + size_t(t) * m.act_row_bytes);
      float acc = 0.f;
      for (int64_t b = 0; b < nb; ++b) acc = block(group + size_t(b) * bb, l, a[b], acc);
      m.y[size_t(t) * m.y_stride + size_t(r)] = acc;
    }
  }
}

void mul_rows_interleaved_k4(const MatmulArgs& m, int64_t r0, int64_t r1) {
  const bool q5 = m.wtype == TensorType::q5_k;
  for_each_row_block<BlockQ8_K>(m, r0, r1, m.n / kQKK, interleaved_block_bytes(m.wtype),
                                [&](const uint8_t* blk, int l, const BlockQ8_K& a, float acc) {
                                  int32_t sum = 0, mins = 0;
                                  for (int j = 0; j < 8; ++j) {
                                    int32_t sub = 0;
                                    for (int e = 32 * j; e < 32 * j + 32; ++e)
                                      sub += q4k_quant(q5, blk, l, e) * a.qs[e];
                                    sum += q4k_scale(blk, l, j) * sub;
                                    mins += q4k_min(blk, l, j) * (a.bsums[2 * j] + a.bsums[2 * j + 1]);
                                  }
                                  acc = std::fma(float(sum), lane_f16(blk, l) * a.d, acc);
                                  return std::fma(float(mins), -(lane_f16(blk + kKDmin, l) * a.d), acc);
                                });
}

void mul_rows_interleaved_q6_k(const MatmulArgs& m, int64_t r0, int64_t r1) {
  for_each_row_block<BlockQ8_K>(m, r0, r1, m.n / kQKK, kQ6Block,
                                [](const uint8_t* blk, int l, const BlockQ8_K& a, float acc) {
                                  int32_t sum = 0;
                                  for (int j = 0; j < 16; ++j) {
                                    int32_t sub = 0;
                                    for (int e = 16 * j; e < 16 * j + 16; ++e)
                                      sub += (q6k_quant(blk, l, e) - 32) * a.qs[e];
                                    sum += q6k_scale(blk, l, j) * sub;
                                  }
                                  return std::fma(float(sum), lane_f16(blk, l) * a.d, acc);
                                });
}

}  // namespace

void mul_rows_interleaved_portable(const MatmulArgs& m, int64_t r0, int64_t r1) {
  if (m.wtype == TensorType::q6_k) return mul_rows_interleaved_q6_k(m, r0, r1);
  if (m.wtype == TensorType::q4_k || m.wtype == TensorType::q5_k) return mul_rows_interleaved_k4(m, r0, r1);
  const bool q4 = m.wtype == TensorType::q4_0;
  for_each_row_block<BlockQ8_0>(m, r0, r1, m.n / kQK, interleaved_block_bytes(m.wtype),
                                [&](const uint8_t* blk, int l, const BlockQ8_0& a, float acc) {
                                  int32_t sum = 0;
                                  if (q4) {
                                    for (size_t j = 0; j < kQK / 2; ++j) {
                                      const uint8_t q = blk[lane_byte(l, j)];
                                      sum += (int32_t(q & 0x0F) - 8) * a.qs[j] +
                                             (int32_t(q >> 4) - 8) * a.qs[j + kQK / 2];
                                    }
                                  } else {
                                    for (size_t j = 0; j < kQK; ++j)
                                      sum += (int32_t(blk[lane_byte(l, j)]) - 128) * a.qs[j];
                                  }
                                  uint16_t dh;
                                  std::memcpy(&dh, blk + 2 * l, 2);
                                  return std::fma(float(sum), f16_to_f32(dh) * f16_to_f32(a.d), acc);
                                });
}

}  // namespace veil::engine
