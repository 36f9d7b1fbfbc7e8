// Q8_0, Q4_0, Q4_K, Q5_K and Q6_K matrices rearranged at load ("interleaved") for the AVX-512 VNNI
// matmul kernels.
//
// Rows go in groups of 16 (the last group padded with zero rows). A group's bytes are one
// sequential stream, block after block; block b of the group holds
//   - the 16 rows' F16 scales (32 bytes), then
//   - their quant bytes in 32-bit lanes: lane l of 64-byte vector k is row l's bytes 4k..4k+3.
//     Q4_0: 4 vectors of qs as stored (elements 4k..4k+3 in the low nibbles, 16+4k..16+4k+3 in
//     the high ones). Q8_0: 8 vectors, each byte + 128, so vpdpbusd takes the weights as its
//     unsigned operand unchanged.
// Q4_K (super-blocks of 256: 8 sub-blocks of 32 with 6-bit scales and mins), block b holds
//   - the 16 rows' F16 d (32 bytes) and F16 dmin (32 bytes),
//   - their sub-block scales unpacked to bytes, sc[j][row] (128 bytes),
//   - their sub-block mins unpacked to bytes in pairs, m[k][row] = {min 2k, min 2k+1}
//     (128 bytes; widened to 16 bits they are vpdpwssd's pairs),
//   - their 128 quant bytes in 32 vectors as above (byte i of 32-byte chunk c: low nibble =
//     element 64c + i, high nibble = element 64c + 32 + i, ggml's order).
//   2368 bytes for 16 rows: 4 bytes per row more than the file's 144, the scales' unpacking.
// Q5_K: as Q4_K, with the high bits (qh, 32 bytes per row: bit s of byte i = the fifth bit of
// element 32s + i) in 8 vectors between the mins and the low bits: 2880 bytes for 16 rows.
// Q6_K (super-blocks of 256: 16 sub-blocks of 16 with int8 scales, 6-bit quants split into 4 low
// bits in ql and 2 high bits in qh), block b holds the 16 rows' F16 d (32 bytes), their scales
// sc[j][row] (256 bytes), 32 bytes of padding (every vector 64-byte aligned), then ql and qh in
// lanes as above, in 4 chunks of 12 vectors in the order the kernel reads them (interleaved.cpp):
// 3392 bytes for 16 rows, 2 bytes per row more than the file's 210.
// One vpdpbusd then adds four products of all 16 rows against one broadcast group of four
// activation bytes, and a row's whole block sums exactly in its own lane: a block costs each row
// 1/16 of the scale conversion, the int-to-float conversion and the FMA that a row-at-a-time
// kernel spends on it (llama.cpp repacks Q4_0 in the same spirit, 8 rows at a time).
//
// Every (row, token) result is  acc = fma(float(sum_b), d_w[b] * d_a[b], acc)  over the blocks
// in order, sum_b the block's exact integer dot product (Q4_K, Q5_K: sum_b = sum over sub-blocks of
// scale x integer dot product, then also acc = fma(float(min_b), -(dmin_w[b] * d_a[b]), acc)
// with min_b = sum of min x the activation's sub-block sum; Q6_K: sum over sub-blocks of
// scale x (integer dot product of the quants - 32 x the activation's sub-block sum)): the same
// bits whatever the number of tokens in the step, the tile shape or the instruction set.
#pragma once

#include <cstddef>
#include <cstdint>

#include "veil/engine/gguf.h"
#include "veil/engine/kernels.h"

namespace veil::engine {

constexpr int kInterleaveRows = 16;

// Byte offsets within one block of a 16-row group (the layouts above), shared by the packing code
// and the kernels.
namespace interleaved_layout {
// Q8_0 / Q4_0: the 16 scales, then the quant vectors.
constexpr size_t kQ8Block = 16 * 34, kQ4Block = 16 * 18, kQuants = 32;
// Q4_K / Q5_K.
constexpr size_t kKDmin = 32, kKScales = 64, kKMins = 192, kQ5High = 320;
constexpr size_t kQ4kQuants = 320, kQ4kBlock = 2368, kQ5kQuants = 832, kQ5kBlock = 2880;
// Q6_K: 4 chunks of 12 vectors (ql low 32, ql high 32, qh), one per half and 16-element group.
constexpr size_t kQ6Scales = 32, kQ6Quants = 320, kQ6Chunk = 768, kQ6Block = 3392;
}  // namespace interleaved_layout

// Q8_0, Q4_0, Q4_K, Q5_K and Q6_K.
bool interleavable(TensorType);
// Bytes of one block of a 16-row group (16 times the file's block, a little more for Q4_K/Q6_K).
size_t interleaved_block_bytes(TensorType);
// Bytes of an n_out x n_in matrix interleaved (row count rounded up to a whole group).
size_t interleaved_bytes(TensorType, int64_t n_in, int64_t n_out);
// Rearranges n_out rows of `row_bytes` each (GGUF layout) into `out` (interleaved_bytes long).
void interleave_rows(TensorType, const uint8_t* rows, size_t row_bytes, int64_t n_in, int64_t n_out,
                     uint8_t* out);
// Row `row` of an interleaved matrix back in floats (n_in of them).
void dequantize_interleaved_row(TensorType, const uint8_t* data, int64_t n_in, int64_t row, float* out);

// The interleaved matmul in plain C++, the same operations in the same order as the AVX-512
// kernel (so the same bits): the fallback of the other instruction sets, and the tests' witness.
void mul_rows_interleaved_portable(const MatmulArgs&, int64_t r0, int64_t r1);

}  // namespace veil::engine
