#include "veil/cli/model_fetch.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>

#include "veil/base/ascii.h"
#include "veil/base/encoding.h"
#include "veil/crypto/hash.h"
#include "veil/net/http_client.h"
#include "veil/net/url.h"

namespace veil::cli {

namespace fs = std::filesystem;

namespace {

constexpr int kMaxRedirects = 5;

// An ETag that is a SHA-256: optional W/ prefix and quotes around 64 hex digits.
std::string sha256_from_etag(std::string_view etag) {
  if (etag.substr(0, 2) == "W/") etag.remove_prefix(2);
  if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"') etag = etag.substr(1, etag.size() - 2);
  if (etag.size() != 64) return {};
  for (char c : etag) {
    if (!std::isxdigit(static_cast<unsigned char>(c))) return {};
  }
  return ascii_lower(std::string(etag));
}

// Resolves a Location header against the URL that returned it.
Result<std::string> resolve_location(const std::string& base, const std::string& location) {
  if (location.rfind("http://", 0) == 0 || location.rfind("https://", 0) == 0) return location;
  VEIL_ASSIGN_OR_RETURN(auto u, net::parse_url(base));
  if (location.rfind("//", 0) == 0) return u.scheme + ":" + location;
  if (!location.empty() && location[0] == '/') return u.scheme + "://" + u.host_header() + location;
  return make_error("model.download", "the hub sent an unsupported redirect");
}

std::string megabytes(uint64_t bytes) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.1f", double(bytes) / 1e6);
  return buf;
}

}  // namespace

ModelSource default_model_source() {
  ModelSource s;
  s.repo = "Qwen/Qwen3-0.6B-GGUF";
  s.revision = "23749fefcc72300e3a2ad315e1317431b06b590a";
  s.file = "Qwen3-0.6B-Q8_0.gguf";
  s.sha256_hex = "9465e63a22add5354d9bb4b99e90117043c7124007664907259bd16d043bb031";
  s.size_bytes = 639446688;
  return s;
}

ProgressCallback stderr_progress_bar() {
  struct State {
    std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
    std::chrono::steady_clock::time_point last{};
  };
  auto state = std::make_shared<State>();
  return [state](uint64_t received, uint64_t total) {
    const auto now = std::chrono::steady_clock::now();
    const bool done = total > 0 && received >= total;
    if (!done && now - state->last < std::chrono::milliseconds(100)) return;
    state->last = now;
    const double seconds = std::chrono::duration<double>(now - state->start).count();
    const double rate = seconds > 0 ? double(received) / 1e6 / seconds : 0;
    constexpr int kWidth = 30;
    std::string bar;
    if (total > 0) {
      const int filled = int(double(received) / double(total) * kWidth);
      bar = "[" + std::string(size_t(std::min(filled, kWidth)), '#') +
            std::string(size_t(kWidth - std::min(filled, kWidth)), '.') + "]";
      std::fprintf(stderr, "\r%s %3d%%  %s/%s MB  %.1f MB/s", bar.c_str(),
                   int(double(received) * 100.0 / double(total)), megabytes(received).c_str(),
                   megabytes(total).c_str(), rate);
    } else {
      std::fprintf(stderr, "\r%s MB  %.1f MB/s", megabytes(received).c_str(), rate);
    }
    if (done) std::fprintf(stderr, "\n");
    std::fflush(stderr);
  };
}

Result<std::string> default_cache_dir() {
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg) return std::string(xdg) + "/veil";
  if (const char* home = std::getenv("HOME"); home && *home) return std::string(home) + "/.cache/veil";
  return make_error("model.cache", "neither XDG_CACHE_HOME nor HOME is set");
}

std::string cached_model_path(const ModelSource& source, const std::string& cache_dir) {
  std::string repo_dir = source.repo;
  for (size_t pos; (pos = repo_dir.find('/')) != std::string::npos;) repo_dir.replace(pos, 1, "--");
  return cache_dir + "/models/" + repo_dir + "/" + source.revision + "/" + source.file;
}

Result<std::string> fetch_model(const ModelSource& source, const FetchOptions& options) {
  std::string cache_dir = options.cache_dir;
  if (cache_dir.empty()) {
    VEIL_ASSIGN_OR_RETURN(cache_dir, default_cache_dir());
  }
  const std::string path = cached_model_path(source, cache_dir);
  // A verified download leaves "<file>.sha256" beside it; both must agree with
  // what is expected now (the pin may have changed).
  const std::string stamp_path = path + ".sha256";
  std::error_code ec;
  if (fs::is_regular_file(path, ec)) {
    std::ifstream stamp(stamp_path);
    std::string stamped;
    stamp >> stamped;
    const bool size_ok = source.size_bytes == 0 || fs::file_size(path, ec) == source.size_bytes;
    if (!stamped.empty() && size_ok && (source.sha256_hex.empty() || ascii_lower(source.sha256_hex) == stamped)) {
      return path;
    }
  }
  if (!options.allow_download) {
    return make_error("model.unavailable", "the model is not in the cache (" + path + ") and downloads are off");
  }

  fs::create_directories(fs::path(path).parent_path(), ec);
  if (ec) return make_error("model.cache", "cannot create the cache folder " + fs::path(path).parent_path().string());

  net::HttpClientOptions http;
  http.verify_peer = true;
  http.connect_timeout = std::chrono::seconds(15);
  http.idle_read_timeout = std::chrono::seconds(60);
  http.response_timeout = std::chrono::hours(6);
  http.max_response_bytes = source.size_bytes > 0 ? source.size_bytes + 1 : (uint64_t(1) << 40);
  net::HttpClient client(http);

  std::string url = source.hub + "/" + source.repo + "/resolve/" + source.revision + "/" + source.file;
  std::string published_sha256;  // from X-Linked-Etag (or the final ETag)
  uint64_t published_size = 0;
  const std::string part_path = path + ".part";

  for (int hop = 0; hop <= kMaxRedirects; ++hop) {
    int status = 0;
    std::string location;
    std::unique_ptr<std::ofstream> out;
    crypto::Sha256 hasher;
    uint64_t received = 0;
    uint64_t total = 0;
    std::string failure;  // a check that failed in a callback

    net::StreamCallbacks cb;
    cb.on_headers = [&](int st, const net::Headers& headers) {
      status = st;
      if (const std::string* v = net::find_header(headers, "x-linked-etag")) {
        if (std::string sha = sha256_from_etag(*v); !sha.empty()) published_sha256 = sha;
      }
      if (const std::string* v = net::find_header(headers, "x-linked-size")) {
        published_size = std::strtoull(v->c_str(), nullptr, 10);
      }
      if (st >= 300 && st < 400) {
        if (const std::string* v = net::find_header(headers, "location")) location = *v;
        return true;  // the small redirect body is read and ignored
      }
      if (st != 200) return true;
      if (published_sha256.empty()) {
        if (const std::string* v = net::find_header(headers, "etag")) published_sha256 = sha256_from_etag(*v);
      }
      if (published_sha256.empty() && source.sha256_hex.empty()) {
        failure = "model.download:the hub did not publish a SHA-256 for the file";
        return false;
      }
      if (!published_sha256.empty() && !source.sha256_hex.empty() && published_sha256 != ascii_lower(source.sha256_hex)) {
        failure = "model.hash_mismatch:the hub publishes a different SHA-256 than the pinned one";
        return false;
      }
      total = source.size_bytes ? source.size_bytes : published_size;
      if (const std::string* v = net::find_header(headers, "content-length"); v && total == 0) {
        total = std::strtoull(v->c_str(), nullptr, 10);
      }
      out = std::make_unique<std::ofstream>(part_path, std::ios::binary | std::ios::trunc);
      if (!*out) {
        failure = "model.cache:cannot write " + part_path;
        return false;
      }
      return true;
    };
    cb.on_data = [&](std::string_view chunk) {
      if (status != 200) return true;
      received += chunk.size();
      if (source.size_bytes && received > source.size_bytes) {
        failure = "model.download:the file is larger than expected";
        return false;
      }
      hasher.update(chunk);
      out->write(chunk.data(), std::streamsize(chunk.size()));
      if (!*out) {
        failure = "model.cache:cannot write " + part_path;
        return false;
      }
      if (options.progress) options.progress(received, total);
      return true;
    };

    auto result = client.stream("GET", url, {{"User-Agent", "veil"}}, {}, cb);
    if (out) out->close();
    auto fail = [&](std::string code, std::string message) -> Error {
      fs::remove(part_path, ec);
      return make_error(std::move(code), std::move(message));
    };
    if (!failure.empty()) {
      const size_t colon = failure.find(':');
      return fail(failure.substr(0, colon), failure.substr(colon + 1));
    }
    if (!result.ok()) {
      const std::string& code = result.error().code;
      if (code == "net.resolve" || code == "net.connect" || code == "net.tls" || code == "net.timeout") {
        return fail("model.unavailable", "the model is not cached (" + path + ") and " + source.hub +
                                             " cannot be reached (" + code + ")");
      }
      return fail("model.download", "downloading the model failed (" + result.error().to_string() + ")");
    }
    if (status >= 300 && status < 400) {
      if (location.empty()) return fail("model.download", "the hub sent a redirect without a Location");
      VEIL_ASSIGN_OR_RETURN(url, resolve_location(url, location));
      continue;
    }
    if (status != 200) return fail("model.download", "the hub answered HTTP " + std::to_string(status));

    const std::string digest = hex_encode(hasher.finish());
    const std::string expected = source.sha256_hex.empty() ? published_sha256 : ascii_lower(source.sha256_hex);
    if (digest != expected) {
      return fail("model.hash_mismatch", "the downloaded file's SHA-256 differs from the published one");
    }
    if (source.size_bytes && received != source.size_bytes) {
      return fail("model.download", "the downloaded file has the wrong size");
    }
    fs::rename(part_path, path, ec);
    if (ec) return fail("model.cache", "cannot move the download into " + path);
    std::ofstream stamp(stamp_path, std::ios::trunc);
    stamp << digest << "\n";
    if (!stamp) return make_error("model.cache", "cannot write " + stamp_path);
    return path;
  }
  return make_error("model.download", "too many redirects");
}

Result<std::string> resolve_default_model(const FetchOptions& options) {
  if (const char* env = std::getenv("VEIL_MODEL"); env && *env) {
    std::error_code ec;
    if (!fs::is_regular_file(env, ec)) return make_error("model.not_found", std::string("VEIL_MODEL names no file: ") + env);
    return std::string(env);
  }
  return fetch_model(default_model_source(), options);
}

}  // namespace veil::cli
