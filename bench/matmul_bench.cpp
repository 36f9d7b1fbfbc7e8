// Interleavable matmul kernels (Q8_0, Q4_0, Q4_K, Q6_K; `make bench`): every matrix of a model (the layers'
// seven and the output) as steps of 1, 4, 8 and 64 tokens, one thread, in the GGUF file's layout (the
// baseline) and interleaved (interleaved.h, what the engine runs on AVX-512 VNNI), alternating in one
// process. Prints milliseconds per step and the baseline / interleaved ratio.
//   bench_matmul [MODEL.gguf...]   (default: the synthetic models bench_engine writes)
#include <sys/stat.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "veil/engine/interleaved.h"
#include "veil/engine/model.h"

namespace {

using namespace veil::engine;

double now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

struct Matrix {
  const Weight* w;
  std::vector<uint8_t> interleaved;
};

int bench_model(const std::string& path) {
  setenv("VEIL_ENGINE_INTERLEAVE", "0", 1);  // the model keeps the file layout; the copies are made here
  auto file = GgufFile::open(path);
  if (!file.ok()) {
    std::printf("  %s: %s\n", path.c_str(), file.error().message.c_str());
    return 1;
  }
  std::shared_ptr<const GgufFile> f(std::move(file.value()));
  auto loaded = Model::load(f);
  if (!loaded.ok()) {
    std::printf("  %s: %s\n", path.c_str(), loaded.error().message.c_str());
    return 1;
  }
  const Model& model = *loaded.value();
  std::vector<Matrix> ms;
  auto add = [&](const Weight& w) {
    if (!interleavable(w.type)) return;
    Matrix m{&w, std::vector<uint8_t>(interleaved_bytes(w.type, w.n_in, w.n_out))};
    interleave_rows(w.type, w.data, w.row_bytes, w.n_in, w.n_out, m.interleaved.data());
    ms.push_back(std::move(m));
  };
  for (const LayerWeights& L : model.layers)
    for (const Weight* w : L.matrices()) add(*w);
  add(model.output);
  const size_t slash = path.find_last_of('/');
  std::printf("%s: %zu interleavable matrices, isa %s\n", path.substr(slash + 1).c_str(), ms.size(),
              isa_name(best_isa()));
  if (ms.empty()) return 0;

  const KernelTable& kt = kernels();
  constexpr int kMaxTok = 64;
  int64_t max_in = 0, max_out = 0;
  for (const Matrix& m : ms) {
    max_in = std::max(max_in, m.w->n_in);
    max_out = std::max(max_out, m.w->n_out);
  }
  std::mt19937 rng(1);
  std::normal_distribution<float> nd;
  std::vector<float> x(size_t(max_in) * kMaxTok);
  for (float& v : x) v = nd(rng);
  std::vector<uint8_t> act(act_row_bytes(ActType::q8_k, max_in) * kMaxTok);  // the widest partner format
  std::vector<float> y(size_t(max_out) * kMaxTok);
  for (int n_tok : {1, 4, 8, kMaxTok}) {
    double t[2] = {0, 0};
    const int reps = n_tok == kMaxTok ? 1 : 3;
    for (int rep = 0; rep < reps; ++rep) {
      for (int interleaved = 0; interleaved < 2; ++interleaved) {
        const double t0 = now();
        for (const Matrix& m : ms) {
          const Weight& w = *m.w;
          const ActType at = act_type_for(w.type);
          const size_t arb = act_row_bytes(at, w.n_in);
          for (int i = 0; i < n_tok; ++i)
            quantize_activation(at, x.data() + size_t(i) * size_t(w.n_in), act.data() + size_t(i) * arb,
                                w.n_in);
          MatmulArgs a{w.type,          interleaved ? m.interleaved.data() : w.data,
                       w.row_bytes,     w.n_in,
                       act.data(),      arb,
                       n_tok,           y.data(),
                       size_t(w.n_out), false,
                       interleaved == 1};
          kt.mul_rows(a, 0, w.n_out);
        }
        t[interleaved] += now() - t0;
      }
    }
    std::printf("  %2d tokens per step: file layout %8.2f ms  interleaved %8.2f ms  ratio %.2f\n", n_tok,
                t[0] / reps * 1e3, t[1] / reps * 1e3, t[0] / t[1]);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> paths(argv + 1, argv + argc);
  if (paths.empty()) {
    const std::string dir = VEIL_BENCH_MODELS_DIR;
    for (const char* name : {"synth-qwen3-0.6b-q8_0.gguf", "synth-llama-1.1b-q4_0.gguf"}) {
      struct stat st {};
      if (stat((dir + "/" + name).c_str(), &st) == 0) {
        paths.push_back(dir + "/" + name);
      } else {
        std::printf("skipped %s: not in %s (bench_engine writes it)\n", name, dir.c_str());
      }
    }
  }
  int status = 0;
  for (const std::string& p : paths) status |= bench_model(p);
  return status;
}
