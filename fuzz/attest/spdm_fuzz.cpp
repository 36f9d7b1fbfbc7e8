// Fuzzes the NVIDIA GPU evidence parsers: the SPDM GET_MEASUREMENTS report,
// NVIDIA opaque-data TLVs, the DICE TcbInfo FWID extension, the whole
// nvidia_payload verifier, NRAS responses/JWTs and RIM (SWID XML) parsing.
// The first byte selects the parser.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "veil/attest/nvidia/fwid.h"
#include "veil/attest/nvidia/gpu_verify.h"
#include "veil/attest/nvidia/nras.h"
#include "veil/attest/nvidia/rim.h"
#include "veil/attest/nvidia/spdm.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  veil::ByteView in(data + 1, size - 1);
  std::string_view text(reinterpret_cast<const char*>(in.data()), in.size());
  switch (data[0] % 6) {
    case 0: {
      auto r = veil::attest::nvidia::parse_spdm_report(in);
      if (r) {
        // The signed message must lie inside the input.
        if (r->signed_size > in.size()) __builtin_trap();
        (void)veil::attest::nvidia::spdm_signed_message(*r, in, r->version >= 0x12);
      }
      break;
    }
    case 1:
      (void)veil::attest::nvidia::parse_opaque_data(in);
      break;
    case 2:
      (void)veil::attest::nvidia::dice_tcb_info_first_fwid(in);
      break;
    case 3: {
      veil::attest::nvidia::GpuVerifyOptions o;
      o.now = 1759276800;
      (void)veil::attest::nvidia::verify_nvidia_payload(text, o);
      break;
    }
    case 4: {
      veil::attest::nvidia::NrasVerifyOptions o;
      o.now = 1759774100;
      o.jwks_json = R"({"keys":[{"kty":"EC","crv":"P-384","kid":"k","x":"AA","y":"AA"}]})";
      (void)veil::attest::nvidia::verify_nras_response(text, o);
      break;
    }
    default:
      (void)veil::attest::nvidia::parse_rim_unverified(text);
      break;
  }
  return 0;
}
