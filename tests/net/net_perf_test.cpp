// A quick latency/throughput measurement (printed, loosely checked) at
// concurrency 1 over keep-alive connections:
//   plain:  client -> plain upstream (trivial handler)
//   tls:    client -> TLS server (trivial handler)
//   hop:    client -> TLS front whose handler forwards through HttpClient to the
//           plain upstream: the node's shape
//   nginx:  client -> nginx TLS proxy -> the same upstream (opt-in reference,
//           VEIL_NGINX_BENCH=1, needs /usr/sbin/nginx)
// The targets are measured in interleaved rounds so that the machine's load
// (shared cores) affects them alike; "added" = p50(hop) - p50(plain).
#include <gtest/gtest.h>
#include <spawn.h>
#include <sys/wait.h>

#include <algorithm>
#include <cstdio>
#include <fstream>

#include "net/net_test_util.h"
#include "veil/net/http_client.h"
#include "veil/net/http_server.h"

extern char** environ;

namespace veil::net {
namespace {

using namespace std::chrono_literals;

struct Target {
  std::string name;
  std::string url;
  std::vector<double> us;
  double seconds = 0;
};

void run_round(HttpClient& client, Target& t, const std::string& body, int count) {
  const auto begin = std::chrono::steady_clock::now();
  for (int i = 0; i < count; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    auto r = client.request("POST", t.url, {{"content-type", "application/json"}}, body);
    const auto t1 = std::chrono::steady_clock::now();
    if (!r.ok() || r->status != 200) {
      ADD_FAILURE() << t.name << ": " << (r.ok() ? std::to_string(r->status) : r.error().to_string());
      return;
    }
    t.us.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
  }
  t.seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[static_cast<size_t>(p * (v.size() - 1))];
}

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

// nginx as a TLS reverse proxy with upstream keep-alive; returns its pid (0 if it did not start).
pid_t start_nginx(const test::TestIdentity& id, uint16_t upstream_port, uint16_t port) {
  char dir_template[] = "/tmp/veil-nginx-XXXXXX";
  const std::string dir = ::mkdtemp(dir_template);
  std::ofstream(dir + "/cert.pem") << id.cert_pem;
  std::ofstream(dir + "/key.pem") << id.key_pem;
  std::ofstream(dir + "/nginx.conf")
      << "daemon off; master_process off; worker_processes 1; error_log " << dir << "/error.log; pid " << dir
      << "/nginx.pid;\nevents { worker_connections 1024; }\nhttp {\n access_log off;\n client_body_temp_path "
      << dir << "/b; proxy_temp_path " << dir << "/p; fastcgi_temp_path " << dir << "/f; uwsgi_temp_path "
      << dir << "/u; scgi_temp_path " << dir << "/s;\n upstream up { server 127.0.0.1:" << upstream_port
      << "; keepalive 16; }\n server {\n  listen 127.0.0.1:" << port << " ssl;\n  ssl_certificate " << dir
      << "/cert.pem; ssl_certificate_key " << dir << "/key.pem;\n  ssl_protocols TLSv1.2 TLSv1.3;\n"
      << "  location / { proxy_pass http://up; proxy_http_version 1.1; proxy_set_header Connection \"\"; }\n "
         "}\n}\n";
  std::string conf = dir + "/nginx.conf";
  char* argv[] = {const_cast<char*>("nginx"), const_cast<char*>("-c"), conf.data(), nullptr};
  pid_t pid = 0;
  if (::posix_spawn(&pid, "/usr/sbin/nginx", nullptr, nullptr, argv, environ) != 0) return 0;
  for (int i = 0; i < 100; ++i) {
    int fd = test::raw_connect(port);
    if (fd >= 0) {
      ::close(fd);
      return pid;
    }
    std::this_thread::sleep_for(20ms);
  }
  ::kill(pid, SIGTERM);
  ::waitpid(pid, nullptr, 0);
  return 0;
}

TEST(NetPerf, KeepAliveLatencyAndProxyHop) {
  const auto id = test::make_test_identity();
  const std::string reply = R"({"id":"x","object":"chat.completion","choices":[]})";
  HttpServerOptions up_opt;
  up_opt.port = 0;
  auto upstream = HttpServer::start(
      up_opt, [&](const HttpRequest&, ResponseWriter& w) { w.send(200, "application/json", reply); });
  ASSERT_TRUE(upstream.ok());
  const uint16_t upstream_port = (*upstream)->port();
  const std::string upstream_url =
      "http://127.0.0.1:" + std::to_string(upstream_port) + "/v1/chat/completions";

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

  std::vector<Target> targets = {
      {"plain", upstream_url, {}, 0},
      {"tls", "https://127.0.0.1:" + std::to_string((*direct_tls)->port()) + "/v1/chat/completions", {}, 0},
      {"hop", "https://127.0.0.1:" + std::to_string((*proxy)->port()) + "/v1/chat/completions", {}, 0},
  };
  pid_t nginx = 0;
  const char* flag = std::getenv("VEIL_NGINX_BENCH");
  if (flag != nullptr && std::string(flag) == "1") {
    const uint16_t port = free_port();
    nginx = start_nginx(id, upstream_port, port);
    if (nginx != 0) {
      targets.push_back(
          {"nginx", "https://127.0.0.1:" + std::to_string(port) + "/v1/chat/completions", {}, 0});
    } else {
      ADD_FAILURE() << "nginx did not start";
    }
  }

  const std::string body = R"({"model":"m","messages":[{"role":"user","content":"hi"}]})";
  HttpClient client;
  for (auto& t : targets) run_round(client, t, body, 50);  // warm-up: connections, caches
  for (auto& t : targets) t.us.clear(), t.seconds = 0;
  const auto begin = std::chrono::steady_clock::now();
  for (int round = 0; round < 20 && std::chrono::steady_clock::now() - begin < 6s; ++round) {
    for (auto& t : targets) run_round(client, t, body, 100);
  }
  if (nginx != 0) {
    ::kill(nginx, SIGTERM);
    ::waitpid(nginx, nullptr, 0);
  }
  const double plain_p50 = percentile(targets[0].us, 0.5);
  for (const auto& t : targets) {
    const double p50 = percentile(t.us, 0.5);
    std::printf("[perf] %-5s p50 %6.1f us  p90 %6.1f us  p99 %7.1f us  %6.0f req/s  n=%zu", t.name.c_str(),
                p50, percentile(t.us, 0.9), percentile(t.us, 0.99), t.us.size() / std::max(t.seconds, 1e-9),
                t.us.size());
    if (t.name == "hop" || t.name == "nginx") std::printf("  added over plain p50: %.1f us", p50 - plain_p50);
    std::printf("\n");
    EXPECT_GT(t.us.size(), 100u) << t.name;
  }
}

}  // namespace
}  // namespace veil::net
