// The default-model download against a fake Hugging Face hub on loopback:
// redirect with X-Linked-Etag, streaming into the cache, the cache hit, a
// wrong published hash, corrupted bytes, a pin mismatch and no network.
#include "veil/cli/model_fetch.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>

#include "veil/crypto/hash.h"
#include "veil/net/http_server.h"

namespace veil::cli {
namespace {

namespace fs = std::filesystem;

struct FakeHub {
  std::string content;         // the bytes the CDN serves
  std::string published_sha;   // what X-Linked-Etag says
  bool relative_redirect = true;
  std::atomic<int> requests{0};
  std::unique_ptr<net::HttpServer> server;

  void start() {
    net::HttpServerOptions o;
    o.host = "127.0.0.1";
    o.port = 0;
    auto s = net::HttpServer::start(o, [this](const net::HttpRequest& req, net::ResponseWriter& w) {
      ++requests;
      if (req.path == "/Org/Model-GGUF/resolve/0123abcd/model.gguf") {
        const std::string cdn = "/cdn/blob/" + published_sha;
        w.send(302, "text/plain", "Found",
               {{"location", relative_redirect ? cdn : "http://127.0.0.1:" + std::to_string(server->port()) + cdn},
                {"x-linked-etag", "\"" + published_sha + "\""},
                {"x-linked-size", std::to_string(content.size())}});
      } else if (req.path.rfind("/cdn/blob/", 0) == 0) {
        // Stream in pieces, as a CDN would.
        w.begin_stream(200, "application/octet-stream");
        for (size_t i = 0; i < content.size(); i += 65536) w.write(std::string_view(content).substr(i, 65536));
        w.end_stream();
      } else {
        w.send(404, "text/plain", "Not Found");
      }
    });
    ASSERT_TRUE(s.ok()) << s.error().to_string();
    server = std::move(*s);
  }

  ModelSource source() const {
    ModelSource src;
    src.hub = "http://127.0.0.1:" + std::to_string(server->port());
    src.repo = "Org/Model-GGUF";
    src.revision = "0123abcd";
    src.file = "model.gguf";
    return src;
  }
};

class ModelFetchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    cache_ = (fs::temp_directory_path() / ("veil-model-fetch-" + std::to_string(std::random_device{}()))).string();
    std::mt19937 rng(3);
    hub_.content.resize(300000);
    for (char& c : hub_.content) c = char(rng());
    hub_.published_sha = crypto::sha256_hex(std::string_view(hub_.content));
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(cache_, ec);
  }
  std::string cache_;
  FakeHub hub_;
};

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

TEST_F(ModelFetchTest, DownloadsVerifiesAndCaches) {
  hub_.start();
  ModelSource src = hub_.source();
  src.sha256_hex = hub_.published_sha;
  src.size_bytes = hub_.content.size();
  uint64_t last_received = 0, last_total = 0;
  int calls = 0;
  FetchOptions opt;
  opt.cache_dir = cache_;
  opt.progress = [&](uint64_t r, uint64_t t) {
    EXPECT_GE(r, last_received);
    last_received = r;
    last_total = t;
    ++calls;
  };
  auto path = fetch_model(src, opt);
  ASSERT_TRUE(path.ok()) << path.error().to_string();
  EXPECT_EQ(*path, cached_model_path(src, cache_));
  EXPECT_EQ(read_all(*path), hub_.content);
  EXPECT_GT(calls, 1);
  EXPECT_EQ(last_received, hub_.content.size());
  EXPECT_EQ(last_total, hub_.content.size());
  EXPECT_FALSE(fs::exists(*path + ".part"));
  EXPECT_EQ(hub_.requests.load(), 2);  // resolve -> redirect, then the blob

  // Second time: from the cache, no request, even with downloads off.
  opt.allow_download = false;
  auto again = fetch_model(src, opt);
  ASSERT_TRUE(again.ok()) << again.error().to_string();
  EXPECT_EQ(*again, *path);
  EXPECT_EQ(hub_.requests.load(), 2);
}

TEST_F(ModelFetchTest, TrustsThePublishedHashWhenNotPinned) {
  hub_.relative_redirect = false;  // an absolute CDN URL
  hub_.start();
  FetchOptions opt;
  opt.cache_dir = cache_;
  auto path = fetch_model(hub_.source(), opt);
  ASSERT_TRUE(path.ok()) << path.error().to_string();
  EXPECT_EQ(read_all(*path), hub_.content);
  EXPECT_EQ(read_all(*path + ".sha256"), hub_.published_sha + "\n");
}

TEST_F(ModelFetchTest, CorruptedBytesAreRejectedAndNotCached) {
  hub_.start();
  hub_.content[1234] ^= 1;  // the CDN serves bytes that do not match the published hash
  FetchOptions opt;
  opt.cache_dir = cache_;
  auto path = fetch_model(hub_.source(), opt);
  ASSERT_FALSE(path.ok());
  EXPECT_EQ(path.error().code, "model.hash_mismatch");
  const std::string cached = cached_model_path(hub_.source(), cache_);
  EXPECT_FALSE(fs::exists(cached));
  EXPECT_FALSE(fs::exists(cached + ".part"));
  opt.allow_download = false;
  EXPECT_EQ(fetch_model(hub_.source(), opt).error().code, "model.unavailable");
}

TEST_F(ModelFetchTest, PublishedHashDifferentFromThePinIsRejected) {
  hub_.start();
  ModelSource src = hub_.source();
  src.sha256_hex = std::string(64, 'a');  // the pin
  FetchOptions opt;
  opt.cache_dir = cache_;
  auto path = fetch_model(src, opt);
  ASSERT_FALSE(path.ok());
  EXPECT_EQ(path.error().code, "model.hash_mismatch");
  EXPECT_FALSE(fs::exists(cached_model_path(src, cache_)));
}

TEST_F(ModelFetchTest, WrongPinnedSizeIsRejected) {
  hub_.start();
  ModelSource src = hub_.source();
  src.sha256_hex = hub_.published_sha;
  src.size_bytes = hub_.content.size() - 1;
  FetchOptions opt;
  opt.cache_dir = cache_;
  auto path = fetch_model(src, opt);
  ASSERT_FALSE(path.ok());
  EXPECT_FALSE(fs::exists(cached_model_path(src, cache_)));
}

TEST_F(ModelFetchTest, MissingFileIsADownloadError) {
  hub_.start();
  ModelSource src = hub_.source();
  src.file = "other.gguf";
  FetchOptions opt;
  opt.cache_dir = cache_;
  auto path = fetch_model(src, opt);
  ASSERT_FALSE(path.ok());
  EXPECT_EQ(path.error().code, "model.download");
}

TEST_F(ModelFetchTest, OfflineAndUncachedIsUnavailable) {
  // A port with nothing listening: start a server, note its port, stop it.
  hub_.start();
  ModelSource src = hub_.source();
  hub_.server->stop(std::chrono::milliseconds(0));
  hub_.server.reset();
  FetchOptions opt;
  opt.cache_dir = cache_;
  auto path = fetch_model(src, opt);
  ASSERT_FALSE(path.ok());
  EXPECT_EQ(path.error().code, "model.unavailable");
  EXPECT_NE(path.error().message.find("cannot be reached"), std::string::npos);
}

TEST(ModelFetch, DefaultSourceAndCacheDir) {
  const ModelSource s = default_model_source();
  EXPECT_EQ(s.hub, "https://huggingface.co");
  EXPECT_EQ(s.repo, "Qwen/Qwen3-0.6B-GGUF");
  EXPECT_EQ(s.revision.size(), 40u);
  EXPECT_EQ(s.file, "Qwen3-0.6B-Q8_0.gguf");
  EXPECT_EQ(s.sha256_hex.size(), 64u);
  EXPECT_EQ(cached_model_path(s, "/c"),
            "/c/models/Qwen--Qwen3-0.6B-GGUF/23749fefcc72300e3a2ad315e1317431b06b590a/Qwen3-0.6B-Q8_0.gguf");

  const char* old_xdg = std::getenv("XDG_CACHE_HOME");
  const std::string saved = old_xdg ? old_xdg : "";
  setenv("XDG_CACHE_HOME", "/tmp/xdg-test", 1);
  EXPECT_EQ(*default_cache_dir(), "/tmp/xdg-test/veil");
  unsetenv("XDG_CACHE_HOME");
  if (const char* home = std::getenv("HOME"); home && *home) {
    EXPECT_EQ(*default_cache_dir(), std::string(home) + "/.cache/veil");
  }
  if (old_xdg) setenv("XDG_CACHE_HOME", saved.c_str(), 1);
}

TEST_F(ModelFetchTest, VeilModelOverridesTheDefault) {
  fs::create_directories(cache_);
  const std::string file = cache_ + "/mine.gguf";
  std::ofstream(file) << "GGUF";
  setenv("VEIL_MODEL", file.c_str(), 1);
  FetchOptions opt;
  opt.cache_dir = cache_;
  opt.allow_download = false;
  auto path = resolve_default_model(opt);
  ASSERT_TRUE(path.ok()) << path.error().to_string();
  EXPECT_EQ(*path, file);
  setenv("VEIL_MODEL", (cache_ + "/missing.gguf").c_str(), 1);
  EXPECT_EQ(resolve_default_model(opt).error().code, "model.not_found");
  unsetenv("VEIL_MODEL");
  // No override, not cached, downloads off: unavailable (the synthesized-model fallback).
  EXPECT_EQ(resolve_default_model(opt).error().code, "model.unavailable");
}

}  // namespace
}  // namespace veil::cli
