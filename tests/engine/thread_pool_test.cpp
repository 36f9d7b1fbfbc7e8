// ThreadPool: every part of every section runs exactly once, whatever the part counts of
// consecutive sections. (A thread still reading the previous section's ticket must not claim a part
// of the next one; that race once double-ran a part and hung the caller. Its window is a few
// instructions wide and this test did not catch it; it checks the invariant under churn.)
#include "veil/engine/thread_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <vector>

#include "test_budget.h"

namespace veil::engine {
namespace {

TEST(ThreadPool, EveryPartOnceAcrossChangingPartCounts) {
  ThreadPool pool(3);
  std::vector<std::atomic<int>> hits(64);
  const int sections = ::veil::engine_test::kSanitizedBuild ? 3000 : 30000;
  for (int s = 0; s < sections; ++s) {
    const int parts = (s % 3 == 0) ? 1 : (s % 3 == 1 ? 37 : 3);
    for (auto& h : hits) h.store(0, std::memory_order_relaxed);
    pool.run_parts(parts, [&](int part, int n) {
      if (n == parts && part >= 0 && part < n) hits[size_t(part)].fetch_add(1, std::memory_order_relaxed);
    });
    for (int p = 0; p < 64; ++p) {
      ASSERT_EQ(hits[size_t(p)].load(), p < parts ? 1 : 0) << "section " << s << " part " << p;
    }
  }
}

TEST(ThreadPool, RunGivesOnePartPerThread) {
  ThreadPool pool(2);
  std::atomic<int> calls{0}, bad{0};
  pool.run([&](int part, int n) {
    calls.fetch_add(1);
    if (n != 2 || part < 0 || part >= 2) bad.fetch_add(1);
  });
  EXPECT_EQ(calls.load(), 2);
  EXPECT_EQ(bad.load(), 0);
}

}  // namespace
}  // namespace veil::engine
