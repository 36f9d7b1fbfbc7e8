// The node end to end, in process: a fake upstream, the simulated TEE, TLS,
// and every endpoint. Formats are checked with decoders written here
// (offsets from the Intel TDX quote spec, hashes with OpenSSL, ECDSA recovery
// with libsecp256k1, Ed25519 with libsodium), not with the code under test.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/sha.h>
#include <secp256k1.h>
#include <secp256k1_recovery.h>
#include <sodium.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/json.hpp>

#include <mutex>
#include <thread>

#include "fake_upstream.h"
#include "veil/base/encoding.h"
#include "veil/base/json_stringify.h"
#include "veil/base/log.h"
#include "veil/crypto/keccak.h"
#include "veil/net/http_client.h"
#include "veil/node/node_service.h"

namespace veil::node {
namespace {

constexpr const char* kCanary = "CANARY-7f3a9c-private-text";
constexpr const char* kModel = "test-model";

std::string sha256_hex_independent(std::string_view s) {
  unsigned char d[32];
  SHA256(reinterpret_cast<const unsigned char*>(s.data()), s.size(), d);
  return hex_encode(ByteView(d, 32));
}

boost::json::object parse_obj(const std::string& s) {
  auto v = boost::json::parse(s);
  return v.as_object();
}

std::string recover_eip191_address(const std::string& text, const std::string& sig_hex) {
  std::string prefixed = "\x19" "Ethereum Signed Message:\n" + std::to_string(text.size()) + text;
  auto hash = crypto::keccak256(as_bytes(prefixed));
  auto sig = hex_decode(sig_hex, true);
  if (!sig.ok() || sig->size() != 65) return "";
  secp256k1_context* ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
  secp256k1_ecdsa_recoverable_signature rs;
  int v = (*sig)[64] >= 27 ? (*sig)[64] - 27 : (*sig)[64];
  std::string out;
  secp256k1_pubkey pub;
  if (secp256k1_ecdsa_recoverable_signature_parse_compact(ctx, &rs, sig->data(), v) &&
      secp256k1_ecdsa_recover(ctx, &pub, &rs, hash.data())) {
    unsigned char ser[65];
    size_t len = 65;
    secp256k1_ec_pubkey_serialize(ctx, ser, &len, &pub, SECP256K1_EC_UNCOMPRESSED);
    auto h = crypto::keccak256(ByteView(ser + 1, 64));
    out = "0x" + hex_encode(ByteView(h.data() + 12, 20));
  }
  secp256k1_context_destroy(ctx);
  return out;
}

class NodeServiceTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    log::set_level(log::Level::debug);
    log::set_sink([](log::Level, std::string_view line) {
      std::lock_guard lock(log_mutex_);
      log_lines_.emplace_back(line);
    });
    upstream_ = new test::FakeUpstream();
    NodeOptions o;
    o.listen = "127.0.0.1:0";
    o.tee = "simulated";
    o.gpu = "simulated";
    o.upstream_url = upstream_->url();
    o.served_model_name = kModel;
    o.max_body_bytes = 1 << 20;
    auto s = NodeService::start(o);
    ASSERT_TRUE(s.ok()) << s.error().to_string();
    node_ = std::move(s).value().release();
    base_ = "https://127.0.0.1:" + std::to_string(node_->port());
  }
  static void TearDownTestSuite() {
    delete node_;
    delete upstream_;
    // Privacy invariant: no log line, ever, carries the canary.
    std::lock_guard lock(log_mutex_);
    for (const auto& l : log_lines_) EXPECT_EQ(l.find(kCanary), std::string::npos) << "content leaked to logs: " << l;
    EXPECT_GT(log_lines_.size(), 10u);
    log::set_sink(nullptr);
  }

  net::HttpResponse post(const std::string& path, const std::string& body, net::Headers extra = {}) {
    extra.emplace_back("content-type", "application/json");
    auto r = client_.request("POST", base_ + path, extra, body);
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().to_string());
    return r.ok() ? *r : net::HttpResponse{};
  }
  net::HttpResponse get(const std::string& path) {
    auto r = client_.request("GET", base_ + path);
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().to_string());
    return r.ok() ? *r : net::HttpResponse{};
  }
  std::string chat_body(bool stream, const std::string& user = "", bool usage = false) {
    boost::json::object b{{"model", kModel},
                          {"messages", boost::json::array{boost::json::object{{"role", "user"}, {"content", std::string("hi ") + kCanary}}}}};
    if (stream) b["stream"] = true;
    if (usage) b["stream_options"] = boost::json::object{{"include_usage", true}};
    if (!user.empty()) b["user"] = user;
    return boost::json::serialize(b);
  }
  void expect_openai_error(const net::HttpResponse& r, int status, const char* code = nullptr) {
    EXPECT_EQ(r.status, status) << r.body;
    auto o = parse_obj(r.body);
    ASSERT_TRUE(o.contains("error"));
    const auto& e = o["error"].as_object();
    EXPECT_TRUE(e.contains("message") && e.contains("type") && e.contains("param") && e.contains("code"));
    if (code) {
      EXPECT_EQ(e.at("code"), code);
    }
    EXPECT_EQ(r.body.find(kCanary), std::string::npos) << "content in an error message";
  }
  boost::json::object report(const std::string& query) {
    auto r = get("/v1/attestation/report?" + query);
    EXPECT_EQ(r.status, 200) << r.body;
    return parse_obj(r.body);
  }
  void check_signatures(const std::string& chat_id, const std::string& req, const std::string& resp) {
    auto ecdsa_report = report("signing_algo=ecdsa");
    auto ed_report = report("signing_algo=ed25519");
    const std::string expected_text = std::string(kModel) + ":" + sha256_hex_independent(req) + ":" + sha256_hex_independent(resp);
    auto s1 = parse_obj(get("/v1/signature/" + chat_id + "?model=" + kModel + "&signing_algo=ecdsa").body);
    EXPECT_EQ(s1["text"], expected_text.c_str());
    EXPECT_EQ(s1["signing_algo"], "ecdsa");
    EXPECT_EQ(s1["signature_kind"], "provider_tee");
    EXPECT_EQ(s1["signing_address"], ecdsa_report["signing_address"]);
    const std::string sig = std::string(s1["signature"].as_string());
    EXPECT_EQ(sig.size(), 132u);
    EXPECT_EQ(recover_eip191_address(expected_text, sig), std::string(ecdsa_report["signing_address"].as_string()));
    auto s2 = parse_obj(get("/v1/signature/" + chat_id + "?signing_algo=ed25519").body);
    EXPECT_EQ(s2["text"], expected_text.c_str());
    auto pk = hex_decode(std::string(ed_report["signing_public_key"].as_string()));
    auto esig = hex_decode(std::string(s2["signature"].as_string()));
    ASSERT_TRUE(pk.ok() && esig.ok());
    ASSERT_EQ(esig->size(), 64u);
    EXPECT_EQ(crypto_sign_verify_detached(esig->data(), reinterpret_cast<const unsigned char*>(expected_text.data()),
                                          expected_text.size(), pk->data()),
              0);
  }

  static inline std::mutex log_mutex_;
  static inline std::vector<std::string> log_lines_;
  static inline test::FakeUpstream* upstream_ = nullptr;
  static inline NodeService* node_ = nullptr;
  static inline std::string base_;
  net::HttpClient client_;
};

TEST_F(NodeServiceTest, UpstreamGetsTheClientsExactBytesWhenNothingChanges) {
  // Odd spacing and key order: a re-serialization would change them.
  const std::string body = std::string("{ \"messages\" : [{\"role\":\"user\",\"content\":\"hi ") + kCanary +
                           "\"}],\n  \"model\":\"" + kModel + "\", \"temperature\": 0.50 }";
  auto r = post("/v1/chat/completions", body);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(upstream_->last_request_body(), body);
  // A stream is rewritten to ask for usage, so its bytes do change.
  const std::string stream_body = chat_body(true);
  auto s = post("/v1/chat/completions", stream_body);
  ASSERT_EQ(s.status, 200);
  EXPECT_NE(upstream_->last_request_body(), stream_body);
  EXPECT_NE(upstream_->last_request_body().find("include_usage"), std::string::npos);
}

TEST_F(NodeServiceTest, ChatNonStreamingIsCompactAndSignedWithBothKeys) {
  const std::string body = chat_body(false);
  auto r = post("/v1/chat/completions", body);
  ASSERT_EQ(r.status, 200) << r.body;
  // JSON.stringify form: re-serializing changes nothing.
  EXPECT_EQ(js_stringify(boost::json::parse(r.body)), r.body);
  auto o = parse_obj(r.body);
  EXPECT_EQ(o["model"], kModel);
  const std::string id(o["id"].as_string());
  EXPECT_EQ(id, "chatcmpl-up123");
  EXPECT_NE(r.body.find(kCanary), std::string::npos);  // content does reach the client
  check_signatures(id, body, r.body);
}

TEST_F(NodeServiceTest, ChatStreamingHashesEverySseByte) {
  const std::string body = chat_body(true);
  std::string raw;
  net::StreamCallbacks cb;
  int status = 0;
  cb.on_headers = [&](int s, const net::Headers&) { status = s; return true; };
  cb.on_data = [&](std::string_view d) { raw.append(d); return true; };
  auto r = client_.stream("POST", base_ + "/v1/chat/completions", {{"content-type", "application/json"}}, body, cb);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(status, 200);
  // Every event is "data: <compact JSON>\n\n"; the last is [DONE].
  ASSERT_GE(raw.size(), 14u);
  EXPECT_EQ(raw.substr(raw.size() - 14), "data: [DONE]\n\n");
  size_t pos = 0;
  int chunks = 0;
  std::string id;
  while (pos < raw.size()) {
    ASSERT_EQ(raw.compare(pos, 6, "data: "), 0);
    size_t end = raw.find("\n\n", pos);
    ASSERT_NE(end, std::string::npos);
    std::string payload = raw.substr(pos + 6, end - pos - 6);
    pos = end + 2;
    if (payload == "[DONE]") break;
    EXPECT_EQ(js_stringify(boost::json::parse(payload)), payload);
    auto chunk = parse_obj(payload);
    EXPECT_FALSE(chunk.contains("usage")) << "usage chunk sent although the client did not ask";
    if (id.empty()) id = std::string(chunk["id"].as_string());
    EXPECT_EQ(chunk["id"], id.c_str());
    ++chunks;
  }
  EXPECT_EQ(chunks, 3);
  check_signatures(id, body, raw);
  // The node asked the upstream for usage anyway.
  EXPECT_NE(upstream_->last_request_body().find("include_usage"), std::string::npos);
}

// Chunks already in JSON.stringify form pass through member by member; any
// other spelling is parsed and re-serialized. Both give the same bytes.
TEST_F(NodeServiceTest, StreamIsTheSameWhetherUpstreamChunksAreCompactOrSpaced) {
  for (bool usage : {false, true}) {
    std::string out[2];
    int i = 0;
    for (const char* mode : {"mode:compact", "mode:spaced"}) {
      net::StreamCallbacks cb;
      cb.on_headers = [](int, const net::Headers&) { return true; };
      cb.on_data = [&, i](std::string_view d) {
        out[i].append(d);
        return true;
      };
      ASSERT_TRUE(
          client_.stream("POST", base_ + "/v1/chat/completions", {}, chat_body(true, mode, usage), cb).ok());
      ++i;
    }
    EXPECT_EQ(out[0], out[1]);
    EXPECT_NE(out[0].find(R"("model":")" + std::string(kModel) + "\""), std::string::npos) << out[0];
    EXPECT_EQ(out[0].find(R"("model":"up")"), std::string::npos) << "upstream's model name leaked";
    EXPECT_EQ(out[0].find("\"usage\"") != std::string::npos, usage) << out[0];
  }
}

TEST_F(NodeServiceTest, UsageInEveryChunkIsKeptFromAClientThatDidNotAskForIt) {
  for (bool usage : {false, true}) {
    std::string raw;
    net::StreamCallbacks cb;
    cb.on_headers = [](int, const net::Headers&) { return true; };
    cb.on_data = [&](std::string_view d) {
      raw.append(d);
      return true;
    };
    ASSERT_TRUE(
        client_
            .stream("POST", base_ + "/v1/chat/completions", {}, chat_body(true, "mode:usage_each", usage), cb)
            .ok());
    EXPECT_NE(raw.find("data: [DONE]"), std::string::npos);
    EXPECT_EQ(raw.find("\"usage\"") != std::string::npos, usage) << raw;
  }
}

TEST_F(NodeServiceTest, CompactAndSpacedAnswersGiveTheSameSignedBody) {
  std::string bodies[2];
  int i = 0;
  for (const char* mode : {"mode:compact", ""}) {
    const std::string req = chat_body(false, mode);
    auto r = post("/v1/chat/completions", req);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(js_stringify(boost::json::parse(r.body)), r.body);
    EXPECT_EQ(parse_obj(r.body)["model"], kModel);
    check_signatures("chatcmpl-up123", req, r.body);
    bodies[i++] = r.body;
  }
  EXPECT_EQ(bodies[0], bodies[1]);
}

TEST_F(NodeServiceTest, StreamingUsageChunkWhenAsked) {
  std::string raw;
  net::StreamCallbacks cb;
  cb.on_headers = [](int, const net::Headers&) { return true; };
  cb.on_data = [&](std::string_view d) { raw.append(d); return true; };
  ASSERT_TRUE(client_.stream("POST", base_ + "/v1/chat/completions", {}, chat_body(true, "", true), cb).ok());
  EXPECT_NE(raw.find("\"usage\":{\"prompt_tokens\":4"), std::string::npos) << raw;
}

TEST_F(NodeServiceTest, CompletionsEmbeddingsRerankAreSigned) {
  const std::string cbody = std::string("{\"model\":\"") + kModel + "\",\"prompt\":\"once " + kCanary + "\"}";
  auto c = post("/v1/completions", cbody);
  ASSERT_EQ(c.status, 200) << c.body;
  check_signatures(std::string(parse_obj(c.body)["id"].as_string()), cbody, c.body);

  const std::string ebody = std::string("{\"model\":\"") + kModel + "\",\"input\":\"" + kCanary + "\"}";
  auto e = post("/v1/embeddings", ebody);
  ASSERT_EQ(e.status, 200) << e.body;
  // Re-serialized in JavaScript's number forms.
  EXPECT_NE(e.body.find("[0.5,-1,2.25e-7]"), std::string::npos) << e.body;
  auto eo = parse_obj(e.body);
  const std::string eid(eo["id"].as_string());
  EXPECT_EQ(eid.rfind("embd-", 0), 0u);
  EXPECT_EQ(eid.size(), 5u + 24u);
  check_signatures(eid, ebody, e.body);

  const std::string rbody = std::string("{\"model\":\"") + kModel + "\",\"query\":\"q " + kCanary + "\",\"documents\":[\"a\",\"b\"]}";
  auto rr = post("/v1/rerank", rbody);
  ASSERT_EQ(rr.status, 200) << rr.body;
  check_signatures(std::string(parse_obj(rr.body)["id"].as_string()), rbody, rr.body);
}

TEST_F(NodeServiceTest, ReportBindsNonceAddressTlsAndReplaysRtmr3) {
  const std::string nonce = "00112233445566778899AABBCCDDEEFF00112233445566778899aabbccddeeff";
  for (bool tls : {false, true}) {
    for (const char* algo : {"ecdsa", "ed25519"}) {
      auto rep = report(std::string("nonce=") + nonce + "&signing_algo=" + algo +
                        (tls ? "&include_tls_fingerprint=true" : ""));
      EXPECT_EQ(rep["request_nonce"], "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff");
      EXPECT_EQ(rep["signing_algo"], algo);
      EXPECT_EQ(rep["model_name"], kModel);
      auto quote = hex_decode(std::string(rep["intel_quote"].as_string()));
      ASSERT_TRUE(quote.ok());
      ASSERT_GE(quote->size(), 48u + 584u);
      // TDX quote v4: 48-byte header, then the TD report body; REPORTDATA at body offset 520.
      EXPECT_EQ(load_le16(quote->data()), 4);
      EXPECT_EQ(load_le32(quote->data() + 4), 0x81u);
      const uint8_t* report_data = quote->data() + 48 + 520;
      EXPECT_EQ(hex_encode(ByteView(report_data + 32, 32)), "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff");
      Bytes addr;
      if (std::string(algo) == "ecdsa") {
        addr = *hex_decode(std::string(rep["signing_address"].as_string()), true);
        ASSERT_EQ(addr.size(), 20u);
      } else {
        addr = *hex_decode(std::string(rep["signing_public_key"].as_string()));
        ASSERT_EQ(addr.size(), 32u);
      }
      if (tls) {
        const std::string fp(rep["tls_cert_fingerprint"].as_string());
        EXPECT_EQ(fp, node_->tls_fingerprint_hex());
        Bytes msg = addr;
        auto fpb = *hex_decode(fp);
        msg.insert(msg.end(), fpb.begin(), fpb.end());
        unsigned char d[32];
        SHA256(msg.data(), msg.size(), d);
        EXPECT_EQ(hex_encode(ByteView(report_data, 32)), hex_encode(ByteView(d, 32)));
      } else {
        EXPECT_FALSE(rep.contains("tls_cert_fingerprint"));
        Bytes padded = addr;
        padded.resize(32, 0);
        EXPECT_EQ(hex_encode(ByteView(report_data, 32)), hex_encode(padded));
      }
      // Replay imr-3 events independently: rtmr = SHA384(rtmr || digest).
      unsigned char rtmr[48] = {0};
      std::vector<std::string> names;
      for (const auto& ev : rep["event_log"].as_array()) {
        const auto& e = ev.as_object();
        if (e.at("imr").to_number<int>() != 3) continue;
        names.emplace_back(e.at("event").as_string());
        auto digest = *hex_decode(std::string(e.at("digest").as_string()));
        ASSERT_EQ(digest.size(), 48u);
        unsigned char buf[96];
        std::memcpy(buf, rtmr, 48);
        std::memcpy(buf + 48, digest.data(), 48);
        SHA384(buf, 96, rtmr);
      }
      EXPECT_EQ(hex_encode(ByteView(rtmr, 48)), hex_encode(ByteView(quote->data() + 48 + 328 + 3 * 48, 48)));
      EXPECT_NE(std::find(names.begin(), names.end(), "veil-version"), names.end());
      EXPECT_NE(std::find(names.begin(), names.end(), "veil-config"), names.end());
      EXPECT_NE(std::find(names.begin(), names.end(), "model-name"), names.end());
      // nvidia_payload is a JSON string whose nonce is the request nonce.
      auto gpu = parse_obj(std::string(rep["nvidia_payload"].as_string()));
      EXPECT_EQ(gpu["nonce"], "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff");
      EXPECT_TRUE(rep["info"].as_object().contains("veil_simulation"));
      ASSERT_EQ(rep["all_attestations"].as_array().size(), 1u);
    }
  }
}

TEST_F(NodeServiceTest, ReportWithoutNonceIsReusedBriefly) {
  auto a = report("signing_algo=ecdsa");
  auto b = report("signing_algo=ecdsa");
  EXPECT_EQ(a["request_nonce"], b["request_nonce"]);
}

TEST_F(NodeServiceTest, ReportRejectsBadParameters) {
  expect_openai_error(get("/v1/attestation/report?nonce=abc"), 400, "invalid_nonce");
  expect_openai_error(get("/v1/attestation/report?nonce=" + std::string(64, 'z')), 400, "invalid_nonce");
  expect_openai_error(get("/v1/attestation/report?signing_algo=rsa"), 400);
  expect_openai_error(get("/v1/attestation/report?include_tls_fingerprint=maybe"), 400);
  expect_openai_error(get("/v1/attestation/report?signing_address=0x0000000000000000000000000000000000000000"), 404);
  expect_openai_error(get("/v1/attestation/report?model=other"), 404);
}

TEST_F(NodeServiceTest, BadRequestsGetOpenAiErrors) {
  expect_openai_error(post("/v1/chat/completions", std::string("{not json ") + kCanary), 400);
  expect_openai_error(post("/v1/chat/completions", "[1,2]"), 400);
  expect_openai_error(post("/v1/chat/completions", "{\"model\":5}"), 400);
  expect_openai_error(post("/v1/chat/completions", std::string("{\"model\":\"") + kModel + "\",\"messages\":\"" + kCanary + "\"}"), 400);
  expect_openai_error(post("/v1/chat/completions", std::string("{\"model\":\"") + kModel + "\",\"messages\":[],\"x\":1}"), 400);
  expect_openai_error(post("/v1/chat/completions", "{\"model\":\"nope\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}"), 404,
                      "model_not_found");
  expect_openai_error(post("/v1/chat/completions", chat_body(false), {{"x-signing-algo", "ecdsa"}, {"x-client-pub-key", "00"}}), 400,
                      "e2ee_not_supported");
  expect_openai_error(post("/v1/chat/completions", std::string(2 << 20, 'x')), 413);
  expect_openai_error(get("/v1/nothing-here"), 404);
  expect_openai_error(get("/v1/signature/chatcmpl-unknown"), 404);
  auto r = client_.request("GET", base_ + "/v1/chat/completions");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 405);
}

TEST_F(NodeServiceTest, UpstreamFailuresNeverLeakItsText) {
  expect_openai_error(post("/v1/chat/completions", chat_body(false, "mode:500")), 502);
  expect_openai_error(post("/v1/chat/completions", chat_body(false, "mode:garbage")), 502);
  expect_openai_error(post("/v1/chat/completions", chat_body(true, "mode:garbage")), 502);
}

TEST_F(NodeServiceTest, TruncatedUpstreamStreamIsNotSigned) {
  std::string raw;
  net::StreamCallbacks cb;
  cb.on_headers = [](int, const net::Headers&) { return true; };
  cb.on_data = [&](std::string_view d) { raw.append(d); return true; };
  ASSERT_TRUE(client_.stream("POST", base_ + "/v1/chat/completions", {}, chat_body(true, "mode:truncated"), cb).ok());
  EXPECT_EQ(raw.find("data: [DONE]"), std::string::npos) << raw;
  EXPECT_NE(raw.find("\"upstream_error\""), std::string::npos) << raw;
  auto s = parse_obj(get("/v1/signature/chatcmpl-upstream1").body);
  EXPECT_EQ(s["error_code"], "STREAM_DISCONNECTED");
}

TEST_F(NodeServiceTest, ClientThatVanishesMidStreamLeavesNodeServing) {
  net::StreamCallbacks cb;
  int seen = 0;
  cb.on_headers = [](int, const net::Headers&) { return true; };
  cb.on_data = [&](std::string_view) { return ++seen < 3; };  // hang up after a few chunks
  (void)client_.stream("POST", base_ + "/v1/chat/completions", {}, chat_body(true, "mode:slow"), cb);
  // The node notices on its next write and marks the stream unsigned.
  std::optional<boost::json::object> s;
  for (int i = 0; i < 60; ++i) {
    auto r = get("/v1/signature/chatcmpl-upstream1");
    if (r.status == 200) {
      auto o = parse_obj(r.body);
      if (o.contains("error_code") && o["error_code"] == "STREAM_DISCONNECTED") {
        s = o;
        break;
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(post("/v1/chat/completions", chat_body(false)).status, 200);
}

TEST_F(NodeServiceTest, ModelsVersionMetrics) {
  auto m = parse_obj(get("/v1/models").body);
  EXPECT_EQ(m["data"].as_array()[0].as_object()["id"], kModel);
  EXPECT_EQ(parse_obj(get("/version").body).count("version"), 1u);
  EXPECT_EQ(parse_obj(get("/").body)["tee"], "simulated");
  post("/v1/chat/completions", chat_body(false));
  auto metrics = get("/metrics");
  EXPECT_EQ(metrics.status, 200);
  EXPECT_NE(metrics.body.find("veil_requests_total{endpoint=\"chat_completions\",status=\"200\"}"), std::string::npos);
  EXPECT_NE(metrics.body.find("veil_request_duration_seconds_bucket"), std::string::npos);
  EXPECT_NE(metrics.body.find("veil_tokens_total{kind=\"completion\"}"), std::string::npos);
  EXPECT_EQ(metrics.body.find(kCanary), std::string::npos);
}

TEST(NodeServiceUpstreamDown, AnswersServiceUnavailable) {
  NodeOptions o;
  o.listen = "127.0.0.1:0";
  o.upstream_url = "http://127.0.0.1:1";  // nothing listens there
  o.served_model_name = kModel;
  auto s = NodeService::start(o);
  ASSERT_TRUE(s.ok()) << s.error().to_string();
  net::HttpClient c;
  auto r = c.request("POST", "https://127.0.0.1:" + std::to_string((*s)->port()) + "/v1/chat/completions",
                     {{"content-type", "application/json"}},
                     std::string("{\"model\":\"") + kModel + "\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 503) << r->body;
}

TEST(NodeServiceOptions, RejectsInconsistentConfiguration) {
  NodeOptions none;
  EXPECT_FALSE(NodeService::start(none).ok());
  NodeOptions both;
  both.upstream_url = "http://127.0.0.1:1";
  both.model_file = "x.gguf";
  both.served_model_name = "m";
  EXPECT_FALSE(NodeService::start(both).ok());
  NodeOptions plain_tdx;
  plain_tdx.upstream_url = "http://127.0.0.1:1";
  plain_tdx.served_model_name = "m";
  plain_tdx.plain_http = true;
  plain_tdx.tee = "tdx";
  EXPECT_FALSE(NodeService::start(plain_tdx).ok());
}

// A chunked request body is hashed as the de-chunked bytes.
TEST(NodeServiceChunked, ChunkedRequestBodyIsHashedDechunked) {
  test::FakeUpstream upstream;
  NodeOptions o;
  o.listen = "127.0.0.1:0";
  o.upstream_url = upstream.url();
  o.served_model_name = kModel;
  o.plain_http = true;
  auto s = NodeService::start(o);
  ASSERT_TRUE(s.ok()) << s.error().to_string();
  const std::string body = std::string("{\"model\":\"") + kModel + "\",\"messages\":[{\"role\":\"user\",\"content\":\"chunky\"}]}";
  const size_t half = body.size() / 2;
  char h1[32], h2[32];
  std::snprintf(h1, sizeof h1, "%zx", half);
  std::snprintf(h2, sizeof h2, "%zx", body.size() - half);
  const std::string wire = "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                           "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n" +
                           std::string(h1) + "\r\n" + body.substr(0, half) + "\r\n" + h2 + "\r\n" + body.substr(half) + "\r\n0\r\n\r\n";
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons((*s)->port());
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(write(fd, wire.data(), wire.size()), static_cast<ssize_t>(wire.size()));
  std::string resp;
  char buf[4096];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0) resp.append(buf, static_cast<size_t>(n));
  close(fd);
  ASSERT_NE(resp.find("200"), std::string::npos) << resp;
  const std::string resp_body = resp.substr(resp.find("\r\n\r\n") + 4);
  auto id = std::string(boost::json::parse(resp_body).as_object()["id"].as_string());
  net::HttpClient c;
  auto sig = c.request("GET", "http://127.0.0.1:" + std::to_string((*s)->port()) + "/v1/signature/" + id);
  ASSERT_TRUE(sig.ok());
  auto o2 = boost::json::parse(sig->body).as_object();
  EXPECT_EQ(o2["text"], (std::string(kModel) + ":" + sha256_hex_independent(body) + ":" + sha256_hex_independent(resp_body)).c_str());
}

}  // namespace
}  // namespace veil::node
