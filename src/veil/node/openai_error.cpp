#include "veil/node/openai_error.h"

#include <boost/json.hpp>

#include "veil/base/json_stringify.h"

namespace veil::node {

std::string error_body(const ApiError& e) {
  boost::json::object inner;
  inner["message"] = e.message;
  inner["type"] = e.type;
  inner["param"] = e.param ? boost::json::value(*e.param) : boost::json::value(nullptr);
  inner["code"] = e.code ? boost::json::value(*e.code) : boost::json::value(nullptr);
  boost::json::object outer;
  outer["error"] = std::move(inner);
  return js_stringify(outer);
}

ApiError bad_request(std::string message, std::optional<std::string> param, std::optional<std::string> code) {
  return ApiError{400, "invalid_request_error", std::move(message), std::move(param), std::move(code)};
}

ApiError not_found(std::string message, std::optional<std::string> code) {
  return ApiError{404, "not_found_error", std::move(message), std::nullopt, std::move(code)};
}

ApiError internal_error() { return ApiError{500, "server_error", "internal error", std::nullopt, std::nullopt}; }

ApiError from_backend_error(const Error& e) {
  // Backend error codes are "<source>.<kind>"; the message is Veil's own text.
  const std::string& c = e.code;
  auto ends_with = [&](std::string_view s) { return c.size() >= s.size() && c.compare(c.size() - s.size(), s.size(), s) == 0; };
  if (ends_with(".bad_request")) return ApiError{400, "invalid_request_error", e.message, std::nullopt, std::nullopt};
  if (ends_with(".context_length_exceeded"))
    return ApiError{400, "invalid_request_error", e.message, "messages", std::string("context_length_exceeded")};
  if (ends_with(".model_not_found")) return ApiError{404, "not_found_error", e.message, "model", std::string("model_not_found")};
  if (ends_with(".unsupported")) return ApiError{400, "invalid_request_error", e.message, std::nullopt, std::string("unsupported")};
  if (ends_with(".rate_limited")) return ApiError{429, "rate_limit_error", e.message, std::nullopt, std::nullopt};
  if (ends_with(".timeout")) return ApiError{504, "server_error", e.message, std::nullopt, std::string("upstream_timeout")};
  if (ends_with(".unavailable")) return ApiError{503, "server_error", e.message, std::nullopt, std::string("upstream_unavailable")};
  if (c.rfind("upstream.", 0) == 0) return ApiError{502, "server_error", e.message, std::nullopt, std::string("upstream_error")};
  // Engine errors a client can fix get 400; the engine's messages are its own
  // fixed texts (never the prompt).
  if (c == "engine.prompt_too_long") return ApiError{400, "invalid_request_error", e.message, "messages", std::string("context_length_exceeded")};
  if (c == "engine.no_chat_template" || c == "engine.unsupported_chat_template" || c == "engine.chat_template_role" ||
      c == "engine.empty_prompt" || c == "engine.empty_input" || c == "engine.bad_token" || c == "engine.not_reranker" ||
      c == "engine.batch_too_large")
    return ApiError{400, "invalid_request_error", e.message, std::nullopt, c.substr(7)};
  if (c.rfind("engine.", 0) == 0) return ApiError{500, "server_error", e.message, std::nullopt, std::nullopt};
  return internal_error();
}

}  // namespace veil::node
