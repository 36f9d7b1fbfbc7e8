// Everything `veil node` can be told, from flags, VEIL_* env vars or a TOML
// file (cli/node_command.cpp maps those onto this struct).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace veil::node {

struct NodeOptions {
  std::string listen = "127.0.0.1:8443";
  std::string tee = "simulated";   // simulated | tdx
  std::string gpu = "none";        // none | simulated | nvml

  // Backend: exactly one of upstream_url or model_file.
  std::string upstream_url;        // OpenAI-compatible server in the same CVM
  std::string upstream_model;      // its model id, when it differs from served_model_name
  std::string model_dir;           // weights the upstream loads: measured as model-hash
  std::string model_file;          // GGUF for the built-in engine
  std::string served_model_name;   // defaults to the GGUF's name / file stem
  int engine_threads = 0;          // 0 = all cores
  int engine_ctx = 4096;
  int engine_sequences = 8;
  std::string chat_template;       // override for the built-in engine

  // TLS: self-signed in-memory key by default, or the operator's cert/key files.
  std::string tls_cert_file;
  std::string tls_key_file;
  bool plain_http = false;         // development only: no TLS (never with --tee tdx)

  size_t max_body_bytes = 8 * 1024 * 1024;
  size_t max_connections = 1024;
  size_t max_connections_per_address = 0;
  unsigned io_threads = 2;
  std::chrono::seconds header_timeout{10};
  std::chrono::seconds idle_timeout{60};
  std::chrono::minutes signature_ttl{20};
  size_t signature_cache_entries = 100000;

  std::string log_level = "info";

  // Test hooks for the TEE provider (fake configfs) and NVML path.
  std::string tsm_configfs_root;
  std::string rtmr3_path;
};

// The canonical configuration JSON measured as `veil-config` and served as
// info.app_compose: security-relevant settings only, keys in a fixed order.
std::string canonical_config_json(const NodeOptions& o, const std::string& served_model_name,
                                  const std::string& backend_kind);

}  // namespace veil::node
