#include "veil/attest/report_data.h"

#include <algorithm>

#include "veil/crypto/hash.h"

namespace veil::attest {

ReportData build_report_data(ByteView address_bytes,
                             const std::optional<std::array<uint8_t, 32>>& tls_spki_sha256,
                             const std::array<uint8_t, 32>& nonce) {
  ReportData out{};
  if (tls_spki_sha256) {
    auto h = crypto::sha256(concat({address_bytes, ByteView(*tls_spki_sha256)}));
    std::copy(h.begin(), h.end(), out.begin());
  } else {
    size_t n = std::min<size_t>(address_bytes.size(), 32);
    std::copy_n(address_bytes.begin(), n, out.begin());
  }
  std::copy(nonce.begin(), nonce.end(), out.begin() + 32);
  return out;
}

Result<ReportDataLayout> check_report_data(ByteView actual, ByteView address_bytes,
                                           const std::optional<std::array<uint8_t, 32>>& tls_spki_sha256,
                                           const std::array<uint8_t, 32>& nonce) {
  if (actual.size() != 64) {
    return make_error("report_data.bad_size", "report_data must be 64 bytes");
  }
  if (address_bytes.size() != 20 && address_bytes.size() != 32) {
    return make_error("report_data.bad_address", "signing address must be 20 or 32 bytes");
  }
  if (!std::equal(nonce.begin(), nonce.end(), actual.begin() + 32)) {
    return make_error("report_data.nonce_mismatch", "report_data[32..64] is not the request nonce");
  }
  ReportData expected = build_report_data(address_bytes, tls_spki_sha256, nonce);
  if (!std::equal(expected.begin(), expected.begin() + 32, actual.begin())) {
    return make_error("report_data.binding_mismatch",
                      tls_spki_sha256 ? "report_data[0..32] is not SHA256(address ‖ TLS SPKI hash)"
                                      : "report_data[0..32] is not the zero-padded signing address");
  }
  return tls_spki_sha256 ? ReportDataLayout::with_tls_fingerprint : ReportDataLayout::plain;
}

}  // namespace veil::attest
