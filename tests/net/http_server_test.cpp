#include "veil/net/http_server.h"

#include <gtest/gtest.h>
#include <sys/resource.h>

#include <atomic>
#include <future>
#include <mutex>
#include <set>
#include <thread>

#include "net/net_test_util.h"
#include "veil/net/http_client.h"

namespace veil::net {
namespace {

using namespace std::chrono_literals;
using test::raw_connect;
using test::read_response;
using test::read_until_closed;
using test::send_all;

std::unique_ptr<HttpServer> start_server(HttpHandler handler, HttpServerOptions opt = {}) {
  opt.port = 0;
  auto server = HttpServer::start(std::move(opt), std::move(handler));
  EXPECT_TRUE(server.ok()) << (server.ok() ? "" : server.error().to_string());
  return std::move(server).value();
}

std::string url(const HttpServer& s, std::string_view target, bool tls = false) {
  return std::string(tls ? "https" : "http") + "://127.0.0.1:" + std::to_string(s.port()) +
         std::string(target);
}

// Echoes what it saw as "method|path|k=v,...|body".
void echo_handler(const HttpRequest& req, ResponseWriter& w) {
  std::string out = req.method + "|" + req.path + "|";
  for (const auto& [k, v] : req.query) out += k + "=" + v + ",";
  out += "|" + req.body;
  w.send(200, "text/plain", out, {{"x-request-id", std::to_string(req.id)}});
}

TEST(HttpServer, ServesRequestsWithDecodedTargetAndExactBody) {
  auto server = start_server(echo_handler);
  HttpClient client;
  const std::string body("bin\0ary\r\n\xff", 10);
  auto r =
      client.request("POST", url(*server, "/v1/a%20b?nonce=ab&x=%41+1"), {{"Content-Type", "x/y"}}, body);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "POST|/v1/a b|nonce=ab,x=A 1,|" + body);
  ASSERT_NE(r->header("content-type"), nullptr);
  EXPECT_EQ(*r->header("content-type"), "text/plain");
  EXPECT_NE(r->header("x-request-id"), nullptr);
  EXPECT_EQ(*r->header("server"), "veil");
}

TEST(HttpServer, RequestFieldsSeenByHandler) {
  std::promise<HttpRequest> seen;
  auto server = start_server([&](const HttpRequest& req, ResponseWriter& w) {
    seen.set_value(req);
    w.send(204, "", "");
  });
  int fd = raw_connect(server->port());
  ASSERT_GE(fd, 0);
  ASSERT_TRUE(send_all(fd, "GET /p?q=1 HTTP/1.1\r\nHost: x\r\nX-Mixed-Case: Value \r\n\r\n"));
  std::string buf;
  auto resp = read_response(fd, buf);
  EXPECT_EQ(resp.status, 204);
  HttpRequest req = seen.get_future().get();
  EXPECT_EQ(req.method, "GET");
  EXPECT_EQ(req.target, "/p?q=1");
  ASSERT_NE(req.header("x-mixed-case"), nullptr);
  EXPECT_EQ(*req.header("x-mixed-case"), "Value");
  EXPECT_EQ(req.remote_address.rfind("127.0.0.1:", 0), 0u);
  EXPECT_GT(req.id, 0u);
  ::close(fd);
}

TEST(HttpServer, KeepAliveReusesOneConnection) {
  std::mutex mu;
  std::set<std::string> peers;
  auto server = start_server([&](const HttpRequest& req, ResponseWriter& w) {
    {
      std::lock_guard lock(mu);
      peers.insert(req.remote_address);
    }
    w.send(200, "text/plain", "ok");
  });
  HttpClient client;
  for (int i = 0; i < 20; ++i) {
    auto r = client.request("GET", url(*server, "/"));
    ASSERT_TRUE(r.ok()) << r.error().to_string();
  }
  EXPECT_EQ(peers.size(), 1u);
}

TEST(HttpServer, PipelinedRequestsAnsweredInOrder) {
  auto server = start_server([](const HttpRequest& req, ResponseWriter& w) {
    if (req.path == "/1") std::this_thread::sleep_for(50ms);  // the first is the slowest
    w.send(200, "text/plain", req.path + ":" + req.body);
  });
  int fd = raw_connect(server->port());
  ASSERT_GE(fd, 0);
  ASSERT_TRUE(
      send_all(fd,
               "GET /1 HTTP/1.1\r\nHost: x\r\n\r\n"
               "POST /2 HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"
               "POST /3 HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nde\r\n0\r\n\r\n"));
  std::string buf;
  EXPECT_EQ(read_response(fd, buf).body, "/1:");
  EXPECT_EQ(read_response(fd, buf).body, "/2:abc");
  EXPECT_EQ(read_response(fd, buf).body, "/3:de");
  ::close(fd);
}

TEST(HttpServer, HalfClosedPipelineIsAnsweredThenClosed) {
  auto server = start_server([](const HttpRequest& req, ResponseWriter& w) {
    std::this_thread::sleep_for(20ms);
    w.send(200, "text/plain", req.path);
  });
  int fd = raw_connect(server->port());
  ASSERT_TRUE(send_all(
      fd, "GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\nGET /c HTTP/1.1\r\n"));
  ::shutdown(fd, SHUT_WR);  // the third request is incomplete and can never complete
  std::string all;
  EXPECT_TRUE(read_until_closed(fd, all, 3000));
  std::string buf = all;
  EXPECT_EQ(read_response(fd, buf).body, "/a");
  EXPECT_EQ(read_response(fd, buf).body, "/b");
  EXPECT_TRUE(buf.empty());
  ::close(fd);
}

TEST(HttpServer, ChunkedRequestBodyIsDechunkedExactly) {
  auto server = start_server(echo_handler);
  int fd = raw_connect(server->port());
  ASSERT_GE(fd, 0);
  const std::string payload("he\r\n0\r\n\0llo-world", 17);
  std::string req = "POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
  req += "5;ext=1\r\n" + payload.substr(0, 5) + "\r\n";
  req += "c\r\n" + payload.substr(5) + "\r\n";
  req += "0\r\nTrailer-Field: t\r\n\r\n";
  // Byte by byte: every split point of the framing.
  for (char c : req) ASSERT_TRUE(send_all(fd, std::string_view(&c, 1)));
  std::string buf;
  auto resp = read_response(fd, buf);
  EXPECT_EQ(resp.status, 200);
  EXPECT_EQ(resp.body, "POST|/c||" + payload);
  ::close(fd);
}

TEST(HttpServer, OversizedHeaderGets431) {
  HttpServerOptions opt;
  opt.max_header_bytes = 1024;
  auto server = start_server(echo_handler, opt);
  int fd = raw_connect(server->port());
  ASSERT_GE(fd, 0);
  send_all(fd, "GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(4000, 'a') + "\r\n\r\n");
  std::string buf;
  auto resp = read_response(fd, buf);
  EXPECT_EQ(resp.status, 431);
  EXPECT_NE(resp.body.find("\"type\":\"invalid_request_error\""), std::string::npos);
  std::string rest;
  EXPECT_TRUE(read_until_closed(fd, rest, 3000));
  ::close(fd);
}

TEST(HttpServer, OversizedBodyGets413) {
  HttpServerOptions opt;
  opt.max_body_bytes = 1000;
  std::atomic<int> calls{0};
  auto server = start_server(
      [&](const HttpRequest& r, ResponseWriter& w) {
        ++calls;
        echo_handler(r, w);
      },
      opt);
  {  // declared length
    int fd = raw_connect(server->port());
    send_all(fd, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1001\r\n\r\n");
    std::string buf;
    auto resp = read_response(fd, buf);
    EXPECT_EQ(resp.status, 413);
    EXPECT_EQ(
        resp.body,
        R"({"error":{"message":"request body too large","type":"invalid_request_error","param":null,"code":null}})");
    ::close(fd);
  }
  {  // chunked, discovered while reading
    int fd = raw_connect(server->port());
    std::string req = "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
    for (int i = 0; i < 5; ++i) req += "100\r\n" + std::string(256, 'z') + "\r\n";
    send_all(fd, req);
    std::string buf;
    EXPECT_EQ(read_response(fd, buf).status, 413);
    ::close(fd);
  }
  {  // exactly at the limit is fine
    HttpClient client;
    auto r = client.request("POST", url(*server, "/"), {}, std::string(1000, 'q'));
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->status, 200);
  }
  EXPECT_EQ(calls.load(), 1);
}

TEST(HttpServer, SlowlorisHeaderTimesOut) {
  HttpServerOptions opt;
  opt.header_timeout = 1s;
  auto server = start_server(echo_handler, opt);
  int fd = raw_connect(server->port());
  ASSERT_GE(fd, 0);
  const auto start = std::chrono::steady_clock::now();
  const std::string head = "GET / HTTP/1.1\r\nHost: x\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
  bool closed = false;
  for (char c : head) {
    if (!send_all(fd, std::string_view(&c, 1))) {
      closed = true;
      break;
    }
    std::string got;
    if (!test::recv_some(fd, got, 100)) {
      closed = true;
      break;
    }
  }
  if (!closed) {
    std::string rest;
    closed = read_until_closed(fd, rest, 3000);
  }
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_TRUE(closed);
  EXPECT_LT(elapsed, 2500ms);
  EXPECT_GE(elapsed, 900ms);
  ::close(fd);
}

TEST(HttpServer, IdleKeepAliveConnectionIsClosed) {
  HttpServerOptions opt;
  opt.idle_timeout = 1s;
  auto server = start_server(echo_handler, opt);
  int fd = raw_connect(server->port());
  send_all(fd, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  std::string buf;
  EXPECT_EQ(read_response(fd, buf).status, 200);
  std::string rest;
  EXPECT_TRUE(read_until_closed(fd, rest, 3000));
  ::close(fd);
}

TEST(HttpServer, ClientDisconnectMidStreamFailsWrite) {
  std::promise<std::chrono::steady_clock::duration> failed_after;
  std::promise<void> first_chunk_sent;
  auto server = start_server([&](const HttpRequest&, ResponseWriter& w) {
    ASSERT_TRUE(w.begin_stream(200, "text/event-stream"));
    ASSERT_TRUE(w.write("data: first\n\n"));
    first_chunk_sent.set_value();
    std::this_thread::sleep_for(100ms);  // the client goes away now
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < 2000; ++i) {
      if (!w.write("data: more\n\n")) break;
      std::this_thread::sleep_for(1ms);
    }
    failed_after.set_value(std::chrono::steady_clock::now() - start);
    EXPECT_FALSE(w.client_connected());
    EXPECT_FALSE(w.end_stream());
    EXPECT_FALSE(w.completed());
  });
  int fd = raw_connect(server->port());
  send_all(fd, "GET /stream HTTP/1.1\r\nHost: x\r\n\r\n");
  first_chunk_sent.get_future().wait();
  std::string got;
  test::recv_some(fd, got, 1000);
  EXPECT_NE(got.find("text/event-stream"), std::string::npos);
  EXPECT_NE(got.find("Cache-Control: no-cache"), std::string::npos);
  EXPECT_NE(got.find("data: first"), std::string::npos);
  ::close(fd);
  auto fut = failed_after.get_future();
  ASSERT_EQ(fut.wait_for(5s), std::future_status::ready);
  EXPECT_LT(fut.get(), 500ms);
}

TEST(HttpServer, StalledClientHitsWriteTimeout) {
  HttpServerOptions opt;
  opt.write_timeout = 1s;
  std::promise<std::chrono::steady_clock::duration> failed_after;
  auto server = start_server(
      [&](const HttpRequest&, ResponseWriter& w) {
        w.begin_stream(200, "application/octet-stream");
        const std::string block(256 * 1024, 'x');
        const auto start = std::chrono::steady_clock::now();
        // The client never reads: socket buffers fill, then a write stalls.
        for (int i = 0; i < 400; ++i) {
          if (!w.write(block)) break;
        }
        failed_after.set_value(std::chrono::steady_clock::now() - start);
      },
      opt);
  int fd = raw_connect(server->port());
  send_all(fd, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  auto fut = failed_after.get_future();
  ASSERT_EQ(fut.wait_for(10s), std::future_status::ready);
  EXPECT_LT(fut.get(), 5s);
  ::close(fd);
}

TEST(HttpServer, SlowBodyTimesOut) {
  HttpServerOptions opt;
  opt.body_timeout = 1s;
  auto server = start_server(echo_handler, opt);
  int fd = raw_connect(server->port());
  const auto start = std::chrono::steady_clock::now();
  send_all(fd, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nab");
  std::string rest;
  EXPECT_TRUE(read_until_closed(fd, rest, 4000));
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2500ms);
  ::close(fd);
}

TEST(HttpServer, HeadAndNoContentHaveNoBody) {
  auto server = start_server([](const HttpRequest& req, ResponseWriter& w) {
    if (req.path == "/empty") {
      w.send(204, "", "ignored");
    } else {
      w.send(200, "text/plain", "twelve bytes");
    }
  });
  int fd = raw_connect(server->port());
  send_all(fd,
           "HEAD / HTTP/1.1\r\nHost: x\r\n\r\nGET /empty HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: "
           "x\r\n\r\n");
  std::string buf;
  // HEAD: Content-Length of the would-be body, no body bytes follow.
  size_t end;
  while ((end = buf.find("\r\n\r\n")) == std::string::npos && test::recv_some(fd, buf, 1000)) {
  }
  ASSERT_NE(end, std::string::npos);
  EXPECT_NE(buf.find("Content-Length: 12\r\n"), std::string::npos);
  buf.erase(0, end + 4);
  auto no_content = read_response(fd, buf);
  EXPECT_EQ(no_content.status, 204);
  EXPECT_EQ(no_content.head.find("Content-Length"), std::string::npos);
  auto last = read_response(fd, buf);
  EXPECT_EQ(last.status, 200);
  EXPECT_EQ(last.body, "twelve bytes");
  ::close(fd);
}

// end_stream(last) puts the last body bytes and the end in one write, framed
// like write(): the raw chunked bytes on the wire, and no body for HEAD.
TEST(HttpServer, EndStreamWithLastBytesFramesThemAsOneChunk) {
  auto server = start_server([](const HttpRequest&, ResponseWriter& w) {
    w.begin_stream(200, "text/plain");
    w.write("first ");
    w.end_stream("and last");
  });
  int fd = raw_connect(server->port());
  send_all(fd, "GET / HTTP/1.1\r\nHost: x\r\n\r\nHEAD / HTTP/1.1\r\nHost: x\r\n\r\n");
  std::string buf;
  while (buf.find("0\r\n\r\n") == std::string::npos && test::recv_some(fd, buf, 1000)) {
  }
  const size_t body = buf.find("\r\n\r\n");
  ASSERT_NE(body, std::string::npos);
  EXPECT_EQ(buf.substr(body + 4, 29), "6\r\nfirst \r\n8\r\nand last\r\n0\r\n\r\n");
  buf.erase(0, body + 4 + 29);
  while (buf.find("\r\n\r\n") == std::string::npos && test::recv_some(fd, buf, 1000)) {
  }
  std::string more;
  test::recv_some(fd, more, 200);
  EXPECT_EQ(buf.rfind("HTTP/1.1 200", 0), 0u) << buf;
  EXPECT_EQ((buf + more).size(), buf.find("\r\n\r\n") + 4) << "a body after HEAD: " << buf + more;
  ::close(fd);
}

TEST(HttpServer, ThousandConcurrentConnectionsAndLimit) {
  constexpr int kConnections = 1000;
  // Both ends live in this process: about 2 descriptors per connection.
  rlimit lim{};
  ::getrlimit(RLIMIT_NOFILE, &lim);
  if (lim.rlim_cur < 4096 && lim.rlim_max > lim.rlim_cur) {
    lim.rlim_cur = std::min<rlim_t>(lim.rlim_max, 4096);
    ::setrlimit(RLIMIT_NOFILE, &lim);
  }
  if (lim.rlim_cur < 2 * kConnections + 64) GTEST_SKIP() << "descriptor limit too low: " << lim.rlim_cur;
  HttpServerOptions opt;
  opt.max_connections = kConnections;
  auto server = start_server(
      [](const HttpRequest& req, ResponseWriter& w) { w.send(200, "text/plain", req.path); }, opt);
  std::vector<int> fds;
  fds.reserve(kConnections);
  for (int i = 0; i < kConnections; ++i) {
    int fd = raw_connect(server->port());
    ASSERT_GE(fd, 0) << i;
    fds.push_back(fd);
  }
  for (int i = 0; i < 200 && server->active_connections() < kConnections; ++i)
    std::this_thread::sleep_for(10ms);
  EXPECT_EQ(server->active_connections(), static_cast<size_t>(kConnections));
  // One past the limit is closed without an answer.
  int extra = raw_connect(server->port());
  ASSERT_GE(extra, 0);
  send_all(extra, "GET /extra HTTP/1.1\r\nHost: x\r\n\r\n");
  std::string extra_got;
  EXPECT_TRUE(read_until_closed(extra, extra_got, 3000));
  EXPECT_EQ(extra_got.find("/extra"), std::string::npos);
  ::close(extra);
  for (int i = 0; i < kConnections; ++i) {
    ASSERT_TRUE(send_all(fds[i], "GET /" + std::to_string(i) + " HTTP/1.1\r\nHost: x\r\n\r\n"));
  }
  int ok = 0;
  for (int i = 0; i < kConnections; ++i) {
    std::string buf;
    auto resp = read_response(fds[i], buf);
    if (resp.status == 200 && resp.body == "/" + std::to_string(i)) ++ok;
  }
  EXPECT_EQ(ok, kConnections);
  for (int fd : fds) ::close(fd);
  for (int i = 0; i < 300 && server->active_connections() > 0; ++i) std::this_thread::sleep_for(10ms);
  EXPECT_EQ(server->active_connections(), 0u);
}

TEST(HttpServer, PerAddressLimit) {
  HttpServerOptions opt;
  opt.max_connections_per_address = 2;
  auto server = start_server(echo_handler, opt);
  int a = raw_connect(server->port());
  int b = raw_connect(server->port());
  for (int i = 0; i < 200 && server->active_connections() < 2; ++i) std::this_thread::sleep_for(5ms);
  int c = raw_connect(server->port());
  std::string got;
  EXPECT_TRUE(read_until_closed(c, got, 3000));
  EXPECT_TRUE(got.empty());
  ::close(a);
  ::close(b);
  ::close(c);
}

TEST(HttpServer, GracefulStopLetsStreamFinish) {
  std::promise<void> streaming;
  std::atomic<bool> end_ok{false};
  auto server = start_server([&](const HttpRequest& req, ResponseWriter& w) {
    if (req.path == "/x") {
      w.send(200, "text/plain", "quick");
      return;
    }
    w.begin_stream(200, "text/event-stream");
    for (int i = 0; i < 8; ++i) {
      w.write("data: " + std::to_string(i) + "\n\n");
      if (i == 0) streaming.set_value();
      std::this_thread::sleep_for(40ms);
    }
    end_ok = w.end_stream();
  });
  const uint16_t port = server->port();
  // An idle keep-alive connection is closed by stop().
  int idle = raw_connect(port);
  send_all(idle, "GET /x HTTP/1.1\r\nHost: x\r\n\r\n");
  std::string idle_buf;
  auto idle_resp = read_response(idle, idle_buf);
  EXPECT_EQ(idle_resp.status, 200);

  std::string streamed;
  std::thread client([&] {
    HttpClient c;
    StreamCallbacks cb;
    cb.on_data = [&](std::string_view d) {
      streamed.append(d);
      return true;
    };
    auto r = c.stream("GET", url(*server, "/s"), {}, {}, cb);
    EXPECT_TRUE(r.ok()) << r.error().to_string();
  });
  streaming.get_future().wait();
  const auto start = std::chrono::steady_clock::now();
  server->stop(5s);
  const auto took = std::chrono::steady_clock::now() - start;
  client.join();
  EXPECT_TRUE(end_ok.load());
  EXPECT_EQ(streamed,
            "data: 0\n\ndata: 1\n\ndata: 2\n\ndata: 3\n\ndata: 4\n\ndata: 5\n\ndata: 6\n\ndata: 7\n\n");
  EXPECT_LT(took, 4s);
  std::string rest;
  EXPECT_TRUE(read_until_closed(idle, rest, 1000));
  ::close(idle);
  EXPECT_LT(raw_connect(port), 0);  // no longer listening
}

TEST(HttpServer, StopWithoutDrainFailsWriters) {
  std::promise<void> streaming;
  std::atomic<bool> write_failed{false};
  auto server = start_server([&](const HttpRequest&, ResponseWriter& w) {
    w.begin_stream(200, "text/plain");
    streaming.set_value();
    for (int i = 0; i < 1000; ++i) {
      if (!w.write("x")) {
        write_failed = true;
        return;
      }
      std::this_thread::sleep_for(5ms);
    }
  });
  int fd = raw_connect(server->port());
  send_all(fd, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  streaming.get_future().wait();
  const auto start = std::chrono::steady_clock::now();
  server->stop(0ms);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
  EXPECT_TRUE(write_failed.load());
  ::close(fd);
}

TEST(HttpServer, GarbageGets400AndServerSurvives) {
  auto server = start_server(echo_handler);
  const std::vector<std::string> garbage = {
      std::string("\x00\x01\x02\xff\r\n\r\n", 8),
      "GET\r\n\r\n",
      "GET / HTTP/9.9\r\n\r\n",
      "GET / HTTP/1.1\r\nBad Header\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
      "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
      "GET /%zz HTTP/1.1\r\nHost: x\r\n\r\n",
      "GET /?a=%4 HTTP/1.1\r\nHost: x\r\n\r\n",
  };
  for (const auto& g : garbage) {
    int fd = raw_connect(server->port());
    ASSERT_GE(fd, 0);
    send_all(fd, g);
    std::string buf;
    auto resp = read_response(fd, buf);
    EXPECT_EQ(resp.status, 400) << testing::PrintToString(g);
    EXPECT_NE(resp.body.find("\"error\""), std::string::npos);
    std::string rest;
    EXPECT_TRUE(read_until_closed(fd, rest, 3000));
    ::close(fd);
  }
  HttpClient client;
  auto r = client.request("GET", url(*server, "/still-alive"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 200);
}

TEST(HttpServer, UnsupportedTransferEncodingGets501) {
  auto server = start_server(echo_handler);
  for (const char* te : {"gzip", "gzip, chunked", "chunked, gzip"}) {
    int fd = raw_connect(server->port());
    send_all(fd, std::string("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: ") + te + "\r\n\r\n");
    std::string buf;
    EXPECT_EQ(read_response(fd, buf).status, 501) << te;
    ::close(fd);
  }
}

TEST(HttpServer, HandlerWithoutResponseOrThrowingGets500) {
  auto server = start_server([](const HttpRequest& req, ResponseWriter&) {
    if (req.path == "/throw") throw std::runtime_error("secret prompt text");
  });
  HttpClient client;
  for (const char* path : {"/silent", "/throw"}) {
    auto r = client.request("GET", url(*server, path));
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->status, 500);
    EXPECT_EQ(r->body,
              R"({"error":{"message":"internal error","type":"server_error","param":null,"code":null}})");
  }
}

TEST(HttpServer, ExpectContinue) {
  auto server = start_server(echo_handler);
  int fd = raw_connect(server->port());
  send_all(fd, "POST /e HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n");
  std::string buf;
  ASSERT_TRUE(test::recv_some(fd, buf, 2000));
  EXPECT_EQ(buf, "HTTP/1.1 100 Continue\r\n\r\n");
  buf.clear();
  send_all(fd, "body");
  auto resp = read_response(fd, buf);
  EXPECT_EQ(resp.status, 200);
  EXPECT_EQ(resp.body, "POST|/e||body");
  ::close(fd);
}

TEST(HttpServer, Http10ClosesAfterResponse) {
  auto server = start_server(echo_handler);
  int fd = raw_connect(server->port());
  send_all(fd, "GET /old HTTP/1.0\r\n\r\n");
  std::string all;
  EXPECT_TRUE(read_until_closed(fd, all, 3000));
  EXPECT_NE(all.find("Connection: close"), std::string::npos);
  EXPECT_NE(all.find("GET|/old||"), std::string::npos);
  ::close(fd);
}

TEST(HttpServer, HandlerRunsOffTheIoThreadAndMayBlock) {
  // Two slow handlers on one I/O thread overlap: neither blocks the other.
  auto server = start_server([](const HttpRequest&, ResponseWriter& w) {
    std::this_thread::sleep_for(300ms);
    w.send(200, "text/plain", "done");
  });
  const auto start = std::chrono::steady_clock::now();
  std::thread a([&] {
    HttpClient c;
    EXPECT_TRUE(c.request("GET", url(*server, "/a")).ok());
  });
  std::thread b([&] {
    HttpClient c;
    EXPECT_TRUE(c.request("GET", url(*server, "/b")).ok());
  });
  a.join();
  b.join();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 550ms);
}

TEST(HttpServer, SeveralIoThreadsUnderConcurrentLoad) {
  const auto id = test::make_test_identity();
  HttpServerOptions opt;
  opt.io_threads = 3;
  opt.tls = TlsServerConfig{id.cert_pem, id.key_pem};
  auto server = start_server(
      [](const HttpRequest& req, ResponseWriter& w) {
        if (req.path == "/stream") {
          w.begin_stream(200, "text/event-stream");
          for (int i = 0; i < 5; ++i) w.write("data: " + std::to_string(i) + "\n\n");
          w.end_stream();
        } else {
          w.send(200, "text/plain", req.body);
        }
      },
      opt);
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 6; ++t) {
    threads.emplace_back([&, t] {
      HttpClient client;  // one pool per thread, so several connections
      for (int i = 0; i < 30; ++i) {
        if (i % 3 == 0) {
          std::string got;
          StreamCallbacks cb;
          cb.on_data = [&](std::string_view d) {
            got.append(d);
            return true;
          };
          auto r = client.stream("GET", url(*server, "/stream", true), {}, {}, cb);
          if (r.ok() && got == "data: 0\n\ndata: 1\n\ndata: 2\n\ndata: 3\n\ndata: 4\n\n") ++ok;
        } else {
          const std::string body = std::to_string(t * 100 + i);
          auto r = client.request("POST", url(*server, "/", true), {}, body);
          if (r.ok() && r->body == body) ++ok;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 180);
}

// After one accepted connection the acceptor (on the first I/O thread's
// context) waits with a socket made for the second context; stop() cancels
// that accept, and its handler, socket and all, may still be queued when the
// contexts are destroyed. Destroying the second context first was undefined
// behaviour (seen by UBSan in CI under load). The race is narrow: two
// spinning threads stand in for the load, and the rounds make it likely.
TEST(HttpServer, StopsCleanlyWithAnAcceptPendingForAnotherIoThread) {
  std::atomic<bool> done{false};
  std::vector<std::thread> load;
  for (int i = 0; i < 2; ++i) {
    load.emplace_back([&done] {
      while (!done.load(std::memory_order_relaxed)) {
      }
    });
  }
  for (int round = 0; round < 300; ++round) {
    HttpServerOptions opt;
    opt.io_threads = 2;
    auto server = start_server(echo_handler, opt);
    HttpClient client;
    auto r = client.request("GET", url(*server, "/"));
    if (!r.ok()) {
      ADD_FAILURE() << r.error().to_string();
      break;
    }
    server.reset();
  }
  done = true;
  for (auto& t : load) t.join();
}

TEST(HttpServer, TlsServesAndNegotiatesModernTls) {
  const auto id = test::make_test_identity();
  HttpServerOptions opt;
  opt.tls = TlsServerConfig{id.cert_pem, id.key_pem};
  auto server = start_server(echo_handler, opt);
  HttpClientOptions copt;
  copt.pinned_spki_sha256_hex = id.spki_sha256_hex;
  HttpClient client(copt);
  for (int i = 0; i < 3; ++i) {
    auto r = client.request("POST", url(*server, "/tls", true), {}, "secret");
    ASSERT_TRUE(r.ok()) << r.error().to_string();
    EXPECT_EQ(r->body, "POST|/tls||secret");
  }
  EXPECT_EQ(client.last_peer_spki_sha256_hex(), id.spki_sha256_hex);
  // Plain HTTP bytes on the TLS port are not an HTTP request.
  HttpClient plain;
  EXPECT_FALSE(plain.request("GET", url(*server, "/")).ok());
}

TEST(HttpServer, PortInUseIsAnError) {
  auto first = start_server(echo_handler);
  HttpServerOptions opt;
  opt.port = first->port();
  auto second = HttpServer::start(opt, echo_handler);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().code, "net.bind");
}

TEST(HttpServer, BadTlsConfigIsAnError) {
  HttpServerOptions opt;
  opt.port = 0;
  opt.tls = TlsServerConfig{"not a cert", "not a key"};
  auto r = HttpServer::start(opt, echo_handler);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "net.tls_config");
}

}  // namespace
}  // namespace veil::net
