// Node / gateway report verification (WIRE.md §3): every link, the
// simulated TEE path (trusted only when allowed), and real dstack data.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "support/shared_data.h"
#include "veil/attest/report_data.h"
#include "veil/attest/report_verify.h"
#include "veil/attest/tee/tee_provider.h"
#include "veil/base/clock.h"
#include "veil/base/encoding.h"
#include "veil/crypto/hash.h"

namespace veil::attest {
namespace {
namespace json = boost::json;

const Check* find(const Verdict& v, const std::string& name) {
  for (const auto& c : v.checks)
    if (c.name == name) return &c;
  return nullptr;
}

std::string dump(const Verdict& v) {
  std::string s;
  for (const auto& c : v.checks)
    s += std::string(to_string(c.status)) + " " + c.name + ": " + c.detail + "\n";
  return s;
}

CheckStatus status_of(const Verdict& v, const std::string& name) {
  const Check* c = find(v, name);
  EXPECT_NE(c, nullptr) << name << "\n" << dump(v);
  return c ? c->status : CheckStatus::skip;
}

struct SimulatedNode {
  std::unique_ptr<TeeProvider> tee;
  std::array<uint8_t, 32> nonce{};
  std::array<uint8_t, 32> tls{};
  Bytes key = Bytes(32, 0x5a);  // an Ed25519 public key stands for itself as address
  Bytes model_hash = Bytes(32, 0x77);
  std::string app_compose = R"({"name":"veil-node"})";

  json::object report(bool with_tls = true) {
    auto rd = build_report_data(key, with_tls ? std::optional(tls) : std::nullopt, nonce);
    auto quote = tee->quote(rd);
    EXPECT_TRUE(quote.ok()) << (quote.ok() ? "" : quote.error().to_string());
    json::object o;
    o["model_name"] = "m";
    o["signing_address"] = hex_encode(key);
    o["signing_algo"] = "ed25519";
    o["signing_public_key"] = hex_encode(key);
    o["request_nonce"] = hex_encode(nonce);
    o["intel_quote"] = hex_encode(*quote);
    o["nvidia_payload"] = "";
    o["event_log"] = to_json(tee->event_log());
    if (with_tls) o["tls_cert_fingerprint"] = hex_encode(tls);
    json::object info;
    auto sim = tee->simulation_info_json();
    EXPECT_TRUE(sim.has_value());
    info["veil_simulation"] = json::parse(*sim);
    o["info"] = std::move(info);
    return o;
  }
};

SimulatedNode make_node() {
  SimulatedNode n;
  auto tee = make_tee_provider("simulated");
  EXPECT_TRUE(tee.ok()) << (tee.ok() ? "" : tee.error().to_string());
  n.tee = std::move(*tee);
  n.nonce.fill(0x11);
  n.tls.fill(0x22);
  EXPECT_TRUE(n.tee->extend_runtime_event("model-hash", n.model_hash).ok());
  return n;
}

ReportVerifyOptions options(const SimulatedNode& n) {
  ReportVerifyOptions o;
  o.now = unix_now();
  o.expected_nonce = n.nonce;
  o.expected_tls_spki_sha256_hex = hex_encode(n.tls);
  o.allow_simulated = true;
  return o;
}

TEST(TdxReport, SimulatedNodeVerifiesOnlyWhenAllowed) {
  auto n = make_node();
  json::object r = n.report();
  Verdict v = verify_node_report(r, options(n));
  EXPECT_TRUE(v.verified) << dump(v);
  EXPECT_TRUE(v.simulated);
  EXPECT_EQ(v.exit_code(), v.policy_violations.empty() ? 0 : 2) << dump(v);
  for (const char* c :
       {"report.simulated", "report.nonce", "report.report_data", "report.tls", "report.signing_key",
        "report.event_log", "dcap.quote_signature", "dcap.tcb_level", "report.model_hash"}) {
    EXPECT_EQ(status_of(v, c), CheckStatus::pass) << c << "\n" << dump(v);
  }
  EXPECT_NE(find(v, "report.model_hash")->detail.find(hex_encode(n.model_hash)), std::string::npos);
  EXPECT_EQ(status_of(v, "gpu"), CheckStatus::skip);

  auto strict = options(n);
  strict.allow_simulated = false;
  Verdict refused = verify_node_report(r, strict);
  EXPECT_FALSE(refused.verified);
  EXPECT_EQ(status_of(refused, "report.simulated"), CheckStatus::fail);
  EXPECT_EQ(refused.exit_code(), 1);

  // Policy: the expected model hash.
  auto pol = options(n);
  pol.policy.expected_model_hash = std::array<uint8_t, 32>{};
  Verdict other_model = verify_node_report(r, pol);
  EXPECT_TRUE(other_model.verified);
  bool flagged = false;
  for (const auto& p : other_model.policy_violations)
    flagged = flagged || p.find("model hash") != std::string::npos;
  EXPECT_TRUE(flagged);
}

TEST(TdxReport, EveryBindingLinkFails) {
  auto n = make_node();
  json::object good = n.report();
  {
    auto o = options(n);
    o.expected_nonce->fill(0x12);
    Verdict v = verify_node_report(good, o);
    EXPECT_FALSE(v.verified);
    EXPECT_EQ(status_of(v, "report.nonce"), CheckStatus::fail);
  }
  {
    auto o = options(n);
    o.expected_tls_spki_sha256_hex = std::string(64, 'a');
    Verdict v = verify_node_report(good, o);
    EXPECT_EQ(status_of(v, "report.tls"), CheckStatus::fail);
  }
  {
    json::object r = good;
    r["signing_address"] = std::string(64, 'b');  // another key than the quote binds
    r["signing_public_key"] = std::string(64, 'b');
    Verdict v = verify_node_report(r, options(n));
    EXPECT_EQ(status_of(v, "report.report_data"), CheckStatus::fail);
  }
  {
    json::object r = good;
    r["signing_public_key"] = std::string(64, 'c');
    Verdict v = verify_node_report(r, options(n));
    EXPECT_EQ(status_of(v, "report.signing_key"), CheckStatus::fail);
  }
  {
    // A runtime event whose payload was changed (digest kept): caught.
    json::object r = good;
    auto& log = r["event_log"].as_array();
    auto& last = log.back().as_object();
    last["event_payload"] = hex_encode(Bytes(32, 0x78));
    Verdict v = verify_node_report(r, options(n));
    EXPECT_EQ(status_of(v, "report.event_log"), CheckStatus::fail);
    EXPECT_NE(find(v, "report.event_log")->detail.find("model-hash"), std::string::npos);
  }
  {
    // An event dropped: replay no longer reproduces RTMR3.
    json::object r = good;
    r["event_log"].as_array().pop_back();
    Verdict v = verify_node_report(r, options(n));
    EXPECT_EQ(status_of(v, "report.event_log"), CheckStatus::fail);
  }
  {
    // Quote body tampered.
    json::object r = good;
    std::string q(r["intel_quote"].as_string());
    q[200] = q[200] == '0' ? '1' : '0';
    r["intel_quote"] = q;
    Verdict v = verify_node_report(r, options(n));
    EXPECT_FALSE(v.verified);
    EXPECT_EQ(status_of(v, "dcap.quote_signature"), CheckStatus::fail);
  }
  {
    // Without the TLS fingerprint layout while a TLS key is expected.
    json::object r = n.report(false);
    Verdict v = verify_node_report(r, options(n));
    EXPECT_EQ(status_of(v, "report.tls"), CheckStatus::fail);
    auto o = options(n);
    o.expected_tls_spki_sha256_hex.clear();
    Verdict plain = verify_node_report(r, o);
    EXPECT_EQ(status_of(plain, "report.report_data"), CheckStatus::pass) << dump(plain);
  }
  EXPECT_EQ(verify_report_json("not json", options(n)).checks.front().name, "report.format");
}

TEST(TdxReport, GatewayReport) {
  auto n = make_node();
  json::object node = n.report();
  json::object gw = node;
  gw["event_log"] = json::serialize(node["event_log"]);  // the gateway sends it as a JSON string
  auto rd = build_report_data(n.key, n.tls, n.nonce);
  gw["report_data"] = hex_encode(rd);
  json::object doc;
  doc["gateway_attestation"] = gw;
  doc["model_attestations"] = json::array{node};
  Verdict v = verify_report_json(json::serialize(doc), options(n));
  EXPECT_TRUE(v.verified) << dump(v);
  EXPECT_EQ(status_of(v, "gateway.report.report_data_field"), CheckStatus::pass);
  EXPECT_EQ(status_of(v, "model[0].report.event_log"), CheckStatus::pass);
  gw["report_data"] = std::string(128, '0');
  doc["gateway_attestation"] = gw;
  Verdict bad = verify_report_json(json::serialize(doc), options(n));
  EXPECT_FALSE(bad.verified);
}

TEST(TdxReport, RealDstackQuoteAndEventLog) {
  VEIL_REQUIRE_SHARED();
  auto sample =
      json::parse(veil::test::read_shared_text("testdata/nearai-vllm-proxy/SAMPLE_DSTACK_QUOTE.json"));
  json::object r;
  r["signing_address"] = "0x" + std::string(40, '1');
  r["signing_algo"] = "ecdsa";
  r["intel_quote"] = sample.at("quote");
  r["request_nonce"] = std::string(64, '0');
  r["event_log"] = sample.at("event_log");
  auto c = collateral_from_dcap_qvl_json(
      veil::test::read_shared_text("testdata/dcap-qvl/near-gas-test/quote_collateral.json"));
  ASSERT_TRUE(c.ok());
  ReportVerifyOptions o;
  o.now = 1758093775;
  o.collateral = &*c;
  Verdict v = verify_node_report(r, o);
  // The quote and its 29-event log are genuine; the binding is dstack's, not Veil's.
  EXPECT_EQ(status_of(v, "dcap.tcb_level"), CheckStatus::pass) << dump(v);
  EXPECT_EQ(status_of(v, "report.event_log"), CheckStatus::pass) << dump(v);
  EXPECT_NE(find(v, "report.event_log")->detail.find("29 events"), std::string::npos);
  EXPECT_EQ(status_of(v, "report.report_data"), CheckStatus::fail);
  EXPECT_FALSE(v.verified);
  EXPECT_FALSE(v.tcb_status.has_value());
  // A hardware quote is never "simulated", with or without --allow-simulated.
  o.allow_simulated = true;
  EXPECT_FALSE(verify_node_report(r, o).simulated);
}

TEST(TdxReport, DstackInfoTcbInfoReplaysAndComposeHash) {
  VEIL_REQUIRE_SHARED();
  auto info = json::parse(veil::test::read_shared_text("testdata/nearai-vllm-proxy/SAMPLE_DSTACK_INFO.json"));
  const auto& tcb = info.at("tcb_info").as_object();
  auto log = event_log_from_json(tcb.at("event_log"));
  ASSERT_TRUE(log.ok());
  auto rtmrs = replay_rtmrs(*log);
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(hex_encode(rtmrs[size_t(i)]), std::string(tcb.at("rtmr" + std::to_string(i)).as_string())) << i;
  }
  auto compose = crypto::sha256(as_bytes(std::string_view(tcb.at("app_compose").as_string())));
  EXPECT_EQ(hex_encode(compose), std::string(info.at("compose_hash").as_string()));
  // Runtime events carry dstack V1 digests.
  for (const auto& e : *log) {
    if (e.event_type == kRuntimeEventType) {
      EXPECT_EQ(runtime_event_digest(e.event, e.event_payload), e.digest) << e.event;
    }
  }
}

}  // namespace
}  // namespace veil::attest
