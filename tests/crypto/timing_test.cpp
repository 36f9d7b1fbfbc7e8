// Rough signing costs, printed for the record (not asserted: shared CI cores).
#include <gtest/gtest.h>
#include <time.h>

#include <cstdio>

#include "veil/crypto/ed25519.h"
#include "veil/crypto/secp256k1.h"

namespace veil::crypto {
namespace {

// CPU time of this thread per call: wall time is meaningless on shared,
// oversubscribed build machines.
double thread_cpu_micros() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return double(ts.tv_sec) * 1e6 + double(ts.tv_nsec) / 1e3;
}

template <typename F>
double micros_per_call(int n, F&& f) {
  double start = thread_cpu_micros();
  for (int i = 0; i < n; ++i) f(i);
  return (thread_cpu_micros() - start) / n;
}

TEST(Timing, SigningCostPrinted) {
  Secp256k1Key secp = Secp256k1Key::generate();
  Ed25519Key ed = Ed25519Key::generate();
  std::string text = "model-name:" + std::string(64, 'a') + ":" + std::string(64, 'b');
  size_t sink = 0;
  double eip191 = micros_per_call(500, [&](int i) {
    text[0] = char('a' + i % 26);
    sink += eip191_sign(secp, text).size();
  });
  double ed25519 = micros_per_call(500, [&](int i) {
    text[0] = char('a' + i % 26);
    sink += ed.sign(as_bytes(text))[0];
  });
  std::printf("[timing] thread CPU time: eip191_sign %.1f us/op, ed25519 sign %.1f us/op\n", eip191, ed25519);
  EXPECT_GT(sink, 0u);
}

}  // namespace
}  // namespace veil::crypto
