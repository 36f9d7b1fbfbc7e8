#include "veil/crypto/hkdf.h"

#include <gtest/gtest.h>
#include <openssl/core_names.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include <map>

#include "vectors.h"
#include "veil/crypto/random.h"

namespace veil::crypto {
namespace {

using test::hex;
using test::unhex;

// RFC 5869 appendix A.1 (SHA-256, basic).
TEST(Hkdf, Rfc5869Case1) {
  Bytes ikm(22, 0x0b);
  Bytes salt = unhex("000102030405060708090a0b0c");
  Bytes info = unhex("f0f1f2f3f4f5f6f7f8f9");
  Digest32 prk = hkdf_extract_sha256(salt, ikm);
  EXPECT_EQ(hex(prk), "077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5");
  auto okm = hkdf_expand_sha256(prk, info, 42);
  ASSERT_TRUE(okm.ok());
  EXPECT_EQ(hex(*okm),
            "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865");
  auto whole = hkdf_sha256(ikm, salt, info, 42);
  ASSERT_TRUE(whole.ok());
  EXPECT_EQ(*whole, *okm);
}

TEST(Hkdf, WycheproofSha256) {
  VEIL_REQUIRE_SHARED();
  auto doc = test::load_json("testdata/crypto/wycheproof/hkdf_sha256_test.json");
  std::map<std::string, size_t> counts;
  for (const auto& gv : doc.at("testGroups").as_array()) {
    for (const auto& tv : gv.at("tests").as_array()) {
      const auto& t = tv.as_object();
      std::string result = test::str(t.at("result"));
      size_t size = size_t(t.at("size").as_int64());
      auto okm = hkdf_sha256(unhex(t.at("ikm")), unhex(t.at("salt")), unhex(t.at("info")), size);
      if (result == "valid") {
        ASSERT_TRUE(okm.ok()) << "tcId " << t.at("tcId").as_int64() << " " << okm.error().to_string();
        EXPECT_EQ(hex(*okm), test::str(t.at("okm"))) << "tcId " << t.at("tcId").as_int64();
      } else if (result == "invalid") {
        EXPECT_FALSE(okm.ok()) << "tcId " << t.at("tcId").as_int64();
      } else {
        ADD_FAILURE() << "unexpected result kind " << result;
      }
      ++counts[result];
    }
  }
  EXPECT_EQ(counts["valid"] + counts["invalid"], size_t(doc.at("numberOfTests").as_int64()));
  EXPECT_GT(counts["valid"], 0u);
  EXPECT_GT(counts["invalid"], 0u);
}

// No published SHA-384/512 vectors in shared/: compare against OpenSSL's
// one-step HKDF (EXTRACT_AND_EXPAND mode), a different code path from ours
// (HMAC extract + EXPAND_ONLY).
Bytes openssl_hkdf(const char* md, ByteView ikm, ByteView salt, ByteView info, size_t len) {
  EVP_KDF* kdf = EVP_KDF_fetch(nullptr, "HKDF", nullptr);
  EVP_KDF_CTX* ctx = EVP_KDF_CTX_new(kdf);
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, const_cast<char*>(md), 0),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, const_cast<uint8_t*>(ikm.data()), ikm.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, const_cast<uint8_t*>(salt.data()), salt.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, const_cast<uint8_t*>(info.data()), info.size()),
      OSSL_PARAM_construct_end(),
  };
  Bytes out(len);
  EXPECT_EQ(EVP_KDF_derive(ctx, out.data(), out.size(), params), 1);
  EVP_KDF_CTX_free(ctx);
  EVP_KDF_free(kdf);
  return out;
}

TEST(Hkdf, Sha384AndSha512MatchOpenSslOneStep) {
  for (size_t len : {size_t(1), size_t(32), size_t(48), size_t(64), size_t(100), size_t(1000)}) {
    Bytes ikm = random_bytes(40), salt = random_bytes(16), info = random_bytes(10);
    auto a = hkdf_sha384(ikm, salt, info, len);
    auto b = hkdf_sha512(ikm, salt, info, len);
    ASSERT_TRUE(a.ok());
    ASSERT_TRUE(b.ok());
    EXPECT_EQ(*a, openssl_hkdf("SHA384", ikm, salt, info, len)) << len;
    EXPECT_EQ(*b, openssl_hkdf("SHA512", ikm, salt, info, len)) << len;
    auto split = hkdf_expand(HashAlg::sha384, hkdf_extract(HashAlg::sha384, salt, ikm), info, len);
    ASSERT_TRUE(split.ok());
    EXPECT_EQ(*split, *a);
  }
  EXPECT_EQ(hash_length(HashAlg::sha384), 48u);
  EXPECT_EQ(hash_length(HashAlg::sha512), 64u);
}

TEST(Hkdf, LengthAndPrkLimits) {
  Bytes ikm(32, 1);
  EXPECT_TRUE(hkdf_sha256(ikm, {}, {}, 255 * 32).ok());
  EXPECT_EQ(hkdf_sha256(ikm, {}, {}, 255 * 32 + 1).error().code, "crypto.bad_length");
  EXPECT_EQ(hkdf_sha256(ikm, {}, {}, 0).error().code, "crypto.bad_length");
  EXPECT_TRUE(hkdf_sha512(ikm, {}, {}, 255 * 64).ok());
  EXPECT_FALSE(hkdf_sha512(ikm, {}, {}, 255 * 64 + 1).ok());
  EXPECT_EQ(hkdf_expand_sha256(Bytes(31, 1), {}, 32).error().code, "crypto.bad_key");
  // Empty IKM and salt are legal (RFC 5869 §2.2).
  EXPECT_TRUE(hkdf_sha256({}, {}, {}, 32).ok());
  // An empty salt equals HashLen zero bytes.
  EXPECT_EQ(hkdf_extract_sha256({}, ikm), hkdf_extract_sha256(Bytes(32, 0), ikm));
}

}  // namespace
}  // namespace veil::crypto
