// `veil verify quote|report|gpu|node`: verification from the command line.
// Exit status (Verdict::exit_code): 0 verified and within policy, 2 verified
// with policy violations, 1 not verified; 3 usage or input errors.
#include <CLI/CLI.hpp>
#include <boost/json.hpp>
#include <cstdio>
#include <cstring>
#include <string>

#include "veil/attest/collateral.h"
#include "veil/attest/policy.h"
#include "veil/attest/quote_check.h"
#include "veil/attest/report_verify.h"
#include "veil/base/clock.h"
#include "veil/base/encoding.h"
#include "veil/base/file.h"
#include "veil/base/json_stringify.h"
#include "veil/cli/commands.h"
#include "veil/cli/pcs_fetcher.h"
#include "veil/cli/verify_node.h"
#include "veil/net/http_client.h"
#if __has_include("veil/cli/verify_gpu.h")
#include "veil/cli/verify_gpu.h"
#define VEIL_HAVE_VERIFY_GPU 1
#endif

namespace veil::cli {
namespace {

constexpr int kUsageError = 3;

void print_verdict(const attest::Verdict& v, bool json) {
  if (json) {
    std::printf("%s\n", js_stringify(attest::to_json(v)).c_str());
  } else {
    std::printf("%s", attest::to_text(v).c_str());
  }
}

// A quote file may also be JSON holding the quote: {"quote": ...},
// {"intel_quote": ...} or {"tdx": {"quote": ...}}.
std::string quote_text_from_file(const std::string& content) {
  size_t first = content.find_first_not_of(" \t\r\n");
  if (first == std::string::npos || content[first] != '{') return content;
  boost::system::error_code ec;
  auto v = boost::json::parse(content, ec);
  if (ec || !v.is_object()) return content;
  const auto& o = v.as_object();
  for (const char* k : {"quote", "intel_quote"}) {
    if (auto* q = o.if_contains(k); q && q->is_string()) return std::string(q->as_string());
  }
  if (auto* t = o.if_contains("tdx"); t && t->is_object()) {
    if (auto* q = t->as_object().if_contains("quote"); q && q->is_string())
      return std::string(q->as_string());
  }
  return content;
}

// --collateral FILE|DIR, or --pcs URL (fetched, cached until nextUpdate).
std::unique_ptr<attest::CollateralSource> collateral_source(const std::string& file,
                                                            const std::string& pcs_url,
                                                            const std::string& cache_dir,
                                                            net::HttpClient& http) {
  if (!file.empty()) return attest::make_file_collateral_source(file);
  if (!pcs_url.empty()) {
    PcsFetcherOptions o;
    o.base_url = pcs_url;
    o.cache_dir = cache_dir;
    return make_pcs_fetcher(http, o);
  }
  return nullptr;
}

int verify_quote_main(int argc, char** argv) {
  CLI::App app{"veil verify quote: verify an Intel TDX/SGX DCAP quote"};
  app.name("veil verify quote");
  std::string quote_file, collateral_file, pcs_url, cache_dir, allow_status;
  int64_t now = 0;
  bool json = false;
  app.add_option("--quote", quote_file, "quote file: raw, hex or base64 (or JSON with a \"quote\" field)")
      ->required();
  app.add_option("--collateral", collateral_file,
                 "collateral: a dcap-qvl JSON bundle or a directory of raw Intel PCS responses");
  app.add_option("--pcs", pcs_url,
                 "fetch collateral from this PCCS / Intel PCS base URL "
                 "(e.g. https://api.trustedservices.intel.com)");
  app.add_option("--cache", cache_dir, "cache directory for fetched collateral (kept until nextUpdate)");
  app.add_option("--now", now, "verification time, Unix seconds (default: the clock)");
  app.add_option("--allow-status", allow_status, "accepted TCB statuses, comma separated (default UpToDate)");
  app.add_flag("--json", json, "print one JSON object");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : kUsageError;
  }
  attest::QuoteCheckOptions opt;
  opt.now = now > 0 ? now : unix_now();
  if (!allow_status.empty()) {
    auto st = attest::parse_status_list(allow_status);
    if (!st.ok()) {
      std::fprintf(stderr, "veil verify quote: %s\n", st.error().message.c_str());
      return kUsageError;
    }
    opt.policy.allowed_tcb_statuses = *st;
  }
  auto content = read_text_file(quote_file, 16 << 20);
  if (!content.ok()) {
    std::fprintf(stderr, "veil verify quote: %s\n", content.error().to_string().c_str());
    return kUsageError;
  }
  net::HttpClient http;
  auto source = collateral_source(collateral_file, pcs_url, cache_dir, http);
  opt.source = source.get();
  std::string text = quote_text_from_file(*content);
  auto result = attest::check_quote(as_bytes(text), opt);
  print_verdict(result.verdict, json);
  return result.verdict.exit_code();
}

int verify_report_main(int argc, char** argv) {
  CLI::App app{"veil verify report: verify a node or gateway attestation report"};
  app.name("veil verify report");
  std::string url, file, nonce_hex, collateral_file, pcs_url, cache_dir, allow_status;
  int64_t now = 0;
  bool json = false, allow_simulated = false;
  auto* src = app.add_option_group("source");
  src->add_option("--url", url, "report URL (GET), e.g. https://host:8443/v1/attestation/report?nonce=...");
  src->add_option("--file", file, "report JSON file");
  src->require_option(1);
  app.add_option("--nonce", nonce_hex, "expected nonce (64 hex chars); with --url it is sent as ?nonce=");
  app.add_option("--collateral", collateral_file,
                 "collateral (dcap-qvl JSON bundle or PCS response directory)");
  app.add_option("--pcs", pcs_url, "fetch collateral from this PCCS / Intel PCS base URL");
  app.add_option("--cache", cache_dir, "cache directory for fetched collateral");
  app.add_option("--now", now, "verification time, Unix seconds (default: the clock)");
  app.add_option("--allow-status", allow_status, "accepted TCB statuses, comma separated (default UpToDate)");
  app.add_flag("--allow-simulated", allow_simulated,
               "trust the simulation root carried in info.veil_simulation (never a hardware TEE)");
  app.add_flag("--json", json, "print one JSON object");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : kUsageError;
  }
  attest::ReportVerifyOptions opt;
  opt.now = now > 0 ? now : unix_now();
  opt.allow_simulated = allow_simulated;
  if (!nonce_hex.empty()) {
    auto n = hex_decode(nonce_hex);
    if (!n.ok() || n->size() != 32) {
      std::fprintf(stderr, "veil verify report: --nonce must be 64 hex characters\n");
      return kUsageError;
    }
    std::array<uint8_t, 32> nonce{};
    std::copy(n->begin(), n->end(), nonce.begin());
    opt.expected_nonce = nonce;
  }
  if (!allow_status.empty()) {
    auto st = attest::parse_status_list(allow_status);
    if (!st.ok()) {
      std::fprintf(stderr, "veil verify report: %s\n", st.error().message.c_str());
      return kUsageError;
    }
    opt.policy.allowed_tcb_statuses = *st;
  }
  net::HttpClient http;
  auto source = collateral_source(collateral_file, pcs_url, cache_dir, http);
  opt.collateral_source = source.get();

  std::string body;
  if (!file.empty()) {
    auto content = read_text_file(file, 64 << 20);
    if (!content.ok()) {
      std::fprintf(stderr, "veil verify report: %s\n", content.error().to_string().c_str());
      return kUsageError;
    }
    body = std::move(*content);
  } else {
    std::string target = url;
    if (!nonce_hex.empty() && target.find("nonce=") == std::string::npos) {
      target += (target.find('?') == std::string::npos ? "?" : "&");
      target += "nonce=" + nonce_hex;
    }
    auto resp = http.request("GET", target);
    if (!resp.ok()) {
      attest::Verdict v;
      v.fail("report.fetch", resp.error().to_string());
      print_verdict(v, json);
      return v.exit_code();
    }
    if (resp->status != 200) {
      attest::Verdict v;
      v.fail("report.fetch", "HTTP status " + std::to_string(resp->status));
      print_verdict(v, json);
      return v.exit_code();
    }
    body = resp->body;
    if (auto spki = http.last_peer_spki_sha256_hex()) opt.expected_tls_spki_sha256_hex = *spki;
  }
  attest::Verdict v = attest::verify_report_json(body, opt);
  print_verdict(v, json);
  return v.exit_code();
}

void usage() {
  std::fprintf(stderr,
               "usage: veil verify <quote|report|gpu|node> [options]\n"
               "  quote   --quote FILE [--collateral FILE|DIR | --pcs URL] [--now UNIX] [--allow-status "
               "S,...] [--json]\n"
               "  report  (--url URL | --file FILE) [--nonce HEX] [--collateral FILE] [--now UNIX]\n"
               "          [--allow-simulated] [--json]\n"
               "  gpu     --payload FILE [--nonce HEX] [--now UNIX] [--rim FILE]...\n"
               "          [--nras-token FILE --jwks FILE|https://URL [--jwks-ca FILE]] [--json]\n"
               "  node    URL [--model M] [--allow-simulated] [--json]\n");
}

}  // namespace

int verify_command(int argc, char** argv) {
  if (argc < 2) {
    usage();
    return kUsageError;
  }
  const std::string sub = argv[1];
  if (sub == "quote") return verify_quote_main(argc - 1, argv + 1);
  if (sub == "report") return verify_report_main(argc - 1, argv + 1);
  if (sub == "node") return verify_node_main(argc - 1, argv + 1);
  if (sub == "gpu") {
#ifdef VEIL_HAVE_VERIFY_GPU
    return verify_gpu_main(argc - 1, argv + 1);
#else
    std::fprintf(stderr, "veil verify gpu: the GPU verifier is not built yet\n");
    return kUsageError;
#endif
  }
  if (sub == "--help" || sub == "-h") {
    usage();
    return 0;
  }
  std::fprintf(stderr, "veil verify: unknown subcommand '%s'\n", sub.c_str());
  usage();
  return kUsageError;
}

}  // namespace veil::cli
