// ggml block layouts (ggml-common.h) and plain reference conversions: dequantization of every weight
// type, quantization of weights (for `veil model synth`) and of activations (Q8_0, Q8_K).
#pragma once

#include <cstddef>
#include <cstdint>

#include "veil/engine/gguf.h"

namespace veil::engine {

constexpr int kQK = 32;    // elements per Q4_0 / Q8_0 block
constexpr int kQKK = 256;  // elements per K-quant super-block

#pragma pack(push, 1)
struct BlockQ4_0 {  // value = (nibble - 8) * d; low nibbles are elements 0..15, high nibbles 16..31
  uint16_t d;
  uint8_t qs[kQK / 2];
};
struct BlockQ8_0 {  // value = qs * d
  uint16_t d;
  int8_t qs[kQK];
};
struct BlockQ4_K {  // 8 sub-blocks of 32, 6-bit scales and mins packed in `scales`
  uint16_t d;
  uint16_t dmin;
  uint8_t scales[12];
  uint8_t qs[kQKK / 2];
};
struct BlockQ5_K {  // as Q4_K plus one high bit per element in qh
  uint16_t d;
  uint16_t dmin;
  uint8_t scales[12];
  uint8_t qh[kQKK / 8];
  uint8_t qs[kQKK / 2];
};
struct BlockQ6_K {  // 16 sub-blocks of 16 with int8 scales; 4 low bits in ql, 2 high bits in qh
  uint8_t ql[kQKK / 2];
  uint8_t qh[kQKK / 4];
  int8_t scales[kQKK / 16];
  uint16_t d;
};
struct BlockQ8_K {  // activation format for K-quant dot products
  float d;
  int8_t qs[kQKK];
  int16_t bsums[kQKK / 16];  // sums of each 16 quants
};
#pragma pack(pop)
static_assert(sizeof(BlockQ4_0) == 18 && sizeof(BlockQ8_0) == 34 && sizeof(BlockQ4_K) == 144 &&
              sizeof(BlockQ5_K) == 176 && sizeof(BlockQ6_K) == 210 && sizeof(BlockQ8_K) == 292);

// Scale and min j (0..7) of a Q4_K/Q5_K super-block (6 bits each, ggml's get_scale_min_k4).
inline void k4_scale_min(int j, const uint8_t* q, uint8_t* sc, uint8_t* m) {
  if (j < 4) {
    *sc = q[j] & 63;
    *m = q[j + 4] & 63;
  } else {
    *sc = uint8_t((q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4));
    *m = uint8_t((q[j + 4] >> 4) | ((q[j] >> 6) << 4));
  }
}

// Bytes of a row of n elements of `type` (n a multiple of the block size).
size_t row_bytes(TensorType type, int64_t n);

// Dequantizes n elements (a multiple of the type's block size) of one row.
void dequantize_row(TensorType type, const void* src, float* dst, int64_t n);

// Quantizes n floats into `type` (weights; simple round-to-nearest, not ggml's search).
// Supported: f32 f16 bf16 q8_0 q4_0 q4_k q5_k q6_k.
void quantize_row(TensorType type, const float* src, void* dst, int64_t n);

// Activation quantizers, matching ggml's numerics on x86 (see the .cpp).
void quantize_row_q8_0(const float* x, BlockQ8_0* y, int64_t n);
void quantize_row_q8_k(const float* x, BlockQ8_K* y, int64_t n);

}  // namespace veil::engine
