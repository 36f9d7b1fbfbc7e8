#include "veil/attest/report_data.h"

#include <gtest/gtest.h>

#include "veil/base/encoding.h"
#include "veil/crypto/hash.h"

namespace veil::attest {
namespace {

std::array<uint8_t, 32> filled(uint8_t v) {
  std::array<uint8_t, 32> a;
  a.fill(v);
  return a;
}

TEST(ReportData, EcdsaAddressIsZeroPadded) {
  Bytes addr(20, 0xab);
  auto nonce = filled(0x11);
  auto rd = build_report_data(addr, std::nullopt, nonce);
  for (int i = 0; i < 20; ++i) EXPECT_EQ(rd[i], 0xab);
  for (int i = 20; i < 32; ++i) EXPECT_EQ(rd[i], 0);
  for (int i = 32; i < 64; ++i) EXPECT_EQ(rd[i], 0x11);
  auto ok = check_report_data(rd, addr, std::nullopt, nonce);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(*ok, ReportDataLayout::plain);
}

TEST(ReportData, Ed25519KeyFillsFirstHalf) {
  Bytes key(32, 0x5c);
  auto rd = build_report_data(key, std::nullopt, filled(0));
  for (int i = 0; i < 32; ++i) EXPECT_EQ(rd[i], 0x5c);
}

TEST(ReportData, TlsLayoutHashesAddressAndFingerprint) {
  Bytes addr(20, 0x01);
  auto fp = filled(0x02);
  auto nonce = filled(0x03);
  auto rd = build_report_data(addr, fp, nonce);
  auto h = crypto::sha256(concat({addr, fp}));
  EXPECT_TRUE(std::equal(h.begin(), h.end(), rd.begin()));
  EXPECT_TRUE(check_report_data(rd, addr, fp, nonce).ok());
  // The plain layout does not match a TLS-bound report_data.
  auto plain = check_report_data(rd, addr, std::nullopt, nonce);
  ASSERT_FALSE(plain.ok());
  EXPECT_EQ(plain.error().code, "report_data.binding_mismatch");
}

TEST(ReportData, RejectsWrongNonceAndAddress) {
  Bytes addr(20, 0x01);
  auto rd = build_report_data(addr, std::nullopt, filled(0x03));
  auto bad_nonce = check_report_data(rd, addr, std::nullopt, filled(0x04));
  ASSERT_FALSE(bad_nonce.ok());
  EXPECT_EQ(bad_nonce.error().code, "report_data.nonce_mismatch");
  Bytes other(20, 0x02);
  EXPECT_EQ(check_report_data(rd, other, std::nullopt, filled(0x03)).error().code,
            "report_data.binding_mismatch");
  Bytes odd(19, 0x01);
  EXPECT_EQ(check_report_data(rd, odd, std::nullopt, filled(0x03)).error().code, "report_data.bad_address");
  EXPECT_FALSE(check_report_data(ByteView(rd).first(63), addr, std::nullopt, filled(0x03)).ok());
}

}  // namespace
}  // namespace veil::attest
