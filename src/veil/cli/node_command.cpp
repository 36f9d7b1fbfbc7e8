// `veil node`: the private LLM node.
#include <csignal>
#include <cstdio>
#include <pthread.h>

#include <CLI/CLI.hpp>

#include "veil/base/log.h"
#include "veil/cli/commands.h"
#include "veil/cli/settings.h"
#include "veil/node/node_service.h"

namespace veil::cli {

namespace {

Result<log::Level> parse_level(const std::string& s) {
  if (s == "debug") return log::Level::debug;
  if (s == "info") return log::Level::info;
  if (s == "warn") return log::Level::warn;
  if (s == "error") return log::Level::error;
  if (s == "off") return log::Level::off;
  return make_error("config.log_level", "--log-level must be debug, info, warn, error or off");
}

}  // namespace

int node_command(int argc, char** argv) {
  CLI::App app{"veil node: a private LLM node — TLS ends here, attested by the TEE, every response signed"};
  app.name("veil node");
  node::NodeOptions o;
  std::string config_file;
  int header_timeout = 10, idle_timeout = 60, signature_ttl = 20, io_threads = 2;
  Settings s(app);
  app.add_option("--config", config_file, "TOML file with any of the settings below (snake_case keys)");
  s.add_string("listen", &o.listen, "HOST:PORT to listen on (default 127.0.0.1:8443)");
  s.add_string("tee", &o.tee, "TEE provider: simulated | tdx");
  s.add_string("gpu", &o.gpu, "GPU evidence: none | simulated | nvml");
  s.add_string("upstream", &o.upstream_url, "OpenAI-compatible server inside the same CVM (vLLM, SGLang, llama.cpp)");
  s.add_string("upstream-model", &o.upstream_model, "model id the upstream knows, when it differs from the served name");
  s.add_string("model-dir", &o.model_dir, "directory of the weights the upstream loads (measured as model-hash)");
  s.add_string("model", &o.model_file, "GGUF file for the built-in CPU engine");
  s.add_string("served-model-name", &o.served_model_name, "model name clients use");
  s.add_int("threads", &o.engine_threads, "engine threads (0 = all cores)");
  s.add_int("ctx", &o.engine_ctx, "engine context length per sequence");
  s.add_int("sequences", &o.engine_sequences, "engine sequences decoded together");
  s.add_string("chat-template", &o.chat_template, "chat template family override (chatml, llama3, ...)");
  s.add_string("tls-cert", &o.tls_cert_file, "operator TLS certificate (PEM); default: self-signed, key born in memory");
  s.add_string("tls-key", &o.tls_key_file, "operator TLS private key (PEM)");
  s.add_flag("plain-http", &o.plain_http, "development only: serve plain HTTP (refused with --tee tdx)");
  s.add_size("max-body-bytes", &o.max_body_bytes, "largest request body (413 past it)");
  s.add_size("max-connections", &o.max_connections, "global connection limit");
  s.add_size("max-connections-per-address", &o.max_connections_per_address, "per client address limit (0 = none)");
  s.add_int("io-threads", &io_threads, "I/O threads");
  s.add_int("header-timeout", &header_timeout, "seconds for a request head to arrive (at most 10)");
  s.add_int("idle-timeout", &idle_timeout, "seconds a keep-alive connection may idle");
  s.add_int("signature-ttl", &signature_ttl, "minutes signatures are kept");
  s.add_size("signature-cache-entries", &o.signature_cache_entries, "most signatures kept");
  s.add_string("log-level", &o.log_level, "debug | info | warn | error | off");
  s.add_string("tsm-configfs-root", &o.tsm_configfs_root, "configfs-tsm report directory (tests)");
  s.add_string("rtmr3-path", &o.rtmr3_path, "RTMR3 sysfs file (tests)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  if (auto st = s.resolve(config_file); !st.ok()) {
    std::fprintf(stderr, "veil node: %s\n", st.error().message.c_str());
    return 2;
  }
  auto level = parse_level(o.log_level);
  if (!level.ok()) {
    std::fprintf(stderr, "veil node: %s\n", level.error().message.c_str());
    return 2;
  }
  log::set_level(*level);
  if (header_timeout < 1 || header_timeout > 10) {
    std::fprintf(stderr, "veil node: --header-timeout must be 1..10 seconds\n");
    return 2;
  }
  if (io_threads < 1 || idle_timeout < 1 || signature_ttl < 1) {
    std::fprintf(stderr, "veil node: --io-threads, --idle-timeout and --signature-ttl must be positive\n");
    return 2;
  }
  o.header_timeout = std::chrono::seconds(header_timeout);
  o.idle_timeout = std::chrono::seconds(idle_timeout);
  o.signature_ttl = std::chrono::minutes(signature_ttl);
  o.io_threads = static_cast<unsigned>(io_threads);

  // SIGTERM/SIGINT are waited for by this thread; every other thread inherits the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  auto service = node::NodeService::start(o);
  if (!service.ok()) {
    std::fprintf(stderr, "veil node: %s\n", service.error().to_string().c_str());
    return 1;
  }
  // One machine-readable line for scripts and tests: the port actually bound.
  std::printf("veil node ready port=%u tls_fingerprint=%s signing_address=%s\n", (*service)->port(),
              (*service)->tls_fingerprint_hex().c_str(), (*service)->signing_address().c_str());
  std::fflush(stdout);
  int sig = 0;
  sigwait(&signals, &sig);
  log::info("signal {} received: draining in-flight requests", sig);
  (*service)->stop();
  log::info("stopped");
  return 0;
}

}  // namespace veil::cli
