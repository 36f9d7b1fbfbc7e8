#include "veil/crypto/aead.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <map>

#include "vectors.h"
#include "veil/crypto/aes_gcm_any_nonce.h"
#include "veil/crypto/random.h"

namespace veil::crypto {
namespace {

using test::unhex;

using SealFn = std::function<Result<Bytes>(ByteView, ByteView, ByteView, ByteView)>;

// Runs every vector of a Wycheproof AEAD file (aead_test_schema_v1):
// valid -> seal gives ct||tag and open gives msg; invalid -> open fails
// (and seal, if it accepts the parameters, must not produce ct||tag).
void run_wycheproof_aead(const std::string& file, const SealFn& seal, const SealFn& open) {
  auto doc = test::load_json("testdata/crypto/wycheproof/" + file);
  std::map<std::string, size_t> counts;
  for (const auto& gv : doc.at("testGroups").as_array()) {
    ASSERT_EQ(gv.at("tagSize").as_int64(), 128);
    for (const auto& tv : gv.at("tests").as_array()) {
      const auto& t = tv.as_object();
      std::string result = test::str(t.at("result"));
      int64_t id = t.at("tcId").as_int64();
      Bytes key = unhex(t.at("key")), iv = unhex(t.at("iv")), aad = unhex(t.at("aad")),
            msg = unhex(t.at("msg"));
      Bytes ct_tag = concat({unhex(t.at("ct")), unhex(t.at("tag"))});
      auto opened = open(key, iv, aad, ct_tag);
      auto sealed = seal(key, iv, aad, msg);
      if (result == "valid") {
        ASSERT_TRUE(sealed.ok()) << file << " tcId " << id << " " << sealed.error().to_string();
        EXPECT_EQ(*sealed, ct_tag) << file << " tcId " << id;
        ASSERT_TRUE(opened.ok()) << file << " tcId " << id << " " << opened.error().to_string();
        EXPECT_EQ(*opened, msg) << file << " tcId " << id;
      } else if (result == "invalid") {
        EXPECT_FALSE(opened.ok()) << file << " tcId " << id << " " << test::str(t.at("comment"));
        if (sealed.ok()) {
          EXPECT_NE(*sealed, ct_tag) << file << " tcId " << id;
        }
      } else {
        ADD_FAILURE() << "unexpected result kind " << result;
      }
      ++counts[result];
    }
  }
  EXPECT_EQ(counts["valid"] + counts["invalid"], size_t(doc.at("numberOfTests").as_int64())) << file;
  EXPECT_GT(counts["valid"], 0u) << file;
  EXPECT_GT(counts["invalid"], 0u) << file;
}

TEST(Aead, WycheproofAesGcm) {
  VEIL_REQUIRE_SHARED();
  run_wycheproof_aead("aes_gcm_test.json", aes_gcm_seal, aes_gcm_open);
}

// The SP 800-38D construction used for nonces over 128 bytes, run on every
// AES-GCM vector (all nonce sizes, counter wrap cases) on its own.
TEST(Aead, WycheproofAesGcmAnyNonceConstruction) {
  VEIL_REQUIRE_SHARED();
  run_wycheproof_aead("aes_gcm_test.json", detail::aes_gcm_seal_any_nonce, detail::aes_gcm_open_any_nonce);
}

// ... and it agrees with OpenSSL wherever OpenSSL applies.
TEST(Aead, AnyNonceConstructionMatchesOpenSsl) {
  for (size_t key_len : {size_t(16), size_t(24), size_t(32)}) {
    for (size_t nonce_len : {size_t(1), size_t(12), size_t(13), size_t(16), size_t(64), size_t(128)}) {
      for (size_t n : {size_t(0), size_t(1), size_t(16), size_t(17), size_t(1500)}) {
        Bytes key = random_bytes(key_len), nonce = random_bytes(nonce_len), pt = random_bytes(n);
        Bytes aad = random_bytes(n % 37);
        auto ours = detail::aes_gcm_seal_any_nonce(key, nonce, aad, pt);
        auto theirs = aes_gcm_seal(key, nonce, aad, pt);
        ASSERT_TRUE(ours.ok());
        ASSERT_TRUE(theirs.ok());
        EXPECT_EQ(*ours, *theirs) << key_len << "/" << nonce_len << "/" << n;
        auto back = detail::aes_gcm_open_any_nonce(key, nonce, aad, *theirs);
        ASSERT_TRUE(back.ok());
        EXPECT_EQ(*back, pt);
        Bytes bad = *theirs;
        bad.back() ^= 1;
        EXPECT_EQ(detail::aes_gcm_open_any_nonce(key, nonce, aad, bad).error().code, "crypto.auth_failed");
      }
    }
  }
  // Past OpenSSL's limit the public functions use this construction.
  Bytes key = random_bytes(16), long_nonce = random_bytes(300), pt = to_bytes("long nonce");
  auto sealed = aes_gcm_seal(key, long_nonce, {}, pt);
  ASSERT_TRUE(sealed.ok());
  auto opened = aes_gcm_open(key, long_nonce, {}, *sealed);
  ASSERT_TRUE(opened.ok());
  EXPECT_EQ(*opened, pt);
  EXPECT_EQ(detail::aes_gcm_seal_any_nonce(Bytes(16), Bytes(), {}, {}).error().code, "crypto.bad_nonce");
  EXPECT_EQ(detail::aes_gcm_seal_any_nonce(Bytes(17), Bytes(12), {}, {}).error().code, "crypto.bad_key");
}

TEST(Aead, WycheproofChaCha20Poly1305) {
  VEIL_REQUIRE_SHARED();
  run_wycheproof_aead("chacha20_poly1305_test.json", chacha20poly1305_seal, chacha20poly1305_open);
}

TEST(Aead, WycheproofXChaCha20Poly1305) {
  VEIL_REQUIRE_SHARED();
  run_wycheproof_aead("xchacha20_poly1305_test.json", xchacha20poly1305_seal, xchacha20poly1305_open);
}

TEST(Aead, RoundTripsAndTamperDetection) {
  struct Case {
    SealFn seal, open;
    size_t key, nonce;
  };
  std::vector<Case> cases = {
      {aes_gcm_seal, aes_gcm_open, 16, 12},
      {aes_gcm_seal, aes_gcm_open, 32, 12},
      {aes_gcm_seal, aes_gcm_open, 32, 1},
      {aes_gcm_seal, aes_gcm_open, 24, 128},
      {aes_gcm_seal, aes_gcm_open, 24, 129},
      {chacha20poly1305_seal, chacha20poly1305_open, 32, 12},
      {xchacha20poly1305_seal, xchacha20poly1305_open, 32, 24},
  };
  for (const auto& c : cases) {
    Bytes key = random_bytes(c.key), nonce = random_bytes(c.nonce), aad = to_bytes("aad");
    for (size_t n : {size_t(0), size_t(1), size_t(1000)}) {
      Bytes pt = random_bytes(n);
      auto ct = c.seal(key, nonce, aad, pt);
      ASSERT_TRUE(ct.ok());
      ASSERT_EQ(ct->size(), n + kAeadTagSize);
      auto back = c.open(key, nonce, aad, *ct);
      ASSERT_TRUE(back.ok());
      EXPECT_EQ(*back, pt);
      for (size_t pos : {size_t(0), ct->size() - 1}) {
        Bytes bad = *ct;
        bad[pos] ^= 0x80;
        auto r = c.open(key, nonce, aad, bad);
        ASSERT_FALSE(r.ok());
        EXPECT_EQ(r.error().code, "crypto.auth_failed");
      }
      EXPECT_EQ(c.open(key, nonce, to_bytes("aaX"), *ct).error().code, "crypto.auth_failed");
      EXPECT_EQ(c.open(key, nonce, aad, ByteView(*ct).first(15)).error().code, "crypto.auth_failed");
    }
  }
  EXPECT_EQ(aes_gcm_seal(Bytes(15), Bytes(12), {}, {}).error().code, "crypto.bad_key");
  EXPECT_EQ(aes_gcm_seal(Bytes(16), Bytes(), {}, {}).error().code, "crypto.bad_nonce");
  EXPECT_EQ(chacha20poly1305_open(Bytes(32), Bytes(24), {}, Bytes(16)).error().code, "crypto.bad_nonce");
  EXPECT_EQ(xchacha20poly1305_seal(Bytes(31), Bytes(24), {}, {}).error().code, "crypto.bad_key");
}

}  // namespace
}  // namespace veil::crypto
