// Rough signing costs, printed for the record (not asserted: shared CI cores).
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>

#include "veil/crypto/ed25519.h"
#include "veil/crypto/secp256k1.h"

namespace veil::crypto {
namespace {

template <typename F>
double micros_per_call(int n, F&& f) {
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < n; ++i) f(i);
  auto elapsed = std::chrono::steady_clock::now() - start;
  return std::chrono::duration<double, std::micro>(elapsed).count() / n;
}

TEST(Timing, SigningCostPrinted) {
  Secp256k1Key secp = Secp256k1Key::generate();
  Ed25519Key ed = Ed25519Key::generate();
  std::string text = "model-name:" + std::string(64, 'a') + ":" + std::string(64, 'b');
  size_t sink = 0;
  double eip191 = micros_per_call(200, [&](int i) {
    text[0] = char('a' + i % 26);
    sink += eip191_sign(secp, text).size();
  });
  double ed25519 = micros_per_call(200, [&](int i) {
    text[0] = char('a' + i % 26);
    sink += ed.sign(as_bytes(text))[0];
  });
  std::printf("[timing] eip191_sign: %.1f us/op, ed25519 sign: %.1f us/op (%zu)\n", eip191, ed25519,
              sink % 2);
  EXPECT_GT(sink, 0u);
}

}  // namespace
}  // namespace veil::crypto
