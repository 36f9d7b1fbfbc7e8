#include "veil/engine/kernels.h"

#include <cpuid.h>

#include <cstdlib>
#include <cstring>
#include <string_view>

#include "veil/engine/half.h"
#include "veil/engine/quant.h"

namespace veil::engine {

namespace isa_generic { const KernelTable& table(); }
namespace isa_avx2 { const KernelTable& table(); }
namespace isa_avx512 { const KernelTable& table(); }

ActType act_type_for(TensorType w) {
  switch (w) {
    case TensorType::f32: return ActType::f32;
    case TensorType::f16: return ActType::f16;
    case TensorType::bf16: return ActType::bf16;
    case TensorType::q8_0: case TensorType::q4_0: return ActType::q8_0;
    default: return ActType::q8_k;
  }
}

bool matmul_supported(TensorType w) {
  switch (w) {
    case TensorType::f32: case TensorType::f16: case TensorType::bf16: case TensorType::q8_0:
    case TensorType::q4_0: case TensorType::q4_k: case TensorType::q5_k: case TensorType::q6_k:
      return true;
    default: return false;
  }
}

size_t act_row_bytes(ActType t, int64_t n) {
  switch (t) {
    case ActType::f32: return size_t(n) * 4;
    case ActType::f16: case ActType::bf16: return size_t(n) * 2;
    case ActType::q8_0: return size_t(n / kQK) * sizeof(BlockQ8_0);
    case ActType::q8_k: return size_t(n / kQKK) * sizeof(BlockQ8_K);
  }
  return 0;
}

void quantize_activation(ActType t, const float* x, void* out, int64_t n) {
  switch (t) {
    case ActType::f32: std::memcpy(out, x, size_t(n) * 4); return;
    case ActType::f16: {
      auto* h = static_cast<uint16_t*>(out);
      for (int64_t i = 0; i < n; ++i) h[i] = f32_to_f16(x[i]);
      return;
    }
    case ActType::bf16: {
      auto* h = static_cast<uint16_t*>(out);
      for (int64_t i = 0; i < n; ++i) h[i] = f32_to_bf16(x[i]);
      return;
    }
    case ActType::q8_0: quantize_row_q8_0(x, static_cast<BlockQ8_0*>(out), n); return;
    case ActType::q8_k: quantize_row_q8_k(x, static_cast<BlockQ8_K*>(out), n); return;
  }
}

// CPUID.1:ECX bit 29 (some compilers' __builtin_cpu_supports lacks "f16c").
static bool cpu_has_f16c() {
  unsigned a = 0, b = 0, c = 0, d = 0;
  if (__get_cpuid(1, &a, &b, &c, &d) == 0) return false;
  return (c & (1u << 29)) != 0;
}

bool isa_supported(Isa isa) {
  switch (isa) {
    case Isa::generic: return true;
    case Isa::avx2:
      return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && cpu_has_f16c();
    case Isa::avx512:
      return isa_supported(Isa::avx2) && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
             __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512vnni") &&
             __builtin_cpu_supports("avx512dq");
  }
  return false;
}

const char* isa_name(Isa isa) {
  switch (isa) {
    case Isa::generic: return "generic";
    case Isa::avx2: return "avx2";
    case Isa::avx512: return "avx512";
  }
  return "?";
}

Isa best_isa() {
  static const Isa best = [] {
    Isa limit = Isa::avx512;
    if (const char* env = std::getenv("VEIL_ENGINE_ISA")) {
      std::string_view e(env);
      if (e == "generic") limit = Isa::generic;
      if (e == "avx2") limit = Isa::avx2;
    }
    for (Isa i : {Isa::avx512, Isa::avx2}) {
      if (int(i) <= int(limit) && isa_supported(i)) return i;
    }
    return Isa::generic;
  }();
  return best;
}

const KernelTable& kernels(Isa isa) {
  switch (isa) {
    case Isa::avx512: return isa_avx512::table();
    case Isa::avx2: return isa_avx2::table();
    default: return isa_generic::table();
  }
}

}  // namespace veil::engine
