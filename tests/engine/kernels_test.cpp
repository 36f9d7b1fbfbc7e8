// Every kernel (each instruction set this CPU has) against a plain reference written here: the block
// formats decoded with simple loops from ggml's layout description, dot products in double.
#include "veil/engine/kernels.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "reference_decode.h"
#include "veil/engine/half.h"
#include "veil/engine/quant.h"

namespace veil::engine {
namespace {

std::vector<double> decode_act(ActType a, const uint8_t* p, int n) {
  switch (a) {
    case ActType::f32:
      return decode(TensorType::f32, p, n);
    case ActType::f16:
      return decode(TensorType::f16, p, n);
    case ActType::bf16:
      return decode(TensorType::bf16, p, n);
    case ActType::q8_0:
      return decode(TensorType::q8_0, p, n);
    case ActType::q8_k: {  // {f32 d; i8 q[256]; i16 bsums[16]}
      std::vector<double> out(static_cast<size_t>(n));
      for (int b = 0; b < n / 256; ++b, p += 292) {
        float d;
        std::memcpy(&d, p, 4);
        for (int j = 0; j < 256; ++j) out[256 * b + j] = double(d) * int8_t(p[4 + j]);
        for (int g = 0; g < 16; ++g) {
          int s = 0;
          for (int j = 0; j < 16; ++j) s += int8_t(p[4 + 16 * g + j]);
          int16_t stored;
          std::memcpy(&stored, p + 260 + 2 * g, 2);
          EXPECT_EQ(s, stored);
        }
      }
      return out;
    }
  }
  return {};
}

const TensorType kTypes[] = {TensorType::f32,  TensorType::f16,  TensorType::bf16, TensorType::q8_0,
                             TensorType::q4_0, TensorType::q4_k, TensorType::q5_k, TensorType::q6_k};

std::vector<float> randn(int n, std::mt19937& rng, float scale = 1.f) {
  std::normal_distribution<float> d(0.f, scale);
  std::vector<float> v(static_cast<size_t>(n));
  for (auto& x : v) x = d(rng);
  return v;
}

TEST(Kernels, QuantizedWeightsDecodeCloseToSource) {
  std::mt19937 rng(1);
  const int n = 1024;
  auto x = randn(n, rng);
  // Max error relative to the block range each format can represent.
  for (TensorType t : kTypes) {
    Bytes q(row_bytes(t, n));
    quantize_row(t, x.data(), q.data(), n);
    auto ref = decode(t, q.data(), n);
    std::vector<float> ours(n);
    dequantize_row(t, q.data(), ours.data(), n);
    double max_err = 0;
    for (int i = 0; i < n; ++i) {
      EXPECT_NEAR(ours[i], ref[i], 1e-6 * (1 + std::fabs(ref[i]))) << tensor_type_name(t) << " " << i;
      max_err = std::max(max_err, std::fabs(ref[i] - x[i]));
    }
    double tol = t == TensorType::f32    ? 0
                 : t == TensorType::f16  ? 2e-3
                 : t == TensorType::bf16 ? 2e-2
                 : t == TensorType::q8_0 ? 0.02
                 : t == TensorType::q6_k ? 0.1
                 : t == TensorType::q5_k ? 0.2
                                         : 0.45;
    EXPECT_LE(max_err, tol) << tensor_type_name(t);
  }
}

TEST(Kernels, DotAndMatmulMatchReferenceOnEveryIsa) {
  std::mt19937 rng(2);
  const int n = 512, rows = 7, toks = 6;
  for (Isa isa : {Isa::generic, Isa::avx2, Isa::avx512}) {
    if (!isa_supported(isa)) continue;
    const KernelTable& k = kernels(isa);
    for (TensorType t : kTypes) {
      SCOPED_TRACE(std::string(isa_name(isa)) + " " + tensor_type_name(t));
      ActType at = act_type_for(t);
      size_t wrb = row_bytes(t, n), arb = act_row_bytes(at, n);
      Bytes w(wrb * rows), a(arb * toks);
      for (int r = 0; r < rows; ++r) quantize_row(t, randn(n, rng).data(), w.data() + r * wrb, n);
      for (int i = 0; i < toks; ++i)
        quantize_activation(at, randn(n, rng, 3.f).data(), a.data() + i * arb, n);
      std::vector<float> y(size_t(rows * toks), -1.f);
      MatmulArgs m{
          t, w.data(), wrb, n, a.data(), arb, toks, y.data(), size_t(rows), toks >= 2 && rows % 4 == 0};
      k.mul_rows(m, 0, 3);
      k.mul_rows(m, 3, rows);
      for (int r = 0; r < rows; ++r) {
        auto wr = decode(t, w.data() + r * wrb, n);
        for (int i = 0; i < toks; ++i) {
          auto ar = decode_act(at, a.data() + i * arb, n);
          double ref = 0, mag = 0;
          for (int j = 0; j < n; ++j) {
            ref += wr[j] * ar[j];
            mag += std::fabs(wr[j] * ar[j]);
          }
          // Float accumulation of exact per-block sums: error well below 1e-5 of the magnitude.
          EXPECT_NEAR(y[size_t(i * rows + r)], ref, 1e-5 * mag + 1e-6) << "row " << r << " tok " << i;
          EXPECT_NEAR(k.dot(t, w.data() + r * wrb, a.data() + i * arb, n), ref, 1e-5 * mag + 1e-6);
        }
      }
    }
  }
}

// Steps of >= 8 tokens take a prepared-operand path for Q8_0/Q4_0 weights; every (row, token)
// must come out bit for bit as in one-token steps, for row ranges not divisible by 4 and block
// counts odd (the unprepared path) or even.
TEST(Kernels, ManyTokenMatmulEqualsOneTokenBitForBit) {
  std::mt19937 rng(7);
  const int rows = 11;
  for (int n : {512, 480}) {
    for (int toks : {8, 9, 13}) {
      for (Isa isa : {Isa::generic, Isa::avx2, Isa::avx512}) {
        if (!isa_supported(isa)) continue;
        const KernelTable& k = kernels(isa);
        for (TensorType t : {TensorType::q8_0, TensorType::q4_0}) {
          SCOPED_TRACE(std::string(isa_name(isa)) + " " + tensor_type_name(t) + " n " + std::to_string(n) +
                       " toks " + std::to_string(toks));
          const size_t wrb = row_bytes(t, n), arb = act_row_bytes(ActType::q8_0, n);
          Bytes w(wrb * rows), a(arb * size_t(toks));
          for (int r = 0; r < rows; ++r) quantize_row(t, randn(n, rng).data(), w.data() + r * wrb, n);
          for (int i = 0; i < toks; ++i)
            quantize_activation(ActType::q8_0, randn(n, rng, 3.f).data(), a.data() + size_t(i) * arb, n);
          std::vector<float> y(size_t(rows * toks), -1.f);
          MatmulArgs m{t, w.data(), wrb, n, a.data(), arb, toks, y.data(), size_t(rows), false};
          k.mul_rows(m, 0, 5);
          k.mul_rows(m, 5, rows);
          for (int i = 0; i < toks; ++i) {
            std::vector<float> y1(size_t(rows), -2.f);
            MatmulArgs m1{t, w.data(),  wrb,          n,    a.data() + size_t(i) * arb, arb,
                          1, y1.data(), size_t(rows), false};
            k.mul_rows(m1, 0, rows);
            for (int r = 0; r < rows; ++r)
              ASSERT_EQ(y[size_t(i * rows + r)], y1[size_t(r)]) << "row " << r << " tok " << i;
          }
        }
      }
    }
  }
}

TEST(Kernels, ActivationQuantizationMatchesGgmlRules) {
  std::mt19937 rng(3);
  auto x = randn(256, rng);
  x[17] = -5.f;  // largest magnitude, negative
  Bytes q8k(act_row_bytes(ActType::q8_k, 256));
  quantize_activation(ActType::q8_k, x.data(), q8k.data(), 256);
  EXPECT_EQ(int8_t(q8k[4 + 17]), -127);  // iscale = -127/max keeps the sign
  Bytes q80(act_row_bytes(ActType::q8_0, 256));
  quantize_activation(ActType::q8_0, x.data(), q80.data(), 256);
  EXPECT_EQ(int8_t(q80[2 + 17]), -127);
  auto back = decode(TensorType::q8_0, q80.data(), 256);
  for (int i = 0; i < 256; ++i) EXPECT_NEAR(back[i], x[i], 5.0 / 127 * 0.51 + 1e-3);
}

TEST(Kernels, AttentionHelpers) {
  std::mt19937 rng(4);
  auto a = randn(100, rng), b = randn(100, rng);
  std::vector<uint16_t> ah(100), bh(100);
  double ref = 0, ref16 = 0;
  for (int i = 0; i < 100; ++i) {
    ah[i] = f32_to_f16(a[i]);
    bh[i] = f32_to_f16(b[i]);
    ref += double(a[i]) * b[i];
    ref16 += double(f16_to_f32(ah[i])) * f16_to_f32(bh[i]);
  }
  for (Isa isa : {Isa::generic, Isa::avx2, Isa::avx512}) {
    if (!isa_supported(isa)) continue;
    const KernelTable& k = kernels(isa);
    EXPECT_NEAR(k.dot_f32(a.data(), b.data(), 100), ref, 1e-4);
    EXPECT_NEAR(k.dot_f16(ah.data(), bh.data(), 100), ref16, 1e-4);
    std::vector<float> out(100, 1.f), out16(100, 1.f);
    k.axpy_f32(out.data(), 0.5f, a.data(), 100);
    k.axpy_f16(out16.data(), 0.5f, ah.data(), 100);
    for (int i = 0; i < 100; ++i) {
      EXPECT_FLOAT_EQ(out[i], 1.f + 0.5f * a[i]);
      EXPECT_FLOAT_EQ(out16[i], 1.f + 0.5f * f16_to_f32(ah[i]));
    }
  }
}

// The llama.cpp-order kernels must give the same bits on every instruction set (the vector code
// against the plain lane code of the generic build), and their sums must be ordinary dot products.
TEST(Kernels, GgmlOrderKernelsAgreeBitForBitAcrossIsas) {
  std::mt19937 rng(5);
  const KernelTable& g = kernels(Isa::generic);
  for (int n : {8, 16, 32, 64, 100, 128, 172, 200}) {
    auto a = randn(n, rng), b = randn(n, rng);
    std::vector<uint16_t> ah(static_cast<size_t>(n)), bh(static_cast<size_t>(n));
    double ref = 0;
    for (int i = 0; i < n; ++i) {
      ah[size_t(i)] = f32_to_f16(a[size_t(i)]);
      bh[size_t(i)] = f32_to_f16(b[size_t(i)]);
      ref += double(a[size_t(i)]) * b[size_t(i)];
    }
    for (Isa isa : {Isa::avx2, Isa::avx512}) {
      if (!isa_supported(isa)) continue;
      const KernelTable& k = kernels(isa);
      for (bool batch : {false, true}) {
        EXPECT_EQ(k.dot_ggml(a.data(), b.data(), n, false, batch),
                  g.dot_ggml(a.data(), b.data(), n, false, batch))
            << n;
        EXPECT_EQ(k.dot_ggml(ah.data(), bh.data(), n, true, batch),
                  g.dot_ggml(ah.data(), bh.data(), n, true, batch))
            << n;
      }
      auto x1 = a, x2 = a;
      double s1 = k.softmax_exp_ggml(x1.data(), n, 0.5f), s2 = g.softmax_exp_ggml(x2.data(), n, 0.5f);
      EXPECT_EQ(s1, s2);
      EXPECT_EQ(x1, x2);
    }
    EXPECT_NEAR(g.dot_ggml(a.data(), b.data(), n, false, false), ref, 1e-4);
    EXPECT_NEAR(g.dot_ggml(a.data(), b.data(), n, false, n % 16 == 0), ref, 1e-4);
  }
  // ggml's vector expf: within 2 ulp of exp, but not the C library's expf everywhere.
  std::vector<float> x(4096);
  for (size_t i = 0; i < x.size(); ++i) x[i] = -20.f + 20.f * float(i) / float(x.size());
  auto e = x;
  double sum = g.softmax_exp_ggml(e.data(), int(e.size()), 0.f);
  double want = 0;
  int differs = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    double ex = std::exp(double(x[i]));
    want += ex;
    EXPECT_NEAR(e[i], ex, 2.5 * ex * 0x1p-23) << x[i];
    differs += e[i] != std::exp(x[i]);
  }
  EXPECT_GT(differs, 100);
  EXPECT_NEAR(sum, want, want * 1e-6);
  // Attention scores: position by position the bits of dot_ggml times the scale, on every ISA,
  // for head sizes with and without a tail past the blocks of 64 and position counts around 16.
  for (int hd : {8, 16, 48, 64, 80, 128, 200}) {
    for (int n_pos : {1, 15, 16, 17, 33, 130}) {
      const size_t stride = size_t(hd) + 24;
      auto kf = randn(n_pos * int(stride), rng), q = randn(2 * hd, rng);
      std::vector<uint16_t> kh(kf.size()), qh(q.size());
      for (size_t i = 0; i < kf.size(); ++i) kh[i] = f32_to_f16(kf[i]);
      for (size_t i = 0; i < q.size(); ++i) qh[i] = f32_to_f16(q[i]);
      const float scale = 0.0883883f;
      for (bool batch : {false, true}) {
        for (Isa isa : {Isa::generic, Isa::avx2, Isa::avx512}) {
          if (!isa_supported(isa)) continue;
          const KernelTable& k = kernels(isa);
          for (int nq : {1, 2}) {
            // nq query rows (q + i * hd) against the same K; output rows n_pos + 3 apart.
            const size_t os = size_t(n_pos) + 3;
            std::vector<float> s32(2 * os), s16(2 * os);
            float m32[2], m16[2];
            k.dot_rows_ggml_f32(q.data(), nq, size_t(hd), kf.data(), stride, n_pos, hd, batch, false, scale,
                                s32.data(), os, m32);
            k.dot_rows_ggml_f16(qh.data(), nq, size_t(hd), kh.data(), stride, n_pos, hd, batch, false, scale,
                                s16.data(), os, m16);
            for (int i = 0; i < nq; ++i) {
              float want_m32 = -INFINITY, want_m16 = -INFINITY;
              for (int p = 0; p < n_pos; ++p) {
                const float* kr = kf.data() + size_t(p) * stride;
                const uint16_t* khr = kh.data() + size_t(p) * stride;
                const float w32 = g.dot_ggml(q.data() + size_t(i) * hd, kr, hd, false, batch) * scale;
                const float w16 = g.dot_ggml(qh.data() + size_t(i) * hd, khr, hd, true, batch) * scale;
                ASSERT_EQ(s32[size_t(i) * os + size_t(p)], w32)
                    << isa_name(isa) << " hd " << hd << " pos " << p << " batch " << batch << " row " << i;
                ASSERT_EQ(s16[size_t(i) * os + size_t(p)], w16)
                    << isa_name(isa) << " hd " << hd << " pos " << p << " batch " << batch << " row " << i;
                want_m32 = std::max(want_m32, w32);
                want_m16 = std::max(want_m16, w16);
              }
              EXPECT_EQ(m32[i], want_m32);
              EXPECT_EQ(m16[i], want_m16);
            }
          }
        }
      }
    }
  }
  // Value sums as dot products of V^T rows with the probabilities: on every ISA, equal bit for bit
  // to ggml's V^T x P product written out below with loops over the position-major V (the
  // engine's earlier layout), and close to the plain sum.
  for (int n_pos : {5, 16, 40, 64, 100, 130, 191, 600}) {
    for (int hd : {8, 32, 128}) {
      auto v = randn(n_pos * hd, rng);  // position-major: v[p * hd + d]
      std::vector<uint16_t> vh(v.size());
      for (size_t i = 0; i < v.size(); ++i) vh[i] = f32_to_f16(v[i]);
      const size_t row = size_t(n_pos) + 7;  // V^T rows with room to spare, as in the cache
      std::vector<float> vt(size_t(hd) * row, 9.f);
      std::vector<uint16_t> vth(vt.size(), 0x7e00);
      for (int p = 0; p < n_pos; ++p)
        for (int d = 0; d < hd; ++d) {
          vt[size_t(d) * row + size_t(p)] = v[size_t(p * hd + d)];
          vth[size_t(d) * row + size_t(p)] = vh[size_t(p * hd + d)];
        }
      std::vector<float> prob(2 * size_t(n_pos));
      for (auto& x : prob) x = f16_to_f32(f32_to_f16(std::uniform_real_distribution<float>(0, 1)(rng)));
      std::vector<uint16_t> probh(prob.size());
      for (size_t i = 0; i < prob.size(); ++i) probh[i] = f32_to_f16(prob[i]);
      for (bool batch : {false, true}) {
        // ggml's order with loops: batch = position p into lane p % 16, then tree16; one token = 64
        // accumulators over whole 64s, folded, tree16, the rest added in double (F16) or float (F32).
        auto reference = [&](const float* pr, int d, bool half) {
          auto vv = [&](int p) { return half ? f16_to_f32(vh[size_t(p * hd + d)]) : v[size_t(p * hd + d)]; };
          if (batch) {
            float lanes[16] = {};
            for (int p = 0; p < n_pos; ++p) lanes[p & 15] = std::fma(vv(p), pr[p], lanes[p & 15]);
            float a[8], b[4];
            for (int i = 0; i < 8; ++i) a[i] = lanes[i] + lanes[i + 8];
            for (int i = 0; i < 4; ++i) b[i] = a[i] + a[i + 4];
            return (b[0] + b[2]) + (b[1] + b[3]);
          }
          const int end = n_pos & ~63;
          float acc[64] = {};
          for (int p = 0; p < end; ++p) acc[p & 63] = std::fma(vv(p), pr[p], acc[p & 63]);
          float s16[16], a[8], b[4];
          for (int l = 0; l < 16; ++l) s16[l] = (acc[l] + acc[32 + l]) + (acc[16 + l] + acc[48 + l]);
          for (int i = 0; i < 8; ++i) a[i] = s16[i] + s16[i + 8];
          for (int i = 0; i < 4; ++i) b[i] = a[i] + a[i + 4];
          const float head = (b[0] + b[2]) + (b[1] + b[3]);
          if (half) {
            double t = head;
            for (int p = end; p < n_pos; ++p) t += double(vv(p) * pr[p]);
            return float(t);
          }
          float t = head;
          for (int p = end; p < n_pos; ++p) t += vv(p) * pr[p];
          return t;
        };
        for (Isa isa : {Isa::generic, Isa::avx2, Isa::avx512}) {
          if (!isa_supported(isa)) continue;
          const KernelTable& k = kernels(isa);
          for (int nq : {1, 2}) {
            std::vector<float> o16(2 * size_t(hd)), o32(2 * size_t(hd));
            float mx[2];
            k.dot_rows_ggml_f16(probh.data(), nq, size_t(n_pos), vth.data(), row, hd, n_pos, batch, true,
                                1.0f, o16.data(), size_t(hd), mx);
            k.dot_rows_ggml_f32(prob.data(), nq, size_t(n_pos), vt.data(), row, hd, n_pos, batch, true, 1.0f,
                                o32.data(), size_t(hd), mx);
            for (int i = 0; i < nq; ++i) {
              const float* pr = prob.data() + size_t(i) * size_t(n_pos);
              for (int d = 0; d < hd; ++d) {
                ASSERT_EQ(o16[size_t(i * hd + d)], reference(pr, d, true))
                    << isa_name(isa) << " n_pos " << n_pos << " hd " << hd << " batch " << batch << " head "
                    << i;
                ASSERT_EQ(o32[size_t(i * hd + d)], reference(pr, d, false))
                    << isa_name(isa) << " n_pos " << n_pos << " hd " << hd << " batch " << batch << " head "
                    << i;
                double plain = 0;
                for (int p = 0; p < n_pos; ++p) plain += double(pr[p]) * v[size_t(p * hd + d)];
                EXPECT_NEAR(o32[size_t(i * hd + d)], plain, 1e-4);
              }
            }
            // The same sums over the cache's tiled V, with NaN in the positions past n_pos (which
            // must stay out of the sums): the same bits.
            const size_t tiles = (size_t(n_pos) + kVTile - 1) / kVTile;
            std::vector<float> vtile(tiles * kVTile * size_t(hd), std::nanf(""));
            std::vector<uint16_t> vtileh(vtile.size(), 0x7e00);
            for (int p = 0; p < n_pos; ++p)
              for (int d = 0; d < hd; ++d) {
                const size_t at =
                    size_t(p / kVTile) * kVTile * size_t(hd) + size_t(d) * kVTile + size_t(p % kVTile);
                vtile[at] = v[size_t(p * hd + d)];
                vtileh[at] = vh[size_t(p * hd + d)];
              }
            std::vector<float> t16(2 * size_t(hd), -1.f), t32(2 * size_t(hd), -1.f);
            k.value_sums_ggml_f16(probh.data(), nq, size_t(n_pos), vtileh.data(), hd, n_pos, batch,
                                  t16.data(), size_t(hd));
            k.value_sums_ggml_f32(prob.data(), nq, size_t(n_pos), vtile.data(), hd, n_pos, batch, t32.data(),
                                  size_t(hd));
            for (int i = 0; i < nq; ++i)
              for (int d = 0; d < hd; ++d) {
                const size_t at = size_t(i * hd + d);
                ASSERT_EQ(t16[at], o16[at]) << "tiled " << isa_name(isa) << " n_pos " << n_pos << " hd " << hd
                                            << " batch " << batch << " head " << i << " dim " << d;
                ASSERT_EQ(t32[at], o32[at]) << "tiled " << isa_name(isa) << " n_pos " << n_pos << " hd " << hd
                                            << " batch " << batch << " head " << i << " dim " << d;
              }
          }
        }
      }
    }
  }
}

TEST(Kernels, HalfConversionsRoundToNearestEven) {
  EXPECT_EQ(f32_to_f16(1.0f), 0x3c00);
  EXPECT_EQ(f32_to_f16(65504.f), 0x7bff);
  EXPECT_EQ(f32_to_f16(1e6f), 0x7c00);
  EXPECT_EQ(f32_to_f16(std::ldexp(1.f, -24)), 0x0001);
  EXPECT_EQ(f32_to_f16(1.0f + std::ldexp(1.f, -11)), 0x3c00);      // tie -> even
  EXPECT_EQ(f32_to_f16(1.0f + 3 * std::ldexp(1.f, -11)), 0x3c02);  // tie -> even (up)
  for (uint32_t u = 0; u < 0x7c00; u += 7) EXPECT_EQ(f32_to_f16(f16_to_f32(uint16_t(u))), u);
  EXPECT_EQ(f32_to_bf16(1.0f), 0x3f80);
}

}  // namespace
}  // namespace veil::engine
