// The `model-hash` measurement (WIRE.md section 3): for a GGUF file its
// SHA-256; for a model directory the SHA-256 of its manifest — one line
// "<sha256 hex>  <relative path>\n" per regular file, sorted by path, exactly
// as `sha256sum` prints (so `find . -type f | sort | xargs sha256sum`
// reproduces it by hand).
#pragma once

#include <array>
#include <string>

#include "veil/base/result.h"

namespace veil::node {

struct ModelHash {
  std::array<uint8_t, 32> digest{};
  std::string manifest;  // empty for a single file
};

Result<ModelHash> hash_model_file(const std::string& path);
Result<ModelHash> hash_model_directory(const std::string& dir);

}  // namespace veil::node
