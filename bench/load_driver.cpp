// Closed-loop load driver: C connections, each sending the same chat request
// back to back for D seconds (after a warm-up), recording every latency.
// Prints one JSON line: {"target","stream","concurrency","requests","rps","p50_us","p99_us"}.
//
// usage: bench_load_driver URL CONCURRENCY SECONDS stream|plain LABEL
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "veil/base/log.h"
#include "veil/net/http_client.h"

int main(int argc, char** argv) {
  if (argc < 6) {
    std::fprintf(stderr, "usage: %s URL CONCURRENCY SECONDS stream|plain LABEL\n", argv[0]);
    return 2;
  }
  veil::log::set_level(veil::log::Level::error);
  const std::string url = std::string(argv[1]) + "/v1/chat/completions";
  const int conc = std::stoi(argv[2]);
  const double seconds = std::stod(argv[3]);
  const bool stream = std::string(argv[4]) == "stream";
  const std::string label = argv[5];
  const std::string body = std::string("{\"model\":\"bench\",\"messages\":[{\"role\":\"user\",\"content\":\"Hello there\"}]") +
                           (stream ? ",\"stream\":true}" : "}");
  using clock = std::chrono::steady_clock;
  std::atomic<bool> measuring{false}, stop{false};
  std::atomic<long> errors{0};
  std::vector<std::vector<double>> lat(static_cast<size_t>(conc));
  std::vector<std::thread> threads;
  for (int t = 0; t < conc; ++t) {
    threads.emplace_back([&, t] {
      veil::net::HttpClient client;
      const veil::net::Headers headers = {{"content-type", "application/json"}};
      while (!stop.load()) {
        auto t0 = clock::now();
        bool ok;
        if (stream) {
          veil::net::StreamCallbacks cb;
          int status = 0;
          cb.on_headers = [&](int s, const veil::net::Headers&) { status = s; return true; };
          cb.on_data = [](std::string_view) { return true; };
          auto r = client.stream("POST", url, headers, body, cb);
          ok = r.ok() && status == 200;
        } else {
          auto r = client.request("POST", url, headers, body);
          ok = r.ok() && r->status == 200;
        }
        const double us = std::chrono::duration<double, std::micro>(clock::now() - t0).count();
        if (!ok) errors++;
        if (measuring.load() && ok) lat[static_cast<size_t>(t)].push_back(us);
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // warm-up: connections, TLS sessions
  measuring = true;
  const auto start = clock::now();
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  measuring = false;
  const double elapsed = std::chrono::duration<double>(clock::now() - start).count();
  stop = true;
  for (auto& th : threads) th.join();
  std::vector<double> all;
  for (auto& v : lat) all.insert(all.end(), v.begin(), v.end());
  std::sort(all.begin(), all.end());
  auto pct = [&](double p) { return all.empty() ? 0.0 : all[std::min(all.size() - 1, static_cast<size_t>(p * all.size()))]; };
  std::printf("{\"target\":\"%s\",\"stream\":%s,\"concurrency\":%d,\"requests\":%zu,\"errors\":%ld,\"rps\":%.0f,\"p50_us\":%.1f,\"p99_us\":%.1f}\n",
              label.c_str(), stream ? "true" : "false", conc, all.size(), errors.load(), all.size() / elapsed, pct(0.50), pct(0.99));
  return errors.load() > 0 && all.empty() ? 1 : 0;
}
