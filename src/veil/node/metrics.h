// Prometheus metrics of the node (GET /metrics). Counters, a latency
// histogram and token counts — never content, never client addresses.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <mutex>
#include <map>
#include <string>

namespace veil::node {

class Metrics {
 public:
  // endpoint: a fixed route name ("chat_completions", "attestation_report", ...).
  void record_request(const std::string& endpoint, int status, double seconds);
  void record_tokens(uint64_t prompt, uint64_t completion);
  void record_stream_disconnect();
  void add_in_flight(int delta) { in_flight_.fetch_add(delta); }
  std::string render() const;

 private:
  static constexpr std::array<double, 12> kBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                      0.05,   0.1,   0.25,   1.0,   5.0,  30.0};
  struct Series {
    std::map<int, uint64_t> by_status;
    std::array<uint64_t, kBuckets.size() + 1> buckets{};
    double sum = 0;
    uint64_t count = 0;
  };
  mutable std::mutex mutex_;
  std::map<std::string, Series> series_;
  std::atomic<uint64_t> prompt_tokens_{0};
  std::atomic<uint64_t> completion_tokens_{0};
  std::atomic<uint64_t> stream_disconnects_{0};
  std::atomic<int64_t> in_flight_{0};
};

}  // namespace veil::node
