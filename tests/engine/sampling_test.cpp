#include <gtest/gtest.h>

#include <cmath>
#include <map>

#include "veil/engine/sampler.h"
#include "veil/engine/text_stream.h"

namespace veil::engine {
namespace {

std::vector<float> logits_of(std::initializer_list<float> l) { return std::vector<float>(l); }

TEST(Sampler, GreedyAtTemperatureZeroAndLogprobs) {
  SamplingParams p;
  p.temperature = 0;
  p.top_logprobs = 2;
  Sampler s(p, 4, 1);
  auto l = logits_of({1.f, 3.f, 2.f, 0.f});
  auto r = s.sample(l.data(), {});
  EXPECT_EQ(r.token, 1);
  double z = std::log(std::exp(1.) + std::exp(3.) + std::exp(2.) + std::exp(0.));
  EXPECT_NEAR(r.logprob, 3 - z, 1e-5);
  ASSERT_EQ(r.top.size(), 2u);
  EXPECT_EQ(r.top[0].first, 1);
  EXPECT_EQ(r.top[1].first, 2);
  EXPECT_NEAR(r.top[1].second, 2 - z, 1e-5);
}

TEST(Sampler, LogitBiasAndPenalties) {
  SamplingParams p;
  p.temperature = 0;
  p.logit_bias = {{0, 5.f}};
  Sampler s(p, 3, 1);
  auto l = logits_of({1.f, 3.f, 2.f});
  EXPECT_EQ(s.sample(l.data(), {}).token, 0);
  SamplingParams q;
  q.temperature = 0;
  q.repetition_penalty = 2.0f;  // 3 -> 1.5 < 2
  Sampler s2(q, 3, 1);
  std::vector<int32_t> hist = {1};
  EXPECT_EQ(s2.sample(l.data(), hist).token, 2);
  SamplingParams f;
  f.temperature = 0;
  f.frequency_penalty = 0.6f;  // 3 - 2*0.6 = 1.8 < 2
  Sampler s3(f, 3, 1);
  std::vector<int32_t> hist2 = {1, 1};
  EXPECT_EQ(s3.sample(l.data(), hist2).token, 2);
  SamplingParams pr;
  pr.temperature = 0;
  pr.presence_penalty = 0.5f;  // 3 - 0.5 = 2.5 > 2
  Sampler s4(pr, 3, 1);
  EXPECT_EQ(s4.sample(l.data(), hist2).token, 1);
}

TEST(Sampler, SeedReproducibleAndDistributionFollowsTemperature) {
  SamplingParams p;
  p.temperature = 1.0f;
  p.seed = 42;
  auto l = logits_of({0.f, std::log(3.f), -100.f});
  Sampler a(p, 3, 0), b(p, 3, 0);
  std::map<int, int> counts;
  for (int i = 0; i < 4000; ++i) {
    int x = a.sample(l.data(), {}).token;
    EXPECT_EQ(x, b.sample(l.data(), {}).token);
    ++counts[x];
  }
  EXPECT_EQ(counts[2], 0);
  EXPECT_NEAR(counts[1] / 4000.0, 0.75, 0.03);
}

TEST(Sampler, TopKTopPMinP) {
  auto l = logits_of({2.f, 1.9f, 1.8f, -1.f});
  for (int i = 0; i < 3; ++i) {
    SamplingParams k;
    k.top_k = 1;
    k.seed = uint64_t(i);
    EXPECT_EQ(Sampler(k, 4, 0).sample(l.data(), {}).token, 0);
    SamplingParams tp;
    tp.top_p = 0.01f;
    tp.seed = uint64_t(i);
    EXPECT_EQ(Sampler(tp, 4, 0).sample(l.data(), {}).token, 0);
  }
  SamplingParams mp;
  mp.min_p = 0.5f;
  mp.seed = 3;
  Sampler s(mp, 4, 0);
  for (int i = 0; i < 200; ++i) EXPECT_NE(s.sample(l.data(), {}).token, 3);
}

TEST(TextStream, HoldsBackSplitCodePoints) {
  TextStream t({});
  std::string euro = "\xE2\x82\xAC";
  EXPECT_EQ(t.push("a\xE2"), "a");
  EXPECT_EQ(t.push("\x82"), "");
  EXPECT_EQ(t.push("\xAC" "b"), euro + "b");
  EXPECT_EQ(t.push("\xF0\x9F"), "");
  EXPECT_EQ(t.flush(), "\xEF\xBF\xBD");
}

TEST(TextStream, StopStringsAreWithheldThenCut) {
  TextStream t({"</end>", "STOP"});
  EXPECT_EQ(t.push("hello <"), "hello ");
  EXPECT_EQ(t.push("/e"), "");
  EXPECT_EQ(t.push("x"), "</ex");  // resolved: not a stop string
  EXPECT_EQ(t.push(" ST"), " ");
  EXPECT_EQ(t.push("OP and more"), "");
  EXPECT_TRUE(t.stopped());
  EXPECT_EQ(t.push("ignored"), "");
  TextStream u({"ab"});
  EXPECT_EQ(u.push("xxa"), "xx");
  EXPECT_EQ(u.flush(), "a");
}

TEST(TextStream, Utf8CompletePrefix) {
  EXPECT_EQ(utf8_complete_prefix("abc"), 3u);
  EXPECT_EQ(utf8_complete_prefix("ab\xC3"), 2u);
  EXPECT_EQ(utf8_complete_prefix("ab\xC3\xA9"), 4u);
  EXPECT_EQ(utf8_complete_prefix("\xF0\x9F\x98"), 0u);
  EXPECT_EQ(utf8_complete_prefix("\xF0\x9F\x98\x80"), 4u);
  EXPECT_EQ(utf8_complete_prefix("\x80\x80"), 2u);  // stray continuation bytes never block
}

// Unicode §3.9's example (Table 3-8) and the other ill-formed kinds: one U+FFFD per maximal
// subpart, as Python's decode(errors="replace") and llama-server's JSON writer give.
TEST(TextStream, IllFormedUtf8BecomesReplacementCharacters) {
  const std::string r = "\xEF\xBF\xBD";
  EXPECT_EQ(utf8_valid_or_replaced("a\xF1\x80\x80\xE1\x80\xC2"
                                   "b\x80"
                                   "c\x80\xBF"
                                   "d"),
            "a" + r + r + r + "b" + r + "c" + r + r + "d");
  EXPECT_EQ(utf8_valid_or_replaced("\xC0\xAF"), r + r);                  // overlong
  EXPECT_EQ(utf8_valid_or_replaced("\xED\xA0\x80"), r + r + r);          // surrogate
  EXPECT_EQ(utf8_valid_or_replaced("\xF4\x90\x80\x80"), r + r + r + r);  // past U+10FFFF
  EXPECT_EQ(utf8_valid_or_replaced("\xE2\x82"), r);                      // truncated
  const std::string good = "ok \xE2\x82\xAC \xF0\x9F\x98\x80 \xF4\x8F\xBF\xBF";
  EXPECT_EQ(utf8_valid_or_replaced(good), good);
  // Through the stream: a byte token that completes nothing is replaced when released.
  TextStream t({});
  EXPECT_EQ(t.push("a\x80"), "a" + r);
  EXPECT_EQ(t.push("\xC3"), "");
  EXPECT_EQ(t.push("b"), r + "b");
}

}  // namespace
}  // namespace veil::engine
