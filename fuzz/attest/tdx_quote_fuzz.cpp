// Fuzzes the DCAP quote parser (v3 SGX, v4/v5 TDX) and input decoding, then
// runs the verifier without collateral (PEM chain and PCK extension parsing,
// signature checks) on whatever parsed.
#include <cstddef>
#include <cstdint>

#include "veil/attest/dcap/verify.h"
#include "veil/attest/quote.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  veil::ByteView in(data, size);
  auto q = veil::attest::parse_quote(in);
  if (q.ok()) {
    if (q->quote_size + q->trailing_bytes != size) __builtin_trap();
    if (q->signed_data.size() > q->quote_size) __builtin_trap();
    veil::attest::dcap::VerifyOptions o;
    o.now = 1751624191;
    (void)veil::attest::dcap::verify_quote(*q, o);
    (void)veil::attest::dcap::pck_info(*q);
  }
  auto decoded = veil::attest::decode_quote_input(in);
  if (decoded.ok()) (void)veil::attest::parse_quote(*decoded);
  return 0;
}
