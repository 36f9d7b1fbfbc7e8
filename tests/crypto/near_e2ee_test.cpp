// The NEAR field-level E2EE fixture (WIRE.md §5) decrypted with this
// library's primitives only: the schemes' building blocks, not E2EE itself.
#include <gtest/gtest.h>

#include "vectors.h"
#include "veil/crypto/aead.h"
#include "veil/crypto/ed25519.h"
#include "veil/crypto/hkdf.h"
#include "veil/crypto/secp256k1.h"
#include "veil/crypto/x25519.h"

namespace veil::crypto {
namespace {

using test::hex;
using test::unhex;

TEST(NearE2ee, FixtureDecryptsWithPrimitives) {
  VEIL_REQUIRE_SHARED();
  auto doc = test::load_json("testdata/crypto/near/e2ee-python.json");
  size_t ecdsa_cases = 0, ed25519_cases = 0;
  for (const auto& c : doc.at("cases").as_array()) {
    std::string algo = test::str(c.at("algorithm"));
    Bytes seed = unhex(c.at("private_seed"));
    Bytes envelope = unhex(c.at("ciphertext"));
    std::string plaintext = test::str(c.at("plaintext"));
    if (algo == "ecdsa") {
      // eph_pub(65) || nonce(12) || ct||tag; key = HKDF-SHA256(no salt, ECDH x, "ecdsa_encryption").
      auto key = Secp256k1Key::from_private(seed);
      ASSERT_TRUE(key.ok());
      EXPECT_EQ(hex(key->public_xy()), test::str(c.at("public_key")));
      ASSERT_GT(envelope.size(), 65u + 12u + 16u);
      ByteView env(envelope);
      auto shared = key->ecdh_shared_x(env.first(65));
      ASSERT_TRUE(shared.ok()) << shared.error().to_string();
      auto aes_key = hkdf_sha256(*shared, {}, as_bytes("ecdsa_encryption"), 32);
      ASSERT_TRUE(aes_key.ok());
      auto pt = aes_gcm_open(*aes_key, env.subspan(65, 12), {}, env.subspan(77));
      ASSERT_TRUE(pt.ok()) << pt.error().to_string();
      EXPECT_EQ(to_string(*pt), plaintext);
      ++ecdsa_cases;
    } else if (algo == "ed25519") {
      // v2: eph_x25519(32) || nonce(24) || ct||tag; key = HKDF-SHA256(no salt, X25519, "ed25519_encryption").
      auto key = Ed25519Key::from_seed(seed);
      ASSERT_TRUE(key.ok());
      EXPECT_EQ(hex(key->public_key()), test::str(c.at("public_key")));
      ASSERT_GT(envelope.size(), 32u + 24u + 16u);
      ByteView env(envelope);
      auto shared = x25519(key->x25519_private(), env.first(32));
      ASSERT_TRUE(shared.ok());
      auto xkey = hkdf_sha256(*shared, {}, as_bytes("ed25519_encryption"), 32);
      ASSERT_TRUE(xkey.ok());
      auto pt = xchacha20poly1305_open(*xkey, env.subspan(32, 24), {}, env.subspan(56));
      ASSERT_TRUE(pt.ok()) << pt.error().to_string();
      EXPECT_EQ(to_string(*pt), plaintext);
      // A flipped ciphertext bit is refused.
      envelope.back() ^= 1;
      EXPECT_FALSE(xchacha20poly1305_open(*xkey, ByteView(envelope).subspan(32, 24), {},
                                          ByteView(envelope).subspan(56))
                       .ok());
      ++ed25519_cases;
    }
  }
  EXPECT_EQ(ecdsa_cases, 1u);
  EXPECT_EQ(ed25519_cases, 1u);
}

}  // namespace
}  // namespace veil::crypto
