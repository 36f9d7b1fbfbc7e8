// Certificate and key bytes from operators or peers: the SPKI fingerprint of a
// DER or PEM certificate and loading a TLS identity must never crash.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "veil/crypto/ecdsa.h"
#include "veil/crypto/tls_identity.h"

using namespace veil;
using namespace veil::crypto;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ByteView in(data, size);
  auto from_der = spki_sha256_of_cert_der(in);
  std::string_view text = as_chars(in);
  auto from_pem = spki_sha256_of_cert_pem(text);
  // Split the text in two at the first NUL: certificate PEM, key PEM.
  size_t nul = text.find('\0');
  if (nul != std::string_view::npos) {
    auto id = load_tls_identity(text.substr(0, nul), text.substr(nul + 1));
    if (id.ok() && id->spki_sha256_hex().size() != 64) std::abort();
    (void)EcdsaKey::from_private_pem(text.substr(nul + 1));
  }
  (void)from_der;
  (void)from_pem;
  return 0;
}
