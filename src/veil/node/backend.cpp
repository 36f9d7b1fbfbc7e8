#include "veil/node/backend.h"

namespace veil::node {

const char* endpoint_path(Endpoint e) {
  switch (e) {
    case Endpoint::chat_completions: return "/v1/chat/completions";
    case Endpoint::completions: return "/v1/completions";
    case Endpoint::embeddings: return "/v1/embeddings";
    case Endpoint::rerank: return "/v1/rerank";
  }
  return "";
}

std::optional<Endpoint> endpoint_for_path(std::string_view path) {
  for (Endpoint e : {Endpoint::chat_completions, Endpoint::completions, Endpoint::embeddings, Endpoint::rerank}) {
    if (path == endpoint_path(e)) return e;
  }
  return std::nullopt;
}

const char* endpoint_metric(Endpoint e) {
  switch (e) {
    case Endpoint::chat_completions: return "chat_completions";
    case Endpoint::completions: return "completions";
    case Endpoint::embeddings: return "embeddings";
    case Endpoint::rerank: return "rerank";
  }
  return "";
}

}  // namespace veil::node
