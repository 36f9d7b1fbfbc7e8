// A quick latency/throughput measurement (printed, loosely checked): a trivial
// handler over TLS keep-alive, and the added cost of a proxy hop (TLS front
// forwarding through HttpClient to a plain loopback upstream), which is the
// node's shape.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>

#include "net/net_test_util.h"
#include "veil/net/http_client.h"
#include "veil/net/http_server.h"

namespace veil::net {
namespace {

using namespace std::chrono_literals;

struct Stats {
  double p50_us = 0;
  double p99_us = 0;
  double rps = 0;
  int n = 0;
};

Stats measure(HttpClient& client, const std::string& url, const std::string& body) {
  std::vector<double> us;
  const auto begin = std::chrono::steady_clock::now();
  for (int i = 0; i < 3000 && std::chrono::steady_clock::now() - begin < 3s; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    auto r = client.request("POST", url, {{"content-type", "application/json"}}, body);
    const auto t1 = std::chrono::steady_clock::now();
    if (!r.ok() || r->status != 200) {
      ADD_FAILURE() << (r.ok() ? std::to_string(r->status) : r.error().to_string());
      break;
    }
    if (i >= 50) us.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());  // skip warm-up
  }
  const double total = std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
  Stats s;
  s.n = static_cast<int>(us.size());
  if (us.empty()) return s;
  std::sort(us.begin(), us.end());
  s.p50_us = us[us.size() / 2];
  s.p99_us = us[us.size() * 99 / 100];
  s.rps = (us.size() + 50) / total;
  return s;
}

TEST(NetPerf, KeepAliveLatencyAndProxyHop) {
  const auto id = test::make_test_identity();
  const std::string reply = R"({"id":"x","object":"chat.completion","choices":[]})";
  HttpServerOptions up_opt;
  up_opt.port = 0;
  auto upstream = HttpServer::start(
      up_opt, [&](const HttpRequest&, ResponseWriter& w) { w.send(200, "application/json", reply); });
  ASSERT_TRUE(upstream.ok());
  const std::string upstream_url =
      "http://127.0.0.1:" + std::to_string((*upstream)->port()) + "/v1/chat/completions";

  HttpServerOptions tls_opt;
  tls_opt.port = 0;
  tls_opt.tls = TlsServerConfig{id.cert_pem, id.key_pem};
  auto direct_tls = HttpServer::start(
      tls_opt, [&](const HttpRequest&, ResponseWriter& w) { w.send(200, "application/json", reply); });
  ASSERT_TRUE(direct_tls.ok());

  HttpClient forwarder;
  auto proxy = HttpServer::start(tls_opt, [&](const HttpRequest& req, ResponseWriter& w) {
    auto r = forwarder.request("POST", upstream_url, {{"content-type", "application/json"}}, req.body);
    if (!r.ok()) {
      w.send(502, "application/json", "{}");
      return;
    }
    w.send(r->status, "application/json", std::move(r->body));
  });
  ASSERT_TRUE(proxy.ok());

  const std::string body = R"({"model":"m","messages":[{"role":"user","content":"hi"}]})";
  HttpClient client;
  const auto plain = measure(client, upstream_url, body);
  const auto tls = measure(client, "https://127.0.0.1:" + std::to_string((*direct_tls)->port()) + "/", body);
  const auto hop = measure(client, "https://127.0.0.1:" + std::to_string((*proxy)->port()) + "/", body);
  std::printf("[perf] plain keep-alive trivial handler: p50 %.1f us, p99 %.1f us, %.0f req/s (n=%d)\n",
              plain.p50_us, plain.p99_us, plain.rps, plain.n);
  std::printf("[perf] TLS keep-alive trivial handler:   p50 %.1f us, p99 %.1f us, %.0f req/s (n=%d)\n",
              tls.p50_us, tls.p99_us, tls.rps, tls.n);
  std::printf("[perf] TLS front -> plain upstream hop:  p50 %.1f us, p99 %.1f us, %.0f req/s (n=%d)\n",
              hop.p50_us, hop.p99_us, hop.rps, hop.n);
  std::printf(
      "[perf] hop added over a direct plain upstream call: p50 %.1f us (over a direct TLS call: %.1f us)\n",
      hop.p50_us - plain.p50_us, hop.p50_us - tls.p50_us);
  EXPECT_GT(plain.n, 100);
  EXPECT_GT(tls.n, 100);
  EXPECT_GT(hop.n, 100);
}

}  // namespace
}  // namespace veil::net

// Same measurement with nginx as the TLS proxy (the reference the node's hop
// is held to). Opt-in: VEIL_NGINX_BENCH=1 (needs /usr/sbin/nginx).
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <fstream>

extern char** environ;

namespace veil::net {
namespace {

uint16_t free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

TEST(NetPerf, NginxProxyReference) {
  const char* flag = std::getenv("VEIL_NGINX_BENCH");
  if (flag == nullptr || std::string(flag) != "1") GTEST_SKIP() << "set VEIL_NGINX_BENCH=1";
  const auto id = test::make_test_identity();
  const std::string reply = R"({"id":"x","object":"chat.completion","choices":[]})";
  HttpServerOptions up_opt;
  up_opt.port = 0;
  auto upstream = HttpServer::start(
      up_opt, [&](const HttpRequest&, ResponseWriter& w) { w.send(200, "application/json", reply); });
  ASSERT_TRUE(upstream.ok());
  char dir_template[] = "/tmp/veil-nginx-XXXXXX";
  const std::string dir = ::mkdtemp(dir_template);
  std::ofstream(dir + "/cert.pem") << id.cert_pem;
  std::ofstream(dir + "/key.pem") << id.key_pem;
  const uint16_t port = free_port();
  std::ofstream(dir + "/nginx.conf")
      << "daemon off; master_process off; worker_processes 1; error_log " << dir << "/error.log; pid " << dir
      << "/nginx.pid;\nevents { worker_connections 1024; }\nhttp {\n access_log off;\n client_body_temp_path "
      << dir << "/b; proxy_temp_path " << dir << "/p; fastcgi_temp_path " << dir << "/f; uwsgi_temp_path "
      << dir << "/u; scgi_temp_path " << dir << "/s;\n upstream up { server 127.0.0.1:" << (*upstream)->port()
      << "; keepalive 16; }\n server {\n  listen 127.0.0.1:" << port << " ssl;\n  ssl_certificate " << dir
      << "/cert.pem; ssl_certificate_key " << dir << "/key.pem;\n  ssl_protocols TLSv1.2 TLSv1.3;\n"
      << "  location / { proxy_pass http://up; proxy_http_version 1.1; proxy_set_header Connection \"\"; }\n "
         "}\n}\n";
  std::string conf = dir + "/nginx.conf";
  char* argv[] = {const_cast<char*>("nginx"), const_cast<char*>("-c"), conf.data(), nullptr};
  pid_t pid = 0;
  ASSERT_EQ(::posix_spawn(&pid, "/usr/sbin/nginx", nullptr, nullptr, argv, environ), 0);
  for (int i = 0; i < 100; ++i) {
    int fd = test::raw_connect(port);
    if (fd >= 0) {
      ::close(fd);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  const std::string body = R"({"model":"m","messages":[{"role":"user","content":"hi"}]})";
  HttpClient client;
  const auto plain = measure(
      client, "http://127.0.0.1:" + std::to_string((*upstream)->port()) + "/v1/chat/completions", body);
  const auto hop =
      measure(client, "https://127.0.0.1:" + std::to_string(port) + "/v1/chat/completions", body);
  ::kill(pid, SIGTERM);
  ::waitpid(pid, nullptr, 0);
  std::printf(
      "[perf] nginx TLS proxy -> plain upstream: p50 %.1f us, p99 %.1f us (n=%d); adds %.1f us p50 over "
      "direct %.1f us\n",
      hop.p50_us, hop.p99_us, hop.n, hop.p50_us - plain.p50_us, plain.p50_us);
  EXPECT_GT(hop.n, 100);
}

}  // namespace
}  // namespace veil::net
