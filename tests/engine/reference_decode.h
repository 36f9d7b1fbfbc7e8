// Plain reference decoders of the ggml block formats, written from the layout description
// (ggml-common.h) independently of the engine's code; for tests only.
#pragma once

#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "veil/engine/gguf.h"
#include "veil/engine/half.h"

namespace veil::engine {
namespace {

double h(const uint8_t* p) { return f16_to_f32(uint16_t(p[0] | (p[1] << 8))); }

// Reference decoders over raw bytes (offsets from ggml-common.h).
std::vector<double> decode(TensorType t, const uint8_t* p, int n) {
  std::vector<double> out(static_cast<size_t>(n));
  switch (t) {
    case TensorType::f32:
      for (int i = 0; i < n; ++i) { float f; std::memcpy(&f, p + 4 * i, 4); out[i] = f; }
      break;
    case TensorType::f16:
      for (int i = 0; i < n; ++i) out[i] = h(p + 2 * i);
      break;
    case TensorType::bf16:
      for (int i = 0; i < n; ++i) out[i] = bf16_to_f32(uint16_t(p[2 * i] | (p[2 * i + 1] << 8)));
      break;
    case TensorType::q8_0:  // {f16 d; i8 q[32]}
      for (int b = 0; b < n / 32; ++b, p += 34)
        for (int j = 0; j < 32; ++j) out[32 * b + j] = h(p) * int8_t(p[2 + j]);
      break;
    case TensorType::q4_0:  // {f16 d; u8 q[16]}: element j = low nibble of q[j], j+16 = high nibble
      for (int b = 0; b < n / 32; ++b, p += 18)
        for (int j = 0; j < 16; ++j) {
          out[32 * b + j] = h(p) * ((p[2 + j] & 15) - 8);
          out[32 * b + j + 16] = h(p) * ((p[2 + j] >> 4) - 8);
        }
      break;
    case TensorType::q4_k:
    case TensorType::q5_k: {  // {f16 d; f16 dmin; u8 scales[12]; [u8 qh[32];] u8 qs[128]}
      bool five = t == TensorType::q5_k;
      for (int b = 0; b < n / 256; ++b, p += five ? 176 : 144) {
        const uint8_t* s = p + 4;
        const uint8_t* qh = p + 16;
        const uint8_t* qs = p + (five ? 48 : 16);
        for (int sub = 0; sub < 8; ++sub) {
          int sc, m;
          if (sub < 4) { sc = s[sub] & 63; m = s[sub + 4] & 63; }
          else { sc = (s[sub + 4] & 15) | ((s[sub - 4] >> 6) << 4); m = (s[sub + 4] >> 4) | ((s[sub] >> 6) << 4); }
          for (int l = 0; l < 32; ++l) {
            int byte = qs[32 * (sub / 2) + l];
            int q = sub % 2 == 0 ? (byte & 15) : (byte >> 4);
            if (five && (qh[l] >> sub) & 1) q += 16;
            out[256 * b + 32 * sub + l] = h(p) * sc * q - h(p + 2) * m;
          }
        }
      }
      break;
    }
    case TensorType::q6_k:  // {u8 ql[128]; u8 qh[64]; i8 scales[16]; f16 d}
      for (int b = 0; b < n / 256; ++b, p += 210) {
        for (int e = 0; e < 256; ++e) {
          int half = e / 128, r = e % 128, quarter = r / 32, l = r % 32;
          int lo_byte = p[64 * half + l + (quarter % 2) * 32];
          int lo = quarter < 2 ? (lo_byte & 15) : (lo_byte >> 4);
          int hi = (p[128 + 32 * half + l] >> (2 * quarter)) & 3;
          out[256 * b + e] = h(p + 208) * int8_t(p[192 + e / 16]) * ((lo | (hi << 4)) - 32);
        }
      }
      break;
    default: ADD_FAILURE() << "no reference decoder";
  }
  return out;
}

}  // namespace
}  // namespace veil::engine
