// Runs a JavaScript snippet under Node with `input` in a temporary file, for
// tests that take Node's own JSON.parse/JSON.stringify as the reference.
#pragma once

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>

namespace veil::test {

inline bool node_available() { return std::system("node --version >/dev/null 2>&1") == 0; }

// `script` reads the input file named by process.argv[1] and writes its
// answer to stdout, which is returned; nullopt when Node failed. The script
// must not contain a single quote (it is passed in one).
inline std::optional<std::string> run_node(const std::string& script, const std::string& input) {
  char path[] = "/tmp/veil_node_input_XXXXXX";
  const int fd = mkstemp(path);
  if (fd < 0) return std::nullopt;
  const bool written = write(fd, input.data(), input.size()) == static_cast<ssize_t>(input.size());
  close(fd);
  std::optional<std::string> out;
  if (written && script.find('\'') == std::string::npos) {
    if (FILE* p = popen(("node -e '" + script + "' " + path).c_str(), "r")) {
      std::string text;
      char buf[65536];
      size_t n;
      while ((n = fread(buf, 1, sizeof buf, p)) > 0) text.append(buf, n);
      if (pclose(p) == 0) out = std::move(text);
    }
  }
  unlink(path);
  return out;
}

}  // namespace veil::test
