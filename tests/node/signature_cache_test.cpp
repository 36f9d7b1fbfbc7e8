#include <gtest/gtest.h>

#include <atomic>
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

SignedResponse fake_sign(std::string text, std::atomic<int>* calls) {
  calls->fetch_add(1);
  return SignedResponse{text, "0xsig:" + text, "ed:" + text};
}

TEST(SignatureCache, UnsignedEntryIsSignedByTheFirstLookup) {
  SignatureCache cache;
  std::atomic<int> calls{0};
  cache.set_signer([&](std::string t) { return fake_sign(std::move(t), &calls); });
  cache.add_pending("chatcmpl-2", "m");
  cache.add_unsigned("chatcmpl-2", "m", "m:req:resp");
  EXPECT_EQ(calls.load(), 0);  // nothing signed until asked
  auto found = cache.find("chatcmpl-2", std::chrono::milliseconds(0));
  ASSERT_TRUE(found);
  EXPECT_EQ(found->state, SignatureState::signed_ok);
  EXPECT_EQ(found->response.text, "m:req:resp");
  EXPECT_EQ(found->response.ecdsa_signature, "0xsig:m:req:resp");
  // Signed once: later lookups and the background signer reuse it.
  cache.sign_if_unsigned("chatcmpl-2");
  auto again = cache.find("chatcmpl-2", std::chrono::milliseconds(0));
  ASSERT_TRUE(again);
  EXPECT_EQ(again->response.ed25519_signature, "ed:m:req:resp");
  EXPECT_EQ(calls.load(), 1);
}

TEST(SignatureCache, BackgroundSigningBeforeLookup) {
  SignatureCache cache;
  std::atomic<int> calls{0};
  cache.set_signer([&](std::string t) { return fake_sign(std::move(t), &calls); });
  cache.add_unsigned("c", "m", "m:1:2");
  cache.sign_if_unsigned("c");
  EXPECT_EQ(calls.load(), 1);
  auto found = cache.find("c", std::chrono::milliseconds(0));
  ASSERT_TRUE(found);
  EXPECT_EQ(found->state, SignatureState::signed_ok);
  EXPECT_EQ(calls.load(), 1);
  cache.sign_if_unsigned("unknown");  // no entry: nothing to do
  cache.mark_disconnected("d", "m");
  cache.sign_if_unsigned("d");  // nothing to sign for a broken stream
  EXPECT_EQ(calls.load(), 1);
}

TEST(SignatureCache, LookupWaitingForAStreamSignsWhenItEnds) {
  SignatureCache cache;
  std::atomic<int> calls{0};
  cache.set_signer([&](std::string t) { return fake_sign(std::move(t), &calls); });
  cache.add_pending("s", "m");
  std::thread stream_end([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    cache.add_unsigned("s", "m", "m:x:y");
  });
  auto found = cache.find("s", std::chrono::seconds(5));
  stream_end.join();
  ASSERT_TRUE(found);
  EXPECT_EQ(found->state, SignatureState::signed_ok);
  EXPECT_EQ(found->response.text, "m:x:y");
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
