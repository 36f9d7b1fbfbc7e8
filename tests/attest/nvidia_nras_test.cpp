// NRAS JWTs: signatures against a JWKS (keys made here), submodule digests,
// nonce and validity; the recorded real NRAS responses for their claims.
#include <gtest/gtest.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include <boost/json.hpp>

#include "nvidia_test_util.h"
#include "veil/attest/nvidia/nras.h"
#include "veil/attest/nvidia/openssl_util.h"

namespace veil::attest::nvidia {
namespace {

namespace json = boost::json;

struct TestSigner {
  UniquePkey key;
  std::string kid;

  static TestSigner make(const std::string& kid) {
    return TestSigner{UniquePkey(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-384")), kid};
  }

  json::object jwk() const {
    uint8_t point[97];
    size_t len = 0;
    EXPECT_EQ(EVP_PKEY_get_octet_string_param(key.get(), OSSL_PKEY_PARAM_PUB_KEY, point, sizeof point, &len),
              1);
    EXPECT_EQ(len, 97u);
    return json::object{{"kty", "EC"},
                        {"crv", "P-384"},
                        {"kid", kid},
                        {"alg", "ES384"},
                        {"x", base64url_encode(ByteView(point + 1, 48))},
                        {"y", base64url_encode(ByteView(point + 49, 48))}};
  }

  std::string sign(const json::object& claims, const std::string& alg = "ES384") const {
    std::string header = json::serialize(json::object{{"kid", kid}, {"alg", alg}});
    std::string input =
        base64url_encode(as_bytes(header)) + "." + base64url_encode(as_bytes(json::serialize(claims)));
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    size_t n = 0;
    EVP_DigestSignInit(ctx, nullptr, EVP_sha384(), nullptr, key.get());
    EVP_DigestSign(ctx, nullptr, &n, as_bytes(input).data(), input.size());
    Bytes der(n);
    EVP_DigestSign(ctx, der.data(), &n, as_bytes(input).data(), input.size());
    der.resize(n);
    EVP_MD_CTX_free(ctx);
    return input + "." + base64url_encode(der_signature_to_raw(der, 48).value());
  }
};

std::string jwks_of(std::initializer_list<const TestSigner*> signers) {
  json::array keys;
  for (auto* s : signers) keys.push_back(s->jwk());
  return json::serialize(json::object{{"keys", keys}});
}

constexpr int64_t kIat = 1759774032;
const std::string kNonce = "56f5c2c4f23fda73db0536276f39a266569e1517de34023817ce455a79efb6d7";

std::string sha256_hex(const std::string& s) {
  uint8_t d[32];
  SHA256(reinterpret_cast<const uint8_t*>(s.data()), s.size(), d);
  return hex_encode(ByteView(d, 32));
}

// An NRAS-shaped response: overall token binding one GPU token by digest.
std::string nras_response(const TestSigner& s, const std::string& gpu_token, bool overall_result = true) {
  json::object overall{
      {"iss", "https://nras.example"},
      {"nbf", kIat},
      {"iat", kIat},
      {"exp", kIat + 3600},
      {"eat_nonce", kNonce},
      {"x-nvidia-overall-att-result", overall_result},
      {"submods",
       json::object{{"GPU-0", json::array{"DIGEST", json::array{"SHA-256", sha256_hex(gpu_token)}}}}}};
  json::array response{json::array{"JWT", s.sign(overall)}, json::object{{"GPU-0", gpu_token}}};
  return json::serialize(response);
}

std::string gpu_token(const TestSigner& s) {
  return s.sign(
      json::object{{"nbf", kIat}, {"exp", kIat + 3600}, {"eat_nonce", kNonce}, {"measres", "success"}});
}

NrasVerifyOptions opts(const std::string& jwks, int64_t now = kIat + 60) {
  NrasVerifyOptions o;
  o.now = now;
  o.jwks_json = jwks;
  o.expected_nonce = test::nvidia::nonce_from_hex(kNonce);
  return o;
}

CheckStatus status_of(const Verdict& v, const std::string& name) {
  for (const auto& c : v.checks)
    if (c.name == name) return c.status;
  ADD_FAILURE() << "missing check " << name;
  return CheckStatus::skip;
}

TEST(NvidiaNras, GoodTokensVerify) {
  TestSigner s = TestSigner::make("kid-1");
  std::string resp = nras_response(s, gpu_token(s));
  Verdict v = verify_nras_response(resp, opts(jwks_of({&s})));
  EXPECT_TRUE(v.verified) << to_text(v);
  EXPECT_EQ(status_of(v, "nras.overall.signature"), CheckStatus::pass);
  EXPECT_EQ(status_of(v, "nras.GPU-0.signature"), CheckStatus::pass);
  EXPECT_EQ(status_of(v, "nras.GPU-0.digest"), CheckStatus::pass);
  EXPECT_EQ(status_of(v, "nras.overall.nonce"), CheckStatus::pass);
}

TEST(NvidiaNras, BadSignatureIsNeverTrusted) {
  TestSigner s = TestSigner::make("kid-1");
  std::string token = gpu_token(s);
  // Flip one character of the signature part.
  std::string bad = token;
  bad[bad.size() - 5] = bad[bad.size() - 5] == 'A' ? 'B' : 'A';
  Status st = verify_jwt(decode_jwt(bad).value(), jwks_of({&s}));
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, "jwt.bad_signature");
  // Signed by another key with the same kid.
  TestSigner other = TestSigner::make("kid-1");
  Verdict v = verify_nras_response(nras_response(other, gpu_token(other)), opts(jwks_of({&s})));
  EXPECT_FALSE(v.verified);
  EXPECT_EQ(status_of(v, "nras.overall.signature"), CheckStatus::fail);
  // No JWKS: not trusted.
  Verdict none = verify_nras_response(nras_response(s, token), opts(""));
  EXPECT_FALSE(none.verified);
  EXPECT_EQ(status_of(none, "nras.overall.signature"), CheckStatus::fail);
}

TEST(NvidiaNras, KeySelectionAndAlgorithms) {
  TestSigner a = TestSigner::make("kid-a");
  TestSigner b = TestSigner::make("kid-b");
  std::string jwks = jwks_of({&a, &b});
  EXPECT_TRUE(verify_jwt(decode_jwt(gpu_token(b)).value(), jwks).ok());
  TestSigner c = TestSigner::make("kid-c");
  EXPECT_EQ(verify_jwt(decode_jwt(gpu_token(c)).value(), jwks).error().code, "jwt.no_key");
  // alg "none" and HMAC are refused; a mismatching alg too.
  Jwt t = decode_jwt(gpu_token(a)).value();
  t.alg = "none";
  EXPECT_EQ(verify_jwt(t, jwks).error().code, "jwt.bad_alg");
  t.alg = "HS256";
  EXPECT_EQ(verify_jwt(t, jwks).error().code, "jwt.bad_alg");
  t.alg = "ES256";
  EXPECT_EQ(verify_jwt(t, jwks).error().code, "jwt.bad_alg");
  EXPECT_FALSE(decode_jwt("a.b").ok());
  EXPECT_FALSE(decode_jwt("a.b.c.d").ok());
  EXPECT_FALSE(
      verify_jwt(decode_jwt(gpu_token(a)).value(), "{\"keys\":[{\"kty\":\"EC\",\"kid\":\"kid-a\"}]}").ok());
}

TEST(NvidiaNras, DigestNonceValidityAndResult) {
  TestSigner s = TestSigner::make("k");
  std::string jwks = jwks_of({&s});
  // A different (validly signed) GPU token than the one the overall token binds.
  std::string resp = nras_response(s, gpu_token(s));
  json::value doc = json::parse(resp);
  doc.as_array()[1].as_object()["GPU-0"] =
      s.sign(json::object{{"nbf", kIat}, {"exp", kIat + 3600}, {"eat_nonce", kNonce}, {"measres", "fail"}});
  Verdict swapped = verify_nras_response(json::serialize(doc), opts(jwks));
  EXPECT_FALSE(swapped.verified);
  EXPECT_EQ(status_of(swapped, "nras.GPU-0.digest"), CheckStatus::fail);
  EXPECT_EQ(status_of(swapped, "nras.GPU-0.signature"), CheckStatus::pass);
  // Expired at now.
  Verdict late = verify_nras_response(resp, opts(jwks, kIat + 7200));
  EXPECT_FALSE(late.verified);
  EXPECT_EQ(status_of(late, "nras.overall.validity"), CheckStatus::fail);
  // Other nonce.
  NrasVerifyOptions o = opts(jwks);
  o.expected_nonce->at(0) ^= 1;
  EXPECT_EQ(status_of(verify_nras_response(resp, o), "nras.overall.nonce"), CheckStatus::fail);
  // Overall result false.
  Verdict neg = verify_nras_response(nras_response(s, gpu_token(s), false), opts(jwks));
  EXPECT_EQ(status_of(neg, "nras.overall.result"), CheckStatus::fail);
}

TEST(NvidiaNras, RecordedRealResponseClaims) {
  VEIL_REQUIRE_SHARED();
  std::string text = test::read_shared_text("testdata/nearai-vllm-proxy/NRAS_SAMPLE_RESPONSE.json");
  auto parts = parse_nras_response(text);
  ASSERT_TRUE(parts.ok()) << parts.error().to_string();
  ASSERT_EQ(parts->size(), 2u);
  EXPECT_EQ((*parts)[1].first, "GPU-0");
  auto overall = decode_jwt((*parts)[0].second);
  ASSERT_TRUE(overall.ok());
  EXPECT_EQ(overall->alg, "ES384");
  EXPECT_EQ(overall->kid.rfind("nv-eat-kid-prod-20251005", 0), 0u);
  json::object claims = json::parse(overall->claims_json).as_object();
  EXPECT_EQ(claims.at("eat_nonce").as_string(), kNonce);
  EXPECT_EQ(claims.at("iat").to_number<int64_t>(), kIat);
  // Without NVIDIA's JWKS the signatures cannot be checked: not verified,
  // but the submodule digest binding (no key needed) holds.
  Verdict v = verify_nras_response(text, opts(""));
  EXPECT_FALSE(v.verified);
  EXPECT_EQ(status_of(v, "nras.overall.signature"), CheckStatus::fail);
  EXPECT_EQ(status_of(v, "nras.GPU-0.digest"), CheckStatus::pass);
  // Its claims are shown but, unverified, never passed.
  EXPECT_EQ(status_of(v, "nras.overall.nonce"), CheckStatus::skip);
  EXPECT_EQ(status_of(v, "nras.overall.result"), CheckStatus::skip);
  for (const auto& c : v.checks)
    EXPECT_NE(c.status == CheckStatus::pass && c.name != "nras.GPU-0.digest", true) << c.name;
  // With a JWKS of our own, NVIDIA's signature does not verify.
  TestSigner s = TestSigner::make(overall->kid);
  EXPECT_EQ(verify_jwt(*overall, jwks_of({&s})).error().code, "jwt.bad_signature");
}

TEST(NvidiaNras, RecordedPpcieResponseHasEightGpus) {
  VEIL_REQUIRE_SHARED();
  std::string text = test::read_shared_text("testdata/nearai-vllm-proxy/NRAS_SAMPLE_PPCIE_RESPONSE.json");
  auto parts = parse_nras_response(text);
  ASSERT_TRUE(parts.ok()) << parts.error().to_string();
  size_t gpus = 0;
  for (const auto& p : *parts) gpus += p.first.rfind("GPU-", 0) == 0;
  EXPECT_EQ(gpus, 8u);
  NrasVerifyOptions o = opts("");
  o.expected_nonce.reset();
  Verdict v = verify_nras_response(text, o);
  EXPECT_FALSE(v.verified);
  for (size_t i = 0; i < 8; ++i)
    EXPECT_EQ(status_of(v, "nras.GPU-" + std::to_string(i) + ".digest"), CheckStatus::pass);
}

}  // namespace
}  // namespace veil::attest::nvidia
