// Built-in engine benchmark (`make bench`): prompt 512 / generation 128 tokens with 2 threads, at 1
// and 8 concurrent sequences, on stories260K, a synthetic Qwen3-0.6B-shape Q8_0 model and a
// synthetic 1.1B llama Q4_0 model (synthesized once into the build folder). Generation is measured
// from an empty cache (llama-bench's tg128) and after the 512-token prompt (its tg128 @ d512); the
// 8-sequence figure is the sum over the sequences, printed with its ratio to one sequence at the
// same depth. Also measures this machine's memory read bandwidth in the same run and reports
// single-sequence generation at depth 0 as a fraction of the bandwidth limit (bandwidth / weight
// bytes read per token).
#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "veil/engine/bench.h"
#include "veil/engine/synth.h"

namespace {

std::string shared_dir() {
  if (const char* e = std::getenv("VEIL_SHARED")) return e;
  return VEIL_SHARED_DEFAULT;
}

bool exists(const std::string& p) {
  struct stat st {};
  return stat(p.c_str(), &st) == 0 && st.st_size > 0;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace veil::engine;
  int threads = 2;
  std::string models_dir = VEIL_BENCH_MODELS_DIR;
  std::string only;             // --only TEXT: just the models whose label contains TEXT
  int prompt = 512, gen = 128;  // --prompt N --gen N (the figures use the defaults)
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::string(argv[i]) == "--threads") threads = std::atoi(argv[i + 1]);
    if (std::string(argv[i]) == "--models-dir") models_dir = argv[i + 1];
    if (std::string(argv[i]) == "--only") only = argv[i + 1];
    if (std::string(argv[i]) == "--prompt") prompt = std::atoi(argv[i + 1]);
    if (std::string(argv[i]) == "--gen") gen = std::atoi(argv[i + 1]);
  }
  ::mkdir(models_dir.c_str(), 0755);
  const std::string shared = shared_dir();

  struct Item {
    std::string label, path;
    SynthOptions synth;
    bool synthetic;
  };
  std::vector<Item> items;
  items.push_back({"stories260K F32", shared + "/models/stories260K.gguf", {}, false});
  SynthOptions q;
  q.arch = "qwen3";
  q.shape = "qwen3-0.6b";
  q.type = TensorType::q8_0;
  q.vocab_path = shared + "/models/qwen3-vocab-only.gguf";
  items.push_back({"synthetic Qwen3-0.6B Q8_0", models_dir + "/synth-qwen3-0.6b-q8_0.gguf", q, true});
  SynthOptions l;
  l.arch = "llama";
  l.shape = "llama-1.1b";
  l.type = TensorType::q4_0;
  l.vocab_path = shared + "/models/llama-2-tiny-random.gguf";
  items.push_back({"synthetic llama-1.1B Q4_0", models_dir + "/synth-llama-1.1b-q4_0.gguf", l, true});

  double bw = measure_read_bandwidth_gbps(threads);  // buffer freed before the models run
  std::printf("memory read bandwidth (%d threads): %.1f GB/s\n\n", threads, bw);
  const std::string depth = "@ d" + std::to_string(prompt);
  std::printf("%-28s %8s | %8s %8s %6s | %8s %8s %6s | %9s %8s | %7s\n", "", "", "tg128", "", "", "tg128",
              depth.c_str(), "", "", "", "");
  std::printf("%-28s %8s | %8s %8s %6s | %8s %8s %6s | %9s %8s | %7s\n", "model", "pp t/s", "1 seq", "8 seq",
              "8x/1x", "1 seq", "8 seq", "8x/1x", "bw limit", "tg/limit", "rss MB");
  int failures = 0;
  for (const auto& it : items) {
    if (!only.empty() && it.label.find(only) == std::string::npos) continue;
    if (it.synthetic && !exists(it.path)) {
      std::fprintf(stderr, "synthesizing %s -> %s\n", it.label.c_str(), it.path.c_str());
      auto st = synthesize_model(it.synth, it.path);
      if (!st.ok()) {
        std::fprintf(stderr, "synth failed: %s\n", st.error().to_string().c_str());
        ++failures;
        continue;
      }
    }
    BenchOptions o;
    o.threads = threads;
    o.prompt = prompt;
    o.gen = gen;
    o.sequences = 8;
    auto r = run_bench(it.path, o);
    if (!r.ok()) {
      std::fprintf(stderr, "%s: %s\n", it.label.c_str(), r.error().to_string().c_str());
      ++failures;
      continue;
    }
    double limit = bw * 1e9 / double(r->weight_bytes);
    std::printf("%-28s %8.1f | %8.1f %8.1f %6.2f | %8.1f %8.1f %6.2f | %9.1f %7.0f%% | %7.0f\n",
                it.label.c_str(), r->pp_tps, r->tg_tps, r->aggregate_tps, r->aggregate_tps / r->tg_tps,
                r->tg_depth_tps, r->aggregate_depth_tps, r->aggregate_depth_tps / r->tg_depth_tps, limit,
                100.0 * r->tg_tps / limit, r->peak_rss_mb);
    std::printf(
        "  json {\"model\":\"%s\",%s,\"bandwidth_gbps\":%.2f,\"tg_fraction_of_bandwidth_limit\":%.3f}\n",
        it.label.c_str(), bench_json_fields(*r, o).c_str(), bw, r->tg_tps / limit);
    const double least_share = std::min(
        {r->tg_cpu_share, r->aggregate_cpu_share, r->tg_depth_cpu_share, r->aggregate_depth_cpu_share});
    if (least_share < 0.9) {
      std::printf(
          "  note: the process got only %.0f%% of %d cores during a generation (other load on the machine)\n",
          100 * least_share, threads);
    }
    std::fflush(stdout);
  }
  return failures == 0 ? 0 : 1;
}
