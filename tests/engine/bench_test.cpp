// veil model bench's runner (run_bench) on stories260K: options checked, and a KV cache sized by
// `ctx` as a node sizes it.
#include "veil/engine/bench.h"

#include <gtest/gtest.h>

#include "support/shared_data.h"
#include "veil/engine/kernels.h"

namespace veil::engine {
namespace {

TEST(Bench, CtxSizesTheKvCacheAndMustHoldTheRun) {
  VEIL_REQUIRE_SHARED();
  const std::string path = test::shared_path("models/stories260K.gguf");
  BenchOptions o;
  o.threads = 2;
  o.prompt = 8;
  o.gen = 4;
  o.sequences = 2;
  auto tight = run_bench(path, o);
  ASSERT_TRUE(tight.ok()) << tight.error().message;
  EXPECT_GT(tight->pp_tps, 0);
  EXPECT_GT(tight->tg_tps, 0);
  EXPECT_GT(tight->aggregate_tps, 0);
  EXPECT_GT(tight->tg_depth_tps, 0);
  EXPECT_GT(tight->aggregate_depth_tps, 0);

  o.ctx = 256;
  auto wide = run_bench(path, o);
  ASSERT_TRUE(wide.ok()) << wide.error().message;
  // The cache's size grows with the positions it holds, in whole V tiles (kVTile): 256 against
  // the run's 8 + 4, which take one tile.
  static_assert(kVTile == 64);
  EXPECT_EQ(wide->kv_bytes_per_sequence * 64, tight->kv_bytes_per_sequence * 256);
  EXPECT_GT(wide->tg_tps, 0);

  o.ctx = 11;  // one position short
  auto short_ctx = run_bench(path, o);
  ASSERT_FALSE(short_ctx.ok());
  EXPECT_EQ(short_ctx.error().code, "bench.bad_options");
}

}  // namespace
}  // namespace veil::engine
