#include "veil/crypto/ecdsa.h"

#include <gtest/gtest.h>

#include "vectors.h"
#include "veil/crypto/hash.h"
#include "veil/crypto/random.h"

namespace veil::crypto {
namespace {

using test::hex;
using test::unhex;

struct PublishedSignature {
  Curve curve;
  const char* public_xy;
  const char* r;
  const char* s;
};

// RFC 6979 A.2.5 (P-256, SHA-256) and A.2.6 (P-384, SHA-384), message "sample".
const PublishedSignature kRfc6979[] = {
    {Curve::p256,
     "60fed4ba255a9d31c961eb74c6356d68c049b8923b61fa6ce669622e60f29fb6"
     "7903fe1008b8bc99a41ae9e95628bc64f2f1b20c2d7e9f5177a3c294d4462299",
     "efd48b2aacb6a8fd1140dd9cd45e81d69d2c877b56aaf991c34d0ea84eaf3716",
     "f7cb1c942d657c41d436c7a1b6e29f65f3e900dbb9aff4064dc4ab2f843acda8"},
    {Curve::p384,
     "ec3a4e415b4e19a4568618029f427fa5da9a8bc4ae92e02e06aae5286b300c64def8f0ea9055866064a254515480bc13"
     "8015d9b72d7d57244ea8ef9ac0c621896708a59367f9dfb9f54ca84b3f1c9db1288b231c3ae0d4fe7344fd2533264720",
     "94edbb92a5ecb8aad4736e56c691916b3f88140666ce9fa73d64c4ea95ad133c81a648152e44acf96e36dd1e80fabe46",
     "99ef4aeb15f178cea1fe40db2603138f130e740a19624526203b6351d0a3a94fa329c145786e679e7b82c71a38628ac8"},
};

TEST(Ecdsa, Rfc6979PublishedSignaturesVerify) {
  for (const auto& v : kRfc6979) {
    Bytes pub = unhex(v.public_xy);
    Bytes sig = concat({unhex(v.r), unhex(v.s)});
    Bytes msg = to_bytes("sample");
    EXPECT_TRUE(ecdsa_verify_raw(v.curve, pub, msg, sig));
    EXPECT_TRUE(ecdsa_verify_raw(v.curve, concat({Bytes{0x04}, pub}), msg, sig));
    auto der = ecdsa_raw_to_der(sig);
    ASSERT_TRUE(der.ok());
    EXPECT_TRUE(ecdsa_verify_der(v.curve, pub, msg, *der));
    auto raw_again = ecdsa_der_to_raw(*der, curve_scalar_size(v.curve));
    ASSERT_TRUE(raw_again.ok());
    EXPECT_EQ(*raw_again, sig);
    Digest32 d256 = sha256(msg);
    Digest48 d384 = sha384(msg);
    Bytes digest = v.curve == Curve::p256 ? Bytes(d256.begin(), d256.end()) : Bytes(d384.begin(), d384.end());
    EXPECT_TRUE(ecdsa_verify_digest_raw(v.curve, pub, digest, sig));

    EXPECT_FALSE(ecdsa_verify_raw(v.curve, pub, to_bytes("samplf"), sig));
    Bytes bad = sig;
    bad[5] ^= 1;
    EXPECT_FALSE(ecdsa_verify_raw(v.curve, pub, msg, bad));
    Bytes off_curve = pub;
    off_curve.back() ^= 1;
    EXPECT_FALSE(ecdsa_verify_raw(v.curve, off_curve, msg, sig));
    Curve other = v.curve == Curve::p256 ? Curve::p384 : Curve::p256;
    EXPECT_FALSE(ecdsa_verify_raw(other, pub, msg, sig));
    EXPECT_FALSE(ecdsa_verify_raw(v.curve, pub, msg, ByteView(sig).first(sig.size() - 1)));
    // r = 0 or s = 0 never verify.
    Bytes zero_r = sig;
    std::fill(zero_r.begin(), zero_r.begin() + long(sig.size() / 2), 0);
    EXPECT_FALSE(ecdsa_verify_raw(v.curve, pub, msg, zero_r));
  }
}

TEST(Ecdsa, GenerateSignVerifyBothCurves) {
  for (Curve curve : {Curve::p256, Curve::p384}) {
    EcdsaKey key = EcdsaKey::generate(curve);
    Bytes pub = key.public_raw();
    ASSERT_EQ(pub.size(), 2 * curve_scalar_size(curve));
    Bytes msg = random_bytes(100);
    Bytes sig = key.sign_raw(msg);
    ASSERT_EQ(sig.size(), 2 * curve_scalar_size(curve));
    EXPECT_TRUE(ecdsa_verify_raw(curve, pub, msg, sig));
    EXPECT_TRUE(ecdsa_verify_der(curve, pub, msg, key.sign_der(msg)));
    msg[0] ^= 1;
    EXPECT_FALSE(ecdsa_verify_raw(curve, pub, msg, sig));

    std::string pem = key.private_pem();
    EXPECT_NE(pem.find("BEGIN PRIVATE KEY"), std::string::npos);
    auto again = EcdsaKey::from_private_pem(pem);
    ASSERT_TRUE(again.ok()) << again.error().to_string();
    EXPECT_EQ(again->curve(), curve);
    EXPECT_EQ(again->public_raw(), pub);
    EXPECT_NE(key.pkey(), nullptr);

    EcdsaKey moved = std::move(key);
    EXPECT_EQ(moved.public_raw(), pub);
    EXPECT_EQ(key.pkey(), nullptr);  // NOLINT: moved-from state
  }
  EXPECT_FALSE(EcdsaKey::from_private_pem("not a pem").ok());
  EXPECT_FALSE(EcdsaKey::from_private_pem("").ok());
  static_assert(!std::is_copy_constructible_v<EcdsaKey>);
}

TEST(Ecdsa, DerRawConversionIsStrict) {
  // r = 1, s = 0x80 (needs a leading zero in DER).
  Bytes raw(64, 0);
  raw[31] = 1;
  raw[63] = 0x80;
  auto der = ecdsa_raw_to_der(raw);
  ASSERT_TRUE(der.ok());
  EXPECT_EQ(hex(*der), "300702010102020080");
  auto back = ecdsa_der_to_raw(*der, 32);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, raw);
  auto wide = ecdsa_der_to_raw(*der, 48);
  ASSERT_TRUE(wide.ok());
  EXPECT_EQ(wide->size(), 96u);

  // Trailing garbage, BER long-form length, non-minimal integer, truncation.
  EXPECT_FALSE(ecdsa_der_to_raw(concat({*der, Bytes{0}}), 32).ok());
  EXPECT_FALSE(ecdsa_der_to_raw(unhex("30810702010102020080"), 32).ok());
  EXPECT_FALSE(ecdsa_der_to_raw(unhex("30080202000102020080"), 32).ok());
  EXPECT_FALSE(ecdsa_der_to_raw(ByteView(*der).first(der->size() - 1), 32).ok());
  EXPECT_FALSE(ecdsa_der_to_raw({}, 32).ok());
  // An integer wider than the scalar size.
  Bytes big(66, 0x11);
  auto big_der = ecdsa_raw_to_der(big);
  ASSERT_TRUE(big_der.ok());
  EXPECT_FALSE(ecdsa_der_to_raw(*big_der, 32).ok());
  EXPECT_FALSE(ecdsa_raw_to_der(Bytes(63, 1)).ok());
  EXPECT_FALSE(ecdsa_raw_to_der({}).ok());
}

}  // namespace
}  // namespace veil::crypto
