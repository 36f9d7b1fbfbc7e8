// The ASan/UBSan build runs the engine's heaviest cases on a subset (the Release build runs all).
#pragma once

namespace veil::engine_test {

constexpr bool kSanitizedBuild =
#if defined(__SANITIZE_ADDRESS__)
    true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
    true;
#else
    false;
#endif
#else
    false;
#endif

}  // namespace veil::engine_test

#define VEIL_SKIP_IN_SANITIZED_BUILD()                                                           \
  do {                                                                                           \
    if (::veil::engine_test::kSanitizedBuild) GTEST_SKIP() << "covered by the Release build"; \
  } while (0)
