// Dot-product and matrix kernels, compiled once per instruction set (generic, AVX2, AVX-512) from
// kernels_impl.inc and chosen at run time.
//
// Weights stay in their GGUF block format (Q8_0 and Q4_0 rearranged at load on AVX-512 VNNI, see
// interleaved.h). Activations are converted once per matmul into the weight type's partner
// format, as ggml does (this is what makes results match llama.cpp):
// F32 -> F32, F16 -> F16, BF16 -> BF16, Q8_0/Q4_0 -> Q8_0, Q4_K/Q5_K/Q6_K -> Q8_K.
#pragma once

#include <cstddef>
#include <cstdint>

#include "veil/engine/gguf.h"

namespace veil::engine {

enum class ActType { f32, f16, bf16, q8_0, q8_k };

enum class Isa { generic, avx2, avx512 };

// The partner activation format of a weight type.
ActType act_type_for(TensorType weight_type);
size_t act_row_bytes(ActType, int64_t n);
// Converts one activation row of n floats.
void quantize_activation(ActType, const float* x, void* out, int64_t n);
// True for the weight types the matmul kernels handle.
bool matmul_supported(TensorType weight_type);

// The best instruction set this CPU supports (VEIL_ENGINE_ISA=generic|avx2|avx512 lowers it).
Isa best_isa();
bool isa_supported(Isa);
const char* isa_name(Isa);

// One matmul slice: y[t * y_stride + r] = dot(W row r, activation row t) for rows [r0, r1) and
// tokens [0, n_tok).
struct MatmulArgs {
  TensorType wtype;
  const uint8_t* w;
  size_t w_row_bytes;
  int64_t n;  // elements per row
  const uint8_t* act;
  size_t act_row_bytes;
  int n_tok;
  float* y;
  size_t y_stride;
  // F32/F16 weights: add in tinyBLAS order, as llama.cpp does for a matmul of >= 2 tokens whose
  // row count is a multiple of 4 (see kernels_impl.inc); otherwise in ggml_vec_dot order.
  bool ggml_batch = false;
  // Weights in the interleaved layout (interleaved.h): w is the whole matrix's
  // interleaved bytes and w_row_bytes is unused.
  bool interleaved = false;
};

// The KV cache keeps V per head in tiles of kVTile positions, each laid out [dim][kVTile]:
// value d of position p at (p / kVTile) * kVTile * head_dim + d * kVTile + p % kVTile.
constexpr int kVTile = 64;

struct KernelTable {
  void (*mul_rows)(const MatmulArgs&, int64_t r0, int64_t r1);
  // True when mul_rows has a fast kernel for interleaved weights (AVX-512 VNNI); the
  // other instruction sets run them in plain C++ and should keep the GGUF layout.
  bool fast_interleaved;
  // One weight row against one activation row (tests).
  float (*dot)(TensorType, const void* w, const void* act, int64_t n);
  // Attention helpers: q·k with k in F32 or F16 (q given in the same format as k).
  float (*dot_f32)(const float* a, const float* b, int64_t n);
  float (*dot_f16)(const uint16_t* a, const uint16_t* b, int64_t n);
  // out[i] += p * v[i]
  void (*axpy_f32)(float* out, float p, const float* v, int64_t n);
  void (*axpy_f16)(float* out, float p, const uint16_t* v, int64_t n);
  // Round-to-nearest-even conversion of a row to F16.
  void (*to_f16_row)(const float* x, uint16_t* y, int64_t n);

  // The same products summed in ggml's order (llama.cpp reference numerics, kernels_impl.inc):
  // one F32 or F16 dot product; batch = tinyBLAS order (>= 2 tokens), else ggml_vec_dot.
  float (*dot_ggml)(const void* a, const void* b, int64_t n, bool f16, bool batch);
  // exp(x - mx) in place over x[0..n) with ggml's vector expf; returns the sum.
  double (*softmax_exp_ggml)(float* x, int n, float mx);
  // nq (1 or 2) dot products against the same rows, in ggml's order: out[i * out_stride + r] =
  // dot(q + i * q_stride, rows + r * row_stride) * scale over n elements, for r < n_rows; mx[i]
  // the largest of row i. batch: tinyBLAS order (n % 16 == 0, or any n with pad16), else
  // ggml_vec_dot. Attention's scores (rows = K positions); over V^T rows with pad16, the value
  // sums llama.cpp computes (the tests' reference for value_sums_ggml_*).
  void (*dot_rows_ggml_f32)(const float* q, int nq, size_t q_stride, const float* rows, size_t row_stride,
                            int n_rows, int n, bool batch, bool pad16, float scale, float* out,
                            size_t out_stride, float* mx);
  void (*dot_rows_ggml_f16)(const uint16_t* q, int nq, size_t q_stride, const uint16_t* rows,
                            size_t row_stride, int n_rows, int n, bool batch, bool pad16, float scale,
                            float* out, size_t out_stride, float* mx);
  // Attention's value sums over one head's tiled V (kVTile): out[i * out_stride + d] = sum over
  // p < n_pos of prob_i[p] * V(p, d) for d < hd, nq (1 or 2) probability rows p_stride apart, the
  // same bits as dot_rows_ggml over V^T rows (llama.cpp's V^T x P): batch = tinyBLAS order with
  // lanes past n_pos untouched, else ggml_vec_dot's.
  void (*value_sums_ggml_f32)(const float* prob, int nq, size_t p_stride, const float* v, int hd, int n_pos,
                              bool batch, float* out, size_t out_stride);
  void (*value_sums_ggml_f16)(const uint16_t* prob, int nq, size_t p_stride, const uint16_t* v, int hd,
                              int n_pos, bool batch, float* out, size_t out_stride);
};

const KernelTable& kernels(Isa);
inline const KernelTable& kernels() { return kernels(best_isa()); }

}  // namespace veil::engine
