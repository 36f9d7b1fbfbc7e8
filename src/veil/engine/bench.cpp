#include "veil/engine/bench.h"

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

#include "veil/engine/model.h"

namespace veil::engine {

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

int32_t argmax(const float* v, int n) { return int32_t(std::max_element(v, v + n) - v); }

double process_cpu_seconds() {
  struct rusage ru {};
  getrusage(RUSAGE_SELF, &ru);
  return double(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) + 1e-6 * double(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
}

}  // namespace

double peak_rss_mb() {
  // VmHWM (resettable, see reset_peak_rss) when /proc is there, else the process-lifetime peak.
  if (std::FILE* f = std::fopen("/proc/self/status", "r")) {
    char line[256];
    long kb = -1;
    while (std::fgets(line, sizeof line, f) != nullptr) {
      if (std::strncmp(line, "VmHWM:", 6) == 0) kb = std::strtol(line + 6, nullptr, 10);
    }
    std::fclose(f);
    if (kb >= 0) return double(kb) / 1024.0;
  }
  struct rusage ru {};
  getrusage(RUSAGE_SELF, &ru);
  return double(ru.ru_maxrss) / 1024.0;  // KiB on Linux
}

void reset_peak_rss() {
  // Linux: writing 5 to clear_refs resets VmHWM to the current RSS, so one process can report the
  // peak of each model it benchmarks in turn.
  if (std::FILE* f = std::fopen("/proc/self/clear_refs", "w")) {
    std::fputs("5", f);
    std::fclose(f);
  }
}

double measure_read_bandwidth_gbps(int threads, size_t bytes) {
  // Each part streams its slice through the SIMD dot kernel (x·x): the loads are the only cost.
  size_t n = bytes / sizeof(float);
  std::unique_ptr<float[]> buf(new float[n]);
  for (size_t i = 0; i < n; ++i) buf[i] = float(i & 7);
  ThreadPool pool(threads);
  const KernelTable& kt = kernels();
  std::vector<float> sink(size_t(pool.size()) * 16, 0.f);
  double best = 0;
  for (int rep = 0; rep < 5; ++rep) {
    auto t0 = std::chrono::steady_clock::now();
    pool.run([&](int w, int nw) {
      int64_t b, e;
      split_range(int64_t(n), w, nw, 64, &b, &e);
      sink[size_t(w) * 16] = kt.dot_f32(buf.get() + b, buf.get() + b, e - b);
    });
    double s = seconds_since(t0);
    best = std::max(best, double(n * sizeof(float)) / s / 1e9);
  }
  volatile float keep = sink[0];
  (void)keep;
  return best;
}

Result<BenchResult> run_bench(const std::string& path, const BenchOptions& o) {
  if (o.prompt < 1 || o.gen < 1 || o.sequences < 1 || o.sequences > 256) {
    return make_error("bench.bad_options", "prompt, gen and sequences must be positive");
  }
  reset_peak_rss();
  VEIL_ASSIGN_OR_RETURN(auto f, GgufFile::open(path));
  std::shared_ptr<const GgufFile> file(std::move(f));
  VEIL_ASSIGN_OR_RETURN(auto model, Model::load(file));
  const HParams& hp = model->hparams();
  const int needed = o.prompt + o.gen;
  if (o.ctx != 0 && o.ctx < needed) {
    return make_error("bench.bad_options", "ctx must hold prompt + gen positions");
  }
  const int n_ctx = o.ctx != 0 ? o.ctx : needed;
  // Slots 0..sequences-1 generate together; one more (the last) generates alone.
  const int n_seq = o.sequences, single_slot = n_seq > 1 ? n_seq : 0;
  KvCache cache(hp, KvCacheOptions{single_slot + 1, n_ctx, o.kv_f32});
  ThreadPool pool(o.threads);
  const int step = 512;
  Forward fwd(*model, cache, pool, step);
  const int V = hp.n_vocab;
  std::vector<float> logits(size_t(std::max(o.sequences, 1)) * size_t(V));
  std::vector<BatchToken> batch;
  batch.reserve(size_t(step));

  BenchResult r;
  r.weight_bytes = model->weight_bytes;
  r.kv_bytes_per_sequence = cache.bytes_per_slot();
  r.isa = isa_name(best_isa());

  // Deterministic pseudo-random prompt tokens.
  uint64_t x = 88172645463325252ull;
  auto next_token = [&] {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return int32_t(x % uint64_t(V));
  };
  auto prefill = [&](int slot) -> Status {
    for (int start = 0; start < o.prompt; start += step) {
      int end = std::min(o.prompt, start + step);
      batch.clear();
      for (int i = start; i < end; ++i) batch.push_back({next_token(), i, slot, i + 1 == o.prompt});
      VEIL_TRY(fwd.eval(batch, logits.data()));
    }
    return ok_status();
  };

  // Warm-up: fault in every weight page once.
  BatchToken warm{1, 0, 0, true};
  VEIL_TRY(fwd.eval(std::span<const BatchToken>(&warm, 1), logits.data()));

  const double cores = double(pool.size());
  // One sequence alone and `sequences` together generate in alternate rounds of gen/4 steps, so
  // that a phase of this shared machine (its speed moves by 10-20% over seconds) falls on both
  // and their ratio holds. Greedy, one token per sequence per step.
  struct Run {
    std::vector<int> slots;
    std::vector<int32_t> last;
    std::vector<int> pos;
    double wall = 0, cpu = 0;
  };
  auto step_runs = [&](Run& run, int steps) -> Status {
    auto t0 = std::chrono::steady_clock::now();
    double c0 = process_cpu_seconds();
    const size_t n = run.slots.size();
    for (int i = 0; i < steps; ++i) {
      batch.clear();
      for (size_t s = 0; s < n; ++s) batch.push_back({run.last[s], run.pos[s]++, run.slots[s], true});
      VEIL_TRY(fwd.eval(batch, logits.data()));
      for (size_t s = 0; s < n; ++s) run.last[s] = argmax(logits.data() + s * size_t(V), V);
    }
    run.wall += seconds_since(t0);
    run.cpu += process_cpu_seconds() - c0;
    return ok_status();
  };
  auto generate = [&](Run& one, Run& all) -> Status {
    const int rounds = std::min(4, o.gen);
    for (int k = 0; k < rounds; ++k) {
      const int steps = o.gen * (k + 1) / rounds - o.gen * k / rounds;
      VEIL_TRY(step_runs(one, steps));
      if (n_seq > 1) VEIL_TRY(step_runs(all, steps));
    }
    return ok_status();
  };
  auto make_run = [&](std::vector<int> slots, int pos) {
    Run run;
    run.slots = std::move(slots);
    for (size_t s = 0; s < run.slots.size(); ++s) run.last.push_back(next_token());
    run.pos.assign(run.slots.size(), pos);
    return run;
  };
  std::vector<int> together(static_cast<size_t>(n_seq));
  for (int s = 0; s < n_seq; ++s) together[size_t(s)] = s;
  auto report = [&](const Run& one, const Run& all, double* tg, double* tg_share, double* agg,
                    double* agg_share) {
    *tg = o.gen / one.wall;
    *tg_share = one.cpu / (one.wall * cores);
    *agg = n_seq > 1 ? double(o.gen) * n_seq / all.wall : *tg;
    *agg_share = n_seq > 1 ? all.cpu / (all.wall * cores) : *tg_share;
  };

  // From an empty cache (llama-bench's tg128).
  Run one = make_run({single_slot}, 0), all = make_run(together, 0);
  VEIL_TRY(generate(one, all));
  report(one, all, &r.tg_tps, &r.tg_cpu_share, &r.aggregate_tps, &r.aggregate_cpu_share);

  // The prompt (timed on the single slot), then generation after it in every slot (llama-bench's
  // tg128 @ d512 for a 512-token prompt).
  auto t0 = std::chrono::steady_clock::now();
  double c0 = process_cpu_seconds();
  VEIL_TRY(prefill(single_slot));
  double wall = seconds_since(t0);
  r.pp_tps = o.prompt / wall;
  r.pp_cpu_share = (process_cpu_seconds() - c0) / (wall * cores);
  if (n_seq > 1) {
    for (int s = 0; s < n_seq; ++s) VEIL_TRY(prefill(s));
  }
  one = make_run({single_slot}, o.prompt);
  all = make_run(together, o.prompt);
  VEIL_TRY(generate(one, all));
  report(one, all, &r.tg_depth_tps, &r.tg_depth_cpu_share, &r.aggregate_depth_tps,
         &r.aggregate_depth_cpu_share);
  r.peak_rss_mb = peak_rss_mb();
  return r;
}

std::string bench_json_fields(const BenchResult& r, const BenchOptions& o) {
  char buf[1024];
  std::snprintf(buf, sizeof buf,
                "\"pp_tps\":%.3f,\"tg_tps\":%.3f,\"aggregate_tps\":%.3f,\"tg_depth_tps\":%.3f,"
                "\"aggregate_depth_tps\":%.3f,\"peak_rss_mb\":%.1f,\"threads\":%d,\"prompt\":%d,\"gen\":%d,"
                "\"sequences\":%d,\"weight_bytes\":%llu,\"kv_bytes_per_sequence\":%llu,\"isa\":\"%s\","
                "\"pp_cpu_share\":%.3f,\"tg_cpu_share\":%.3f,\"aggregate_cpu_share\":%.3f,"
                "\"tg_depth_cpu_share\":%.3f,\"aggregate_depth_cpu_share\":%.3f",
                r.pp_tps, r.tg_tps, r.aggregate_tps, r.tg_depth_tps, r.aggregate_depth_tps, r.peak_rss_mb,
                o.threads, o.prompt, o.gen, o.sequences, static_cast<unsigned long long>(r.weight_bytes),
                static_cast<unsigned long long>(r.kv_bytes_per_sequence), r.isa.c_str(), r.pp_cpu_share,
                r.tg_cpu_share, r.aggregate_cpu_share, r.tg_depth_cpu_share, r.aggregate_depth_cpu_share);
  return buf;
}

}  // namespace veil::engine
