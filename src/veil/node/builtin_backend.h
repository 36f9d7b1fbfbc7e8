// Backend `builtin`: the node's own CPU engine (engine/) serving a GGUF model.
// Translates OpenAI requests to engine calls and engine events to OpenAI
// objects (chat, completions, embeddings, rerank).
#pragma once

#include <array>
#include <memory>
#include <string>

#include "veil/node/backend.h"
#include "veil/node/node_options.h"

namespace veil::node {

struct BuiltinBackendSetup {
  std::unique_ptr<Backend> backend;
  std::string served_model_name;
  std::array<uint8_t, 32> model_sha256{};  // measured as model-hash
};

Result<BuiltinBackendSetup> make_builtin_backend(const NodeOptions& options);

}  // namespace veil::node
