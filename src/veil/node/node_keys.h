// The node's keys, created in memory at start inside the TEE (WIRE.md section 2).
// Nothing here is ever written to disk or logged.
#pragma once

#include <array>
#include <string>
#include <string_view>

#include "veil/crypto/ed25519.h"
#include "veil/crypto/secp256k1.h"
#include "veil/crypto/tls_identity.h"
#include "veil/node/signature_cache.h"

namespace veil::node {

enum class SigningAlgo { ecdsa, ed25519 };

class NodeKeys {
 public:
  // Fresh signing keys; the TLS identity is generated or supplied by the operator.
  NodeKeys(crypto::TlsIdentity tls);

  // Signs `text` with both algorithms (every response is signed with both).
  SignedResponse sign_both(std::string text) const;

  // "0x"-prefixed Ethereum address (ecdsa) or 32-byte public key hex (ed25519).
  std::string address(SigningAlgo algo) const;
  // Raw address bytes for report_data: 20 (ecdsa) or 32 (ed25519).
  Bytes address_bytes(SigningAlgo algo) const;
  // signing_public_key: ecdsa 64-byte X||Y hex, ed25519 32-byte key hex.
  std::string public_key_hex(SigningAlgo algo) const;

  const crypto::TlsIdentity& tls() const { return tls_; }

 private:
  crypto::Secp256k1Key ecdsa_;
  crypto::Ed25519Key ed25519_;
  crypto::TlsIdentity tls_;
};

const char* to_string(SigningAlgo a);

}  // namespace veil::node
