#include "veil/attest/nvidia/nras.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/sha.h>

#include <boost/json.hpp>
#include <memory>

#include "veil/attest/nvidia/openssl_util.h"
#include "veil/base/encoding.h"

namespace veil::attest::nvidia {

namespace {

namespace json = boost::json;

constexpr size_t kMaxTokenBytes = 1 << 20;

struct BnFree {
  void operator()(BIGNUM* p) const { BN_free(p); }
};
struct BldFree {
  void operator()(OSSL_PARAM_BLD* p) const { OSSL_PARAM_BLD_free(p); }
};
struct ParamFree {
  void operator()(OSSL_PARAM* p) const { OSSL_PARAM_free(p); }
};
struct PctxFree {
  void operator()(EVP_PKEY_CTX* p) const { EVP_PKEY_CTX_free(p); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); }
};

std::string str_field(const json::object& o, const char* key) {
  auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

Result<Bytes> b64url_field(const json::object& o, const char* key) {
  std::string s = str_field(o, key);
  if (s.empty()) return make_error("jwks.malformed", std::string("JWK lacks \"") + key + "\"");
  return base64_decode(s);
}

Result<UniquePkey> pkey_from_params(const char* type, OSSL_PARAM* params) {
  std::unique_ptr<EVP_PKEY_CTX, PctxFree> ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  EVP_PKEY* key = nullptr;
  if (!ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &key, EVP_PKEY_PUBLIC_KEY, params) != 1) {
    ERR_clear_error();
    return make_error("jwks.malformed", "JWK is not a valid public key");
  }
  return UniquePkey(key);
}

// RFC 7517/7518 section 6: EC (crv, x, y) and RSA (n, e) public keys.
Result<UniquePkey> key_from_jwk(const json::object& jwk) {
  std::string kty = str_field(jwk, "kty");
  std::unique_ptr<OSSL_PARAM_BLD, BldFree> bld(OSSL_PARAM_BLD_new());
  if (!bld) return make_error("jwks.malformed", "allocation failed");
  if (kty == "EC") {
    std::string crv = str_field(jwk, "crv");
    const char* group = crv == "P-256"   ? "P-256"
                        : crv == "P-384" ? "P-384"
                        : crv == "P-521" ? "P-521"
                                         : nullptr;
    if (!group) return make_error("jwks.malformed", "unsupported EC curve");
    VEIL_ASSIGN_OR_RETURN(Bytes x, b64url_field(jwk, "x"));
    VEIL_ASSIGN_OR_RETURN(Bytes y, b64url_field(jwk, "y"));
    Bytes point{0x04};
    point.insert(point.end(), x.begin(), x.end());
    point.insert(point.end(), y.begin(), y.end());
    OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, group, 0);
    OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size());
    std::unique_ptr<OSSL_PARAM, ParamFree> params(OSSL_PARAM_BLD_to_param(bld.get()));
    return pkey_from_params("EC", params.get());
  }
  if (kty == "RSA") {
    VEIL_ASSIGN_OR_RETURN(Bytes n, b64url_field(jwk, "n"));
    VEIL_ASSIGN_OR_RETURN(Bytes e, b64url_field(jwk, "e"));
    std::unique_ptr<BIGNUM, BnFree> bn(BN_bin2bn(n.data(), static_cast<int>(n.size()), nullptr));
    std::unique_ptr<BIGNUM, BnFree> be(BN_bin2bn(e.data(), static_cast<int>(e.size()), nullptr));
    if (!bn || !be) return make_error("jwks.malformed", "bad RSA key");
    OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, bn.get());
    OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, be.get());
    std::unique_ptr<OSSL_PARAM, ParamFree> params(OSSL_PARAM_BLD_to_param(bld.get()));
    return pkey_from_params("RSA", params.get());
  }
  return make_error("jwks.malformed", "unsupported JWK key type");
}

bool rsa_verify(EVP_PKEY* key, const EVP_MD* md, std::string_view input, ByteView sig) {
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  bool ok = ctx && EVP_DigestVerifyInit(ctx.get(), nullptr, md, nullptr, key) == 1 &&
            EVP_DigestVerify(ctx.get(), sig.data(), sig.size(),
                             reinterpret_cast<const uint8_t*>(input.data()), input.size()) == 1;
  ERR_clear_error();
  return ok;
}

std::optional<int64_t> int_claim(const json::object& o, const char* key) {
  auto* v = o.if_contains(key);
  if (!v) return std::nullopt;
  if (v->is_int64()) return v->as_int64();
  if (v->is_uint64() && v->as_uint64() < (uint64_t(1) << 62)) return static_cast<int64_t>(v->as_uint64());
  // A double outside +-2^62 (or NaN) is not a time; the cast would be undefined.
  if (v->is_double() && v->as_double() > -4.6e18 && v->as_double() < 4.6e18) {
    return static_cast<int64_t>(v->as_double());
  }
  return std::nullopt;
}

}  // namespace

Result<Jwt> decode_jwt(std::string_view token) {
  while (!token.empty() && (token.back() == '\n' || token.back() == '\r' || token.back() == ' '))
    token.remove_suffix(1);
  if (token.size() > kMaxTokenBytes) return make_error("jwt.malformed", "token too large");
  size_t d1 = token.find('.');
  size_t d2 = d1 == std::string_view::npos ? d1 : token.find('.', d1 + 1);
  if (d2 == std::string_view::npos || token.find('.', d2 + 1) != std::string_view::npos) {
    return make_error("jwt.malformed", "not three dot-separated parts");
  }
  Jwt jwt;
  jwt.text = std::string(token);
  jwt.signing_input = std::string(token.substr(0, d2));
  auto h = base64_decode(token.substr(0, d1));
  auto p = base64_decode(token.substr(d1 + 1, d2 - d1 - 1));
  auto s = base64_decode(token.substr(d2 + 1));
  if (!h || !p || !s) return make_error("jwt.malformed", "a part is not base64url");
  jwt.header_json = veil::to_string(*h);
  jwt.claims_json = veil::to_string(*p);
  jwt.signature = std::move(*s);
  boost::system::error_code ec;
  json::value header = json::parse(jwt.header_json, ec);
  if (ec || !header.is_object()) return make_error("jwt.malformed", "header is not a JSON object");
  json::value claims = json::parse(jwt.claims_json, ec);
  if (ec || !claims.is_object()) return make_error("jwt.malformed", "claims are not a JSON object");
  jwt.alg = str_field(header.as_object(), "alg");
  jwt.kid = str_field(header.as_object(), "kid");
  return jwt;
}

Status verify_jwt(const Jwt& jwt, std::string_view jwks_json) {
  const EVP_MD* md = nullptr;
  bool ec_alg = jwt.alg.rfind("ES", 0) == 0;
  bool rsa_alg = jwt.alg.rfind("RS", 0) == 0;
  if (jwt.alg == "ES256" || jwt.alg == "RS256") md = EVP_sha256();
  if (jwt.alg == "ES384" || jwt.alg == "RS384") md = EVP_sha384();
  if (jwt.alg == "ES512" || jwt.alg == "RS512") md = EVP_sha512();
  if (!md) return make_error("jwt.bad_alg", "unsupported JWT alg (ES256/384/512, RS256/384/512 accepted)");

  boost::system::error_code ec;
  json::value jwks = json::parse(jwks_json, ec);
  if (ec || !jwks.is_object()) return make_error("jwks.malformed", "JWKS is not a JSON object");
  auto* keys = jwks.as_object().if_contains("keys");
  if (!keys || !keys->is_array()) return make_error("jwks.malformed", "JWKS has no \"keys\" array");
  const json::object* chosen = nullptr;
  const auto& arr = keys->as_array();
  for (const auto& k : arr) {
    if (!k.is_object()) continue;
    if (!jwt.kid.empty() && str_field(k.as_object(), "kid") == jwt.kid) chosen = &k.as_object();
  }
  if (!chosen && jwt.kid.empty() && arr.size() == 1 && arr[0].is_object()) chosen = &arr[0].as_object();
  if (!chosen) return make_error("jwt.no_key", "no JWKS key with the token's kid");
  std::string key_alg = str_field(*chosen, "alg");
  if (!key_alg.empty() && key_alg != jwt.alg)
    return make_error("jwt.bad_alg", "token alg differs from the key's alg");
  VEIL_ASSIGN_OR_RETURN(UniquePkey key, key_from_jwk(*chosen));

  bool ok = false;
  if (ec_alg) {
    size_t want = jwt.alg == "ES256" ? 32 : jwt.alg == "ES384" ? 48 : 66;
    if (ec_scalar_size(key.get()) != want) return make_error("jwt.bad_alg", "key curve does not match alg");
    ok = ecdsa_verify_raw(key.get(), md, as_bytes(jwt.signing_input), jwt.signature);
  } else if (rsa_alg) {
    if (EVP_PKEY_get_base_id(key.get()) != EVP_PKEY_RSA) return make_error("jwt.bad_alg", "key is not RSA");
    if (EVP_PKEY_get_bits(key.get()) < 2048)
      return make_error("jwt.bad_alg", "RSA key shorter than 2048 bits");
    ok = rsa_verify(key.get(), md, jwt.signing_input, jwt.signature);
  }
  if (!ok) return make_error("jwt.bad_signature", "JWT signature does not verify");
  return ok_status();
}

Result<std::vector<std::pair<std::string, std::string>>> parse_nras_response(std::string_view text) {
  std::vector<std::pair<std::string, std::string>> out;
  std::string_view t = text;
  while (!t.empty() && (t.front() == ' ' || t.front() == '\n' || t.front() == '\r' || t.front() == '\t'))
    t.remove_prefix(1);
  if (!t.empty() && t.front() != '[' && t.front() != '{' && t.front() != '"') {
    out.emplace_back("overall", std::string(t));  // a bare compact JWT
    return out;
  }
  boost::system::error_code ec;
  json::value doc = json::parse(text, ec);
  if (ec) return make_error("nras.malformed", "not JSON");
  if (doc.is_string()) {
    out.emplace_back("overall", std::string(doc.as_string()));
    return out;
  }
  if (!doc.is_array() || doc.as_array().empty())
    return make_error("nras.malformed", "expected [[\"JWT\", token], {...}]");
  const auto& arr = doc.as_array();
  const auto& first = arr[0];
  if (!first.is_array() || first.as_array().size() != 2 || !first.as_array()[1].is_string()) {
    return make_error("nras.malformed", "first element is not [\"JWT\", token]");
  }
  out.emplace_back("overall", std::string(first.as_array()[1].as_string()));
  for (size_t i = 1; i < arr.size(); ++i) {
    if (!arr[i].is_object()) return make_error("nras.malformed", "submodule element is not an object");
    for (const auto& kv : arr[i].as_object()) {
      if (!kv.value().is_string()) return make_error("nras.malformed", "submodule token is not a string");
      out.emplace_back(std::string(kv.key()), std::string(kv.value().as_string()));
    }
  }
  return out;
}

Verdict verify_nras_response(std::string_view response_text, const NrasVerifyOptions& options) {
  Verdict v;
  auto finish = [&v]() {
    v.verified = !v.any_failed();
    return v;
  };
  auto parts = parse_nras_response(response_text);
  if (!parts) {
    v.fail("nras.response", parts.error().message);
    return finish();
  }
  json::object overall_claims;
  for (size_t i = 0; i < parts->size(); ++i) {
    const auto& [name, token] = (*parts)[i];
    std::string prefix = i == 0 ? "nras.overall." : "nras." + name + ".";
    auto jwt = decode_jwt(token);
    if (!jwt) {
      v.fail(prefix + "token", jwt.error().message);
      continue;
    }
    boost::system::error_code ec;
    json::object claims = json::parse(jwt->claims_json, ec).as_object();
    bool trusted = false;
    if (options.jwks_json.empty()) {
      v.fail(prefix + "signature", "no JWKS given: the token is not trusted");
    } else if (Status st = verify_jwt(*jwt, options.jwks_json); !st.ok()) {
      v.fail(prefix + "signature", st.error().message);
    } else {
      trusted = true;
      v.pass(prefix + "signature", jwt->alg + " with JWKS key \"" + jwt->kid + "\"");
    }
    // Claims of a token whose signature did not verify are shown, never passed.
    auto judge = [&](const std::string& name, bool ok, const std::string& detail) {
      if (!trusted) {
        v.skip(name, "not trusted (signature not verified): " + detail);
      } else if (ok) {
        v.pass(name, detail);
      } else {
        v.fail(name, detail);
      }
    };
    // Validity window.
    auto nbf = int_claim(claims, "nbf");
    auto exp = int_claim(claims, "exp");
    if (!exp) {
      judge(prefix + "validity", false, "no exp claim");
    } else {
      bool in_window = !(nbf && options.now < *nbf) && options.now < *exp;
      judge(prefix + "validity", in_window,
            std::string(in_window ? "nbf <= now < exp" : "token not valid at now") + " (nbf " +
                std::to_string(nbf.value_or(0)) + ", exp " + std::to_string(*exp) + ")");
    }
    // Nonce.
    std::string nonce = str_field(claims, "eat_nonce");
    if (!options.expected_nonce) {
      v.skip(prefix + "nonce", "no expected nonce given (eat_nonce " + nonce + ")");
    } else {
      bool same = nonce == hex_encode(*options.expected_nonce);
      judge(prefix + "nonce", same,
            same ? "eat_nonce = expected nonce" : "eat_nonce " + nonce + " != expected nonce");
    }
    if (i == 0) {
      overall_claims = claims;
      auto* r = claims.if_contains("x-nvidia-overall-att-result");
      bool ok = r && r->is_bool() && r->as_bool();
      judge("nras.overall.result", ok,
            ok ? "x-nvidia-overall-att-result = true" : "x-nvidia-overall-att-result is not true");
      continue;
    }
    // Submodule bound into the overall token: ["DIGEST", ["SHA-256", hex]].
    std::string expected;
    if (auto* sub = overall_claims.if_contains("submods"); sub && sub->is_object()) {
      if (auto* e = sub->as_object().if_contains(name); e && e->is_array() && e->as_array().size() == 2) {
        const auto& d = e->as_array()[1];
        if (d.is_array() && d.as_array().size() == 2 && d.as_array()[0].is_string() &&
            d.as_array()[0].as_string() == "SHA-256" && d.as_array()[1].is_string()) {
          expected = std::string(d.as_array()[1].as_string());
        }
      }
    }
    uint8_t digest[SHA256_DIGEST_LENGTH];
    SHA256(reinterpret_cast<const uint8_t*>(token.data()), token.size(), digest);
    std::string actual = hex_encode(ByteView(digest, sizeof digest));
    if (expected.empty()) {
      v.fail(prefix + "digest", "overall token has no SHA-256 submods entry for " + name);
    } else if (expected != actual) {
      v.fail(prefix + "digest", "SHA-256 of the token differs from the overall token's submods entry");
    } else {
      v.pass(prefix + "digest", "SHA-256 of the token = overall submods entry");
    }
  }
  return finish();
}

}  // namespace veil::attest::nvidia
