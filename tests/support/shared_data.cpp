#include "support/shared_data.h"

#include <cstdlib>
#include <filesystem>

#include "veil/base/file.h"

namespace veil::test {

std::optional<std::string> shared_dir() {
  const char* env = std::getenv("VEIL_SHARED");
  std::string dir = (env && *env) ? env : VEIL_SHARED_DEFAULT;
  std::error_code ec;
  if (!std::filesystem::is_directory(std::filesystem::path(dir) / "testdata", ec)) return std::nullopt;
  return std::filesystem::canonical(dir, ec).string();
}

bool running_in_ci() {
  const char* ci = std::getenv("CI");
  return ci && std::string(ci) == "true";
}

std::string shared_path(const std::string& relative) {
  auto dir = shared_dir();
  return (dir ? *dir : std::string(VEIL_SHARED_DEFAULT)) + "/" + relative;
}

Bytes read_shared(const std::string& relative) {
  auto r = read_file(shared_path(relative));
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().to_string());
  return r.ok() ? std::move(r).value() : Bytes{};
}

std::string read_shared_text(const std::string& relative) {
  auto r = read_text_file(shared_path(relative));
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().to_string());
  return r.ok() ? std::move(r).value() : std::string{};
}

}  // namespace veil::test
