// Reading whole files (test data, collateral, certificates).
#pragma once

#include <string>

#include "veil/base/bytes.h"
#include "veil/base/result.h"

namespace veil {

// Reads a regular file up to max_bytes; larger files are an error.
Result<Bytes> read_file(const std::string& path, size_t max_bytes = size_t(1) << 30);
Result<std::string> read_text_file(const std::string& path, size_t max_bytes = size_t(1) << 30);

}  // namespace veil
