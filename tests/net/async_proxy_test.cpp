// The event-driven path of veil::net: an async handler on the I/O thread that
// proxies with AsyncHttpClient on the connection's strand, driven end to end
// through a real server and client over loopback.
#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <mutex>
#include <set>
#include <thread>

#include "net/net_test_util.h"
#include "veil/crypto/hash.h"
#include "veil/net/async_http_client.h"
#include "veil/net/http_client.h"
#include "veil/net/http_server.h"

namespace veil::net {
namespace {

using namespace std::chrono_literals;

std::string base_url(const HttpServer& s) { return "http://127.0.0.1:" + std::to_string(s.port()); }

// The back end: a plain blocking server with a few behaviours by path.
class Backend {
 public:
  explicit Backend(HttpServerOptions opt = {}) {
    opt.port = 0;
    auto s = HttpServer::start(opt, [this](const HttpRequest& req, ResponseWriter& w) { handle(req, w); });
    EXPECT_TRUE(s.ok());
    server = std::move(s).value();
  }
  std::unique_ptr<HttpServer> server;
  std::mutex mu;
  std::set<std::string> peers;  // distinct client connections seen
  std::atomic<int> requests{0};

 private:
  void handle(const HttpRequest& req, ResponseWriter& w) {
    ++requests;
    {
      std::lock_guard lock(mu);
      peers.insert(req.remote_address);
    }
    if (req.path == "/echo") {
      w.send(200, "text/plain", "echo:" + req.body, {{"x-back", "1"}});
    } else if (req.path == "/big-stream") {
      // 4 MiB in 16 KiB chunks, a recognisable pattern.
      w.begin_stream(200, "application/octet-stream");
      for (int i = 0; i < 256; ++i) {
        if (!w.write(std::string(16384, static_cast<char>('a' + i % 26)))) return;
      }
      w.end_stream();
    } else if (req.path == "/ticks") {
      w.begin_stream(200, "text/plain");
      for (int i = 0; i < 8; ++i) {
        if (!w.write("tick " + std::to_string(i) + "\n")) return;
        std::this_thread::sleep_for(40ms);
      }
      w.end_stream();
    } else if (req.path == "/slow") {
      std::this_thread::sleep_for(1500ms);
      w.send(200, "text/plain", "late");
    } else {
      w.send(404, "text/plain", "no");
    }
  }
};

// The front: every request under /proxy/ is taken by the async handler and
// forwarded to the back end; /blocking is declined (served by a worker).
class Front {
 public:
  Front(std::string upstream, AsyncHttpClientOptions copt = {}) : upstream_(std::move(upstream)), client(copt) {
    HttpServerOptions opt;
    opt.port = 0;
    opt.io_threads = 2;
    auto s = HttpServer::start(
        opt,
        [](const HttpRequest& req, ResponseWriter& w) { w.send(200, "text/plain", "blocking:" + req.path); },
        [this](HttpRequest& req, const std::shared_ptr<AsyncResponseWriter>& w) { return on_request(req, w); });
    EXPECT_TRUE(s.ok());
    server = std::move(s).value();
  }

  std::unique_ptr<HttpServer> server;
  std::atomic<int> pauses{0};
  std::mutex mu;
  std::string last_error;  // the code of the last failed upstream call

 private:
  struct Proxy : std::enable_shared_from_this<Proxy> {
    Front* front;
    std::shared_ptr<AsyncResponseWriter> w;
    std::shared_ptr<AsyncHttpCall> call;
    bool started = false;
    bool paused = false;
  };

  bool on_request(HttpRequest& req, const std::shared_ptr<AsyncResponseWriter>& w) {
    if (req.path == "/drop") return true;  // takes it, answers nothing: the server must send 500
    if (req.path.rfind("/proxy/", 0) != 0) return false;
    auto p = std::make_shared<Proxy>();
    p->front = this;
    p->w = w;
    AsyncHttpCallbacks cb;
    cb.on_headers = [p](int status, const Headers&) {
      p->started = true;
      return p->w->begin_stream(status, "application/octet-stream");
    };
    cb.on_data = [p](std::string_view data) {
      if (!p->w->write(data)) return false;
      if (p->w->queued_bytes() > 64 * 1024 && !p->paused) {
        p->paused = true;
        ++p->front->pauses;
        p->call->pause();
        p->w->when_drained([p](bool) {
          p->paused = false;
          if (p->call) p->call->resume();
        });
      }
      return true;
    };
    cb.on_done = [p](Status st) {
      p->call.reset();
      if (!st.ok()) {
        std::lock_guard lock(p->front->mu);
        p->front->last_error = st.error().code;
        if (!p->started) p->w->send(502, "text/plain", "upstream: " + st.error().code);
        return;  // a started stream is cut: the handle closes the connection
      }
      p->w->end_stream();
    };
    auto call = client.start(w->strand(), req.method, upstream_ + req.path.substr(6), {}, req.body, std::move(cb));
    if (!call.ok()) {
      w->send(500, "text/plain", call.error().code);
      return true;
    }
    p->call = std::move(call).value();
    return true;
  }

  std::string upstream_;

 public:
  AsyncHttpClient client;
};

TEST(AsyncProxy, ForwardsAndReusesOneUpstreamConnection) {
  Backend back;
  Front front(base_url(*back.server));
  HttpClient client;
  for (int i = 0; i < 20; ++i) {
    auto r = client.request("POST", base_url(*front.server) + "/proxy/echo", {}, "hello " + std::to_string(i));
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, "echo:hello " + std::to_string(i));
  }
  EXPECT_EQ(back.requests.load(), 20);
  std::lock_guard lock(back.mu);
  EXPECT_EQ(back.peers.size(), 1u);  // sequential requests on one kept-alive connection
}

TEST(AsyncProxy, DeclinedRequestsGoToTheBlockingHandler) {
  Backend back;
  Front front(base_url(*back.server));
  HttpClient client;
  auto r = client.request("GET", base_url(*front.server) + "/blocking");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->body, "blocking:/blocking");
  EXPECT_EQ(back.requests.load(), 0);
}

TEST(AsyncProxy, AHandleDroppedWithoutAnAnswerGets500) {
  Backend back;
  Front front(base_url(*back.server));
  HttpClient client;
  auto r = client.request("GET", base_url(*front.server) + "/drop");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 500);
  EXPECT_NE(r->body.find("internal error"), std::string::npos);
}

TEST(AsyncProxy, SlowClientPausesTheUpstreamAndGetsEveryByte) {
  Backend back;
  Front front(base_url(*back.server));
  HttpClient client;
  crypto::Sha256 got;
  size_t total = 0;
  StreamCallbacks cb;
  cb.on_data = [&](std::string_view d) {
    got.update(d);
    total += d.size();
    // A reader that stops after the first piece until the proxy has paused the upstream (the
    // socket buffers fill, then the proxy's queue passes its limit), bounded by 10 s so that a
    // proxy that never pauses fails below instead of hanging. Sleeping a fixed time per piece
    // instead was not enough on a loaded machine, where the back end itself was slower.
    for (int i = 0; i < 2000 && front.pauses.load() == 0; ++i) std::this_thread::sleep_for(5ms);
    return true;
  };
  auto r = client.stream("GET", base_url(*front.server) + "/proxy/big-stream", {}, {}, cb);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(*r, 200);
  crypto::Sha256 want;
  for (int i = 0; i < 256; ++i) want.update(std::string(16384, static_cast<char>('a' + i % 26)));
  EXPECT_EQ(total, 256u * 16384u);
  EXPECT_EQ(hex_encode(got.finish()), hex_encode(want.finish()));
  EXPECT_GT(front.pauses.load(), 0);  // backpressure engaged rather than buffering 4 MiB
}

TEST(AsyncProxy, RetriesWhenThePooledConnectionWasClosed) {
  HttpServerOptions bo;
  bo.idle_timeout = 1s;  // the back end drops idle keep-alive connections
  Backend back(bo);
  Front front(base_url(*back.server));
  HttpClient client;
  auto first = client.request("POST", base_url(*front.server) + "/proxy/echo", {}, "one");
  ASSERT_TRUE(first.ok());
  std::this_thread::sleep_for(1400ms);  // the pooled connection is closed by now
  auto second = client.request("POST", base_url(*front.server) + "/proxy/echo", {}, "two");
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->status, 200);
  EXPECT_EQ(second->body, "echo:two");
  std::lock_guard lock(back.mu);
  EXPECT_EQ(back.peers.size(), 2u);
}

TEST(AsyncProxy, IdleTimeoutAndConnectFailure) {
  Backend back;
  AsyncHttpClientOptions copt;
  copt.idle_read_timeout = 200ms;
  Front front(base_url(*back.server), copt);
  HttpClient client;
  const auto t0 = std::chrono::steady_clock::now();
  auto r = client.request("GET", base_url(*front.server) + "/proxy/slow");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 502);
  EXPECT_EQ(r->body, "upstream: net.timeout");
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 1200ms);

  Front nowhere("http://127.0.0.1:1");
  auto refused = client.request("GET", base_url(*nowhere.server) + "/proxy/echo");
  ASSERT_TRUE(refused.ok());
  EXPECT_EQ(refused->status, 502);
  EXPECT_EQ(refused->body, "upstream: net.connect");
}

TEST(AsyncProxy, GarbageFromTheUpstreamIsAnError) {
  // A listener that answers with bytes that are not HTTP.
  int lfd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(lfd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(::listen(lfd, 4), 0);
  socklen_t len = sizeof(addr);
  ::getsockname(lfd, reinterpret_cast<sockaddr*>(&addr), &len);
  std::thread garbage([lfd] {
    int c = ::accept(lfd, nullptr, nullptr);
    std::string ignored;
    test::recv_some(c, ignored, 1000);
    test::send_all(c, "SMTP ready\r\n\r\n");
    ::close(c);
  });
  Front front("http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)));
  HttpClient client;
  auto r = client.request("GET", base_url(*front.server) + "/proxy/x");
  garbage.join();
  ::close(lfd);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 502);
  EXPECT_EQ(r->body, "upstream: net.bad_response");
}

// Responses written by hand, whole or a byte at a time: the client parses
// what is buffered itself and reads only when the parser needs more.
TEST(AsyncProxy, ResponsesAreParsedHoweverTheirBytesArrive) {
  struct Case {
    const char* response;
    bool bytewise;
    int status;           // what the client of the front sees
    const char* body;     // ditto (for a cut stream: what came before the cut)
    bool upstream_error;  // the upstream call failed
  };
  const std::vector<Case> cases = {
      {"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello", false, 200, "hello", false},
      {"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello", true, 200, "hello", false},
      {"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok",
       true, 200, "ok", false},
      {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n5\r\nhello\r\n6\r\n "
       "world\r\n0\r\n\r\n",
       false, 200, "hello world", false},
      {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n5\r\nhello\r\n6\r\n "
       "world\r\n0\r\n\r\n",
       true, 200, "hello world", false},
      // The body ends where the connection does.
      {"HTTP/1.1 200 OK\r\n\r\nuntil the close", false, 200, "until the close", false},
      {"HTTP/1.1 200 OK\r\n\r\nuntil the close", true, 200, "until the close", false},
      // Cut short: an error, however the bytes came.
      {"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort", false, 200, "short", true},
      {"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort", true, 200, "short", true},
      {"HTTP/1.1 200 OK\r\nContent-Le", true, 502, "upstream: net.closed", true},
  };
  int lfd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(lfd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(::listen(lfd, 16), 0);
  socklen_t len = sizeof(addr);
  ::getsockname(lfd, reinterpret_cast<sockaddr*>(&addr), &len);
  Front front("http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)));
  for (const auto& c : cases) {
    SCOPED_TRACE(std::string(c.response) + (c.bytewise ? " (a byte at a time)" : ""));
    std::thread upstream([&] {
      int fd = ::accept(lfd, nullptr, nullptr);
      int one = 1;
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
      std::string request;
      while (request.find("\r\n\r\n") == std::string::npos && test::recv_some(fd, request, 2000)) {
      }
      const std::string_view r = c.response;
      if (c.bytewise) {
        for (char ch : r) {
          test::send_all(fd, std::string_view(&ch, 1));
          std::this_thread::sleep_for(200us);
        }
      } else {
        test::send_all(fd, r);
      }
      ::close(fd);
    });
    {
      std::lock_guard lock(front.mu);
      front.last_error.clear();
    }
    HttpClient client;
    std::string body;
    int status = 0;
    StreamCallbacks cb;
    cb.on_headers = [&](int s, const Headers&) {
      status = s;
      return true;
    };
    cb.on_data = [&](std::string_view d) {
      body.append(d);
      return true;
    };
    auto r = client.stream("GET", base_url(*front.server) + "/proxy/x", {}, "", cb);
    upstream.join();
    EXPECT_EQ(status, c.status);
    EXPECT_EQ(body, c.body);
    std::lock_guard lock(front.mu);
    EXPECT_EQ(!front.last_error.empty(), c.upstream_error) << front.last_error;
    if (!c.upstream_error) {
      EXPECT_TRUE(r.ok());
    }
  }
  ::close(lfd);
}

TEST(AsyncProxy, GracefulStopLetsAProxiedStreamFinish) {
  Backend back;
  Front front(base_url(*back.server));
  std::string streamed;
  std::promise<void> first;
  std::thread client([&] {
    HttpClient c;
    StreamCallbacks cb;
    bool signalled = false;
    cb.on_data = [&](std::string_view d) {
      streamed.append(d);
      if (!signalled) {
        signalled = true;
        first.set_value();
      }
      return true;
    };
    auto r = c.stream("GET", base_url(*front.server) + "/proxy/ticks", {}, {}, cb);
    EXPECT_TRUE(r.ok()) << r.error().to_string();
  });
  first.get_future().wait();
  front.server->stop(5s);  // in the middle of the stream
  client.join();
  EXPECT_EQ(streamed, "tick 0\ntick 1\ntick 2\ntick 3\ntick 4\ntick 5\ntick 6\ntick 7\n");
}

TEST(AsyncHttpClient, PlainHttpOnly) {
  EXPECT_TRUE(AsyncHttpClient::supports("http://127.0.0.1:8000"));
  EXPECT_TRUE(AsyncHttpClient::supports("http://localhost:8000/v1"));
  EXPECT_FALSE(AsyncHttpClient::supports("https://127.0.0.1:8000"));
  EXPECT_FALSE(AsyncHttpClient::supports("not a url"));
}

}  // namespace
}  // namespace veil::net
