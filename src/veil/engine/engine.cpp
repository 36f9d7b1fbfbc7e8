// Engine: model + tokenizer + chat template + a scheduler thread doing continuous batching.
//
// Each step the scheduler gathers one token from every sequence that is generating and fills the
// rest of the step (up to Forward::max_batch tokens) with prompt chunks of sequences still reading
// their prompt; all of it is one forward pass, so each weight matrix is read once per step.
#include "veil/engine/engine.h"

#include <openssl/evp.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <condition_variable>
#include <ctime>
#include <deque>
#include <mutex>
#include <random>
#include <thread>

#include "veil/base/ascii.h"
#include "veil/engine/chat_template.h"
#include "veil/engine/model.h"
#include "veil/engine/sampler.h"
#include "veil/engine/text_stream.h"
#include "veil/engine/tokenizer.h"

namespace veil::engine {

Generation::~Generation() = default;
Engine::~Engine() = default;

namespace {

constexpr int kStepTokens = 512;  // tokens per forward step (llama.cpp's default n_ubatch)

std::string sha256_hex(ByteView data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr);
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < len; ++i) {
    out += hex[md[i] >> 4];
    out += hex[md[i] & 15];
  }
  return out;
}

class EngineImpl;

struct Sequence : Generation {
  EngineImpl* engine = nullptr;
  std::vector<int32_t> prompt;
  SamplingParams params;
  std::function<bool(const TokenEvent&)> on_event;
  std::unique_ptr<Sampler> sampler;
  std::unique_ptr<TextStream> stream;
  std::vector<int32_t> history;  // prompt + generated (penalties)
  int slot = -1;
  int n_past = 0;      // positions in the cache
  size_t fed = 0;      // prompt tokens fed so far
  int32_t next = -1;   // sampled token not yet fed
  int completion = 0;
  std::atomic<bool> cancelled{false};
  bool finished = false;

  void cancel() override;
};

class EngineImpl : public Engine {
 public:
  ~EngineImpl() override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

  Status init(const std::string& path, const EngineOptions& opts) {
    VEIL_ASSIGN_OR_RETURN(auto f, GgufFile::open(path));
    file_ = std::shared_ptr<const GgufFile>(std::move(f));
    VEIL_ASSIGN_OR_RETURN(model_, Model::load(file_));
    VEIL_ASSIGN_OR_RETURN(tokenizer_, Tokenizer::from_gguf(*file_));
    const HParams& hp = model_->hparams();
    info_.arch = hp.arch;
    info_.name = file_->get_string_or("general.name", "").ok() ? *file_->get_string_or("general.name", "") : "";
    info_.n_ctx_train = hp.n_ctx_train;
    int n_ctx = opts.n_ctx > 0 ? opts.n_ctx : 4096;
    info_.n_ctx = std::max(8, std::min(n_ctx, hp.n_ctx_train > 0 ? hp.n_ctx_train : n_ctx));
    info_.n_vocab = hp.n_vocab;
    info_.n_embd = hp.n_embd;
    info_.file_bytes = file_->bytes().size();
    bool rerank_name = ascii_lower(info_.name).find("rerank") != std::string::npos;
    if (hp.pooling == Pooling::rank || rerank_name) {
      info_.kind = ModelInfo::Kind::reranker;
    } else if (hp.pooling != Pooling::none) {
      info_.kind = ModelInfo::Kind::embedding;
    }
    std::string tmpl_src;
    if (opts.chat_template_override) {
      tmpl_src = *opts.chat_template_override;
    } else if (file_->has("tokenizer.chat_template")) {
      VEIL_ASSIGN_OR_RETURN(tmpl_src, file_->get_string("tokenizer.chat_template"));
    }
    info_.chat_template = tmpl_src;
    info_.add_bos_token = tokenizer_->add_bos();
    if (!tmpl_src.empty()) {
      std::string bos = tokenizer_->token_piece(tokenizer_->bos());
      std::string eos = tokenizer_->token_piece(tokenizer_->eos());
      auto t = opts.chat_template_override ? ChatTemplate::from_name(tmpl_src, bos, eos) : Result<ChatTemplate>(make_error("", ""));
      if (!t.ok()) t = ChatTemplate::from_jinja(tmpl_src, bos, eos);
      if (t.ok()) {
        template_ = std::make_unique<ChatTemplate>(std::move(t).value());
        info_.has_chat_template = true;
      } else {
        template_error_ = t.error();
      }
    } else {
      template_error_ = make_error("engine.no_chat_template", "the model has no chat template");
    }
    add_eos_ = file_->get_bool_or("tokenizer.ggml.add_eos_token", false).ok() &&
               *file_->get_bool_or("tokenizer.ggml.add_eos_token", false);
    info_.sha256_hex = opts.expected_sha256_hex.empty() ? sha256_hex(file_->bytes()) : ascii_lower(opts.expected_sha256_hex);

    int slots = std::max(1, opts.max_sequences);
    cache_ = std::make_unique<KvCache>(hp, KvCacheOptions{slots, info_.n_ctx, opts.kv_cache_f32});
    pool_ = std::make_unique<ThreadPool>(opts.threads);
    forward_ = std::make_unique<Forward>(*model_, *cache_, *pool_, kStepTokens);
    forward_->flash_attn_numerics = opts.flash_attn_numerics;
    slot_used_.assign(size_t(slots), false);
    logits_.resize(size_t(std::min(slots, kStepTokens)) * size_t(hp.n_vocab));
    batch_.reserve(kStepTokens);
    thread_ = std::thread([this] { scheduler_loop(); });
    return ok_status();
  }

  const ModelInfo& info() const override { return info_; }

  Result<std::string> render_chat(const std::vector<ChatMessage>& messages, bool add_generation_prompt) const override {
    if (!template_) return template_error_;
    std::vector<TemplateMessage> tm;
    for (const auto& m : messages) tm.push_back({m.role, m.content});
    // Llama 3.1+ templates print today's date, as llama.cpp renders them ("%d %b %Y").
    TemplateOptions options;
    const std::time_t now = std::time(nullptr);
    std::tm utc{};
    gmtime_r(&now, &utc);
    char date[32];
    if (std::strftime(date, sizeof date, "%d %b %Y", &utc) > 0) options.date_string = date;
    return template_->render(tm, add_generation_prompt, options);
  }

  Result<std::vector<int32_t>> tokenize(std::string_view text, bool add_bos, bool parse_special) const override {
    return tokenizer_->encode(text, add_bos, parse_special);
  }

  Result<std::shared_ptr<Generation>> generate(std::vector<int32_t> prompt, const SamplingParams& params,
                                               std::function<bool(const TokenEvent&)> on_event) override {
    if (prompt.empty()) return make_error("engine.empty_prompt", "the prompt has no tokens");
    if (int(prompt.size()) >= info_.n_ctx) {
      return make_error("engine.prompt_too_long", "prompt of " + std::to_string(prompt.size()) +
                                                      " tokens does not fit the context of " + std::to_string(info_.n_ctx));
    }
    for (int32_t t : prompt) {
      if (t < 0 || t >= info_.n_vocab) return make_error("engine.bad_token", "prompt token id out of range");
    }
    auto seq = std::make_shared<Sequence>();
    seq->engine = this;
    seq->prompt = std::move(prompt);
    seq->params = params;
    seq->on_event = std::move(on_event);
    seq->sampler = std::make_unique<Sampler>(params, info_.n_vocab, seed_counter_.fetch_add(1) * 0x9E3779B97F4A7C15ull + 1);
    seq->stream = std::make_unique<TextStream>(params.stop);
    seq->history = seq->prompt;
    seq->history.reserve(seq->prompt.size() + 256);
    {
      std::lock_guard<std::mutex> lock(mu_);
      queue_.push_back(seq);
    }
    cv_.notify_all();
    return std::shared_ptr<Generation>(seq);
  }

  void wake() { cv_.notify_all(); }

  Result<std::vector<std::vector<float>>> embed(const std::vector<std::string>& inputs, int* prompt_tokens) override {
    const int d = info_.n_embd;
    std::vector<std::vector<float>> out;
    int total = 0;
    for (const auto& text : inputs) {
      std::vector<int32_t> ids = tokenizer_->encode(text, tokenizer_->add_bos(), true);
      if (add_eos_) ids.push_back(tokenizer_->eos());
      if (ids.empty()) return make_error("engine.empty_input", "an input has no tokens");
      total += int(ids.size());
      std::vector<float> hidden;
      VEIL_TRY(run_exclusive(ids, &hidden, nullptr));
      Pooling pooling = model_->hparams().pooling;
      std::vector<float> v(static_cast<size_t>(d), 0.f);
      size_t n = ids.size();
      if (pooling == Pooling::mean || pooling == Pooling::none) {
        for (size_t t = 0; t < n; ++t)
          for (int i = 0; i < d; ++i) v[size_t(i)] += hidden[t * size_t(d) + size_t(i)] / float(n);
      } else if (pooling == Pooling::cls) {
        std::copy(hidden.begin(), hidden.begin() + d, v.begin());
      } else {
        std::copy(hidden.end() - d, hidden.end(), v.begin());
      }
      double norm = 0;
      for (float x : v) norm += double(x) * x;
      float inv = norm > 0 ? float(1.0 / std::sqrt(norm)) : 0.f;
      for (float& x : v) x *= inv;
      out.push_back(std::move(v));
    }
    if (prompt_tokens != nullptr) *prompt_tokens = total;
    return out;
  }

  Result<std::vector<float>> rerank(std::string_view query, const std::vector<std::string>& documents,
                                    int* prompt_tokens) override {
    auto yes = tokenizer_->find_token("yes");
    auto no = tokenizer_->find_token("no");
    if (!yes || !no) return make_error("engine.not_reranker", "the vocabulary has no yes/no tokens");
    // Qwen3-Reranker's published prompt format.
    const std::string prefix =
        "<|im_start|>system\nJudge whether the Document meets the requirements based on the Query and the Instruct "
        "provided. Note that the answer can only be \"yes\" or \"no\".<|im_end|>\n<|im_start|>user\n";
    const std::string suffix = "<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n";
    const std::string instruct = "Given a web search query, retrieve relevant passages that answer the query";
    std::vector<float> scores;
    int total = 0;
    for (const auto& doc : documents) {
      std::string text = prefix + "<Instruct>: " + instruct + "\n<Query>: " + std::string(query) +
                         "\n<Document>: " + doc + suffix;
      std::vector<int32_t> ids = tokenizer_->encode(text, tokenizer_->add_bos(), true);
      total += int(ids.size());
      std::vector<float> logits;
      VEIL_TRY(run_exclusive(ids, nullptr, &logits));
      double ly = logits[size_t(*yes)], ln = logits[size_t(*no)];
      double m = std::max(ly, ln);
      scores.push_back(float(std::exp(ly - m) / (std::exp(ly - m) + std::exp(ln - m))));
    }
    if (prompt_tokens != nullptr) *prompt_tokens = total;
    return scores;
  }

  size_t kv_bytes_per_sequence() const override { return cache_->bytes_per_slot(); }

  // For `veil model bench`: the forward pass and its weight bytes.
  const Model& model() const { return *model_; }

 private:
  // Runs a whole token sequence on a free slot, outside the scheduler (embeddings, rerank):
  // hidden states of every token and/or the last token's logits.
  Status run_exclusive(const std::vector<int32_t>& ids, std::vector<float>* hidden, std::vector<float>* last_logits) {
    if (int(ids.size()) > info_.n_ctx) return make_error("engine.prompt_too_long", "input does not fit the context");
    int slot = -1;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] {
        for (size_t s = 0; s < slot_used_.size(); ++s) {
          if (!slot_used_[s]) {
            slot = int(s);
            slot_used_[s] = true;
            return true;
          }
        }
        return false;
      });
    }
    Status st = ok_status();
    {
      std::lock_guard<std::mutex> step(step_mu_);
      const int d = info_.n_embd;
      if (hidden) hidden->assign(ids.size() * size_t(d), 0.f);
      if (last_logits) last_logits->assign(size_t(info_.n_vocab), 0.f);
      std::vector<BatchToken> batch;
      for (size_t start = 0; start < ids.size() && st.ok(); start += kStepTokens) {
        size_t end = std::min(ids.size(), start + kStepTokens);
        batch.clear();
        for (size_t i = start; i < end; ++i) {
          bool want = hidden != nullptr || (last_logits != nullptr && i + 1 == ids.size());
          batch.push_back({ids[i], int32_t(i), int32_t(slot), want});
        }
        float* h = hidden ? hidden->data() + start * size_t(d) : nullptr;
        if (last_logits != nullptr && end == ids.size()) {
          // Only the last token is flagged when hidden is not requested.
          if (hidden == nullptr) {
            st = forward_->eval(batch, last_logits->data());
          } else {
            std::vector<float> all((end - start) * size_t(info_.n_vocab));
            st = forward_->eval(batch, all.data(), h);
            if (st.ok()) std::copy(all.end() - info_.n_vocab, all.end(), last_logits->begin());
          }
        } else {
          st = forward_->eval_hidden(batch, h);
        }
      }
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      slot_used_[size_t(slot)] = false;
    }
    cv_.notify_all();
    return st;
  }

  bool emit(Sequence& s, const TokenEvent& ev) {
    if (s.cancelled.load()) return false;
    bool keep = s.on_event(ev);
    if (!keep) s.cancelled.store(true);
    return keep;
  }

  // Handles a sampled token; returns false when the sequence is finished.
  bool accept(Sequence& s, const SampleResult& r) {
    TokenEvent ev;
    ev.token = r.token;
    ev.logprob = r.logprob;
    for (const auto& [id, lp] : r.top) ev.top_logprobs.emplace_back(tokenizer_->token_piece(id), lp);
    ev.prompt_tokens = int(s.prompt.size());
    bool eog = tokenizer_->is_eog(r.token);
    if (!eog) {
      ++s.completion;
      s.history.push_back(r.token);
      ev.text = s.stream->push(tokenizer_->output_piece(r.token));
    }
    ev.completion_tokens = s.completion;
    std::string reason;
    if (eog || s.stream->stopped()) {
      reason = "stop";
    } else if ((s.params.max_tokens >= 0 && s.completion >= s.params.max_tokens) || s.n_past + 1 >= info_.n_ctx) {
      reason = "length";
    }
    if (!reason.empty()) {
      ev.text += s.stream->flush();
      ev.done = true;
      ev.finish_reason = reason;
      emit(s, ev);
      return false;
    }
    s.next = r.token;
    return emit(s, ev);
  }

  void scheduler_loop() {
    std::vector<std::shared_ptr<Sequence>> logit_owner;
    for (;;) {
      {
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait(lock, [&] { return stop_ || !active_.empty() || (!queue_.empty() && free_slot() >= 0); });
        if (stop_) return;
        // Drop finished or cancelled sequences, then admit waiting ones into free slots.
        for (auto& s : active_) {
          if (s->finished || s->cancelled.load()) {
            slot_used_[size_t(s->slot)] = false;
            s->slot = -1;
            s->finished = true;
          }
        }
        std::erase_if(active_, [](const auto& s) { return s->finished; });
        std::erase_if(queue_, [](const auto& s) { return s->cancelled.load(); });
        while (!queue_.empty() && free_slot() >= 0) {
          auto s = queue_.front();
          queue_.pop_front();
          s->slot = free_slot();
          slot_used_[size_t(s->slot)] = true;
          active_.push_back(s);
        }
        if (active_.empty()) {
          lock.unlock();
          cv_.notify_all();  // slots freed: wake embed/rerank waiters
          continue;
        }
      }
      cv_.notify_all();
      // Build the step: generating sequences first (one token each), then prompt chunks.
      batch_.clear();
      logit_owner.clear();
      for (auto& s : active_) {
        if (s->fed < s->prompt.size()) continue;
        batch_.push_back({s->next, s->n_past, s->slot, true});
        logit_owner.push_back(s);
      }
      for (auto& s : active_) {
        if (s->fed >= s->prompt.size()) continue;
        int budget = kStepTokens - int(batch_.size());
        if (budget <= 0) break;
        size_t take = std::min(s->prompt.size() - s->fed, size_t(budget));
        for (size_t i = 0; i < take; ++i) {
          bool last = s->fed + i + 1 == s->prompt.size();
          batch_.push_back({s->prompt[s->fed + i], int32_t(s->fed + i), s->slot, last});
          if (last) logit_owner.push_back(s);
        }
      }
      Status st = ok_status();
      {
        std::lock_guard<std::mutex> step(step_mu_);
        st = forward_->eval(batch_, logits_.data());
      }
      // Advance positions.
      for (auto& s : active_) {
        if (s->fed < s->prompt.size()) {
          size_t fed_now = 0;
          for (const auto& bt : batch_) fed_now += bt.slot == s->slot ? 1 : 0;
          s->fed += fed_now;
          s->n_past += int(fed_now);
        } else {
          s->n_past += 1;
        }
      }
      // Sample for every row with logits (batch order = logit_owner order).
      for (size_t i = 0; i < logit_owner.size(); ++i) {
        auto& s = logit_owner[i];
        if (!st.ok()) {
          TokenEvent ev;
          ev.done = true;
          ev.finish_reason = "stop";
          emit(*s, ev);
          s->finished = true;
          continue;
        }
        SampleResult r = s->sampler->sample(logits_.data() + i * size_t(info_.n_vocab), s->history);
        if (!accept(*s, r)) s->finished = true;
      }
    }
  }

  int free_slot() const {
    for (size_t s = 0; s < slot_used_.size(); ++s) {
      if (!slot_used_[s]) return int(s);
    }
    return -1;
  }

  std::shared_ptr<const GgufFile> file_;
  std::unique_ptr<Model> model_;
  std::unique_ptr<Tokenizer> tokenizer_;
  std::unique_ptr<ChatTemplate> template_;
  Error template_error_;
  bool add_eos_ = false;
  ModelInfo info_;
  std::unique_ptr<KvCache> cache_;
  std::unique_ptr<ThreadPool> pool_;
  std::unique_ptr<Forward> forward_;

  std::mutex mu_;  // queue_, active_ membership, slot_used_, stop_
  std::condition_variable cv_;
  std::mutex step_mu_;  // one forward pass at a time
  std::deque<std::shared_ptr<Sequence>> queue_;
  std::vector<std::shared_ptr<Sequence>> active_;
  std::vector<bool> slot_used_;
  bool stop_ = false;
  std::atomic<uint64_t> seed_counter_{std::random_device{}()};
  std::vector<BatchToken> batch_;
  std::vector<float> logits_;
  std::thread thread_;
};

void Sequence::cancel() {
  cancelled.store(true);
  if (engine != nullptr) engine->wake();
}

}  // namespace

Result<std::unique_ptr<Engine>> Engine::load(const std::string& gguf_path, const EngineOptions& opts) {
  auto e = std::make_unique<EngineImpl>();
  VEIL_TRY(e->init(gguf_path, opts));
  return std::unique_ptr<Engine>(std::move(e));
}

}  // namespace veil::engine
