#include "veil/engine/quant.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "veil/engine/half.h"

namespace veil::engine {

namespace {

// Round half to even for |v| < 2^22, exactly as ggml's nearest_int.
inline int nearest_int(float v) {
  float t = v + 12582912.f;
  int32_t i;
  std::memcpy(&i, &t, 4);
  return (i & 0x007fffff) - 0x00400000;
}

void dequant_q4_0(const BlockQ4_0* x, float* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, y += kQK) {
    float d = f16_to_f32(x[i].d);
    for (int j = 0; j < kQK / 2; ++j) {
      y[j] = float((x[i].qs[j] & 0xF) - 8) * d;
      y[j + kQK / 2] = float((x[i].qs[j] >> 4) - 8) * d;
    }
  }
}

void dequant_q8_0(const BlockQ8_0* x, float* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, y += kQK) {
    float d = f16_to_f32(x[i].d);
    for (int j = 0; j < kQK; ++j) y[j] = float(x[i].qs[j]) * d;
  }
}

void dequant_q4_k(const BlockQ4_K* x, float* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i) {
    float d = f16_to_f32(x[i].d), dmin = f16_to_f32(x[i].dmin);
    const uint8_t* q = x[i].qs;
    for (int j = 0; j < 4; ++j, q += 32) {
      uint8_t sc, m;
      k4_scale_min(2 * j, x[i].scales, &sc, &m);
      float d1 = d * sc, m1 = dmin * m;
      k4_scale_min(2 * j + 1, x[i].scales, &sc, &m);
      float d2 = d * sc, m2 = dmin * m;
      for (int l = 0; l < 32; ++l) *y++ = d1 * float(q[l] & 0xF) - m1;
      for (int l = 0; l < 32; ++l) *y++ = d2 * float(q[l] >> 4) - m2;
    }
  }
}

void dequant_q5_k(const BlockQ5_K* x, float* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i) {
    float d = f16_to_f32(x[i].d), dmin = f16_to_f32(x[i].dmin);
    const uint8_t* ql = x[i].qs;
    const uint8_t* qh = x[i].qh;
    for (int j = 0; j < 4; ++j, ql += 32) {
      uint8_t sc, m;
      k4_scale_min(2 * j, x[i].scales, &sc, &m);
      float d1 = d * sc, m1 = dmin * m;
      k4_scale_min(2 * j + 1, x[i].scales, &sc, &m);
      float d2 = d * sc, m2 = dmin * m;
      uint8_t u1 = uint8_t(1u << (2 * j)), u2 = uint8_t(2u << (2 * j));
      for (int l = 0; l < 32; ++l) *y++ = d1 * float((ql[l] & 0xF) + ((qh[l] & u1) ? 16 : 0)) - m1;
      for (int l = 0; l < 32; ++l) *y++ = d2 * float((ql[l] >> 4) + ((qh[l] & u2) ? 16 : 0)) - m2;
    }
  }
}

void dequant_q6_k(const BlockQ6_K* x, float* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i) {
    float d = f16_to_f32(x[i].d);
    const uint8_t* ql = x[i].ql;
    const uint8_t* qh = x[i].qh;
    const int8_t* sc = x[i].scales;
    for (int n = 0; n < kQKK; n += 128) {
      for (int l = 0; l < 32; ++l) {
        int is = l / 16;
        int q1 = int((ql[l] & 0xF) | (((qh[l] >> 0) & 3) << 4)) - 32;
        int q2 = int((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32;
        int q3 = int((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
        int q4 = int((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
        y[l] = d * sc[is] * float(q1);
        y[l + 32] = d * sc[is + 2] * float(q2);
        y[l + 64] = d * sc[is + 4] * float(q3);
        y[l + 96] = d * sc[is + 6] * float(q4);
      }
      y += 128;
      ql += 64;
      qh += 32;
      sc += 8;
    }
  }
}

// ggml quantize_row_q4_0_ref: the signed value of largest magnitude maps to -8.
void quant_q4_0(const float* x, BlockQ4_0* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, x += kQK) {
    float amax = 0, max = 0;
    for (int j = 0; j < kQK; ++j) {
      if (amax < std::fabs(x[j])) {
        amax = std::fabs(x[j]);
        max = x[j];
      }
    }
    float d = max / -8;
    float id = d != 0 ? 1.0f / d : 0.0f;
    y[i].d = f32_to_f16(d);
    for (int j = 0; j < kQK / 2; ++j) {
      int a = std::min(15, int(int8_t(x[j] * id + 8.5f)));
      int b = std::min(15, int(int8_t(x[j + kQK / 2] * id + 8.5f)));
      y[i].qs[j] = uint8_t(a | (b << 4));
    }
  }
}

// Q4_K / Q5_K weights: per 32-element sub-block an affine range [min, max] (min <= 0), scales and
// mins stored with 6 bits under the super-block's d / dmin. nmax = 15 (Q4_K) or 31 (Q5_K).
void quant_k_affine(const float* x, int nmax, uint16_t* d_out, uint16_t* dmin_out, uint8_t scales[12],
                    uint8_t* L /* 256 levels out */) {
  float sub_scale[8], sub_min[8];
  for (int j = 0; j < 8; ++j) {
    float mn = 0, mx = 0;
    for (int l = 0; l < 32; ++l) {
      mn = std::min(mn, x[32 * j + l]);
      mx = std::max(mx, x[32 * j + l]);
    }
    sub_scale[j] = (mx - mn) / float(nmax);
    sub_min[j] = -mn;
  }
  float max_scale = *std::max_element(sub_scale, sub_scale + 8);
  float max_min = *std::max_element(sub_min, sub_min + 8);
  float d = max_scale / 63.f, dmin = max_min / 63.f;
  *d_out = f32_to_f16(d);
  *dmin_out = f32_to_f16(dmin);
  float dq = f16_to_f32(*d_out), dminq = f16_to_f32(*dmin_out);
  uint8_t sc[8], m[8];
  for (int j = 0; j < 8; ++j) {
    sc[j] = uint8_t(std::clamp(d > 0 ? nearest_int(sub_scale[j] / d) : 0, 0, 63));
    m[j] = uint8_t(std::clamp(dmin > 0 ? nearest_int(sub_min[j] / dmin) : 0, 0, 63));
  }
  for (int j = 0; j < 4; ++j) {
    scales[j] = uint8_t((sc[j] & 63) | ((sc[j + 4] >> 4) << 6));
    scales[j + 4] = uint8_t((m[j] & 63) | ((m[j + 4] >> 4) << 6));
    scales[j + 8] = uint8_t((sc[j + 4] & 0xF) | ((m[j + 4] & 0xF) << 4));
  }
  for (int j = 0; j < 8; ++j) {
    float ds = dq * sc[j], dm = dminq * m[j];
    for (int l = 0; l < 32; ++l) {
      int q = ds > 0 ? nearest_int((x[32 * j + l] + dm) / ds) : 0;
      L[32 * j + l] = uint8_t(std::clamp(q, 0, nmax));
    }
  }
}

void quant_q4_k(const float* x, BlockQ4_K* y, int64_t nb) {
  uint8_t L[kQKK];
  for (int64_t i = 0; i < nb; ++i, x += kQKK) {
    quant_k_affine(x, 15, &y[i].d, &y[i].dmin, y[i].scales, L);
    for (int j = 0; j < 4; ++j) {
      for (int l = 0; l < 32; ++l) y[i].qs[32 * j + l] = uint8_t(L[64 * j + l] | (L[64 * j + 32 + l] << 4));
    }
  }
}

void quant_q5_k(const float* x, BlockQ5_K* y, int64_t nb) {
  uint8_t L[kQKK];
  for (int64_t i = 0; i < nb; ++i, x += kQKK) {
    quant_k_affine(x, 31, &y[i].d, &y[i].dmin, y[i].scales, L);
    std::memset(y[i].qh, 0, sizeof y[i].qh);
    for (int j = 0; j < 4; ++j) {
      for (int l = 0; l < 32; ++l) {
        uint8_t a = L[64 * j + l], b = L[64 * j + 32 + l];
        y[i].qs[32 * j + l] = uint8_t((a & 0xF) | ((b & 0xF) << 4));
        if (a & 16) y[i].qh[l] |= uint8_t(1u << (2 * j));
        if (b & 16) y[i].qh[l] |= uint8_t(2u << (2 * j));
      }
    }
  }
}

void quant_q6_k(const float* x, BlockQ6_K* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, x += kQKK) {
    float sub[16];
    for (int j = 0; j < 16; ++j) {
      float amax = 0;
      for (int l = 0; l < 16; ++l) amax = std::max(amax, std::fabs(x[16 * j + l]));
      sub[j] = amax / 31.f;
    }
    float max_sub = *std::max_element(sub, sub + 16);
    float d = max_sub / 127.f;
    y[i].d = f32_to_f16(d);
    float dq = f16_to_f32(y[i].d);
    uint8_t L[kQKK];
    for (int j = 0; j < 16; ++j) {
      int s = d > 0 ? std::clamp(nearest_int(sub[j] / d), 0, 127) : 0;
      y[i].scales[j] = int8_t(s);
      float ds = dq * float(s);
      for (int l = 0; l < 16; ++l) {
        int q = ds > 0 ? nearest_int(x[16 * j + l] / ds) : 0;
        L[16 * j + l] = uint8_t(std::clamp(q, -32, 31) + 32);
      }
    }
    for (int n = 0; n < 2; ++n) {
      const uint8_t* Ln = L + 128 * n;
      uint8_t* ql = y[i].ql + 64 * n;
      uint8_t* qh = y[i].qh + 32 * n;
      for (int l = 0; l < 32; ++l) {
        uint8_t q1 = Ln[l], q2 = Ln[l + 32], q3 = Ln[l + 64], q4 = Ln[l + 96];
        ql[l] = uint8_t((q1 & 0xF) | ((q3 & 0xF) << 4));
        ql[l + 32] = uint8_t((q2 & 0xF) | ((q4 & 0xF) << 4));
        qh[l] = uint8_t((q1 >> 4) | ((q2 >> 4) << 2) | ((q3 >> 4) << 4) | ((q4 >> 4) << 6));
      }
    }
  }
}

}  // namespace

size_t row_bytes(TensorType type, int64_t n) {
  auto tr = tensor_type_traits(uint32_t(type));
  if (!tr) return 0;
  return size_t(n / tr->block_elems) * size_t(tr->block_bytes);
}

void dequantize_row(TensorType type, const void* src, float* dst, int64_t n) {
  switch (type) {
    case TensorType::f32: std::memcpy(dst, src, size_t(n) * 4); return;
    case TensorType::f16: {
      const auto* h = static_cast<const uint16_t*>(src);
      for (int64_t i = 0; i < n; ++i) dst[i] = f16_to_f32(h[i]);
      return;
    }
    case TensorType::bf16: {
      const auto* h = static_cast<const uint16_t*>(src);
      for (int64_t i = 0; i < n; ++i) dst[i] = bf16_to_f32(h[i]);
      return;
    }
    case TensorType::q4_0: dequant_q4_0(static_cast<const BlockQ4_0*>(src), dst, n / kQK); return;
    case TensorType::q8_0: dequant_q8_0(static_cast<const BlockQ8_0*>(src), dst, n / kQK); return;
    case TensorType::q4_k: dequant_q4_k(static_cast<const BlockQ4_K*>(src), dst, n / kQKK); return;
    case TensorType::q5_k: dequant_q5_k(static_cast<const BlockQ5_K*>(src), dst, n / kQKK); return;
    case TensorType::q6_k: dequant_q6_k(static_cast<const BlockQ6_K*>(src), dst, n / kQKK); return;
    default: std::memset(dst, 0, size_t(n) * 4); return;  // callers check supported types at load
  }
}

void quantize_row(TensorType type, const float* src, void* dst, int64_t n) {
  switch (type) {
    case TensorType::f32: std::memcpy(dst, src, size_t(n) * 4); return;
    case TensorType::f16: {
      auto* h = static_cast<uint16_t*>(dst);
      for (int64_t i = 0; i < n; ++i) h[i] = f32_to_f16(src[i]);
      return;
    }
    case TensorType::bf16: {
      auto* h = static_cast<uint16_t*>(dst);
      for (int64_t i = 0; i < n; ++i) h[i] = f32_to_bf16(src[i]);
      return;
    }
    case TensorType::q8_0: quantize_row_q8_0(src, static_cast<BlockQ8_0*>(dst), n); return;
    case TensorType::q4_0: quant_q4_0(src, static_cast<BlockQ4_0*>(dst), n / kQK); return;
    case TensorType::q4_k: quant_q4_k(src, static_cast<BlockQ4_K*>(dst), n / kQKK); return;
    case TensorType::q5_k: quant_q5_k(src, static_cast<BlockQ5_K*>(dst), n / kQKK); return;
    case TensorType::q6_k: quant_q6_k(src, static_cast<BlockQ6_K*>(dst), n / kQKK); return;
    default: return;
  }
}

// ggml's x86 quantize_row_q8_0: d = amax/127 stored as f16, values scaled by 127/amax and rounded
// to nearest even.
void quantize_row_q8_0(const float* x, BlockQ8_0* y, int64_t n) {
  for (int64_t i = 0; i < n / kQK; ++i, x += kQK) {
    float amax = 0;
    for (int j = 0; j < kQK; ++j) amax = std::max(amax, std::fabs(x[j]));
    float d = amax / 127.f;
    float id = amax != 0 ? 127.f / amax : 0.f;
    y[i].d = f32_to_f16(d);
    for (int j = 0; j < kQK; ++j) y[i].qs[j] = int8_t(nearest_int(x[j] * id));
  }
}

// ggml's quantize_row_q8_K_ref: the signed value of largest magnitude maps to -127.
void quantize_row_q8_k(const float* x, BlockQ8_K* y, int64_t n) {
  for (int64_t i = 0; i < n / kQKK; ++i, x += kQKK) {
    float amax = 0, max = 0;
    for (int j = 0; j < kQKK; ++j) {
      if (std::fabs(x[j]) > amax) {
        amax = std::fabs(x[j]);
        max = x[j];
      }
    }
    if (amax == 0) {
      std::memset(&y[i], 0, sizeof(BlockQ8_K));
      continue;
    }
    float iscale = -127.f / max;
    for (int j = 0; j < kQKK; ++j) y[i].qs[j] = int8_t(std::min(127, nearest_int(iscale * x[j])));
    for (int j = 0; j < kQKK / 16; ++j) {
      int sum = 0;
      for (int l = 0; l < 16; ++l) sum += y[i].qs[16 * j + l];
      y[i].bsums[j] = int16_t(sum);
    }
    y[i].d = 1 / iscale;
  }
}

}  // namespace veil::engine
