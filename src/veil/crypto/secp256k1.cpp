#include "veil/crypto/secp256k1.h"

#include <secp256k1.h>
#include <secp256k1_ecdh.h>
#include <secp256k1_recovery.h>
#include <sodium.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "veil/base/encoding.h"
#include "veil/crypto/keccak.h"
#include "veil/crypto/random.h"

namespace veil::crypto {
namespace {

[[noreturn]] void secp_failure(const char* what) {
  std::fprintf(stderr, "veil: libsecp256k1 failure: %s\n", what);
  std::abort();
}

// One process-wide context, randomised once (side-channel blinding) and then
// only used through const operations, which libsecp256k1 allows from many
// threads at once.
const secp256k1_context* context() {
  static const secp256k1_context* ctx = [] {
    secp256k1_context* c = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
    if (c == nullptr) secp_failure("context_create");
    std::array<uint8_t, 32> seed{};
    random_fill(seed);
    if (secp256k1_context_randomize(c, seed.data()) != 1) secp_failure("context_randomize");
    sodium_memzero(seed.data(), seed.size());
    return c;
  }();
  return ctx;
}

std::array<uint8_t, 64> serialize_xy(const secp256k1_pubkey& pk) {
  std::array<uint8_t, 65> full{};
  size_t len = full.size();
  if (secp256k1_ec_pubkey_serialize(context(), full.data(), &len, &pk, SECP256K1_EC_UNCOMPRESSED) != 1 ||
      len != 65) {
    secp_failure("pubkey_serialize");
  }
  std::array<uint8_t, 64> xy{};
  std::memcpy(xy.data(), full.data() + 1, 64);
  return xy;
}

// Accepts X||Y (64), SEC1 uncompressed (65, 0x04) or compressed (33).
bool parse_public(ByteView in, secp256k1_pubkey* out) {
  uint8_t buf[65];
  if (in.size() == 64) {
    buf[0] = 0x04;
    std::memcpy(buf + 1, in.data(), 64);
    return secp256k1_ec_pubkey_parse(context(), out, buf, 65) == 1;
  }
  // libsecp256k1 also accepts the "hybrid" 0x06/0x07 encoding; nobody on our
  // wire uses it, so only 0x04 and 0x02/0x03 pass.
  if (in.size() == 65 && in[0] == 0x04) return secp256k1_ec_pubkey_parse(context(), out, in.data(), 65) == 1;
  if (in.size() == 33 && (in[0] == 0x02 || in[0] == 0x03)) {
    return secp256k1_ec_pubkey_parse(context(), out, in.data(), 33) == 1;
  }
  return false;
}

// ECDH "hash" that returns the raw X coordinate: the NEAR scheme feeds the
// unhashed shared X into HKDF.
int copy_x_only(unsigned char* output, const unsigned char* x32, const unsigned char* /*y32*/,
                void* /*data*/) {
  std::memcpy(output, x32, 32);
  return 1;
}

}  // namespace

Secp256k1Key Secp256k1Key::generate() {
  for (;;) {
    std::array<uint8_t, 32> candidate{};
    random_fill(candidate);
    auto key = from_private(candidate);
    sodium_memzero(candidate.data(), candidate.size());
    // A random 256-bit value is >= n or zero with probability ~2^-128.
    if (key.ok()) return std::move(key).value();
  }
}

Result<Secp256k1Key> Secp256k1Key::from_private(ByteView key32) {
  if (key32.size() != 32 || secp256k1_ec_seckey_verify(context(), key32.data()) != 1) {
    return make_error("crypto.bad_key", "secp256k1 private key must be a 32-byte scalar in [1, n-1]");
  }
  Secp256k1Key key;
  std::memcpy(key.private_.data(), key32.data(), 32);
  secp256k1_pubkey pk;
  if (secp256k1_ec_pubkey_create(context(), &pk, key.private_.data()) != 1) secp_failure("pubkey_create");
  key.public_xy_ = serialize_xy(pk);
  return key;
}

Secp256k1Key::~Secp256k1Key() { sodium_memzero(private_.data(), private_.size()); }

Secp256k1Key::Secp256k1Key(Secp256k1Key&& other) noexcept
    : private_(other.private_), public_xy_(other.public_xy_) {
  sodium_memzero(other.private_.data(), other.private_.size());
  other.public_xy_.fill(0);
}

Secp256k1Key& Secp256k1Key::operator=(Secp256k1Key&& other) noexcept {
  if (this != &other) {
    private_ = other.private_;
    public_xy_ = other.public_xy_;
    sodium_memzero(other.private_.data(), other.private_.size());
    other.public_xy_.fill(0);
  }
  return *this;
}

std::array<uint8_t, 65> Secp256k1Key::public_uncompressed() const {
  std::array<uint8_t, 65> out{};
  out[0] = 0x04;
  std::memcpy(out.data() + 1, public_xy_.data(), 64);
  return out;
}

std::string Secp256k1Key::address() const { return eth_address(public_xy_); }
std::array<uint8_t, 20> Secp256k1Key::address_bytes() const { return eth_address_bytes(public_xy_); }

std::array<uint8_t, 65> Secp256k1Key::sign_recoverable(const Digest32& hash) const {
  secp256k1_ecdsa_recoverable_signature sig;
  // nullptr noncefp = secp256k1_nonce_function_rfc6979; the result is always low-s.
  if (secp256k1_ecdsa_sign_recoverable(context(), &sig, hash.data(), private_.data(), nullptr, nullptr) !=
      1) {
    secp_failure("sign_recoverable");
  }
  std::array<uint8_t, 65> out{};
  int recid = 0;
  if (secp256k1_ecdsa_recoverable_signature_serialize_compact(context(), out.data(), &recid, &sig) != 1) {
    secp_failure("serialize_compact");
  }
  out[64] = uint8_t(27 + recid);
  return out;
}

Result<std::array<uint8_t, 32>> Secp256k1Key::ecdh_shared_x(ByteView peer_public) const {
  secp256k1_pubkey peer;
  if (!parse_public(peer_public, &peer)) {
    return make_error("crypto.bad_public_key", "peer secp256k1 public key is malformed or not on the curve");
  }
  std::array<uint8_t, 32> shared{};
  if (secp256k1_ecdh(context(), shared.data(), &peer, private_.data(), copy_x_only, nullptr) != 1) {
    return make_error("crypto.bad_public_key", "secp256k1 ECDH failed");
  }
  return shared;
}

std::array<uint8_t, 32> Secp256k1Key::private_bytes() const { return private_; }

Digest32 eip191_hash(std::string_view message) {
  std::string prefixed =
      "\x19"
      "Ethereum Signed Message:\n" +
      std::to_string(message.size());
  prefixed.append(message);
  return keccak256(as_bytes(prefixed));
}

std::string eip191_sign(const Secp256k1Key& key, std::string_view text) {
  return "0x" + hex_encode(key.sign_recoverable(eip191_hash(text)));
}

Result<std::array<uint8_t, 64>> secp256k1_recover(const Digest32& hash, ByteView sig65) {
  if (sig65.size() != 65) return make_error("crypto.bad_signature", "recoverable signature must be 65 bytes");
  int v = sig65[64];
  int recid = v >= 27 ? v - 27 : v;
  if (recid < 0 || recid > 1) {
    // recid 2/3 (r >= n) never occur for real signatures; Ethereum rejects them.
    return make_error("crypto.bad_signature", "recovery id must be 27, 28, 0 or 1");
  }
  secp256k1_ecdsa_recoverable_signature rsig;
  if (secp256k1_ecdsa_recoverable_signature_parse_compact(context(), &rsig, sig65.data(), recid) != 1) {
    return make_error("crypto.bad_signature", "r or s out of range");
  }
  // Reject high-s (EIP-2 / BIP 62 malleability): normalize() reports whether
  // the input had to be changed.
  secp256k1_ecdsa_signature plain;
  secp256k1_ecdsa_recoverable_signature_convert(context(), &plain, &rsig);
  if (secp256k1_ecdsa_signature_normalize(context(), nullptr, &plain) == 1) {
    return make_error("crypto.bad_signature", "high-s signature");
  }
  secp256k1_pubkey pk;
  if (secp256k1_ecdsa_recover(context(), &pk, &rsig, hash.data()) != 1) {
    return make_error("crypto.bad_signature", "public key recovery failed");
  }
  return serialize_xy(pk);
}

std::array<uint8_t, 20> eth_address_bytes(const std::array<uint8_t, 64>& public_xy) {
  Digest32 h = keccak256(public_xy);
  std::array<uint8_t, 20> out{};
  std::memcpy(out.data(), h.data() + 12, 20);
  return out;
}

std::string eth_address(const std::array<uint8_t, 64>& public_xy) {
  return "0x" + hex_encode(eth_address_bytes(public_xy));
}

Result<std::string> eip191_recover_address(std::string_view text, std::string_view signature_hex) {
  if (signature_hex.size() >= 2 && signature_hex[0] == '0' &&
      (signature_hex[1] == 'x' || signature_hex[1] == 'X')) {
    signature_hex.remove_prefix(2);
  }
  if (signature_hex.size() != 130)
    return make_error("crypto.bad_signature", "signature must be 65 bytes of hex");
  auto sig = hex_decode(signature_hex);
  if (!sig.ok()) return make_error("crypto.bad_signature", "signature is not valid hex");
  VEIL_ASSIGN_OR_RETURN(auto xy, secp256k1_recover(eip191_hash(text), *sig));
  return eth_address(xy);
}

bool secp256k1_verify_der_sha256(ByteView public_key, ByteView message, ByteView der_signature) {
  if (public_key.size() != 33 && public_key.size() != 65) return false;
  secp256k1_pubkey pk;
  if (!parse_public(public_key, &pk)) return false;
  secp256k1_ecdsa_signature sig;
  // Strict DER parser; r or s >= n parse as an all-zero signature, which
  // verify() then rejects.
  if (der_signature.empty() ||
      secp256k1_ecdsa_signature_parse_der(context(), &sig, der_signature.data(), der_signature.size()) != 1) {
    return false;
  }
  Digest32 digest = sha256(message);
  // verify() itself rejects high-s signatures (it requires normalized form).
  return secp256k1_ecdsa_verify(context(), &sig, digest.data(), &pk) == 1;
}

}  // namespace veil::crypto
