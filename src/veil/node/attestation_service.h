// GET /v1/attestation/report: builds the NEAR-compatible node report
// (WIRE.md section 3) from the TEE provider, the GPU evidence provider and
// the node's keys.
//
// With a client nonce the quote is always fresh. Without one, a report made
// with a random nonce is reused for at most 60 s (per signing algorithm and
// TLS-fingerprint choice), so anonymous polling cannot make the node quote
// on every request.
#pragma once

#include <array>
#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "veil/attest/gpu/gpu_provider.h"
#include "veil/attest/tee/tee_provider.h"
#include "veil/node/node_keys.h"

namespace veil::node {

struct ReportQuery {
  std::optional<std::array<uint8_t, 32>> nonce;  // nullopt: cached random-nonce report
  SigningAlgo algo = SigningAlgo::ecdsa;
  bool include_tls_fingerprint = false;
};

struct NodeIdentity {
  std::string model_name;
  std::string app_name = "veil-node";
  std::string app_compose;  // canonical node configuration JSON (measured as veil-config)
  std::string instance_id;  // random per process
};

class AttestationService {
 public:
  AttestationService(const NodeKeys& keys, attest::TeeProvider& tee, attest::GpuEvidenceProvider& gpu,
                     NodeIdentity identity);

  // The report JSON text (written with js_stringify).
  Result<std::string> report(const ReportQuery& q);

 private:
  Result<std::string> build(const ReportQuery& q, const std::array<uint8_t, 32>& nonce);

  const NodeKeys& keys_;
  attest::TeeProvider& tee_;
  attest::GpuEvidenceProvider& gpu_;
  NodeIdentity identity_;

  struct Cached {
    std::string body;
    std::chrono::steady_clock::time_point made;
  };
  std::mutex cache_mutex_;
  std::map<std::pair<int, bool>, Cached> cache_;
};

}  // namespace veil::node
