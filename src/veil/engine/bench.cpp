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
  const int needed = o.prompt + 2 * o.gen + 2;
  if (o.ctx != 0 && o.ctx < needed) {
    return make_error("bench.bad_options", "ctx must hold prompt + 2 * gen + 2 positions");
  }
  const int n_ctx = o.ctx != 0 ? o.ctx : needed;
  KvCache cache(hp, KvCacheOptions{o.sequences, n_ctx, o.kv_f32});
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
  auto t0 = std::chrono::steady_clock::now();
  double c0 = process_cpu_seconds();
  VEIL_TRY(prefill(0));
  double wall = seconds_since(t0);
  r.pp_tps = o.prompt / wall;
  r.pp_cpu_share = (process_cpu_seconds() - c0) / (wall * cores);

  // Single-sequence generation.
  int32_t tok = argmax(logits.data(), V);
  t0 = std::chrono::steady_clock::now();
  c0 = process_cpu_seconds();
  for (int i = 0; i < o.gen; ++i) {
    BatchToken bt{tok, o.prompt + i, 0, true};
    VEIL_TRY(fwd.eval(std::span<const BatchToken>(&bt, 1), logits.data()));
    tok = argmax(logits.data(), V);
  }
  wall = seconds_since(t0);
  r.tg_tps = o.gen / wall;
  r.tg_cpu_share = (process_cpu_seconds() - c0) / (wall * cores);

  if (o.sequences == 1) {
    r.aggregate_tps = r.tg_tps;
    r.aggregate_cpu_share = r.tg_cpu_share;
  } else {
    // Every other slot reads its prompt, then all sequences generate together, one token each per step.
    std::vector<int32_t> last(size_t(o.sequences));
    std::vector<int> pos(size_t(o.sequences), o.prompt);
    last[0] = tok;
    pos[0] = o.prompt + o.gen;
    for (int s = 1; s < o.sequences; ++s) {
      VEIL_TRY(prefill(s));
      last[size_t(s)] = argmax(logits.data(), V);
    }
    t0 = std::chrono::steady_clock::now();
    c0 = process_cpu_seconds();
    for (int i = 0; i < o.gen; ++i) {
      batch.clear();
      for (int s = 0; s < o.sequences; ++s) batch.push_back({last[size_t(s)], pos[size_t(s)]++, s, true});
      VEIL_TRY(fwd.eval(batch, logits.data()));
      for (int s = 0; s < o.sequences; ++s) last[size_t(s)] = argmax(logits.data() + size_t(s) * size_t(V), V);
    }
    wall = seconds_since(t0);
    r.aggregate_tps = double(o.gen) * o.sequences / wall;
    r.aggregate_cpu_share = (process_cpu_seconds() - c0) / (wall * cores);
  }
  r.peak_rss_mb = peak_rss_mb();
  return r;
}

}  // namespace veil::engine
