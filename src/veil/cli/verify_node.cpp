// `veil verify node URL`: a fresh nonce per report, every link checked.
#include "veil/cli/verify_node.h"

#include <boost/json.hpp>

#include <cstdio>

#include <CLI/CLI.hpp>

#include "veil/base/json_stringify.h"
#include "veil/cli/node_client.h"
#include "veil/net/http_client.h"

namespace veil::cli {

int verify_node_main(int argc, char** argv) {
  CLI::App app{"veil verify node: check a node's attestation, TLS binding and keys"};
  app.name("veil verify node");
  NodeCheckOptions opt;
  bool json_out = false;
  int64_t now = 0;
  app.add_option("url", opt.url, "node URL, e.g. https://127.0.0.1:8443")->required();
  app.add_option("--model", opt.model, "expected model name");
  app.add_flag("--allow-simulated", opt.allow_simulated, "trust Veil's simulated TEE (development; never a hardware TEE)");
  app.add_option("--collateral", opt.collateral_file, "Intel collateral (dcap-qvl JSON) for an offline check");
  app.add_option("--now", now, "verification time (Unix seconds)");
  app.add_flag("--json", json_out, "print one JSON object");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  if (now > 0) opt.now = now;
  net::HttpClient client;
  attest::Verdict v;
  check_node(client, opt, v);
  if (json_out) {
    std::printf("%s\n", js_stringify(attest::to_json(v)).c_str());
  } else {
    std::printf("%s", attest::to_text(v).c_str());
  }
  return v.exit_code();
}

}  // namespace veil::cli
