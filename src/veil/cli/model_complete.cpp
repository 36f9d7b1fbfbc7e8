#include "veil/cli/model_complete.h"

#include <boost/json.hpp>
#include <cstdio>
#include <future>
#include <vector>

#include "veil/engine/engine.h"

namespace veil::cli {

int complete_text(const CompleteOptions& o) {
  engine::EngineOptions eo;
  eo.threads = o.threads;
  eo.n_ctx = o.ctx;
  eo.max_sequences = 1;
  eo.flash_attn_numerics = o.flash_attn_numerics;
  auto eng = engine::Engine::load(o.model_path, eo);
  if (!eng.ok()) {
    std::fprintf(stderr, "veil model complete: %s\n", eng.error().to_string().c_str());
    return 1;
  }
  engine::Engine& e = **eng;
  auto prompt = e.tokenize(o.prompt, e.info().add_bos_token, /*parse_special=*/false);
  if (!prompt.ok()) {
    std::fprintf(stderr, "veil model complete: %s\n", prompt.error().to_string().c_str());
    return 1;
  }
  engine::SamplingParams sp;
  sp.temperature = o.temperature;
  sp.seed = o.seed;
  sp.max_tokens = o.max_tokens;

  std::promise<void> done;
  std::string text, finish_reason;
  std::vector<int32_t> ids;
  int prompt_tokens = 0;
  auto gen = e.generate(std::move(prompt).value(), sp, [&](const engine::TokenEvent& ev) {
    if (ev.token >= 0) ids.push_back(ev.token);
    if (o.json) {
      text += ev.text;
    } else if (!ev.text.empty()) {
      std::fwrite(ev.text.data(), 1, ev.text.size(), stdout);
      std::fflush(stdout);
    }
    if (ev.done) {
      // The last event of an end-of-generation stop carries that token, which is not part of
      // the completion (nor of completion_tokens).
      if (ids.size() > size_t(ev.completion_tokens)) ids.resize(size_t(ev.completion_tokens));
      finish_reason = ev.finish_reason;
      prompt_tokens = ev.prompt_tokens;
      done.set_value();
    }
    return true;
  });
  if (!gen.ok()) {
    std::fprintf(stderr, "veil model complete: %s\n", gen.error().to_string().c_str());
    return 1;
  }
  done.get_future().wait();
  if (o.json) {
    boost::json::array id_array;
    for (int32_t id : ids) id_array.push_back(id);
    boost::json::object out{{"text", text},
                            {"token_ids", std::move(id_array)},
                            {"prompt_tokens", prompt_tokens},
                            {"finish_reason", finish_reason}};
    std::printf("%s\n", boost::json::serialize(out).c_str());
  } else {
    std::printf("\n");
  }
  return 0;
}

}  // namespace veil::cli
