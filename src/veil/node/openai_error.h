// OpenAI-shaped errors: {"error":{"message","type","param","code"}} (WIRE.md section 1).
// Messages are fixed texts chosen by Veil: never prompt or completion content,
// never an upstream's free-form text (which may echo the input).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "veil/base/result.h"

namespace veil::node {

struct ApiError {
  int status = 500;
  std::string type = "server_error";  // invalid_request_error, not_found_error, ...
  std::string message;
  std::optional<std::string> param;
  std::optional<std::string> code;
};

std::string error_body(const ApiError& e);

ApiError bad_request(std::string message, std::optional<std::string> param = std::nullopt,
                     std::optional<std::string> code = std::nullopt);
ApiError not_found(std::string message, std::optional<std::string> code = std::nullopt);
ApiError internal_error();

// Maps a Result error from a backend ("backend.bad_request", "upstream.unavailable", ...)
// to the HTTP status and OpenAI type a client should see.
ApiError from_backend_error(const Error& e);

}  // namespace veil::node
