#include "veil/attest/tee/tdx_configfs_io.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>

namespace veil::attest::kernel_attr {
namespace {

Error io_error(const char* op, const std::string& path, int err) {
  return make_error(err == ENOENT ? "tee.attr_missing" : "tee.attr_io",
                    std::string(op) + " " + path + ": " + std::strerror(err));
}

}  // namespace

Result<Bytes> read(const std::string& path, size_t max_bytes) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return io_error("open", path, errno);
  Bytes out;
  uint8_t buf[16384];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::close(fd);
      return io_error("read", path, err);
    }
    if (n == 0) break;
    if (out.size() + size_t(n) > max_bytes) {
      ::close(fd);
      return make_error("tee.attr_too_large", path + ": more than " + std::to_string(max_bytes) + " bytes");
    }
    out.insert(out.end(), buf, buf + n);
  }
  ::close(fd);
  return out;
}

Result<std::string> read_trimmed(const std::string& path, size_t max_bytes) {
  VEIL_ASSIGN_OR_RETURN(Bytes raw, read(path, max_bytes));
  std::string s = to_string(raw);
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '\0' || s.back() == '\t'))
    s.pop_back();
  return s;
}

Result<uint64_t> read_u64(const std::string& path) {
  VEIL_ASSIGN_OR_RETURN(std::string s, read_trimmed(path, 64));
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size()) {
    return make_error("tee.attr_format", path + ": not a decimal counter");
  }
  return v;
}

Status write(const std::string& path, ByteView data, int extra_open_flags) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC | extra_open_flags);
  if (fd < 0) return io_error("open", path, errno);
  ssize_t n;
  do {
    n = ::write(fd, data.data(), data.size());
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    const int err = errno;
    ::close(fd);
    return io_error("write", path, err);
  }
  if (size_t(n) != data.size()) {
    ::close(fd);
    return make_error("tee.attr_io", "short write to " + path);
  }
  if (::close(fd) != 0) return io_error("close", path, errno);
  return ok_status();
}

}  // namespace veil::attest::kernel_attr
