#include "fake_upstream.h"

#include <boost/json.hpp>
#include <thread>

#include "veil/base/json_stringify.h"

namespace veil::test {

namespace {

std::string last_user_message(const boost::json::object& body) {
  auto it = body.find("messages");
  if (it == body.end() || !it->value().is_array() || it->value().get_array().empty()) return "";
  const auto& m = it->value().get_array().back();
  if (!m.is_object()) return "";
  auto c = m.get_object().find("content");
  return (c != m.get_object().end() && c->value().is_string()) ? std::string(c->value().get_string()) : "";
}

}  // namespace

FakeUpstream::FakeUpstream() {
  net::HttpServerOptions o;
  o.host = "127.0.0.1";
  o.port = 0;
  auto s = net::HttpServer::start(o, [this](const net::HttpRequest& req, net::ResponseWriter& w) {
    requests++;
    {
      std::lock_guard lock(mutex_);
      last_body_ = req.body;
    }
    boost::system::error_code ec;
    auto parsed = boost::json::parse(req.body, ec);
    boost::json::object body = (!ec && parsed.is_object()) ? parsed.get_object() : boost::json::object{};
    std::string mode;
    if (auto u = body.find("user"); u != body.end() && u->value().is_string()) mode = std::string(u->value().get_string());
    const bool stream = body.contains("stream") && body["stream"].is_bool() && body["stream"].get_bool();
    const std::string echo = "echo: " + last_user_message(body);

    if (mode == "mode:garbage") {
      w.send(200, "application/json", "this is { not json");
      return;
    }
    if (mode == "mode:500") {
      w.send(500, "application/json", "{\"error\":{\"message\":\"failed on: " + last_user_message(body) + "\"}}");
      return;
    }
    if (req.path == "/v1/embeddings") {
      // Spaces and 1.0-style numbers on purpose: the node must re-serialize.
      w.send(200, "application/json",
             "{ \"object\": \"list\", \"data\": [ { \"object\": \"embedding\", \"index\": 0, \"embedding\": [0.5, -1.0, 2.25e-7] } ],"
             " \"model\": \"up\", \"usage\": { \"prompt_tokens\": 3, \"total_tokens\": 3 } }");
      return;
    }
    if (req.path == "/v1/rerank") {
      w.send(200, "application/json",
             "{\"id\": \"rr-1\", \"results\": [{\"index\": 1, \"relevance_score\": 0.9}, {\"index\": 0, \"relevance_score\": 0.1}]}");
      return;
    }
    const bool chat = req.path == "/v1/chat/completions";
    if (!stream) {
      std::string text = chat ? "{\n  \"id\": \"chatcmpl-up123\",\n  \"object\": \"chat.completion\",\n  \"created\": 1700000000,\n"
                                "  \"model\": \"up\",\n  \"choices\": [{\"index\": 0, \"message\": {\"role\": \"assistant\", \"content\": " +
                                    boost::json::serialize(boost::json::value(echo)) +
                                    "}, \"finish_reason\": \"stop\"}],\n  \"usage\": {\"prompt_tokens\": 5, \"completion_tokens\": 7, \"total_tokens\": 12}\n}"
                              : "{\"id\": \"cmpl-up1\", \"object\": \"text_completion\", \"created\": 1700000000, \"model\": \"up\", "
                                "\"choices\": [{\"text\": " + boost::json::serialize(boost::json::value(echo)) +
                                    ", \"index\": 0, \"finish_reason\": \"length\"}], \"usage\": {\"prompt_tokens\": 2, \"completion_tokens\": 3, \"total_tokens\": 5}}";
      // mode:compact: the same answer already in JSON.stringify form.
      if (mode == "mode:compact") text = js_stringify(boost::json::parse(text));
      w.send(200, "application/json", text);
      return;
    }
    // mode:spaced: chunks written as Python's json.dumps writes them; the
    // node must re-serialize them. mode:usage_each: every chunk carries usage.
    auto event = [&](const boost::json::object& chunk) {
      std::string text = boost::json::serialize(chunk);
      if (mode == "mode:spaced") {
        std::string spaced;
        bool in_string = false;
        for (size_t i = 0; i < text.size(); ++i) {
          const char c = text[i];
          spaced += c;
          if (c == '"' && (i == 0 || text[i - 1] != '\\')) in_string = !in_string;
          if (!in_string && (c == ',' || c == ':')) spaced += ' ';
        }
        text = spaced;
      }
      return "data: " + text;
    };
    const boost::json::object usage_counts{
        {"prompt_tokens", 4}, {"completion_tokens", 3}, {"total_tokens", 7}};
    w.begin_stream(200, "text/event-stream");
    const int n = mode == "mode:slow" ? 200 : 3;
    for (int i = 0; i < n; ++i) {
      boost::json::object chunk{{"id", "chatcmpl-upstream1"}, {"object", "chat.completion.chunk"}, {"created", 1700000000}, {"model", "up"}};
      boost::json::object delta;
      delta["content"] = i == 0 ? echo : " part" + std::to_string(i);
      chunk["choices"] = boost::json::array{boost::json::object{{"index", 0}, {"delta", delta}, {"finish_reason", nullptr}}};
      if (mode == "mode:usage_each") chunk["usage"] = usage_counts;
      if (!w.write(event(chunk) + "\r\n\r\n")) return;
      if (mode == "mode:slow") std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    if (mode == "mode:truncated") {
      w.end_stream();
      return;
    }
    boost::json::object usage{{"id", "chatcmpl-upstream1"},      {"object", "chat.completion.chunk"},
                              {"created", 1700000000},           {"model", "up"},
                              {"choices", boost::json::array{}}, {"usage", usage_counts}};
    w.write(event(usage) + "\n\n");
    w.write("data: [DONE]\n\n");
    w.end_stream();
  });
  if (s.ok()) server_ = std::move(s).value();
}

FakeUpstream::~FakeUpstream() {
  if (server_) server_->stop(std::chrono::milliseconds(100));
}

uint16_t FakeUpstream::port() const { return server_ ? server_->port() : 0; }
std::string FakeUpstream::url() const { return "http://127.0.0.1:" + std::to_string(port()); }
std::string FakeUpstream::last_request_body() const {
  std::lock_guard lock(mutex_);
  return last_body_;
}

}  // namespace veil::test
