#include "veil/cli/verify_gpu.h"

#include <CLI/CLI.hpp>
#include <boost/json.hpp>
#include <cstdio>

#include "veil/attest/nvidia/gpu_verify.h"
#include "veil/attest/nvidia/nras.h"
#include "veil/base/clock.h"
#include "veil/base/encoding.h"
#include "veil/base/file.h"
#include "veil/base/json_stringify.h"
#include "veil/cli/jwks_fetch.h"

namespace veil::cli {

namespace {

constexpr size_t kMaxInputBytes = size_t(16) << 20;

// The payload file may hold the payload object itself, the JSON string a
// report carries (WIRE.md section 3), or a whole node report with an
// "nvidia_payload" field.
std::string unwrap_payload(const std::string& text) {
  boost::system::error_code ec;
  boost::json::value doc = boost::json::parse(text, ec);
  if (ec) return text;
  if (doc.is_string()) return std::string(doc.as_string());
  if (doc.is_object()) {
    if (auto* p = doc.as_object().if_contains("nvidia_payload"); p && p->is_string()) {
      return std::string(p->as_string());
    }
  }
  return text;
}

void print(const attest::Verdict& v, bool json_out) {
  if (json_out) {
    std::printf("%s\n", js_stringify(attest::to_json(v)).c_str());
  } else {
    std::printf("%s", attest::to_text(v).c_str());
  }
}

}  // namespace

int verify_gpu_main(int argc, char** argv) {
  CLI::App app{"veil verify gpu: verify NVIDIA GPU attestation evidence (nvidia_payload)"};
  app.name("veil verify gpu");
  std::string payload_file, nonce_hex, nras_file, jwks_file, jwks_ca_file;
  std::vector<std::string> rims;
  int64_t now = 0;
  bool json_out = false, allow_simulated = false;
  app.add_option("--payload", payload_file, "nvidia_payload JSON (object, JSON string, or a node report)")
      ->required();
  app.add_option("--nonce", nonce_hex, "expected nonce, 64 hex digits");
  app.add_option("--now", now, "verification time (Unix seconds; default: the system clock)");
  app.add_option("--rim", rims, "RIM file (SWID tag with XMLDSig); repeatable");
  app.add_option("--nras-token", nras_file, "NRAS response or JWT to verify");
  app.add_option(
      "--jwks", jwks_file,
      "JWKS for the NRAS token: a file, or an https:// URL (server certificate verified against the "
      "system CA store, SSL_CERT_FILE/SSL_CERT_DIR, or --jwks-ca)");
  app.add_option("--jwks-ca", jwks_ca_file,
                 "PEM CA bundle that alone is trusted for an https:// --jwks (instead of the system store)");
  app.add_flag("--allow-simulated", allow_simulated,
               "trust Veil's simulated GPU root (never a hardware TEE)");
  app.add_flag("--json", json_out, "print one JSON object");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 1;
  }

  attest::Verdict v;
  attest::nvidia::GpuVerifyOptions opt;
  opt.now = now > 0 ? now : unix_now();
  opt.rim_files = rims;
  opt.allow_simulated = allow_simulated;
  if (!nonce_hex.empty()) {
    auto n = hex_decode(nonce_hex, true);
    if (!n || n->size() != 32) {
      v.fail("gpu.nonce", "--nonce must be 64 hex digits (32 bytes)");
      print(v, json_out);
      return 1;
    }
    opt.expected_nonce.emplace();
    std::copy(n->begin(), n->end(), opt.expected_nonce->begin());
  }
  auto text = read_text_file(payload_file, kMaxInputBytes);
  if (!text) {
    v.fail("gpu.payload", "cannot read --payload: " + text.error().message);
    print(v, json_out);
    return 1;
  }
  v = attest::nvidia::verify_nvidia_payload(unwrap_payload(*text), opt);

  if (!nras_file.empty()) {
    attest::nvidia::NrasVerifyOptions nopt;
    nopt.now = opt.now;
    nopt.expected_nonce = opt.expected_nonce;
    if (!jwks_file.empty()) {
      const bool is_url = jwks_file.rfind("https://", 0) == 0 || jwks_file.rfind("http://", 0) == 0;
      Result<std::string> jwks = make_error("", "");
      if (is_url) {
        JwksFetchOptions fo;
        fo.ca_file = jwks_ca_file;
        jwks = fetch_jwks(jwks_file, fo);
      } else {
        jwks = read_text_file(jwks_file, kMaxInputBytes);
      }
      if (!jwks) {
        v.fail("nras.jwks", std::string(is_url ? "cannot fetch --jwks URL: " : "cannot read --jwks: ") +
                                jwks.error().message);
      } else {
        nopt.jwks_json = *jwks;
        if (is_url) v.pass("nras.jwks", "JWKS fetched over verified TLS");
      }
    }
    auto token = read_text_file(nras_file, kMaxInputBytes);
    if (!token) {
      v.fail("nras.response", "cannot read --nras-token: " + token.error().message);
    } else {
      v.merge(attest::nvidia::verify_nras_response(*token, nopt));
    }
    v.verified = !v.any_failed();
  } else if (!jwks_file.empty()) {
    v.skip("nras.response", "--jwks given without --nras-token");
  }
  print(v, json_out);
  return v.exit_code();
}

}  // namespace veil::cli
