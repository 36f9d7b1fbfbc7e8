// The node with the built-in engine on a real-architecture GGUF from
// ../shared: chat (template), streaming, completions, embeddings in both
// encodings, and the model-hash measurement against an independent SHA-256.
#include <gtest/gtest.h>

#include <openssl/evp.h>

#include <boost/json.hpp>

#include <cmath>
#include <cstring>
#include <fstream>

#include "support/shared_data.h"
#include "veil/base/encoding.h"
#include "veil/base/log.h"
#include "veil/net/http_client.h"
#include "veil/node/node_service.h"

namespace veil::node {
namespace {

constexpr const char* kModelFile = "models/ref/tiny-qwen3-f16.gguf";

std::string file_sha256_independent(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr);
  std::vector<char> buf(1 << 20);
  while (f) {
    f.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    EVP_DigestUpdate(ctx, buf.data(), static_cast<size_t>(f.gcount()));
  }
  unsigned char d[32];
  unsigned int n = 0;
  EVP_DigestFinal_ex(ctx, d, &n);
  EVP_MD_CTX_free(ctx);
  return hex_encode(ByteView(d, 32));
}

class BuiltinNodeTest : public ::testing::Test {
 protected:
  // One node (and one model load) for the whole suite.
  static void SetUpTestSuite() {
    if (!test::shared_dir()) return;
    log::set_level(log::Level::warn);
    NodeOptions o;
    o.listen = "127.0.0.1:0";
    o.model_file = test::shared_path(kModelFile);
    o.served_model_name = "tiny-qwen3";
    o.plain_http = true;
    o.engine_threads = 2;
    o.engine_ctx = 512;
    o.engine_sequences = 4;
    auto s = NodeService::start(o);
    ASSERT_TRUE(s.ok()) << s.error().to_string();
    node_ = std::move(s).value().release();
    base_ = "http://127.0.0.1:" + std::to_string(node_->port());
  }
  static void TearDownTestSuite() {
    delete node_;
    node_ = nullptr;
  }
  void SetUp() override {
    VEIL_REQUIRE_SHARED();
    ASSERT_NE(node_, nullptr);
  }
  boost::json::object post(const std::string& path, const std::string& body, int want = 200) {
    auto r = client_.request("POST", base_ + path, {{"content-type", "application/json"}}, body);
    EXPECT_TRUE(r.ok());
    if (!r.ok()) return {};
    EXPECT_EQ(r->status, want) << r->body;
    return boost::json::parse(r->body).as_object();
  }
  static inline NodeService* node_ = nullptr;
  static inline std::string base_;
  net::HttpClient client_;
};

TEST_F(BuiltinNodeTest, ChatIsTemplatedGreedyAndCounted) {
  const std::string body =
      "{\"model\":\"tiny-qwen3\",\"messages\":[{\"role\":\"user\",\"content\":\"Hello\"}],\"max_tokens\":8,\"temperature\":0}";
  auto a = post("/v1/chat/completions", body);
  auto b = post("/v1/chat/completions", body);
  const auto& choice = a["choices"].as_array()[0].as_object();
  EXPECT_EQ(choice.at("message").as_object().at("role"), "assistant");
  EXPECT_EQ(choice.at("message").as_object().at("content"), b["choices"].as_array()[0].as_object().at("message").as_object().at("content"))
      << "greedy decoding must be deterministic";
  const auto& usage = a["usage"].as_object();
  EXPECT_GT(usage.at("prompt_tokens").to_number<int>(), 5);  // the template adds tokens
  EXPECT_LE(usage.at("completion_tokens").to_number<int>(), 8);
  if (usage.at("completion_tokens").to_number<int>() == 8) {
    EXPECT_EQ(choice.at("finish_reason"), "length");
  }
  EXPECT_EQ(std::string(a["id"].as_string()).rfind("chatcmpl-", 0), 0u);
}

TEST_F(BuiltinNodeTest, StreamingChatEndsWithDoneAndIsSigned) {
  const std::string body = "{\"model\":\"tiny-qwen3\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],"
                           "\"max_tokens\":6,\"temperature\":0,\"stream\":true,\"stream_options\":{\"include_usage\":true}}";
  std::string raw;
  net::StreamCallbacks cb;
  cb.on_headers = [](int s, const net::Headers&) { return s == 200; };
  cb.on_data = [&](std::string_view d) { raw.append(d); return true; };
  ASSERT_TRUE(client_.stream("POST", base_ + "/v1/chat/completions", {{"content-type", "application/json"}}, body, cb).ok());
  ASSERT_GE(raw.size(), 14u);
  EXPECT_EQ(raw.substr(raw.size() - 14), "data: [DONE]\n\n");
  EXPECT_NE(raw.find("\"usage\":{\"prompt_tokens\""), std::string::npos);
  auto first = boost::json::parse(raw.substr(6, raw.find("\n\n") - 6)).as_object();
  auto sig = client_.request("GET", base_ + "/v1/signature/" + std::string(first["id"].as_string()));
  ASSERT_TRUE(sig.ok());
  auto s = boost::json::parse(sig->body).as_object();
  ASSERT_TRUE(s.contains("text")) << sig->body;
  EXPECT_EQ(std::string(s["text"].as_string()).rfind("tiny-qwen3:", 0), 0u);
}

TEST_F(BuiltinNodeTest, CompletionsHaveNoTemplate) {
  auto r = post("/v1/completions", "{\"model\":\"tiny-qwen3\",\"prompt\":\"The sky is\",\"max_tokens\":4,\"temperature\":0}");
  const auto& usage = r["usage"].as_object();
  EXPECT_LE(usage.at("prompt_tokens").to_number<int>(), 4);  // just the text's tokens
  EXPECT_TRUE(r["choices"].as_array()[0].as_object().at("text").is_string());
}

TEST_F(BuiltinNodeTest, EmbeddingsFloatAndBase64Agree) {
  auto f = post("/v1/embeddings", "{\"model\":\"tiny-qwen3\",\"input\":[\"alpha\",\"beta\"]}");
  auto b = post("/v1/embeddings", "{\"model\":\"tiny-qwen3\",\"input\":[\"alpha\",\"beta\"],\"encoding_format\":\"base64\"}");
  ASSERT_EQ(f["data"].as_array().size(), 2u);
  const auto& vec = f["data"].as_array()[0].as_object().at("embedding").as_array();
  auto raw = base64_decode(std::string(b["data"].as_array()[0].as_object().at("embedding").as_string()));
  ASSERT_TRUE(raw.ok());
  ASSERT_EQ(raw->size(), vec.size() * 4);
  double norm = 0;
  for (size_t i = 0; i < vec.size(); ++i) {
    float x;
    std::memcpy(&x, raw->data() + 4 * i, 4);  // little-endian float32 (this machine is little-endian)
    EXPECT_NEAR(x, vec[i].to_number<double>(), 1e-6);
    norm += double(x) * x;
  }
  EXPECT_NEAR(std::sqrt(norm), 1.0, 1e-3);
}

TEST_F(BuiltinNodeTest, ModelHashEventIsTheFilesSha256) {
  auto r = client_.request("GET", base_ + "/v1/attestation/report?nonce=" + std::string(64, 'a'));
  ASSERT_TRUE(r.ok());
  auto rep = boost::json::parse(r->body).as_object();
  std::string payload;
  for (const auto& e : rep["event_log"].as_array()) {
    if (e.as_object().at("event") == "model-hash") payload = std::string(e.as_object().at("event_payload").as_string());
  }
  EXPECT_EQ(payload, file_sha256_independent(test::shared_path(kModelFile)));
}

TEST_F(BuiltinNodeTest, ClientErrorsAreFourHundreds) {
  post("/v1/chat/completions", "{\"model\":\"tiny-qwen3\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"temperature\":9}", 400);
  post("/v1/chat/completions", "{\"model\":\"tiny-qwen3\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"n\":2}", 400);
  post("/v1/chat/completions", "{\"model\":\"tiny-qwen3\",\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\"}]}]}", 400);
  post("/v1/rerank", "{\"model\":\"tiny-qwen3\",\"query\":\"q\",\"documents\":[\"a\"]}", 400);
}

}  // namespace
}  // namespace veil::node
