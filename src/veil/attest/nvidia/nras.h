// NVIDIA Remote Attestation Service (NRAS) results: JWTs (EAT) signed with
// ES384 (also ES256/ES512/RS256/RS384/RS512 accepted), verified against a
// JWKS. A token whose signature is not verified is never trusted: its claims
// are reported, but every check that depends on them fails.
//
// NRAS v3 response shape: [["JWT", overall_token], {"GPU-0": gpu_token, ...}];
// the overall token's `submods` maps each GPU to
// ["DIGEST", ["SHA-256", hex(SHA-256(gpu_token text))]].
// A file that holds a single JWT (compact serialization) is also accepted.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "veil/attest/verdict.h"
#include "veil/base/bytes.h"
#include "veil/base/result.h"

namespace veil::attest::nvidia {

struct Jwt {
  std::string text;         // the compact token
  std::string header_json;  // decoded header
  std::string claims_json;  // decoded payload
  std::string alg, kid;
  std::string signing_input;  // base64url(header) "." base64url(payload)
  Bytes signature;            // raw (r || s for ES*, the RSA signature for RS*)
};

// Splits and decodes a compact JWT (no signature check). Errors "jwt.malformed".
Result<Jwt> decode_jwt(std::string_view token);

// Verifies the token's signature with the JWKS key of the same kid (or the
// only key when the JWKS has one and the token has no kid). Errors
// "jwt.no_key", "jwt.bad_alg", "jwt.bad_signature", "jwks.malformed".
Status verify_jwt(const Jwt& jwt, std::string_view jwks_json);

// (name, token) pairs of an NRAS response: first ("overall", token), then
// each submodule. Errors "nras.malformed".
Result<std::vector<std::pair<std::string, std::string>>> parse_nras_response(std::string_view text);

struct NrasVerifyOptions {
  int64_t now = 0;
  std::optional<std::array<uint8_t, 32>> expected_nonce;  // vs eat_nonce
  std::string jwks_json;                                  // empty: every signature check fails
};

// Checks named "nras.*": signatures, submodule digests, nonce, nbf/exp at
// `now`, x-nvidia-overall-att-result.
Verdict verify_nras_response(std::string_view response_text, const NrasVerifyOptions& options);

}  // namespace veil::attest::nvidia
