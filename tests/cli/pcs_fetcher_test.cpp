// The PCS/PCCS collateral fetcher against a fake PCS on loopback serving the
// recorded raw Intel responses of ../shared/testdata/tinfoil-verifier.
#include "veil/cli/pcs_fetcher.h"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>

#include "support/shared_data.h"
#include "veil/attest/quote_check.h"
#include "veil/base/encoding.h"
#include "veil/net/http_client.h"
#include "veil/net/http_server.h"

namespace veil::cli {
namespace {

struct FakePcs {
  std::unique_ptr<net::HttpServer> server;
  std::atomic<int> requests{0};
  std::string base;
};

std::string td(const std::string& rel) {
  return veil::test::read_shared_text("testdata/tinfoil-verifier/" + rel);
}
// A header value as PCS sends it (the recorded files end with a newline).
std::string header_value(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

std::unique_ptr<FakePcs> start_fake_pcs() {
  auto pcs = std::make_unique<FakePcs>();
  const std::string tcb90 = td("tcb_info_90c06f000000.json"),
                    tcb90_chain = header_value(td("tcb_info_90c06f000000_chain.txt"));
  const std::string qe = td("qe_identity.json"), qe_chain = header_value(td("qe_identity_chain.txt"));
  const std::string crl = td("pck_crl_platform.crl"),
                    crl_chain = header_value(td("pck_crl_platform_chain.txt"));
  const std::string root_crl_hex = hex_encode(as_bytes(td("root_ca.crl")));  // PCCS answers hex
  FakePcs* p = pcs.get();
  net::HttpServerOptions o;
  o.port = 0;
  auto server = net::HttpServer::start(o, [=](const net::HttpRequest& req, net::ResponseWriter& w) {
    p->requests++;
    if (req.path == "/tdx/certification/v4/tcbinfo") {
      const std::string* f = req.query_param("fmspc");
      if (f && (*f == "90c06f000000" || *f == "90C06F000000")) {
        w.send(200, "application/json", tcb90, {{"tcb-info-issuer-chain", tcb90_chain}});
        return;
      }
    } else if (req.path == "/tdx/certification/v4/qe/identity") {
      w.send(200, "application/json", qe, {{"sgx-enclave-identity-issuer-chain", qe_chain}});
      return;
    } else if (req.path == "/sgx/certification/v4/pckcrl") {
      const std::string* ca = req.query_param("ca");
      if (ca && *ca == "platform") {
        w.send(200, "application/pkix-crl", crl, {{"sgx-pck-crl-issuer-chain", crl_chain}});
        return;
      }
    } else if (req.path == "/sgx/certification/v4/rootcacrl") {
      w.send(200, "text/plain", root_crl_hex);
      return;
    }
    w.send(404, "text/plain", "not found");
  });
  EXPECT_TRUE(server.ok()) << (server.ok() ? "" : server.error().to_string());
  if (!server.ok()) return nullptr;
  pcs->server = std::move(*server);
  pcs->base = "http://127.0.0.1:" + std::to_string(pcs->server->port());
  return pcs;
}

constexpr std::array<uint8_t, 6> kFmspc = {0x90, 0xc0, 0x6f, 0x00, 0x00, 0x00};
constexpr int64_t kNow = 1770174696;  // 2026-02-04, inside the recorded window

TEST(PcsFetcher, FetchesCachesUntilNextUpdateAndVerifies) {
  VEIL_REQUIRE_SHARED();
  auto pcs = start_fake_pcs();
  ASSERT_TRUE(pcs);
  net::HttpClient http;
  int64_t clock = kNow;
  PcsFetcherOptions o;
  o.base_url = pcs->base + "/tdx/certification/v4";  // the suffix is accepted
  o.clock = [&] { return clock; };
  auto fetcher = make_pcs_fetcher(http, o);
  auto c = fetcher->get(kFmspc, attest::PckCaType::platform, true);
  ASSERT_TRUE(c.ok()) << c.error().to_string();
  EXPECT_EQ(pcs->requests.load(), 4);
  EXPECT_EQ(c->tcb_info.substr(0, 12), R"({"id":"TDX",)");

  // Cached until the earliest nextUpdate.
  ASSERT_TRUE(fetcher->get(kFmspc, attest::PckCaType::platform, true).ok());
  EXPECT_EQ(pcs->requests.load(), 4);
  clock = kNow + 400 * 24 * 3600;
  ASSERT_TRUE(fetcher->get(kFmspc, attest::PckCaType::platform, true).ok());
  EXPECT_EQ(pcs->requests.load(), 8);

  // The fetched collateral verifies a real quote of that platform.
  attest::QuoteCheckOptions qo;
  qo.now = kNow;
  qo.source = fetcher.get();
  clock = kNow;
  auto check = attest::check_quote(veil::test::read_shared("testdata/go-tdx-guest/quote_v5_sample.dat"), qo);
  EXPECT_TRUE(check.verdict.verified) << (check.verdict.error ? *check.verdict.error : "");
  ASSERT_TRUE(check.verdict.tcb_status.has_value());
  EXPECT_EQ(*check.verdict.tcb_status, "UpToDate");
}

TEST(PcsFetcher, DiskCacheAndErrors) {
  VEIL_REQUIRE_SHARED();
  auto pcs = start_fake_pcs();
  ASSERT_TRUE(pcs);
  net::HttpClient http;
  const auto dir = std::filesystem::temp_directory_path() / ("veil-pcs-cache-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  PcsFetcherOptions o;
  o.base_url = pcs->base;
  o.cache_dir = dir.string();
  o.clock = [] { return kNow; };
  ASSERT_TRUE(make_pcs_fetcher(http, o)->get(kFmspc, attest::PckCaType::platform, true).ok());
  const int after_first = pcs->requests.load();
  // A new fetcher (new process) reads the bundle from disk.
  auto again = make_pcs_fetcher(http, o)->get(kFmspc, attest::PckCaType::platform, true);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(pcs->requests.load(), after_first);

  std::array<uint8_t, 6> unknown = {0, 0, 0, 0, 0, 1};
  auto missing = make_pcs_fetcher(http, o)->get(unknown, attest::PckCaType::platform, true);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, "pcs.http");
  auto processor = make_pcs_fetcher(http, o)->get(kFmspc, attest::PckCaType::processor, true);
  EXPECT_FALSE(processor.ok());
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace veil::cli
