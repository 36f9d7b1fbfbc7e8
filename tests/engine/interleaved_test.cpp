// The interleaved Q8_0/Q4_0 layout (interleaved.h): it holds the same values as the file's rows,
// its matmul matches a plain double reference on every instruction set, and every (row, token)
// comes out with the same bits whatever the step's token count, the row range a thread takes, or
// the instruction set.
#include "veil/engine/interleaved.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "reference_decode.h"
#include "veil/engine/quant.h"

namespace veil::engine {
namespace {

std::vector<float> randn(int64_t n, std::mt19937& rng, float scale = 1.f) {
  std::normal_distribution<float> d(0.f, scale);
  std::vector<float> v(static_cast<size_t>(n));
  for (auto& x : v) x = d(rng);
  return v;
}

struct Matrix {
  TensorType type;
  int64_t n_in, n_out;
  Bytes rows;         // GGUF layout
  Bytes interleaved;  // the same matrix rearranged
};

Matrix make_matrix(TensorType t, int64_t n_in, int64_t n_out, std::mt19937& rng) {
  Matrix m{t, n_in, n_out, Bytes(row_bytes(t, n_in) * size_t(n_out)), Bytes()};
  for (int64_t r = 0; r < n_out; ++r)
    quantize_row(t, randn(n_in, rng).data(), m.rows.data() + size_t(r) * row_bytes(t, n_in), n_in);
  m.interleaved.resize(interleaved_bytes(t, n_in, n_out));
  interleave_rows(t, m.rows.data(), row_bytes(t, n_in), n_in, n_out, m.interleaved.data());
  return m;
}

Bytes make_acts(TensorType t, int64_t n, int n_tok, std::mt19937& rng) {
  const size_t arb = act_row_bytes(act_type_for(t), n);
  Bytes a(arb * size_t(n_tok));
  for (int i = 0; i < n_tok; ++i)
    quantize_activation(act_type_for(t), randn(n, rng, 3.f).data(), a.data() + size_t(i) * arb, n);
  return a;
}

// An activation row in doubles: Q8_0 blocks, or Q8_K blocks {f32 d; i8 q[256]; i16 bsums[16]}.
std::vector<double> decode_act(TensorType t, const uint8_t* p, int64_t n) {
  if (act_type_for(t) == ActType::q8_0) return decode(TensorType::q8_0, p, int(n));
  std::vector<double> out(static_cast<size_t>(n));
  for (int64_t b = 0; b < n / 256; ++b, p += 292) {
    float d;
    std::memcpy(&d, p, 4);
    for (int j = 0; j < 256; ++j) out[size_t(256 * b + j)] = double(d) * int8_t(p[4 + j]);
  }
  return out;
}

int64_t block_elems(TensorType t) {
  return t == TensorType::q4_k || t == TensorType::q5_k || t == TensorType::q6_k ? 256 : 32;
}

// Row lengths with an even and an odd number of blocks.
std::vector<int64_t> lengths(TensorType t) {
  if (block_elems(t) == 256) return {512, 768};
  return {512, 480};
}

// y[t][r] for rows [0, n_out) split into the given ranges (as threads take them).
std::vector<float> matmul(const KernelTable& k, const Matrix& w, const Bytes& acts, int n_tok,
                          const std::vector<int64_t>& cuts) {
  std::vector<float> y(size_t(w.n_out) * size_t(n_tok), -1.f);
  MatmulArgs m{w.type,
               w.interleaved.data(),
               0,
               w.n_in,
               acts.data(),
               act_row_bytes(act_type_for(w.type), w.n_in),
               n_tok,
               y.data(),
               size_t(w.n_out),
               false,
               true};
  int64_t r0 = 0;
  for (int64_t c : cuts) {
    k.mul_rows(m, r0, c);
    r0 = c;
  }
  k.mul_rows(m, r0, w.n_out);
  return y;
}

const TensorType kTypes[] = {TensorType::q8_0, TensorType::q4_0, TensorType::q4_k, TensorType::q5_k,
                             TensorType::q6_k};
const Isa kIsas[] = {Isa::generic, Isa::avx2, Isa::avx512};

TEST(Interleaved, HoldsTheSameValuesAsTheRows) {
  std::mt19937 rng(11);
  for (TensorType t : kTypes) {
    const bool k = block_elems(t) == 256;
    const int64_t n_in = k ? 512 : 96, n_out = 37;  // three groups, the last one padded
    Matrix w = make_matrix(t, n_in, n_out, rng);
    EXPECT_EQ(w.interleaved.size(), size_t(3 * (k ? 2 : 3)) * interleaved_block_bytes(t));
    for (int64_t r = 0; r < n_out; ++r) {
      std::vector<float> want(static_cast<size_t>(n_in)), got(static_cast<size_t>(n_in));
      dequantize_row(t, w.rows.data() + size_t(r) * row_bytes(t, n_in), want.data(), n_in);
      dequantize_interleaved_row(t, w.interleaved.data(), n_in, r, got.data());
      ASSERT_EQ(want, got) << tensor_type_name(t) << " row " << r;
    }
  }
}

TEST(Interleaved, MatmulMatchesReferenceOnEveryIsa) {
  std::mt19937 rng(12);
  for (TensorType t : kTypes) {
    for (int64_t n_in : lengths(t)) {
      const int64_t n_out = 37;
      const int n_tok = 7;
      Matrix w = make_matrix(t, n_in, n_out, rng);
      Bytes acts = make_acts(t, n_in, n_tok, rng);
      for (Isa isa : kIsas) {
        if (!isa_supported(isa)) continue;
        SCOPED_TRACE(std::string(isa_name(isa)) + " " + tensor_type_name(t) + " n_in " +
                     std::to_string(n_in));
        std::vector<float> y = matmul(kernels(isa), w, acts, n_tok, {5, 21});
        const size_t arb = act_row_bytes(act_type_for(t), n_in);
        for (int64_t r = 0; r < n_out; ++r) {
          auto wr = decode(t, w.rows.data() + size_t(r) * row_bytes(t, n_in), int(n_in));
          for (int i = 0; i < n_tok; ++i) {
            auto ar = decode_act(t, acts.data() + size_t(i) * arb, n_in);
            double ref = 0, mag = 0;
            for (int64_t j = 0; j < n_in; ++j) {
              ref += wr[size_t(j)] * ar[size_t(j)];
              mag += std::fabs(wr[size_t(j)] * ar[size_t(j)]);
            }
            EXPECT_NEAR(y[size_t(i) * size_t(n_out) + size_t(r)], ref, 1e-5 * mag + 1e-6)
                << "row " << r << " tok " << i;
          }
        }
      }
    }
  }
}

// Continuous batching must not change a sequence's numbers: a token's row sums are the same bits
// alone or among others (tiles of 8, 4, 2 and 1 tokens, the first of a group prefetching ahead),
// for any split of the rows, on every ISA.
TEST(Interleaved, EveryStepShapeAndIsaGivesTheSameBits) {
  std::mt19937 rng(13);
  for (TensorType t : kTypes) {
    for (int64_t n_in : lengths(t)) {
      for (int n_tok : {5, 11}) {  // 4 + 1 and 8 + 2 + 1
        const int64_t n_out = 53;
        Matrix w = make_matrix(t, n_in, n_out, rng);
        Bytes acts = make_acts(t, n_in, n_tok, rng);
        const size_t arb = act_row_bytes(act_type_for(t), n_in);
        const std::vector<float> want = matmul(kernels(Isa::generic), w, acts, n_tok, {});
        for (Isa isa : kIsas) {
          if (!isa_supported(isa)) continue;
          SCOPED_TRACE(std::string(isa_name(isa)) + " " + tensor_type_name(t) + " n_in " +
                       std::to_string(n_in) + " n_tok " + std::to_string(n_tok));
          EXPECT_EQ(matmul(kernels(isa), w, acts, n_tok, {3, 16, 17, 40}), want);
          for (int i = 0; i < n_tok; ++i) {
            Bytes one(acts.begin() + std::ptrdiff_t(size_t(i) * arb),
                      acts.begin() + std::ptrdiff_t(size_t(i + 1) * arb));
            const std::vector<float> y1 = matmul(kernels(isa), w, one, 1, {32});
            for (int64_t r = 0; r < n_out; ++r)
              ASSERT_EQ(y1[size_t(r)], want[size_t(i) * size_t(n_out) + size_t(r)])
                  << "row " << r << " tok " << i;
          }
        }
      }
    }
  }
}

}  // namespace
}  // namespace veil::engine
