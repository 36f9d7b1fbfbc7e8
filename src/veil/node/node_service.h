// The private LLM node: composes keys, TEE and GPU providers, a backend,
// attestation, signatures and metrics behind the HTTPS server.
#pragma once

#include <memory>
#include <string>

#include "veil/base/result.h"
#include "veil/node/node_options.h"

namespace veil::node {

class NodeService {
 public:
  // Creates keys, measures the runtime events into RTMR3, loads the backend
  // and starts listening. Returns once the node serves.
  static Result<std::unique_ptr<NodeService>> start(const NodeOptions& options);
  ~NodeService();

  uint16_t port() const;
  std::string tls_fingerprint_hex() const;  // empty with plain_http
  std::string signing_address() const;      // ecdsa
  // Graceful: stop accepting, let in-flight streams finish, then return.
  void stop();

  struct State;

 private:
  explicit NodeService(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace veil::node
