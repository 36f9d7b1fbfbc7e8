// Client side of a node: fetch and check its attestation with a fresh nonce,
// compare the live TLS key with the attested one, and check response
// signatures. Used by `veil verify node` and `veil chat`.
#pragma once

#include <optional>
#include <string>

#include "veil/attest/verdict.h"
#include "veil/base/result.h"

namespace veil::net {
class HttpClient;
}

namespace veil::cli {

struct NodeCheckOptions {
  std::string url;               // https://host:port
  std::string model;             // expected served model (empty = any)
  bool allow_simulated = false;  // trust Veil's simulated TEE root for this report only
  std::optional<int64_t> now;    // verification time (default: the clock)
  std::string collateral_file;   // Intel collateral (dcap-qvl JSON) for hardware quotes, when offline
};

// What a verified node is: the keys its attestation bound.
struct AttestedNode {
  std::string model_name;
  std::string ecdsa_address;     // "0x..." lowercase
  std::string ed25519_public_key;  // 64 hex
  std::string tls_spki_sha256_hex;
};

// Fetches an ecdsa and an ed25519 report, each with its own fresh nonce and
// the TLS fingerprint included, verifies them, and compares the live TLS key.
// Adds one check per link to `verdict`.
std::optional<AttestedNode> check_node(net::HttpClient& client, const NodeCheckOptions& options,
                                       attest::Verdict& verdict);

// Checks the signatures of one response: hashes recomputed from the exact
// request and response bytes; the ECDSA signature must recover the attested
// address and the Ed25519 signature must verify under the attested key.
void check_response_signatures(net::HttpClient& client, const std::string& url, const AttestedNode& node,
                               const std::string& chat_id, const std::string& request_body,
                               const std::string& response_bytes, attest::Verdict& verdict);

}  // namespace veil::cli
