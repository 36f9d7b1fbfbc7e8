// Throughput measurement of the forward pass (prompt processing, single-sequence generation,
// batched generation across sequences) and of this machine's memory read bandwidth.
#pragma once

#include <cstdint>
#include <string>

#include "veil/base/result.h"

namespace veil::engine {

struct BenchOptions {
  int threads = 2;
  int prompt = 512;
  int gen = 128;
  int sequences = 1;
  bool kv_f32 = false;
  // KV cache positions per sequence; 0 = just what the run needs (prompt + gen). A node
  // sizes its cache for its whole context (4096 by default).
  int ctx = 0;
};

// Generation is measured twice, as llama-bench's tg tests name it: from an empty cache ("tg128",
// positions 0..gen-1) and after the prompt ("tg128 @ d512", positions prompt..prompt+gen-1). At
// depth each step also reads every sequence's K and V: at 8 sequences of 512+ positions on the
// Qwen3-0.6B shape that is ~0.53 GB a step, about as much as the weights.
struct BenchResult {
  double pp_tps = 0;         // prompt tokens per second (one sequence, 512-token steps)
  double tg_tps = 0;         // generated tokens per second, one sequence, from position 0
  double aggregate_tps = 0;  // generated tokens per second summed over `sequences` sequences, from 0
  double tg_depth_tps = 0;   // one sequence after its prompt
  double aggregate_depth_tps = 0;  // `sequences` sequences, each after its own prompt
  double peak_rss_mb = 0;
  uint64_t weight_bytes = 0;           // matrix bytes read per decode step
  uint64_t kv_bytes_per_sequence = 0;  // of the KV cache the run used (see BenchOptions::ctx)
  std::string isa;
  // Share of `threads` cores the process actually got during each phase (CPU time / (wall x
  // threads)); below 1 when other processes compete for the cores.
  double pp_cpu_share = 0, tg_cpu_share = 0, aggregate_cpu_share = 0, tg_depth_cpu_share = 0,
         aggregate_depth_cpu_share = 0;
};

Result<BenchResult> run_bench(const std::string& gguf_path, const BenchOptions& options);

// The result and the options it ran with as JSON object members (no braces), the keys
// `veil model bench --json` and bench_engine print.
std::string bench_json_fields(const BenchResult& r, const BenchOptions& o);

// Reads a buffer far larger than the caches with `threads` threads; GB/s (1e9 bytes/s).
double measure_read_bandwidth_gbps(int threads, size_t bytes = size_t(1) << 30);

// Peak resident memory since the last reset_peak_rss() (MB = 2^20 bytes).
double peak_rss_mb();
void reset_peak_rss();

}  // namespace veil::engine
