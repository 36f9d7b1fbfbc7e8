// The node's TLS identity: certificate and key PEM plus the fingerprint that
// attestation binds (WIRE.md §3: SHA-256 of the leaf certificate's DER
// SubjectPublicKeyInfo).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "veil/base/bytes.h"
#include "veil/base/result.h"

namespace veil::crypto {

// Holds a private key: movable, non-copyable, and key_pem is wiped on
// destruction (a moved-from identity is empty).
struct TlsIdentity {
  std::string cert_pem;  // leaf first, then any chain certificates as given
  std::string key_pem;   // PKCS#8 private key. Secret: never log it.
  std::array<uint8_t, 32> spki_sha256{};

  TlsIdentity() = default;
  ~TlsIdentity();
  TlsIdentity(TlsIdentity&& other) noexcept;
  TlsIdentity& operator=(TlsIdentity&& other) noexcept;
  TlsIdentity(const TlsIdentity&) = delete;
  TlsIdentity& operator=(const TlsIdentity&) = delete;

  // Lowercase hex of spki_sha256 (64 chars).
  std::string spki_sha256_hex() const;
};

// A fresh P-256 key held in memory and a self-signed X.509 v3 certificate:
// CN=common_name, SAN DNS:localhost, IP:127.0.0.1 plus dns_names, validity
// notBefore = now - 1 h, notAfter = notBefore + 1 year, random 16-byte serial.
// Errors "crypto.bad_name" (empty or control characters), "crypto.x509".
Result<TlsIdentity> generate_self_signed_tls_identity(std::string_view common_name,
                                                      const std::vector<std::string>& dns_names = {});

// Operator-provided PEMs. Checks that the private key matches the first
// (leaf) certificate; the fingerprint comes from that leaf. Errors
// "crypto.bad_certificate", "crypto.bad_key", "crypto.key_mismatch".
Result<TlsIdentity> load_tls_identity(std::string_view cert_pem, std::string_view key_pem);

// SHA-256 of the DER SubjectPublicKeyInfo of the first certificate in pem /
// of the DER certificate der. Error "crypto.bad_certificate".
Result<std::array<uint8_t, 32>> spki_sha256_of_cert_pem(std::string_view pem);
Result<std::array<uint8_t, 32>> spki_sha256_of_cert_der(ByteView der);

}  // namespace veil::crypto
