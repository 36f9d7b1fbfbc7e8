// `veil chat URL --model M [--stream] "message"`: one request, the answer
// printed, then the node's attestation and the response's signatures checked.
#include <boost/json.hpp>

#include <cstdio>

#include <CLI/CLI.hpp>

#include "veil/base/json_stringify.h"
#include "veil/cli/commands.h"
#include "veil/cli/node_client.h"
#include "veil/net/http_client.h"
#include "veil/net/sse.h"

namespace veil::cli {

int chat_command(int argc, char** argv) {
  CLI::App app{"veil chat: send one chat request, then verify the node and the response's signatures"};
  app.name("veil chat");
  NodeCheckOptions opt;
  std::string message;
  bool stream = false, json_out = false;
  int max_tokens = 256;
  double temperature = 0.0;
  app.add_option("url", opt.url, "node URL, e.g. https://127.0.0.1:8443")->required();
  app.add_option("message", message, "the user message")->required();
  app.add_option("--model", opt.model, "model name")->required();
  app.add_flag("--stream", stream, "stream the answer (SSE)");
  app.add_option("--max-tokens", max_tokens, "most tokens to generate");
  app.add_option("--temperature", temperature, "sampling temperature (0 = greedy)");
  app.add_flag("--allow-simulated", opt.allow_simulated, "trust Veil's simulated TEE (development; never a hardware TEE)");
  app.add_option("--collateral", opt.collateral_file, "Intel collateral (dcap-qvl JSON) for an offline check");
  app.add_flag("--json", json_out, "print the verification as JSON");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }

  net::HttpClient client;
  boost::json::object req;
  req["model"] = opt.model;
  req["messages"] = boost::json::array{boost::json::object{{"role", "user"}, {"content", message}}};
  req["max_tokens"] = max_tokens;
  req["temperature"] = temperature;
  if (stream) req["stream"] = true;
  const std::string body = js_stringify(req);
  const std::string url = opt.url + "/v1/chat/completions";

  std::string response_bytes;  // exactly as received, for the response hash
  std::string chat_id;
  attest::Verdict v;
  if (!stream) {
    auto r = client.request("POST", url, {{"content-type", "application/json"}}, body);
    if (!r.ok()) {
      std::fprintf(stderr, "veil chat: %s\n", r.error().to_string().c_str());
      return 1;
    }
    if (r->status != 200) {
      std::fprintf(stderr, "veil chat: HTTP %d: %s\n", r->status, r->body.c_str());
      return 1;
    }
    response_bytes = r->body;
    boost::system::error_code ec;
    auto parsed = boost::json::parse(response_bytes, ec);
    if (ec || !parsed.is_object()) {
      std::fprintf(stderr, "veil chat: the response is not JSON\n");
      return 1;
    }
    const auto& o = parsed.get_object();
    if (auto id = o.find("id"); id != o.end() && id->value().is_string()) chat_id = std::string(id->value().get_string());
    try {
      const auto& content = o.at("choices").at(0).at("message").at("content");
      std::printf("%s\n", content.is_string() ? std::string(content.get_string()).c_str() : "");
    } catch (const std::exception&) {
      std::fprintf(stderr, "veil chat: the response has no message content\n");
    }
  } else {
    net::SseParser parser;
    std::vector<net::SseEvent> events;
    int status = 0;
    std::string error_body;
    net::StreamCallbacks cb;
    cb.on_headers = [&](int s, const net::Headers&) {
      status = s;
      return true;
    };
    cb.on_data = [&](std::string_view data) {
      if (status != 200) {
        error_body.append(data);
        return true;
      }
      response_bytes.append(data);
      events.clear();
      if (!parser.feed(data, events).ok()) return false;
      for (const auto& ev : events) {
        if (ev.data == "[DONE]") continue;
        boost::system::error_code ec;
        auto chunk = boost::json::parse(ev.data, ec);
        if (ec || !chunk.is_object()) continue;
        const auto& o = chunk.get_object();
        if (chat_id.empty()) {
          if (auto id = o.find("id"); id != o.end() && id->value().is_string()) chat_id = std::string(id->value().get_string());
        }
        auto choices = o.find("choices");
        if (choices == o.end() || !choices->value().is_array() || choices->value().get_array().empty()) continue;
        const auto& c = choices->value().get_array()[0];
        if (!c.is_object()) continue;
        auto delta = c.get_object().find("delta");
        if (delta == c.get_object().end() || !delta->value().is_object()) continue;
        auto content = delta->value().get_object().find("content");
        if (content != delta->value().get_object().end() && content->value().is_string()) {
          std::fwrite(content->value().get_string().data(), 1, content->value().get_string().size(), stdout);
          std::fflush(stdout);
        }
      }
      return true;
    };
    auto r = client.stream("POST", url, {{"content-type", "application/json"}, {"accept", "text/event-stream"}}, body, cb);
    std::printf("\n");
    if (!r.ok() || status != 200) {
      std::fprintf(stderr, "veil chat: %s %s\n", r.ok() ? ("HTTP " + std::to_string(status)).c_str() : r.error().to_string().c_str(),
                   error_body.c_str());
      return 1;
    }
  }

  auto node = check_node(client, opt, v);
  if (node && !chat_id.empty()) {
    check_response_signatures(client, opt.url, *node, chat_id, body, response_bytes, v);
  } else if (chat_id.empty()) {
    v.fail("response.id", "the response carries no id to fetch its signature by");
  }
  if (json_out) {
    std::printf("%s\n", js_stringify(attest::to_json(v)).c_str());
  } else {
    std::printf("\n%s", attest::to_text(v).c_str());
  }
  return v.exit_code();
}

}  // namespace veil::cli
