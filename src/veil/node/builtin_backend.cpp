#include "veil/node/builtin_backend.h"

#include <boost/json.hpp>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <mutex>

#include "veil/base/clock.h"
#include "veil/base/encoding.h"
#include "veil/base/log.h"
#include "veil/engine/engine.h"

namespace veil::node {

namespace {

Error bad(std::string msg) { return make_error("engine.bad_request", std::move(msg)); }

// The float's shortest decimal form, as a double: JSON then shows 0.12345679,
// not the float's exact binary expansion.
double tidy_float(float f) {
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, f);
  *r.ptr = '\0';
  return std::strtod(buf, nullptr);
}

Result<double> number_field(const boost::json::object& o, const char* key, double dflt, double lo, double hi) {
  auto it = o.find(key);
  if (it == o.end() || it->value().is_null()) return dflt;
  const auto& v = it->value();
  double d;
  if (v.is_double()) d = v.get_double();
  else if (v.is_int64()) d = static_cast<double>(v.get_int64());
  else if (v.is_uint64()) d = static_cast<double>(v.get_uint64());
  else return bad(std::string("'") + key + "' must be a number");
  if (!(d >= lo && d <= hi)) return bad(std::string("'") + key + "' is out of range");
  return d;
}

Result<engine::SamplingParams> sampling_from(const boost::json::object& b) {
  engine::SamplingParams p;
  VEIL_ASSIGN_OR_RETURN(double t, number_field(b, "temperature", 1.0, 0.0, 2.0));
  VEIL_ASSIGN_OR_RETURN(double top_p, number_field(b, "top_p", 1.0, 0.0, 1.0));
  VEIL_ASSIGN_OR_RETURN(double top_k, number_field(b, "top_k", 0, -1, 1e9));
  VEIL_ASSIGN_OR_RETURN(double min_p, number_field(b, "min_p", 0.0, 0.0, 1.0));
  VEIL_ASSIGN_OR_RETURN(double pres, number_field(b, "presence_penalty", 0.0, -2.0, 2.0));
  VEIL_ASSIGN_OR_RETURN(double freq, number_field(b, "frequency_penalty", 0.0, -2.0, 2.0));
  VEIL_ASSIGN_OR_RETURN(double rep, number_field(b, "repetition_penalty", 1.0, 0.0, 10.0));
  VEIL_ASSIGN_OR_RETURN(double max_tokens, number_field(b, "max_tokens", -1, -1, 1e9));
  VEIL_ASSIGN_OR_RETURN(double max_completion, number_field(b, "max_completion_tokens", -1, -1, 1e9));
  VEIL_ASSIGN_OR_RETURN(double n, number_field(b, "n", 1, 1, 1e9));
  if (n != 1) return bad("only n=1 is supported");
  p.temperature = static_cast<float>(t);
  p.top_p = static_cast<float>(top_p);
  p.top_k = top_k < 0 ? 0 : static_cast<int>(top_k);
  p.min_p = static_cast<float>(min_p);
  p.presence_penalty = static_cast<float>(pres);
  p.frequency_penalty = static_cast<float>(freq);
  p.repetition_penalty = static_cast<float>(rep);
  p.max_tokens = static_cast<int>(max_completion >= 0 ? max_completion : max_tokens);
  if (auto it = b.find("seed"); it != b.end() && !it->value().is_null()) {
    if (it->value().is_int64()) p.seed = static_cast<uint64_t>(it->value().get_int64());
    else if (it->value().is_uint64()) p.seed = it->value().get_uint64();
    else return bad("'seed' must be an integer");
  }
  if (auto it = b.find("stop"); it != b.end() && !it->value().is_null()) {
    if (it->value().is_string()) {
      p.stop.emplace_back(it->value().get_string());
    } else if (it->value().is_array()) {
      for (const auto& s : it->value().get_array()) {
        if (!s.is_string()) return bad("'stop' must be a string or an array of strings");
        p.stop.emplace_back(s.get_string());
      }
      if (p.stop.size() > 16) return bad("at most 16 stop strings");
    } else {
      return bad("'stop' must be a string or an array of strings");
    }
  }
  if (auto it = b.find("logit_bias"); it != b.end() && !it->value().is_null()) {
    if (!it->value().is_object()) return bad("'logit_bias' must be an object");
    for (const auto& kv : it->value().get_object()) {
      int32_t id = 0;
      auto key = std::string_view(kv.key().data(), kv.key().size());
      auto r = std::from_chars(key.data(), key.data() + key.size(), id);
      if (r.ec != std::errc() || r.ptr != key.data() + key.size()) return bad("'logit_bias' keys must be token ids");
      if (!kv.value().is_number()) return bad("'logit_bias' values must be numbers");
      p.logit_bias.emplace_back(id, static_cast<float>(kv.value().to_number<double>()));
    }
  }
  return p;
}

// Text of a message's content: a string, or text parts joined.
Result<std::string> message_text(const boost::json::value& content) {
  if (content.is_null()) return std::string();
  if (content.is_string()) return std::string(content.get_string());
  std::string out;
  for (const auto& part : content.get_array()) {
    if (!part.is_object()) return bad("content parts must be objects");
    const auto& o = part.get_object();
    auto type = o.find("type");
    if (type == o.end() || !type->value().is_string() || type->value().get_string() != "text")
      return make_error("engine.unsupported", "only text content parts are supported by this model");
    auto text = o.find("text");
    if (text == o.end() || !text->value().is_string()) return bad("text parts need a 'text' string");
    out += text->value().get_string();
  }
  return out;
}

// Engine events cross from the engine's thread to the request's thread here.
class EventQueue {
 public:
  bool push(const engine::TokenEvent& e) {
    std::lock_guard lock(mutex_);
    events_.push_back(e);
    cv_.notify_one();
    return !abandoned_;
  }
  engine::TokenEvent pop() {
    std::unique_lock lock(mutex_);
    cv_.wait(lock, [&] { return !events_.empty(); });
    auto e = std::move(events_.front());
    events_.pop_front();
    return e;
  }
  void abandon() {
    std::lock_guard lock(mutex_);
    abandoned_ = true;
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<engine::TokenEvent> events_;
  bool abandoned_ = false;
};

class BuiltinBackend : public Backend {
 public:
  BuiltinBackend(std::unique_ptr<engine::Engine> eng, std::string name) : engine_(std::move(eng)), name_(std::move(name)) {}

  std::string kind() const override { return "builtin"; }

  bool supports(Endpoint e) const override {
    using K = engine::ModelInfo::Kind;
    switch (engine_->info().kind) {
      case K::generative: return e == Endpoint::chat_completions || e == Endpoint::completions || e == Endpoint::embeddings;
      case K::embedding: return e == Endpoint::embeddings;
      case K::reranker: return e == Endpoint::rerank;
    }
    return false;
  }

  Result<boost::json::object> complete(const BackendRequest& req, Usage* usage) override {
    if (req.endpoint == Endpoint::embeddings) return embeddings(*req.body, usage);
    if (req.endpoint == Endpoint::rerank) return rerank(*req.body, usage);
    std::string text;
    std::string finish = "stop";
    VEIL_TRY(run(req, usage, [&](const engine::TokenEvent& e) {
      text += e.text;
      if (e.done) finish = e.finish_reason;
      return true;
    }));
    const bool chat = req.endpoint == Endpoint::chat_completions;
    boost::json::object choice;
    choice["index"] = 0;
    if (chat) {
      choice["message"] = boost::json::object{{"role", "assistant"}, {"content", text}};
    } else {
      choice["text"] = text;
    }
    choice["logprobs"] = nullptr;
    choice["finish_reason"] = finish;
    boost::json::object out;
    out["object"] = chat ? "chat.completion" : "text_completion";
    out["created"] = unix_now();
    out["model"] = name_;
    out["choices"] = boost::json::array{std::move(choice)};
    out["usage"] = usage_json(*usage);
    return out;
  }

  Status stream(const BackendRequest& req, ChunkSink& sink, Usage* usage) override {
    auto on_chunk = [&](boost::json::object&& c) { return sink.chunk(std::move(c)) && sink.flush(); };
    const bool chat = req.endpoint == Endpoint::chat_completions;
    const int64_t created = unix_now();
    auto chunk = [&](boost::json::object choice_body, boost::json::value finish) {
      boost::json::object choice;
      choice["index"] = 0;
      if (chat) {
        choice["delta"] = std::move(choice_body);
      } else {
        choice["text"] = choice_body.contains("content") ? choice_body["content"] : boost::json::value("");
      }
      choice["logprobs"] = nullptr;
      choice["finish_reason"] = std::move(finish);
      boost::json::object c;
      c["object"] = chat ? "chat.completion.chunk" : "text_completion";
      c["created"] = created;
      c["model"] = name_;
      c["choices"] = boost::json::array{std::move(choice)};
      return c;
    };
    bool client_ok = true;
    if (chat) client_ok = on_chunk(chunk(boost::json::object{{"role", "assistant"}, {"content", ""}}, nullptr));
    if (!client_ok) return make_error("node.client_gone", "client disconnected");
    std::string finish = "stop";
    Status st = run(req, usage, [&](const engine::TokenEvent& e) {
      if (!e.text.empty()) {
        if (!on_chunk(chunk(boost::json::object{{"content", e.text}}, nullptr))) return false;
      }
      if (e.done) finish = e.finish_reason;
      return true;
    });
    if (!st.ok()) return st;
    if (!on_chunk(chunk(boost::json::object{}, boost::json::value(finish)))) return make_error("node.client_gone", "client disconnected");
    if (req.client_wants_usage) {
      boost::json::object c;
      c["object"] = chat ? "chat.completion.chunk" : "text_completion";
      c["created"] = created;
      c["model"] = name_;
      c["choices"] = boost::json::array{};
      c["usage"] = usage_json(*usage);
      if (!on_chunk(std::move(c))) return make_error("node.client_gone", "client disconnected");
    }
    return ok_status();
  }

 private:
  static boost::json::object usage_json(const Usage& u) {
    return boost::json::object{{"prompt_tokens", u.prompt_tokens},
                               {"completion_tokens", u.completion_tokens},
                               {"total_tokens", u.prompt_tokens + u.completion_tokens}};
  }

  Result<std::vector<int32_t>> prompt_tokens(const BackendRequest& req) {
    const auto& b = *req.body;
    if (req.endpoint == Endpoint::chat_completions) {
      std::vector<engine::ChatMessage> msgs;
      for (const auto& m : b.at("messages").get_array()) {
        const auto& o = m.get_object();
        engine::ChatMessage cm;
        cm.role = std::string(o.at("role").get_string());
        auto c = o.find("content");
        if (c != o.end()) {
          VEIL_ASSIGN_OR_RETURN(cm.content, message_text(c->value()));
        }
        msgs.push_back(std::move(cm));
      }
      VEIL_ASSIGN_OR_RETURN(std::string text, engine_->render_chat(msgs, true));
      // BOS as the model says (llama.cpp's rule); a template that writes the
      // BOS text itself would otherwise give two.
      const bool add_bos = engine_->info().add_bos_token;
      VEIL_ASSIGN_OR_RETURN(auto ids, engine_->tokenize(text, add_bos, /*parse_special=*/true));
      if (add_bos) {
        VEIL_ASSIGN_OR_RETURN(auto bos_only, engine_->tokenize("", true, false));
        if (bos_only.size() == 1 && ids.size() >= 2 && ids[0] == bos_only[0] && ids[1] == bos_only[0]) ids.erase(ids.begin());
      }
      return ids;
    }
    // /v1/completions: no template; BOS as the model's add_bos_token says.
    const auto& p = b.at("prompt");
    std::string text;
    if (p.is_string()) {
      text = std::string(p.get_string());
    } else {
      const auto& a = p.get_array();
      if (a.size() != 1 || !a[0].is_string()) return bad("only a single prompt string is supported");
      text = std::string(a[0].get_string());
    }
    return engine_->tokenize(text, engine_->info().add_bos_token, /*parse_special=*/false);
  }

  Status run(const BackendRequest& req, Usage* usage, const std::function<bool(const engine::TokenEvent&)>& on_event) {
    VEIL_ASSIGN_OR_RETURN(auto params, sampling_from(*req.body));
    VEIL_ASSIGN_OR_RETURN(auto prompt, prompt_tokens(req));
    auto queue = std::make_shared<EventQueue>();
    VEIL_ASSIGN_OR_RETURN(auto gen, engine_->generate(std::move(prompt), params,
                                                      [queue](const engine::TokenEvent& e) { return queue->push(e); }));
    for (;;) {
      engine::TokenEvent e = queue->pop();
      if (e.done) {
        usage->prompt_tokens = static_cast<uint64_t>(e.prompt_tokens);
        usage->completion_tokens = static_cast<uint64_t>(e.completion_tokens);
      }
      if (!on_event(e)) {
        queue->abandon();
        gen->cancel();
        return make_error("node.client_gone", "client disconnected");
      }
      if (e.done) return ok_status();
    }
  }

  Result<boost::json::object> embeddings(const boost::json::object& b, Usage* usage) {
    std::vector<std::string> inputs;
    const auto& in = b.at("input");
    if (in.is_string()) {
      inputs.emplace_back(in.get_string());
    } else {
      for (const auto& s : in.get_array()) {
        if (!s.is_string()) return bad("'input' must be a string or an array of strings");
        inputs.emplace_back(s.get_string());
      }
    }
    if (inputs.empty() || inputs.size() > 2048) return bad("'input' must hold 1 to 2048 strings");
    bool base64 = false;
    if (auto f = b.find("encoding_format"); f != b.end() && !f->value().is_null()) {
      if (!f->value().is_string()) return bad("'encoding_format' must be float or base64");
      if (f->value().get_string() == "base64") base64 = true;
      else if (f->value().get_string() != "float") return bad("'encoding_format' must be float or base64");
    }
    int tokens = 0;
    VEIL_ASSIGN_OR_RETURN(auto vectors, engine_->embed(inputs, &tokens));
    boost::json::array data;
    for (size_t i = 0; i < vectors.size(); ++i) {
      boost::json::object item;
      item["object"] = "embedding";
      item["index"] = i;
      if (base64) {
        // Little-endian float32, the openai npm client's default.
        Bytes raw(vectors[i].size() * 4);
        for (size_t j = 0; j < vectors[i].size(); ++j) {
          uint32_t bits;
          std::memcpy(&bits, &vectors[i][j], 4);
          store_le32(raw.data() + 4 * j, bits);
        }
        item["embedding"] = base64_encode(raw);
      } else {
        boost::json::array v;
        v.reserve(vectors[i].size());
        for (float f : vectors[i]) v.emplace_back(tidy_float(f));
        item["embedding"] = std::move(v);
      }
      data.push_back(std::move(item));
    }
    usage->prompt_tokens = static_cast<uint64_t>(tokens);
    boost::json::object out;
    out["object"] = "list";
    out["data"] = std::move(data);
    out["model"] = name_;
    out["usage"] = boost::json::object{{"prompt_tokens", tokens}, {"total_tokens", tokens}};
    return out;
  }

  Result<boost::json::object> rerank(const boost::json::object& b, Usage* usage) {
    std::vector<std::string> docs;
    for (const auto& d : b.at("documents").get_array()) {
      if (!d.is_string()) return bad("'documents' must be strings");
      docs.emplace_back(d.get_string());
    }
    VEIL_ASSIGN_OR_RETURN(double top_n, number_field(b, "top_n", static_cast<double>(docs.size()), 0, 1e9));
    int tokens = 0;
    VEIL_ASSIGN_OR_RETURN(auto scores, engine_->rerank(b.at("query").get_string(), docs, &tokens));
    std::vector<size_t> order(scores.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t c) { return scores[a] > scores[c]; });
    order.resize(std::min(order.size(), static_cast<size_t>(top_n)));
    boost::json::array results;
    for (size_t i : order) results.push_back(boost::json::object{{"index", i}, {"relevance_score", tidy_float(scores[i])}});
    usage->prompt_tokens = static_cast<uint64_t>(tokens);
    boost::json::object out;
    out["model"] = name_;
    out["results"] = std::move(results);
    out["usage"] = boost::json::object{{"prompt_tokens", tokens}, {"total_tokens", tokens}};
    return out;
  }

  std::unique_ptr<engine::Engine> engine_;
  std::string name_;
};

}  // namespace

Result<BuiltinBackendSetup> make_builtin_backend(const NodeOptions& o) {
  engine::EngineOptions eo;
  eo.threads = o.engine_threads;
  eo.n_ctx = o.engine_ctx;
  eo.max_sequences = o.engine_sequences;
  if (!o.chat_template.empty()) eo.chat_template_override = o.chat_template;
  log::info("loading model and measuring its SHA-256");
  VEIL_ASSIGN_OR_RETURN(auto eng, engine::Engine::load(o.model_file, eo));
  // The memory bound an operator sizes the machine by: the weights, plus at most this much KV
  // cache per sequence (committed as positions are used).
  log::info("model loaded: {:.1f} MB file; {} sequences of {} positions, KV cache up to {:.1f} MB each",
            double(eng->info().file_bytes) / 1e6, std::max(1, eo.max_sequences), eng->info().n_ctx,
            double(eng->kv_bytes_per_sequence()) / 1e6);
  BuiltinBackendSetup setup;
  setup.served_model_name = o.served_model_name;
  if (setup.served_model_name.empty()) setup.served_model_name = std::filesystem::path(o.model_file).stem().string();
  auto digest = hex_decode(eng->info().sha256_hex);
  if (!digest.ok() || digest->size() != 32) return make_error("engine.hash", "engine did not report the model's SHA-256");
  std::copy(digest->begin(), digest->end(), setup.model_sha256.begin());
  setup.backend = std::make_unique<BuiltinBackend>(std::move(eng), setup.served_model_name);
  return setup;
}

}  // namespace veil::node
