// The 64-byte TDX REPORTDATA that binds a node's keys and the client's nonce
// into its quote (WIRE.md section 3, "report_data"):
//   bytes 32..64  the 32 raw nonce bytes;
//   bytes  0..32  without TLS fingerprint: address bytes right-padded with
//                 zeros (ECDSA: 20-byte address; Ed25519: 32-byte pubkey);
//                 with TLS fingerprint: SHA256(address_bytes ‖ spki_sha256).
// The node builds it; verifiers rebuild it and compare.
#pragma once

#include <array>
#include <cstdint>
#include <optional>

#include "veil/base/bytes.h"
#include "veil/base/result.h"

namespace veil::attest {

using ReportData = std::array<uint8_t, 64>;

// address_bytes must be at most 32 bytes (20 for ECDSA, 32 for Ed25519);
// longer input is truncated to 32 bytes in the unhashed layout. Use
// check_report_data to judge outside values.
ReportData build_report_data(ByteView address_bytes,
                             const std::optional<std::array<uint8_t, 32>>& tls_spki_sha256,
                             const std::array<uint8_t, 32>& nonce);

// Which layout matched in check_report_data.
enum class ReportDataLayout { plain, with_tls_fingerprint };

// Compares `actual` (the quote's REPORTDATA) with the expected binding.
// When tls_spki_sha256 is given only the TLS layout is accepted; otherwise
// only the plain layout. Errors: "report_data.bad_address" (size not 20/32),
// "report_data.nonce_mismatch", "report_data.binding_mismatch".
Result<ReportDataLayout> check_report_data(ByteView actual, ByteView address_bytes,
                                           const std::optional<std::array<uint8_t, 32>>& tls_spki_sha256,
                                           const std::array<uint8_t, 32>& nonce);

}  // namespace veil::attest
