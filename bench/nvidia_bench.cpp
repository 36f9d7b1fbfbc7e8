// Time to verify one nvidia_payload with 8 GPU entries (the nvtrust H100
// sample repeated 8 times), everything in memory. Prints the median and the
// per-GPU cost. Usage: bench_nvidia [iterations]  (VEIL_SHARED overrides the
// shared data folder).
#include <algorithm>
#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <string>
#include <vector>

#include "veil/attest/nvidia/gpu_verify.h"
#include "veil/base/encoding.h"
#include "veil/base/file.h"

namespace {

std::string shared_path(const std::string& rel) {
  const char* env = std::getenv("VEIL_SHARED");
  return std::string(env && *env ? env : VEIL_SHARED_DEFAULT) + "/" + rel;
}

}  // namespace

int main(int argc, char** argv) {
  int iterations = argc > 1 ? std::max(1, std::atoi(argv[1])) : 50;
  const std::string dir = "testdata/nvtrust/local_gpu_verifier_samples/";
  auto report_hex = veil::read_text_file(shared_path(dir + "hopperAttestationReport.txt"));
  auto chain = veil::read_text_file(shared_path(dir + "hopperCertChain.txt"));
  if (!report_hex || !chain) {
    std::fprintf(stderr, "bench_nvidia: shared test data not found (set VEIL_SHARED)\n");
    return 1;
  }
  std::string hex = *report_hex;
  while (!hex.empty() && (hex.back() == '\n' || hex.back() == '\r')) hex.pop_back();
  auto report = veil::hex_decode(hex);
  if (!report) return 1;
  boost::json::array list;
  for (int i = 0; i < 8; ++i) {
    list.push_back(boost::json::object{{"certificate", veil::base64_encode(veil::as_bytes(*chain))},
                                       {"evidence", veil::base64_encode(*report)},
                                       {"arch", "HOPPER"}});
  }
  const std::string nonce = "931d8dd0add203ac3d8b4fbde75e115278eefcdceac5b87671a748f32364dfcb";
  std::string payload = boost::json::serialize(
      boost::json::object{{"nonce", nonce}, {"evidence_list", list}, {"arch", "HOPPER"}});
  veil::attest::nvidia::GpuVerifyOptions opt;
  opt.now = 1759276800;
  opt.expected_nonce.emplace();
  auto n = veil::hex_decode(nonce);
  std::copy(n->begin(), n->end(), opt.expected_nonce->begin());

  // Warm-up (pinned roots parsed, OpenSSL tables built).
  if (!veil::attest::nvidia::verify_nvidia_payload(payload, opt).verified) {
    std::fprintf(stderr, "bench_nvidia: the 8-GPU payload does not verify\n");
    return 1;
  }
  std::vector<double> ms;
  // CPU time too: on a shared machine wall time mostly measures the queue.
  std::clock_t cpu0 = std::clock();
  for (int i = 0; i < iterations; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    auto v = veil::attest::nvidia::verify_nvidia_payload(payload, opt);
    auto t1 = std::chrono::steady_clock::now();
    if (!v.verified) return 1;
    ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
  }
  double cpu_ms = 1000.0 * double(std::clock() - cpu0) / CLOCKS_PER_SEC / iterations;
  std::sort(ms.begin(), ms.end());
  double median = ms[ms.size() / 2];
  std::printf(
      "nvidia_payload, 8 GPU entries: wall median %.2f ms per payload (%.2f ms per GPU), min %.2f ms; "
      "CPU %.2f ms per payload (%.2f ms per GPU); %d runs\n",
      median, median / 8, ms.front(), cpu_ms, cpu_ms / 8, iterations);
  return 0;
}
