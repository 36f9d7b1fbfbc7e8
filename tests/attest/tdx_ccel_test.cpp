// CCEL (TCG2 crypto-agile, SHA-384) parsing and RTMR replay (SOURCES.md §7).
#include <gtest/gtest.h>

#include "support/shared_data.h"
#include "veil/attest/ccel.h"
#include "veil/attest/quote.h"
#include "veil/base/encoding.h"

namespace veil::attest {
namespace {

std::array<std::string, 4> replay_hex(const std::string& rel) {
  auto log = ccel_to_event_log(veil::test::read_shared("testdata/" + rel));
  EXPECT_TRUE(log.ok()) << rel << ": " << (log.ok() ? "" : log.error().to_string());
  std::array<std::string, 4> out;
  if (!log.ok()) return out;
  auto r = replay_rtmrs(*log);
  for (size_t i = 0; i < 4; ++i) out[i] = hex_encode(r[i]);
  return out;
}

Quote quote(const std::string& rel) {
  auto raw = decode_quote_input(veil::test::read_shared("testdata/" + rel));
  EXPECT_TRUE(raw.ok());
  auto q = parse_quote(*raw);
  EXPECT_TRUE(q.ok());
  return *q;
}

const std::string kZero(96, '0');

TEST(TdxCcel, GoTdxGuestLogReplaysToTheQuote) {
  VEIL_REQUIRE_SHARED();
  auto r = replay_hex("go-tdx-guest/ccel/ccel_data.dat");
  Quote q = quote("go-tdx-guest/ccel/cos-113-tdx-quote.dat");
  for (size_t i = 0; i < 4; ++i) EXPECT_EQ(r[i], hex_encode(q.td_report.rtmr[i])) << "RTMR" << i;
  auto events = parse_ccel(veil::test::read_shared("testdata/go-tdx-guest/ccel/ccel_data.dat"));
  ASSERT_TRUE(events.ok());
  EXPECT_EQ(events->size(), 1u + 43u);  // the Spec ID header event, then 43 events
  Bytes nonce = veil::test::read_shared("testdata/go-tdx-guest/ccel/nonce.dat");
  EXPECT_TRUE(std::equal(nonce.begin(), nonce.end(), q.td_report.report_data.begin()));
  auto table = parse_ccel_table(veil::test::read_shared("testdata/go-tdx-guest/ccel/ccel_table.dat"));
  ASSERT_TRUE(table.ok());
  EXPECT_EQ(table->cc_type, 2);
  EXPECT_EQ(table->log_area_minimum_length, 262144u);
  EXPECT_EQ(table->log_area_start_address, 0xbedbf000u);
}

TEST(TdxCcel, TrusteeLogsReplayToTheirExpectedRtmrs) {
  VEIL_REQUIRE_SHARED();
  struct Row {
    const char* file;
    const char* prefix[4];  // "" = all zero
  } rows[] = {
      {"trustee/eventlog/CCEL_data", {"2dc71230", "0fa3be56", "", ""}},
      {"trustee/eventlog/CCEL_data_ovmf", {"8566f998", "775b9f6b", "94eaf7a7", ""}},
      {"trustee/eventlog/CCEL_data_grub", {"cec0a104", "6c289e0c", "08919d01", ""}},
      {"trustee/eventlog/CCEL_data_gcp", {"33009807", "204d49f7", "", ""}},
      {"trustee/eventlog/CCEL_data_grub_gke", {"bc994513", "c17cb288", "334aeba2", ""}},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(row.file);
    auto r = replay_hex(row.file);
    for (size_t i = 0; i < 4; ++i) {
      if (row.prefix[i][0] == 0) {
        EXPECT_EQ(r[i], kZero) << "RTMR" << i;
      } else {
        EXPECT_EQ(r[i].substr(0, 8), row.prefix[i]) << "RTMR" << i;
      }
    }
  }
  // Suffixes from the same source (lib.rs test_rtmr_integrity) for one log.
  auto ovmf = replay_hex("trustee/eventlog/CCEL_data_ovmf");
  EXPECT_EQ(ovmf[0].substr(92), "e193");
  EXPECT_EQ(ovmf[2].substr(92), "f34a");
}

TEST(TdxCcel, DstackCcelMatchesTappdQuoteOnRtmr0And2Only) {
  VEIL_REQUIRE_SHARED();
  auto r = replay_hex("dstack/ccel.bin");
  Quote q = quote("dcap-qvl/quote-from-tappd.hex");
  EXPECT_EQ(r[0], hex_encode(q.td_report.rtmr[0]));
  EXPECT_NE(r[1], hex_encode(q.td_report.rtmr[1]));
  EXPECT_EQ(r[2], hex_encode(q.td_report.rtmr[2]));
}

TEST(TdxCcel, AaelLogParses) {
  VEIL_REQUIRE_SHARED();
  auto events = parse_ccel(veil::test::read_shared("testdata/trustee/eventlog/CCEL_AAEL_alibabacloud"));
  ASSERT_TRUE(events.ok()) << events.error().to_string();
  EXPECT_GT(events->size(), 10u);
}

TEST(TdxCcel, MalformedLogsAreErrors) {
  VEIL_REQUIRE_SHARED();
  Bytes good = veil::test::read_shared("testdata/go-tdx-guest/ccel/ccel_data.dat");
  EXPECT_FALSE(parse_ccel(ByteView(good).first(20)).ok());
  Bytes bad_sig = good;
  bad_sig[32] ^= 0x01;  // "Spec ID Event03" signature
  EXPECT_EQ(parse_ccel(bad_sig).error().code, "ccel.bad_header");
  // Every prefix parses or fails cleanly.
  for (size_t n = 0; n < 6000; n += 7) (void)parse_ccel(ByteView(good).first(n));
  // An event whose size runs past the log.
  auto events = parse_ccel(good);
  ASSERT_TRUE(events.ok());
  Bytes cut(good.begin(), good.begin() + 2000);
  auto r = parse_ccel(cut);
  EXPECT_FALSE(r.ok());
  EXPECT_FALSE(parse_ccel_table(ByteView(good).first(56)).ok());
}

}  // namespace
}  // namespace veil::attest
