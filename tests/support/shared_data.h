// Locating ../shared (real evidence, vectors, models) from tests.
//
// VEIL_SHARED overrides the build-time default. When the folder is missing
// the test is skipped with the reason, except under CI (CI=true), where its
// absence fails the test.
#pragma once

#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "veil/base/bytes.h"

namespace veil::test {

// The shared folder, or nullopt when it does not exist.
std::optional<std::string> shared_dir();
// True when CI=true is set in the environment.
bool running_in_ci();
// Absolute path of a file under shared/ (no existence check).
std::string shared_path(const std::string& relative);
// Reads a file under shared/; fails the test if it cannot.
Bytes read_shared(const std::string& relative);
std::string read_shared_text(const std::string& relative);

}  // namespace veil::test

// Skips the test (or fails it under CI) when shared/ is missing.
#define VEIL_REQUIRE_SHARED()                                                        \
  do {                                                                               \
    if (!::veil::test::shared_dir()) {                                               \
      if (::veil::test::running_in_ci()) {                                           \
        FAIL() << "../shared is missing (set VEIL_SHARED); required under CI";       \
      }                                                                              \
      GTEST_SKIP() << "../shared not found (set VEIL_SHARED): real test data absent"; \
    }                                                                                \
  } while (0)
