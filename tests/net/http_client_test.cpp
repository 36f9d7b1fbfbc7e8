#include "veil/net/http_client.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <set>
#include <thread>

#include "net/net_test_util.h"
#include "veil/net/http_server.h"

namespace veil::net {
namespace {

using namespace std::chrono_literals;

std::unique_ptr<HttpServer> start_server(HttpHandler handler, HttpServerOptions opt = {}) {
  opt.port = 0;
  auto server = HttpServer::start(std::move(opt), std::move(handler));
  EXPECT_TRUE(server.ok());
  return std::move(server).value();
}

std::string url(const HttpServer& s, std::string_view target, bool tls = false) {
  return std::string(tls ? "https" : "http") + "://127.0.0.1:" + std::to_string(s.port()) +
         std::string(target);
}

// A listener that answers every connection with fixed bytes and closes.
class RawServer {
 public:
  explicit RawServer(std::string reply, bool close_after = true)
      : reply_(std::move(reply)), close_(close_after) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int one = 1;
    ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    ::listen(fd_, 16);
    socklen_t len = sizeof(addr);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] {
      for (;;) {
        int c = ::accept(fd_, nullptr, nullptr);
        if (c < 0) return;
        std::string req;
        while (req.find("\r\n\r\n") == std::string::npos && test::recv_some(c, req, 2000) && !stop_) {
        }
        test::send_all(c, reply_);
        if (close_) {
          ::shutdown(c, SHUT_WR);
          std::string rest;
          test::read_until_closed(c, rest, 2000);
        } else {
          std::string rest;
          test::read_until_closed(c, rest, 3000);
        }
        ::close(c);
      }
    });
  }
  ~RawServer() {
    stop_ = true;
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/"; }

 private:
  std::string reply_;
  bool close_;
  int fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

TEST(HttpClient, PinnedSpkiMatchAndMismatch) {
  const auto id = test::make_test_identity();
  HttpServerOptions opt;
  opt.tls = TlsServerConfig{id.cert_pem, id.key_pem};
  auto server =
      start_server([](const HttpRequest&, ResponseWriter& w) { w.send(200, "text/plain", "hi"); }, opt);

  HttpClientOptions good;
  good.pinned_spki_sha256_hex = id.spki_sha256_hex;
  for (char& c : *good.pinned_spki_sha256_hex)
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  HttpClient ok_client(good);
  auto r = ok_client.request("GET", url(*server, "/", true));
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(r->body, "hi");
  EXPECT_EQ(ok_client.last_peer_spki_sha256_hex(), id.spki_sha256_hex);

  HttpClientOptions bad;
  bad.pinned_spki_sha256_hex = std::string(64, '0');
  HttpClient bad_client(bad);
  auto e = bad_client.request("GET", url(*server, "/", true));
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error().code, "net.pin_mismatch");
  // The key that was seen is still reported (for `veil verify node`).
  EXPECT_EQ(bad_client.last_peer_spki_sha256_hex(), id.spki_sha256_hex);
  StreamCallbacks cb;
  auto s = bad_client.stream("GET", url(*server, "/", true), {}, {}, cb);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, "net.pin_mismatch");

  // Another thread has its own "last" value.
  std::optional<std::string> other = std::string("x");
  std::thread([&] { other = ok_client.last_peer_spki_sha256_hex(); }).join();
  EXPECT_FALSE(other.has_value());

  // verify_peer rejects a self-signed certificate.
  HttpClientOptions strict;
  strict.verify_peer = true;
  HttpClient strict_client(strict);
  auto v = strict_client.request("GET", url(*server, "/", true));
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.error().code, "net.tls");
}

class StreamExactBytes : public testing::TestWithParam<bool> {};

TEST_P(StreamExactBytes, CallbacksReceiveExactBytes) {
  const bool tls = GetParam();
  std::vector<std::string> pieces;
  std::string expected;
  for (int i = 0; i < 50; ++i) {
    std::string p = "data: {\"i\":" + std::to_string(i) + "}\r\n\r\n";
    if (i % 7 == 0) p += std::string("\0\xff\r\n0\r\n", 7);
    if (i == 20) p += std::string(40000, 'L');  // larger than one read
    pieces.push_back(p);
    expected += p;
  }
  HttpServerOptions opt;
  if (tls) {
    const auto id = test::make_test_identity();
    opt.tls = TlsServerConfig{id.cert_pem, id.key_pem};
  }
  auto server = start_server(
      [&](const HttpRequest&, ResponseWriter& w) {
        w.begin_stream(200, "text/event-stream", {{"x-extra", "1"}});
        for (const auto& p : pieces) EXPECT_TRUE(w.write(p));
        EXPECT_TRUE(w.end_stream());
        EXPECT_TRUE(w.completed());
      },
      opt);
  HttpClient client;
  for (int round = 0; round < 2; ++round) {
    std::string got;
    int seen_status = 0;
    std::string extra;
    StreamCallbacks cb;
    cb.on_headers = [&](int status, const Headers& h) {
      seen_status = status;
      if (auto v = find_header(h, "x-extra")) extra = *v;
      return true;
    };
    cb.on_data = [&](std::string_view d) {
      got.append(d);
      return true;
    };
    auto r = client.stream("POST", url(*server, "/v1/chat/completions", tls),
                           {{"content-type", "application/json"}}, "{}", cb);
    ASSERT_TRUE(r.ok()) << r.error().to_string();
    EXPECT_EQ(*r, 200);
    EXPECT_EQ(seen_status, 200);
    EXPECT_EQ(extra, "1");
    EXPECT_EQ(got, expected);
  }
}

INSTANTIATE_TEST_SUITE_P(PlainAndTls, StreamExactBytes, testing::Bool());

TEST(HttpClient, CallbackAbortStopsTheStream) {
  auto server = start_server([](const HttpRequest&, ResponseWriter& w) {
    w.begin_stream(200, "text/plain");
    for (int i = 0; i < 500 && w.write("chunk"); ++i) std::this_thread::sleep_for(2ms);
    w.end_stream();
  });
  HttpClient client;
  int chunks = 0;
  StreamCallbacks cb;
  cb.on_data = [&](std::string_view) { return ++chunks < 3; };
  auto r = client.stream("GET", url(*server, "/"), {}, {}, cb);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "net.aborted");
  EXPECT_EQ(chunks, 3);
  StreamCallbacks no_headers;
  no_headers.on_headers = [](int, const Headers&) { return false; };
  auto h = client.stream("GET", url(*server, "/"), {}, {}, no_headers);
  ASSERT_FALSE(h.ok());
  EXPECT_EQ(h.error().code, "net.aborted");
}

TEST(HttpClient, IdleAndTotalTimeouts) {
  auto server = start_server([](const HttpRequest& req, ResponseWriter& w) {
    if (req.path == "/slow") {
      std::this_thread::sleep_for(1500ms);
      w.send(200, "text/plain", "late");
      return;
    }
    w.begin_stream(200, "text/plain");
    for (int i = 0; i < 30 && w.write("tick"); ++i) std::this_thread::sleep_for(100ms);
    w.end_stream();
  });
  {
    HttpClientOptions opt;
    opt.idle_read_timeout = 300ms;
    HttpClient client(opt);
    const auto start = std::chrono::steady_clock::now();
    auto r = client.request("GET", url(*server, "/slow"));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, "net.timeout");
    EXPECT_LT(std::chrono::steady_clock::now() - start, 1200ms);
  }
  {
    HttpClientOptions opt;
    opt.response_timeout = 500ms;  // total, although bytes keep arriving
    HttpClient client(opt);
    const auto start = std::chrono::steady_clock::now();
    StreamCallbacks cb;
    cb.on_data = [](std::string_view) { return true; };
    auto r = client.stream("GET", url(*server, "/trickle"), {}, {}, cb);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, "net.timeout");
    EXPECT_LT(std::chrono::steady_clock::now() - start, 1500ms);
  }
}

TEST(HttpClient, ReusesConnectionsAndRecoversWhenServerClosedThem) {
  std::mutex mu;
  std::set<std::string> peers;
  HttpServerOptions opt;
  opt.idle_timeout = 1s;
  auto server = start_server(
      [&](const HttpRequest& req, ResponseWriter& w) {
        {
          std::lock_guard lock(mu);
          peers.insert(req.remote_address);
        }
        w.send(200, "text/plain", "ok");
      },
      opt);
  HttpClient client;
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(client.request("GET", url(*server, "/")).ok());
  EXPECT_EQ(peers.size(), 1u);
  std::this_thread::sleep_for(1300ms);  // the server closes the idle connection
  auto r = client.request("POST", url(*server, "/"), {}, "again");
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(peers.size(), 2u);
}

TEST(HttpClient, GarbageFromServerIsAnError) {
  const std::vector<std::string> replies = {
      "garbage\r\n\r\n",
      "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nxx",
      "HTTP/1.1 200 OK\r\nContent-Length: abc\r\n\r\n",
      "",
  };
  for (const auto& reply : replies) {
    RawServer raw(reply);
    HttpClientOptions opt;
    opt.idle_read_timeout = 2s;
    HttpClient client(opt);
    auto r = client.request("GET", raw.url());
    EXPECT_FALSE(r.ok()) << testing::PrintToString(reply);
    StreamCallbacks cb;
    cb.on_data = [](std::string_view) { return true; };
    auto s = client.stream("GET", raw.url(), {}, {}, cb);
    EXPECT_FALSE(s.ok()) << testing::PrintToString(reply);
  }
}

TEST(HttpClient, CloseDelimitedResponseBody) {
  RawServer raw("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end");
  HttpClient client;
  auto r = client.request("GET", raw.url());
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(r->body, "until the end");
  std::string streamed;
  StreamCallbacks cb;
  cb.on_data = [&](std::string_view d) {
    streamed.append(d);
    return true;
  };
  auto s = client.stream("GET", raw.url(), {}, {}, cb);
  ASSERT_TRUE(s.ok()) << s.error().to_string();
  EXPECT_EQ(streamed, "until the end");
}

TEST(HttpClient, SharedAcrossThreads) {
  std::atomic<int> served{0};
  auto server = start_server([&](const HttpRequest& req, ResponseWriter& w) {
    ++served;
    w.send(200, "text/plain", req.body);
  });
  HttpClient client;
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        const std::string body = std::to_string(t) + ":" + std::to_string(i);
        auto r = client.request("POST", url(*server, "/"), {}, body);
        if (r.ok() && r->body == body) ++ok;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 400);
  EXPECT_EQ(served.load(), 400);
}

TEST(HttpClient, TruncatedStreamIsClosedError) {
  // A handler that returns mid-stream: the server closes without the final chunk.
  auto server = start_server([](const HttpRequest&, ResponseWriter& w) {
    w.begin_stream(200, "text/event-stream");
    w.write("data: partial\n\n");
  });
  HttpClient client;
  std::string got;
  StreamCallbacks cb;
  cb.on_data = [&](std::string_view d) {
    got.append(d);
    return true;
  };
  auto r = client.stream("GET", url(*server, "/"), {}, {}, cb);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "net.closed");
  EXPECT_EQ(got, "data: partial\n\n");
}

TEST(HttpClient, ResponseSizeLimit) {
  auto server = start_server(
      [](const HttpRequest&, ResponseWriter& w) { w.send(200, "text/plain", std::string(5000, 'b')); });
  HttpClientOptions opt;
  opt.max_response_bytes = 4096;
  HttpClient client(opt);
  auto r = client.request("GET", url(*server, "/"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "net.too_large");
}

TEST(HttpClient, ConnectErrorsAndBadUrls) {
  HttpClient client;
  EXPECT_EQ(client.request("GET", "ftp://x/").error().code, "net.bad_url");
  // A port nobody listens on (bound then closed).
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  auto r = client.request("GET", "http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)) + "/");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "net.connect");
  EXPECT_EQ(client.request("GET", "http://127.0.0.1:1/", {{"Bad\r\nName", "v"}}).error().code,
            "net.bad_header");
}

TEST(HttpClient, RejectsHeaderInjection) {
  auto server = start_server([](const HttpRequest&, ResponseWriter& w) { w.send(200, "text/plain", "x"); });
  HttpClient client;
  auto r = client.request("GET", url(*server, "/"), {{"x-a", "v\r\nInjected: 1"}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "net.bad_header");
}

}  // namespace
}  // namespace veil::net
