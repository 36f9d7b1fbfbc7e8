#include <gtest/gtest.h>

#include <thread>

#include "veil/node/signature_cache.h"

namespace veil::node {
namespace {

TEST(SignatureCache, PendingLookupWaitsForSigning) {
  SignatureCache cache;
  cache.add_pending("chatcmpl-1", "m");
  std::thread signer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    cache.complete("chatcmpl-1", "m", SignedResponse{"m:a:b", "0xsig", "edsig"});
  });
  auto found = cache.find("chatcmpl-1", std::chrono::seconds(5));
  signer.join();
  ASSERT_TRUE(found);
  EXPECT_EQ(found->state, SignatureState::signed_ok);
  EXPECT_EQ(found->response.text, "m:a:b");
}

TEST(SignatureCache, PendingLookupGivesUpAtDeadline) {
  SignatureCache cache;
  cache.add_pending("x", "m");
  auto t0 = std::chrono::steady_clock::now();
  auto found = cache.find("x", std::chrono::milliseconds(100));
  EXPECT_GE(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(100));
  ASSERT_TRUE(found);
  EXPECT_EQ(found->state, SignatureState::pending);
}

TEST(SignatureCache, UnknownAndDisconnected) {
  SignatureCache cache;
  EXPECT_FALSE(cache.find("nope", std::chrono::milliseconds(0)));
  cache.mark_disconnected("s", "m");
  auto found = cache.find("s", std::chrono::milliseconds(0));
  ASSERT_TRUE(found);
  EXPECT_EQ(found->state, SignatureState::stream_disconnected);
}

TEST(SignatureCache, BoundedCountEvictsOldest) {
  SignatureCache cache(SignatureCache::Options{std::chrono::seconds(600), 3});
  for (int i = 0; i < 5; ++i) cache.complete("id" + std::to_string(i), "m", SignedResponse{});
  EXPECT_EQ(cache.size(), 3u);
  EXPECT_FALSE(cache.find("id0", std::chrono::milliseconds(0)));
  EXPECT_FALSE(cache.find("id1", std::chrono::milliseconds(0)));
  EXPECT_TRUE(cache.find("id4", std::chrono::milliseconds(0)));
}

TEST(SignatureCache, EntriesExpireAfterTtl) {
  SignatureCache cache(SignatureCache::Options{std::chrono::seconds(1), 100});
  cache.complete("old", "m", SignedResponse{});
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  EXPECT_FALSE(cache.find("old", std::chrono::milliseconds(0)));
}

}  // namespace
}  // namespace veil::node
