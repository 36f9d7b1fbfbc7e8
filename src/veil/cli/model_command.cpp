// `veil model info|hash|synth|bench|complete|pull`: inspect, hash, synthesize, benchmark, run and fetch GGUF
// models.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <map>
#include <string>

#include "veil/cli/commands.h"
#include "veil/cli/model_complete.h"
#include "veil/cli/model_fetch.h"
#include "veil/crypto/hash.h"
#include "veil/engine/bench.h"
#include "veil/engine/gguf.h"
#include "veil/engine/synth.h"

namespace veil::cli {
namespace {

constexpr int kUsageError = 3;

int info(const std::string& path) {
  auto f = engine::GgufFile::open(path);
  if (!f.ok()) {
    std::fprintf(stderr, "veil model info: %s\n", f.error().to_string().c_str());
    return 1;
  }
  const auto& g = **f;
  std::printf("file:       %s\n", path.c_str());
  std::printf("size:       %zu bytes\n", g.bytes().size());
  std::printf("sha256:     %s\n", crypto::sha256_hex(g.bytes()).c_str());
  std::printf("gguf:       v%u, alignment %llu, %zu metadata keys, %zu tensors\n", g.version(),
              static_cast<unsigned long long>(g.alignment()), g.kvs().size(), g.tensors().size());
  std::printf("\nmetadata:\n");
  for (const auto& kv : g.kvs()) {
    std::printf("  %-48.*s %-6s %s\n", int(kv.key.size()), kv.key.data(), engine::gguf_value_type_name(kv.value.type),
                engine::gguf_value_summary(kv.value).c_str());
  }
  std::printf("\ntensors:\n");
  std::map<std::string, std::pair<int, uint64_t>> by_type;
  uint64_t params = 0;
  for (const auto& t : g.tensors()) {
    std::string dims;
    for (size_t i = 0; i < t.dims.size(); ++i) dims += (i ? " x " : "") + std::to_string(t.dims[i]);
    std::printf("  %-40s %-6s %-20s %12llu bytes\n", t.name.c_str(), engine::tensor_type_name(t.type), dims.c_str(),
                static_cast<unsigned long long>(t.n_bytes));
    auto& e = by_type[engine::tensor_type_name(t.type)];
    e.first += 1;
    e.second += t.n_bytes;
    params += t.n_elements;
  }
  std::printf("\ntypes:\n");
  for (const auto& [name, e] : by_type) {
    std::printf("  %-6s %4d tensors %14llu bytes\n", name.c_str(), e.first, static_cast<unsigned long long>(e.second));
  }
  std::printf("parameters: %llu\n", static_cast<unsigned long long>(params));
  return 0;
}

int hash(const std::string& path) {
  auto f = engine::GgufFile::open(path);
  if (!f.ok()) {
    std::fprintf(stderr, "veil model hash: %s\n", f.error().to_string().c_str());
    return 1;
  }
  std::printf("%s  %s\n", crypto::sha256_hex(f.value()->bytes()).c_str(), path.c_str());
  return 0;
}

}  // namespace

int model_command(int argc, char** argv) {
  CLI::App app{"Inspect, hash, synthesize, benchmark or run GGUF models", "veil model"};
  app.require_subcommand(1);

  std::string info_path;
  auto* info_cmd = app.add_subcommand("info", "metadata, tensors, types, size and sha256 of a GGUF file");
  info_cmd->add_option("file", info_path, "GGUF file")->required();

  std::string hash_path;
  auto* hash_cmd = app.add_subcommand("hash", "sha256 of a model file (what the node measures into RTMR3)");
  hash_cmd->add_option("file", hash_path, "GGUF file")->required();

  engine::SynthOptions so;
  std::string synth_type = "q8_0", synth_out;
  auto* synth_cmd = app.add_subcommand("synth", "write a GGUF with random weights in a real architecture's shape");
  synth_cmd->add_option("--arch", so.arch, "qwen3 | qwen2 | llama")
      ->check(CLI::IsMember({"qwen3", "qwen2", "llama"}));
  synth_cmd->add_option("--shape", so.shape, "qwen3-0.6b | qwen2.5-0.5b | llama-1.1b | tiny")
      ->check(CLI::IsMember({"qwen3-0.6b", "qwen2.5-0.5b", "llama-1.1b", "tiny"}));
  synth_cmd->add_option("--type", synth_type, "f32|f16|bf16|q8_0|q4_0|q4_k|q5_k|q6_k")
      ->check(CLI::IsMember({"f32", "f16", "bf16", "q8_0", "q4_0", "q4_k", "q5_k", "q6_k"}));
  synth_cmd->add_option("--vocab", so.vocab_path, "GGUF whose tokenizer is copied")->required();
  synth_cmd->add_option("--out", synth_out, "output file")->required();
  synth_cmd->add_option("--seed", so.seed, "random seed");

  engine::BenchOptions bo;
  std::string bench_path;
  bool bench_json = false;
  auto* bench_cmd = app.add_subcommand("bench", "prompt and generation throughput of the built-in engine");
  bench_cmd->add_option("file", bench_path, "GGUF file")->required();
  bench_cmd->add_option("--threads", bo.threads, "threads (0 = all cores)");
  bench_cmd->add_option("--prompt", bo.prompt, "prompt tokens");
  bench_cmd->add_option("--gen", bo.gen,
                        "generated tokens (measured from position 0, then after the prompt)");
  bench_cmd->add_option("--sequences", bo.sequences, "concurrent sequences");
  bench_cmd->add_flag("--kv-f32", bo.kv_f32, "F32 KV cache (default F16)");
  bench_cmd->add_option("--ctx", bo.ctx, "KV cache positions per sequence (default: what the run needs)");
  bench_cmd->add_flag("--json", bench_json, "print JSON");

  CompleteOptions co;
  uint64_t complete_seed = 0;
  auto* complete_cmd = app.add_subcommand(
      "complete",
      "one completion of a prompt with the built-in engine (no chat template; greedy by default)");
  complete_cmd->add_option("file", co.model_path, "GGUF file")->required();
  complete_cmd->add_option("prompt", co.prompt, "prompt text")->required();
  complete_cmd->add_option("--max-tokens", co.max_tokens, "tokens to generate")->check(CLI::PositiveNumber);
  complete_cmd->add_option("--temperature", co.temperature, "0 = greedy")->check(CLI::NonNegativeNumber);
  auto* seed_opt = complete_cmd->add_option("--seed", complete_seed, "sampling seed (reproducible)");
  complete_cmd->add_option("--threads", co.threads, "threads (0 = all cores)");
  complete_cmd->add_option("--ctx", co.ctx, "context length")->check(CLI::PositiveNumber);
  complete_cmd->add_flag("--flash-attn-numerics", co.flash_attn_numerics,
                         "round attention as llama.cpp -fa on does (default: as -fa off)");
  complete_cmd->add_flag("--json", co.json, "print {text, token_ids, prompt_tokens, finish_reason}");

  std::string pull_cache;
  bool pull_offline = false;
  auto* pull_cmd = app.add_subcommand(
      "pull", "the default model (Qwen3-0.6B Q8_0 at a pinned revision): from the cache, else downloaded and checked "
              "against the SHA-256 the hub publishes; prints its path");
  pull_cmd->add_option("--cache-dir", pull_cache, "cache folder (default $XDG_CACHE_HOME/veil)");
  pull_cmd->add_flag("--offline", pull_offline, "use the cache only");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : kUsageError;
  }

  if (*pull_cmd) {
    FetchOptions fo;
    fo.cache_dir = pull_cache;
    fo.allow_download = !pull_offline;
    fo.progress = stderr_progress_bar();
    auto path = resolve_default_model(fo);
    if (!path.ok()) {
      std::fprintf(stderr, "veil model pull: %s\n", path.error().to_string().c_str());
      return 1;
    }
    std::printf("%s\n", path->c_str());
    return 0;
  }
  if (*complete_cmd) {
    if (*seed_opt) co.seed = complete_seed;
    return complete_text(co);
  }
  if (*info_cmd) return info(info_path);
  if (*hash_cmd) return hash(hash_path);
  if (*synth_cmd) {
    so.type = *engine::tensor_type_from_name(synth_type);
    auto st = engine::synthesize_model(so, synth_out);
    if (!st.ok()) {
      std::fprintf(stderr, "veil model synth: %s\n", st.error().to_string().c_str());
      return 1;
    }
    std::fprintf(stderr, "wrote %s (random weights: its text is meaningless)\n", synth_out.c_str());
    return 0;
  }
  if (*bench_cmd) {
    auto r = engine::run_bench(bench_path, bo);
    if (!r.ok()) {
      std::fprintf(stderr, "veil model bench: %s\n", r.error().to_string().c_str());
      return 1;
    }
    if (bench_json) {
      std::printf("{%s}\n", engine::bench_json_fields(*r, bo).c_str());
    } else {
      std::printf("prompt processing: %10.2f tokens/s (%d tokens; got %.0f%% of the cores)\n", r->pp_tps, bo.prompt,
                  100 * r->pp_cpu_share);
      auto generation = [&](const char* depth, double tg, double tg_share, double agg, double agg_share) {
        std::printf("generation %-8s %10.2f tokens/s (1 sequence, %d tokens; got %.0f%% of the cores)\n",
                    depth, tg, bo.gen, 100 * tg_share);
        if (bo.sequences > 1) {
          std::printf("aggregate %-9s %10.2f tokens/s (%d sequences, %.2fx one; got %.0f%% of the cores)\n",
                      depth, agg, bo.sequences, agg / tg, 100 * agg_share);
        }
      };
      const std::string after = "@ d" + std::to_string(bo.prompt) + ":";
      generation("@ d0:", r->tg_tps, r->tg_cpu_share, r->aggregate_tps, r->aggregate_cpu_share);
      generation(after.c_str(), r->tg_depth_tps, r->tg_depth_cpu_share, r->aggregate_depth_tps,
                 r->aggregate_depth_cpu_share);
      std::printf("peak RSS:          %10.1f MB; KV cache per sequence %.1f MB; weights read per token %.1f MB; isa %s\n",
                  r->peak_rss_mb, double(r->kv_bytes_per_sequence) / 1e6, double(r->weight_bytes) / 1e6, r->isa.c_str());
    }
    return 0;
  }
  return kUsageError;
}

}  // namespace veil::cli
