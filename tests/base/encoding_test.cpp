#include <gtest/gtest.h>

#include "veil/base/encoding.h"

namespace veil {
namespace {

TEST(Hex, RoundTripAndCase) {
  Bytes b = {0x00, 0x01, 0xab, 0xff};
  EXPECT_EQ(hex_encode(b), "0001abff");
  auto d = hex_decode("0001ABff");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(*d, b);
}

TEST(Hex, RejectsMalformed) {
  EXPECT_FALSE(hex_decode("abc").ok());
  EXPECT_FALSE(hex_decode("zz").ok());
  EXPECT_FALSE(hex_decode("0x00").ok());
  auto d = hex_decode("0x00ff", /*allow_0x=*/true);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->size(), 2u);
}

// RFC 4648 section 10 test vectors.
TEST(Base64, Rfc4648Vectors) {
  const std::pair<const char*, const char*> vectors[] = {
      {"", ""}, {"f", "Zg=="}, {"fo", "Zm8="}, {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"}};
  for (auto [plain, enc] : vectors) {
    EXPECT_EQ(base64_encode(as_bytes(plain)), enc);
    auto d = base64_decode(enc);
    ASSERT_TRUE(d.ok()) << enc;
    EXPECT_EQ(to_string(*d), plain);
  }
}

TEST(Base64, UrlSafeUnpaddedAndWhitespace) {
  EXPECT_EQ(base64url_encode(Bytes{0xfb, 0xff}), "-_8");
  auto d = base64_decode("-_8");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(*d, (Bytes{0xfb, 0xff}));
  auto w = base64_decode("Zm9v\nYmFy\r\n");
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(to_string(*w), "foobar");
}

TEST(Base64, RejectsMalformed) {
  EXPECT_FALSE(base64_decode("Zm9v!").ok());
  EXPECT_FALSE(base64_decode("Z").ok());
  EXPECT_FALSE(base64_decode("Zg==Zg").ok());
  EXPECT_FALSE(base64_decode("Zg===").ok());
}

}  // namespace
}  // namespace veil
