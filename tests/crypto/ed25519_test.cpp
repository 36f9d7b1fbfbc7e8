#include "veil/crypto/ed25519.h"

#include <gtest/gtest.h>

#include <map>

#include "vectors.h"
#include "veil/crypto/hash.h"
#include "veil/crypto/random.h"
#include "veil/crypto/x25519.h"

namespace veil::crypto {
namespace {

using test::hex;
using test::unhex;

TEST(Ed25519, Rfc8032Vectors) {
  VEIL_REQUIRE_SHARED();
  auto doc = test::load_json("testdata/crypto/signatures/ed25519-rfc8032.json");
  size_t count = 0;
  for (const auto& c : doc.at("cases").as_array()) {
    std::string name = test::str(c.at("name"));
    auto key = Ed25519Key::from_seed(unhex(c.at("secret_key")));
    ASSERT_TRUE(key.ok()) << name;
    EXPECT_EQ(hex(key->public_key()), test::str(c.at("public_key"))) << name;
    EXPECT_EQ(hex(key->seed()), test::str(c.at("secret_key"))) << name;
    Bytes msg = unhex(c.at("message"));
    auto sig = key->sign(msg);
    EXPECT_EQ(hex(sig), test::str(c.at("signature"))) << name;
    EXPECT_TRUE(ed25519_verify(key->public_key(), msg, sig)) << name;
    sig[0] ^= 1;
    EXPECT_FALSE(ed25519_verify(key->public_key(), msg, sig)) << name;
    ++count;
  }
  EXPECT_EQ(count, 5u);
}

TEST(Ed25519, WycheproofVerify) {
  VEIL_REQUIRE_SHARED();
  auto doc = test::load_json("testdata/crypto/wycheproof/ed25519_test.json");
  std::map<std::string, size_t> counts;
  for (const auto& gv : doc.at("testGroups").as_array()) {
    Bytes pk = unhex(gv.at("publicKey").at("pk"));
    for (const auto& tv : gv.at("tests").as_array()) {
      const auto& t = tv.as_object();
      std::string result = test::str(t.at("result"));
      bool ok = ed25519_verify(pk, unhex(t.at("msg")), unhex(t.at("sig")));
      if (result == "valid") {
        EXPECT_TRUE(ok) << "tcId " << t.at("tcId").as_int64() << " " << test::str(t.at("comment"));
      } else if (result == "invalid") {
        EXPECT_FALSE(ok) << "tcId " << t.at("tcId").as_int64() << " " << test::str(t.at("comment"));
      } else {
        ADD_FAILURE() << "unexpected result kind " << result;  // the file has none
      }
      ++counts[result];
    }
  }
  EXPECT_EQ(counts["valid"] + counts["invalid"], size_t(doc.at("numberOfTests").as_int64()));
  EXPECT_GT(counts["valid"], 0u);
  EXPECT_GT(counts["invalid"], 0u);
}

TEST(Ed25519, SignVerifyAndSizes) {
  Ed25519Key key = Ed25519Key::generate();
  Bytes msg = to_bytes("gateway:abc:def");
  auto sig = key.sign(msg);
  EXPECT_TRUE(ed25519_verify(key.public_key(), msg, sig));
  EXPECT_FALSE(ed25519_verify(key.public_key(), to_bytes("gateway:abc:deg"), sig));
  EXPECT_FALSE(ed25519_verify(ByteView(key.public_key()).first(31), msg, sig));
  EXPECT_FALSE(ed25519_verify(key.public_key(), msg, ByteView(sig).first(63)));
  EXPECT_FALSE(Ed25519Key::from_seed(Bytes(31, 1)).ok());
  EXPECT_EQ(Ed25519Key::from_seed(Bytes(33, 1)).error().code, "crypto.bad_key");

  Ed25519Key moved = std::move(key);
  EXPECT_TRUE(ed25519_verify(moved.public_key(), msg, moved.sign(msg)));
  EXPECT_EQ(key.seed(), (std::array<uint8_t, 32>{}));  // NOLINT: moved-from key is zeroed
  static_assert(!std::is_copy_constructible_v<Ed25519Key>);
}

// The X25519 forms of an Ed25519 key pair agree: X25519(sk_x, pk_x(other)) is symmetric,
// and x25519_public(sk_x) equals the birational map of the Ed25519 public key.
TEST(Ed25519, X25519ConversionIsConsistent) {
  Ed25519Key a = Ed25519Key::generate();
  Ed25519Key b = Ed25519Key::generate();
  auto a_pub_x = ed25519_public_to_x25519(a.public_key());
  auto b_pub_x = ed25519_public_to_x25519(b.public_key());
  ASSERT_TRUE(a_pub_x.ok());
  ASSERT_TRUE(b_pub_x.ok());
  EXPECT_EQ(x25519_public(a.x25519_private()), *a_pub_x);
  auto ab = x25519(a.x25519_private(), *b_pub_x);
  auto ba = x25519(b.x25519_private(), *a_pub_x);
  ASSERT_TRUE(ab.ok());
  ASSERT_TRUE(ba.ok());
  EXPECT_EQ(*ab, *ba);

  // The clamped SHA-512(seed)[0..32] rule, computed independently.
  auto seed = a.seed();
  Digest64 h = sha512(seed);
  h[0] &= 248;
  h[31] &= 127;
  h[31] |= 64;
  EXPECT_EQ(hex(a.x25519_private()), hex(ByteView(h).first(32)));

  EXPECT_FALSE(ed25519_public_to_x25519(Bytes(31, 0)).ok());
  // The identity point (y = 1) has small order and is refused.
  Bytes identity(32, 0);
  identity[0] = 1;
  EXPECT_FALSE(ed25519_public_to_x25519(identity).ok());
}

}  // namespace
}  // namespace veil::crypto
