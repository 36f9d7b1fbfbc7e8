// Whole-attribute reads and writes for configfs / sysfs files. Kernel
// attributes must be written with a single write() (binary configfs
// attributes commit on close) and read until EOF.
#pragma once

#include <string>

#include "veil/base/bytes.h"
#include "veil/base/result.h"

namespace veil::attest::kernel_attr {

// Reads until EOF, at most max_bytes (more is an error, never truncated).
// ENOENT gives error code "tee.attr_missing"; other failures "tee.attr_io".
Result<Bytes> read(const std::string& path, size_t max_bytes);
// Reads a decimal counter ("42\n").
Result<uint64_t> read_u64(const std::string& path);
// Reads text with trailing whitespace/newline removed.
Result<std::string> read_trimmed(const std::string& path, size_t max_bytes = 4096);
// One open(O_WRONLY|flags), one full write, close; close errors count (the
// kernel may report a rejected value there).
Status write(const std::string& path, ByteView data, int extra_open_flags = 0);

}  // namespace veil::attest::kernel_attr
