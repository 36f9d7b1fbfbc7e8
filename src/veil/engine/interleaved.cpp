#include "veil/engine/interleaved.h"

#include <cmath>
#include <cstring>

#include "veil/engine/half.h"
#include "veil/engine/quant.h"

namespace veil::engine {

namespace {

constexpr size_t kScaleBytes = 2 * kInterleaveRows;  // the 16 F16 scales opening each block

// Quant bytes per row and block: Q4_0 16 (32 nibbles), Q8_0 32.
size_t quant_bytes(TensorType t) { return t == TensorType::q4_0 ? kQK / 2 : kQK; }

// Offset of row l's quant byte j (0 <= j < quant_bytes) within a block of the group.
size_t lane_byte(int l, size_t j) { return kScaleBytes + (j / 4) * 64 + size_t(l) * 4 + j % 4; }

}  // namespace

bool interleavable(TensorType t) { return t == TensorType::q4_0 || t == TensorType::q8_0; }

size_t interleaved_block_bytes(TensorType t) { return kInterleaveRows * (2 + quant_bytes(t)); }

size_t interleaved_bytes(TensorType t, int64_t n_in, int64_t n_out) {
  const size_t groups = size_t((n_out + kInterleaveRows - 1) / kInterleaveRows);
  return groups * size_t(n_in / kQK) * interleaved_block_bytes(t);
}

void interleave_rows(TensorType t, const uint8_t* rows, size_t row_bytes, int64_t n_in, int64_t n_out,
                     uint8_t* out) {
  const int64_t nb = n_in / kQK;
  const size_t qb = quant_bytes(t), bb = interleaved_block_bytes(t), src_block = 2 + qb;
  // Q8_0's quants take a +128 bias (signed -> unsigned); Q4_0's nibbles are unsigned already.
  const uint8_t bias = t == TensorType::q8_0 ? 0x80 : 0;
  std::memset(out, 0, interleaved_bytes(t, n_in, n_out));
  for (int64_t r = 0; r < n_out; ++r) {
    const int l = int(r % kInterleaveRows);
    uint8_t* group = out + size_t(r / kInterleaveRows) * size_t(nb) * bb;
    const uint8_t* src = rows + size_t(r) * row_bytes;
    for (int64_t b = 0; b < nb; ++b) {
      const uint8_t* sb = src + size_t(b) * src_block;  // {F16 d; quants}
      uint8_t* db = group + size_t(b) * bb;
      std::memcpy(db + 2 * l, sb, 2);
      for (size_t j = 0; j < qb; ++j) db[lane_byte(l, j)] = uint8_t(sb[2 + j] ^ bias);
    }
  }
}

void dequantize_interleaved_row(TensorType t, const uint8_t* data, int64_t n_in, int64_t row, float* out) {
  const int64_t nb = n_in / kQK;
  const size_t bb = interleaved_block_bytes(t);
  const int l = int(row % kInterleaveRows);
  const uint8_t* group = data + size_t(row / kInterleaveRows) * size_t(nb) * bb;
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

void mul_rows_interleaved_portable(const MatmulArgs& m, int64_t r0, int64_t r1) {
  const bool q4 = m.wtype == TensorType::q4_0;
  const int64_t nb = m.n / kQK;
  const size_t bb = interleaved_block_bytes(m.wtype);
  for (int64_t r = r0; r < r1; ++r) {
    const int l = int(r % kInterleaveRows);
    const uint8_t* group = m.w + size_t(r / kInterleaveRows) * size_t(nb) * bb;
    for (int t = 0; t < m.n_tok; ++t) {
      const auto* a = reinterpret_cast<const BlockQ8_0*>(m.act + size_t(t) * m.act_row_bytes);
      float acc = 0.f;
      for (int64_t b = 0; b < nb; ++b) {
        const uint8_t* blk = group + size_t(b) * bb;
        int32_t sum = 0;
        if (q4) {
          for (size_t j = 0; j < kQK / 2; ++j) {
            const uint8_t q = blk[lane_byte(l, j)];
            sum += (int32_t(q & 0x0F) - 8) * a[b].qs[j] + (int32_t(q >> 4) - 8) * a[b].qs[j + kQK / 2];
          }
        } else {
          for (size_t j = 0; j < kQK; ++j) sum += (int32_t(blk[lane_byte(l, j)]) - 128) * a[b].qs[j];
        }
        uint16_t dh;
        std::memcpy(&dh, blk + 2 * l, 2);
        const float scale = f16_to_f32(dh) * f16_to_f32(a[b].d);
        acc = std::fma(float(sum), scale, acc);
      }
      m.y[size_t(t) * m.y_stride + size_t(r)] = acc;
    }
  }
}

}  // namespace veil::engine
