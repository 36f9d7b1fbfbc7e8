#include "veil/crypto/keccak.h"

#include <gtest/gtest.h>

#include "vectors.h"

namespace veil::crypto {
namespace {

using test::hex;

TEST(Keccak, KnownValuesWithoutSharedData) {
  EXPECT_EQ(hex(keccak256({})), "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470");
  EXPECT_EQ(hex(keccak256(as_bytes("abc"))),
            "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45");
}

TEST(Keccak, SharedVectors) {
  VEIL_REQUIRE_SHARED();
  auto doc = test::load_json("testdata/crypto/keccak/keccak256.json");
  size_t count = 0;
  for (const auto& v : doc.at("vectors").as_array()) {
    Bytes input = test::unhex(v.at("input_hex"));
    ASSERT_EQ(input.size(), size_t(v.at("length").as_int64())) << test::str(v.at("name"));
    EXPECT_EQ(hex(keccak256(input)), test::str(v.at("keccak256"))) << test::str(v.at("name"));
    ++count;
  }
  EXPECT_EQ(count, 18u);
  // The FIPS 202 padding gives a different value: guard against mixing them up.
  EXPECT_NE(hex(keccak256({})), "a7ffc6f8bf1ed76651c14756a061d662f580ff4de43b49fa82d80a4b80f8434a");
}

}  // namespace
}  // namespace veil::crypto
