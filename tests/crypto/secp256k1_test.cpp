#include "veil/crypto/secp256k1.h"

#include <gtest/gtest.h>

#include <map>

#include "vectors.h"
#include "veil/crypto/keccak.h"
#include "veil/crypto/random.h"

namespace veil::crypto {
namespace {

using test::hex;
using test::unhex;

// secp256k1 group order n (SEC 2 §2.4.1).
const Bytes kOrder = unhex("fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141");

// n - s, big-endian 32 bytes (s != 0).
std::array<uint8_t, 32> negate_mod_n(const uint8_t* s) {
  std::array<uint8_t, 32> out{};
  int borrow = 0;
  for (int i = 31; i >= 0; --i) {
    int d = int(kOrder[size_t(i)]) - int(s[i]) - borrow;
    borrow = d < 0;
    out[size_t(i)] = uint8_t(d + (borrow ? 256 : 0));
  }
  return out;
}

TEST(Secp256k1, KnownKeyAddress) {
  auto key =
      Secp256k1Key::from_private(unhex("4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318"));
  ASSERT_TRUE(key.ok());
  EXPECT_EQ(key->address(), "0x2c7536e3605d9c16a7a3d7b1898e529396a65c23");
  EXPECT_EQ(hex(key->address_bytes()), "2c7536e3605d9c16a7a3d7b1898e529396a65c23");
  EXPECT_EQ(eth_address(key->public_xy()), key->address());
  EXPECT_EQ(hex(key->private_bytes()), "4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318");
}

TEST(Secp256k1, RejectsInvalidPrivateKeys) {
  EXPECT_FALSE(Secp256k1Key::from_private(Bytes(32, 0)).ok());
  EXPECT_FALSE(Secp256k1Key::from_private(kOrder).ok());
  EXPECT_FALSE(Secp256k1Key::from_private(Bytes(31, 1)).ok());
  EXPECT_FALSE(Secp256k1Key::from_private(Bytes(33, 1)).ok());
  auto r = Secp256k1Key::from_private(Bytes(32, 0xff));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "crypto.bad_key");
}

TEST(Secp256k1, Eip191PersonalSignVector) {
  VEIL_REQUIRE_SHARED();
  auto doc = test::load_json("testdata/crypto/signatures/eip191-personal-sign.json");
  size_t count = 0;
  for (const auto& c : doc.at("cases").as_array()) {
    auto key = Secp256k1Key::from_private(unhex(c.at("private_key")));
    ASSERT_TRUE(key.ok());
    EXPECT_EQ("04" + hex(key->public_xy()), test::str(c.at("public_key_uncompressed")));
    EXPECT_EQ(hex(key->public_uncompressed()), test::str(c.at("public_key_uncompressed")));
    EXPECT_EQ(key->address(), test::str(c.at("address")));
    std::string msg = test::str(c.at("message_utf8"));
    EXPECT_EQ(hex(eip191_hash(msg)), test::str(c.at("digest_keccak256")));
    EXPECT_EQ(hex(keccak256(unhex(c.at("prefixed_message_hex")))), test::str(c.at("digest_keccak256")));
    // RFC 6979 makes the signature reproducible byte for byte.
    std::string sig = eip191_sign(*key, msg);
    EXPECT_EQ(sig, test::str(c.at("signature")));
    EXPECT_EQ(sig.substr(2, 64), test::str(c.at("r")));
    EXPECT_EQ(sig.substr(66, 64), test::str(c.at("s")));
    EXPECT_EQ(int(unhex(sig)[64]), int(c.at("v").as_int64()));
    auto addr = eip191_recover_address(msg, test::str(c.at("signature")));
    ASSERT_TRUE(addr.ok()) << addr.error().to_string();
    EXPECT_EQ(*addr, test::str(c.at("address")));
    ++count;
  }
  EXPECT_GT(count, 0u);
}

TEST(Secp256k1, SignRecoverRoundTrips) {
  for (int i = 0; i < 20; ++i) {
    Secp256k1Key key = Secp256k1Key::generate();
    Digest32 hash = sha256(random_bytes(40));
    auto sig = key.sign_recoverable(hash);
    ASSERT_TRUE(sig[64] == 27 || sig[64] == 28);
    auto pub = secp256k1_recover(hash, sig);
    ASSERT_TRUE(pub.ok()) << pub.error().to_string();
    EXPECT_EQ(*pub, key.public_xy());
    // v as 0/1 is accepted too.
    auto sig01 = sig;
    sig01[64] = uint8_t(sig[64] - 27);
    auto pub01 = secp256k1_recover(hash, sig01);
    ASSERT_TRUE(pub01.ok());
    EXPECT_EQ(*pub01, key.public_xy());
    // Deterministic: same hash, same signature.
    EXPECT_EQ(key.sign_recoverable(hash), sig);
    // A different hash recovers a different key (or fails).
    Digest32 other = hash;
    other[0] ^= 1;
    auto wrong = secp256k1_recover(other, sig);
    if (wrong.ok()) {
      EXPECT_NE(*wrong, key.public_xy());
    }

    std::string text = "model:" + hex(random_bytes(8));
    auto addr = eip191_recover_address(text, eip191_sign(key, text));
    ASSERT_TRUE(addr.ok());
    EXPECT_EQ(*addr, key.address());
    EXPECT_NE(eip191_recover_address(text + "x", eip191_sign(key, text)).value(), key.address());
  }
}

TEST(Secp256k1, RecoverRejectsMalformedAndHighS) {
  Secp256k1Key key = Secp256k1Key::generate();
  Digest32 hash = sha256(as_bytes("hello"));
  auto sig = key.sign_recoverable(hash);

  // The malleated twin (n - s, flipped parity) is a valid ECDSA signature but high-s.
  auto high = sig;
  auto neg_s = negate_mod_n(sig.data() + 32);
  std::copy(neg_s.begin(), neg_s.end(), high.begin() + 32);
  high[64] = uint8_t(sig[64] == 27 ? 28 : 27);
  auto r = secp256k1_recover(hash, high);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "crypto.bad_signature");

  auto bad_v = sig;
  bad_v[64] = 29;
  EXPECT_FALSE(secp256k1_recover(hash, bad_v).ok());
  bad_v[64] = 2;
  EXPECT_FALSE(secp256k1_recover(hash, bad_v).ok());
  EXPECT_FALSE(secp256k1_recover(hash, ByteView(sig).first(64)).ok());
  std::array<uint8_t, 65> zero{};
  zero[64] = 27;
  EXPECT_FALSE(secp256k1_recover(hash, zero).ok());
  auto r_overflow = sig;  // r = 0xff..ff >= n
  std::fill(r_overflow.begin(), r_overflow.begin() + 32, 0xff);
  EXPECT_FALSE(secp256k1_recover(hash, r_overflow).ok());

  std::string good = eip191_sign(key, "x");
  EXPECT_TRUE(eip191_recover_address("x", good).ok());
  EXPECT_TRUE(eip191_recover_address("x", good.substr(2)).ok());  // without 0x
  std::string upper = good;
  for (auto& ch : upper) ch = char(std::toupper(static_cast<unsigned char>(ch)));
  EXPECT_TRUE(eip191_recover_address("x", upper).ok());  // "0X" + uppercase hex
  EXPECT_FALSE(eip191_recover_address("x", good.substr(0, 130)).ok());
  EXPECT_FALSE(eip191_recover_address("x", good + "00").ok());
  EXPECT_FALSE(eip191_recover_address("x", "0x" + std::string(130, 'g')).ok());
  EXPECT_FALSE(eip191_recover_address("x", "").ok());
}

TEST(Secp256k1, EcdhAgreesBothWays) {
  Secp256k1Key a = Secp256k1Key::generate();
  Secp256k1Key b = Secp256k1Key::generate();
  auto ab = a.ecdh_shared_x(b.public_xy());
  auto ba = b.ecdh_shared_x(a.public_uncompressed());  // 65-byte 04||X||Y form
  ASSERT_TRUE(ab.ok());
  ASSERT_TRUE(ba.ok());
  EXPECT_EQ(*ab, *ba);

  // Compressed form: 02/03 by the parity of Y.
  std::array<uint8_t, 33> compressed{};
  compressed[0] = uint8_t(0x02 | (b.public_xy()[63] & 1));
  std::copy(b.public_xy().begin(), b.public_xy().begin() + 32, compressed.begin() + 1);
  auto abc = a.ecdh_shared_x(compressed);
  ASSERT_TRUE(abc.ok());
  EXPECT_EQ(*abc, *ab);

  auto off_curve = b.public_xy();
  off_curve[63] ^= 1;
  auto bad = a.ecdh_shared_x(off_curve);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, "crypto.bad_public_key");
  EXPECT_FALSE(a.ecdh_shared_x(Bytes(65, 0)).ok());
  EXPECT_FALSE(a.ecdh_shared_x(Bytes(63, 1)).ok());
  auto hybrid = b.public_uncompressed();
  hybrid[0] = 0x06;
  EXPECT_FALSE(a.ecdh_shared_x(hybrid).ok());
}

TEST(Secp256k1, MoveZeroesSource) {
  Secp256k1Key a = Secp256k1Key::generate();
  auto pub = a.public_xy();
  Secp256k1Key b = std::move(a);
  EXPECT_EQ(b.public_xy(), pub);
  EXPECT_EQ(a.private_bytes(), (std::array<uint8_t, 32>{}));  // NOLINT: checking moved-from state
  static_assert(!std::is_copy_constructible_v<Secp256k1Key>);
  static_assert(std::is_nothrow_move_constructible_v<Secp256k1Key>);
}

// Wycheproof ecdsa_secp256k1_sha256_bitcoin: DER signatures, SHA-256, and
// high-s signatures marked invalid (flag SignatureMalleabilityBitcoin).
TEST(Secp256k1, WycheproofBitcoinVerify) {
  VEIL_REQUIRE_SHARED();
  auto doc = test::load_json("testdata/crypto/wycheproof/ecdsa_secp256k1_sha256_bitcoin_test.json");
  std::map<std::string, size_t> counts;
  for (const auto& gv : doc.at("testGroups").as_array()) {
    const auto& g = gv.as_object();
    ASSERT_EQ(test::str(g.at("sha")), "SHA-256");
    Bytes pub = unhex(g.at("publicKey").at("uncompressed"));
    for (const auto& tv : g.at("tests").as_array()) {
      const auto& t = tv.as_object();
      std::string result = test::str(t.at("result"));
      bool ok = secp256k1_verify_der_sha256(pub, unhex(t.at("msg")), unhex(t.at("sig")));
      if (result == "valid") {
        EXPECT_TRUE(ok) << "tcId " << t.at("tcId").as_int64();
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

}  // namespace
}  // namespace veil::crypto
