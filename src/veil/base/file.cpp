#include "veil/base/file.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

namespace veil {

Result<std::string> read_text_file(const std::string& path, size_t max_bytes) {
  std::unique_ptr<FILE, int (*)(FILE*)> f(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!f) return make_error("file.open", path + ": " + std::strerror(errno));
  std::string out;
  char buf[65536];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f.get())) > 0) {
    if (out.size() + n > max_bytes) return make_error("file.too_large", path + ": larger than allowed");
    out.append(buf, n);
  }
  if (std::ferror(f.get())) return make_error("file.read", path + ": read error");
  return out;
}

Result<Bytes> read_file(const std::string& path, size_t max_bytes) {
  VEIL_ASSIGN_OR_RETURN(std::string text, read_text_file(path, max_bytes));
  return Bytes(text.begin(), text.end());
}

}  // namespace veil
