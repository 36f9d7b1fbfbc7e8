#include "veil/node/node_keys.h"

#include "veil/base/encoding.h"

namespace veil::node {

const char* to_string(SigningAlgo a) { return a == SigningAlgo::ecdsa ? "ecdsa" : "ed25519"; }

NodeKeys::NodeKeys(crypto::TlsIdentity tls)
    : ecdsa_(crypto::Secp256k1Key::generate()), ed25519_(crypto::Ed25519Key::generate()), tls_(std::move(tls)) {}

SignedResponse NodeKeys::sign_both(std::string text) const {
  SignedResponse out;
  out.ecdsa_signature = crypto::eip191_sign(ecdsa_, text);
  auto sig = ed25519_.sign(as_bytes(text));
  out.ed25519_signature = hex_encode(sig);
  out.text = std::move(text);
  return out;
}

std::string NodeKeys::address(SigningAlgo algo) const {
  return algo == SigningAlgo::ecdsa ? ecdsa_.address() : hex_encode(ed25519_.public_key());
}

Bytes NodeKeys::address_bytes(SigningAlgo algo) const {
  if (algo == SigningAlgo::ecdsa) {
    auto a = ecdsa_.address_bytes();
    return Bytes(a.begin(), a.end());
  }
  const auto& pk = ed25519_.public_key();
  return Bytes(pk.begin(), pk.end());
}

std::string NodeKeys::public_key_hex(SigningAlgo algo) const {
  return algo == SigningAlgo::ecdsa ? hex_encode(ecdsa_.public_xy()) : hex_encode(ed25519_.public_key());
}

}  // namespace veil::node
