// Fuzzes the collateral JSON parsers: TCB info, QE identity, the dcap-qvl
// bundle, textual extraction of the signed object, URL decoding and times.
// The first byte selects the parser.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "veil/attest/collateral.h"
#include "veil/attest/dcap/tcb_info.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string_view in(reinterpret_cast<const char*>(data + 1), size - 1);
  switch (data[0] % 6) {
    case 0:
      (void)veil::attest::dcap::parse_tcb_info(in);
      break;
    case 1:
      (void)veil::attest::dcap::parse_qe_identity(in);
      break;
    case 2:
      (void)veil::attest::collateral_from_dcap_qvl_json(in);
      break;
    case 3: {
      auto t = veil::attest::extract_signed_object(in, "tcbInfo");
      // The extracted text is a substring of the document.
      if (t.ok() && in.find(*t) == std::string_view::npos) __builtin_trap();
      break;
    }
    case 4:
      (void)veil::attest::url_decode(in);
      break;
    default:
      (void)veil::attest::dcap::parse_iso8601_utc(in);
      break;
  }
  return 0;
}
