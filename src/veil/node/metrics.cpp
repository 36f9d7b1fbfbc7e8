#include "veil/node/metrics.h"

#include <fmt/format.h>

namespace veil::node {

void Metrics::record_request(const std::string& endpoint, int status, double seconds) {
  std::lock_guard lock(mutex_);
  auto& s = series_[endpoint];
  s.by_status[status]++;
  size_t i = 0;
  while (i < kBuckets.size() && seconds > kBuckets[i]) ++i;
  s.buckets[i]++;
  s.sum += seconds;
  s.count++;
}

void Metrics::record_tokens(uint64_t prompt, uint64_t completion) {
  prompt_tokens_ += prompt;
  completion_tokens_ += completion;
}

void Metrics::record_stream_disconnect() { stream_disconnects_++; }

std::string Metrics::render() const {
  std::string out;
  out += "# HELP veil_requests_total Requests by endpoint and HTTP status.\n# TYPE veil_requests_total counter\n";
  std::lock_guard lock(mutex_);
  for (const auto& [ep, s] : series_)
    for (const auto& [status, n] : s.by_status)
      out += fmt::format("veil_requests_total{{endpoint=\"{}\",status=\"{}\"}} {}\n", ep, status, n);
  out += "# HELP veil_request_duration_seconds Time to the last byte.\n# TYPE veil_request_duration_seconds histogram\n";
  for (const auto& [ep, s] : series_) {
    uint64_t cumulative = 0;
    for (size_t i = 0; i < kBuckets.size(); ++i) {
      cumulative += s.buckets[i];
      out += fmt::format("veil_request_duration_seconds_bucket{{endpoint=\"{}\",le=\"{}\"}} {}\n", ep, kBuckets[i], cumulative);
    }
    cumulative += s.buckets[kBuckets.size()];
    out += fmt::format("veil_request_duration_seconds_bucket{{endpoint=\"{}\",le=\"+Inf\"}} {}\n", ep, cumulative);
    out += fmt::format("veil_request_duration_seconds_sum{{endpoint=\"{}\"}} {}\n", ep, s.sum);
    out += fmt::format("veil_request_duration_seconds_count{{endpoint=\"{}\"}} {}\n", ep, s.count);
  }
  out += "# HELP veil_tokens_total Tokens processed.\n# TYPE veil_tokens_total counter\n";
  out += fmt::format("veil_tokens_total{{kind=\"prompt\"}} {}\n", prompt_tokens_.load());
  out += fmt::format("veil_tokens_total{{kind=\"completion\"}} {}\n", completion_tokens_.load());
  out += "# HELP veil_stream_disconnects_total Streams whose client left before [DONE].\n# TYPE veil_stream_disconnects_total counter\n";
  out += fmt::format("veil_stream_disconnects_total {}\n", stream_disconnects_.load());
  out += "# HELP veil_requests_in_flight Requests being served.\n# TYPE veil_requests_in_flight gauge\n";
  out += fmt::format("veil_requests_in_flight {}\n", in_flight_.load());
  return out;
}

}  // namespace veil::node
