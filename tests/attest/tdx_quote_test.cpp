// Quote parsing against the real quotes of ../shared/testdata (SOURCES.md §2).
#include <gtest/gtest.h>

#include "support/shared_data.h"
#include "veil/attest/quote.h"
#include "veil/base/encoding.h"

namespace veil::attest {
namespace {

Quote load(const std::string& rel) {
  auto raw = veil::test::read_shared("testdata/" + rel);
  auto decoded = decode_quote_input(raw);
  EXPECT_TRUE(decoded.ok()) << rel << ": " << (decoded.ok() ? "" : decoded.error().to_string());
  if (!decoded.ok()) return {};
  auto q = parse_quote(*decoded);
  EXPECT_TRUE(q.ok()) << rel << ": " << (q.ok() ? "" : q.error().to_string());
  return q.ok() ? *q : Quote{};
}

struct Row {
  const char* file;
  int version;
  QuoteBodyType body;
  const char* tee_tcb_svn_prefix;  // hex
  const char* td_attributes;       // hex of the 8 raw bytes
  size_t trail;
};

TEST(TdxQuoteParse, EveryRealQuoteMatchesSourcesTable) {
  VEIL_REQUIRE_SHARED();
  const Row rows[] = {
      {"dcap-qvl/tdx_quote", 4, QuoteBodyType::td10, "0601030000", "0000001000000000", 70},
      {"dcap-qvl/quote-from-tappd.hex", 4, QuoteBodyType::td10, "0501020000", "0000001000000000", 70},
      {"dcap-qvl/tdx-quote.hex", 4, QuoteBodyType::td10, "050102", "0000001000000000", 70},
      {"dcap-qvl/tdx_quote_outdated", 5, QuoteBodyType::td15, "070103", "0000001000000000", 0},
      {"dcap-qvl/near-gas-test/quote_hex.txt", 4, QuoteBodyType::td10, "060104", "0000001000000000", 70},
      {"go-tdx-guest/tdx_prod_quote_SPR_E4.dat", 4, QuoteBodyType::td10, "030004", "0000004000000000", 39},
      {"go-tdx-guest/quote_v5_sample.dat", 5, QuoteBodyType::td15, "0b0104", "0000001000000000", 0},
      {"go-tdx-guest/ccel/cos-113-tdx-quote.dat", 4, QuoteBodyType::td10, "040107", "0000001000000000", 3065},
      {"teekit/sampleQuotes/tdx-v4-moemahhouk.dat", 4, QuoteBodyType::td10, "040102", "0000001000000080", 70},
      {"teekit/sampleQuotes/tdx-v4-phala.dat", 4, QuoteBodyType::td10, "060103", "0000001000000000", 70},
      {"teekit/sampleQuotes/tdx-v5-trustee.dat", 5, QuoteBodyType::td15, "050102", "0000001000000000", 0},
      {"trustee/tdx_quote_4.dat", 4, QuoteBodyType::td10, "030005", "0100001000000000", 0},
      {"trustee/tdx_quote_6.dat", 4, QuoteBodyType::td10, "050302", "0000001000000000", 70},
      {"trustee/az-tdx-vtpm/td-quote.bin", 4, QuoteBodyType::td10, "020106", "0000000000000000", 70},
      {"dstack/tdx_quote", 4, QuoteBodyType::td10, "050102", "0000001000000000", 70},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(row.file);
    Quote q = load(row.file);
    EXPECT_EQ(q.header.version, row.version);
    EXPECT_EQ(q.header.tee_type, kTeeTypeTdx);
    EXPECT_EQ(q.body_type, row.body);
    EXPECT_EQ(hex_encode(q.td_report.tee_tcb_svn).substr(0, std::string(row.tee_tcb_svn_prefix).size()),
              row.tee_tcb_svn_prefix);
    EXPECT_EQ(hex_encode(q.td_report.td_attributes), row.td_attributes);
    EXPECT_EQ(q.trailing_bytes, row.trail);
    EXPECT_EQ(q.cert_data_type, kCertDataPckChain);
    EXPECT_NE(std::string(q.cert_data.begin(), q.cert_data.end()).find("-----BEGIN CERTIFICATE-----"),
              std::string::npos);
    EXPECT_EQ(q.header.qe_vendor_id, kIntelQeVendorId);
    EXPECT_EQ(q.qe_report_raw.size(), kEnclaveReportSize);
  }
}

TEST(TdxQuoteParse, SgxV3AndEncodings) {
  VEIL_REQUIRE_SHARED();
  Quote sgx = load("dcap-qvl/sgx_quote");
  EXPECT_EQ(sgx.header.version, 3);
  EXPECT_EQ(sgx.body_type, QuoteBodyType::sgx_enclave);
  EXPECT_EQ(sgx.trailing_bytes, 0u);
  EXPECT_EQ(sgx.cert_data_type, kCertDataPckChain);
  EXPECT_EQ(sgx.signed_data.size(), 48u + 384u);

  // Hex files (duplicates per SOURCES.md) parse identically.
  Quote hex = load("teekit/sampleQuotes/tdx-v4-phala.hex");
  Quote raw = load("dcap-qvl/tdx-quote.hex");
  EXPECT_EQ(hex.signed_data, raw.signed_data);
  EXPECT_EQ(hex.signature, raw.signature);

  // Base64 input (the same bytes re-encoded).
  auto bytes = veil::test::read_shared("testdata/dcap-qvl/tdx_quote");
  std::string b64 = base64_encode(bytes);
  auto dec = decode_quote_input(as_bytes(b64));
  ASSERT_TRUE(dec.ok());
  EXPECT_EQ(*dec, bytes);
  std::string hx = "0x" + hex_encode(bytes) + "\n";
  auto dec2 = decode_quote_input(as_bytes(hx));
  ASSERT_TRUE(dec2.ok());
  EXPECT_EQ(*dec2, bytes);
}

TEST(TdxQuoteParse, V5SignedRegionIncludesBodyDescriptor) {
  VEIL_REQUIRE_SHARED();
  Quote q = load("go-tdx-guest/quote_v5_sample.dat");
  EXPECT_EQ(q.signed_data.size(), 48u + 6u + kTd15ReportSize);
  EXPECT_TRUE(q.td_report.is_td15);
}

TEST(TdxQuoteParse, DstackAttestationContainerQuoteAtOffset4) {
  VEIL_REQUIRE_SHARED();
  auto raw = veil::test::read_shared("testdata/dstack/attestation.bin");
  ASSERT_GT(raw.size(), 4u);
  auto q = parse_quote(ByteView(raw).subspan(4));
  ASSERT_TRUE(q.ok()) << q.error().to_string();
  EXPECT_EQ(q->quote_size, 4940u);
}

TEST(TdxQuoteParse, EveryTruncationIsAnErrorNotACrash) {
  VEIL_REQUIRE_SHARED();
  auto raw = veil::test::read_shared("testdata/dcap-qvl/tdx_quote");
  auto full = parse_quote(raw);
  ASSERT_TRUE(full.ok());
  for (size_t n = 0; n < full->quote_size; n += (n < 700 ? 1 : 37)) {
    auto q = parse_quote(ByteView(raw).first(n));
    EXPECT_FALSE(q.ok()) << n;
  }
}

TEST(TdxQuoteParse, RejectsBadHeaderAndLengths) {
  VEIL_REQUIRE_SHARED();
  auto raw = veil::test::read_shared("testdata/dcap-qvl/tdx_quote");
  {
    Bytes b = raw;
    b[0] = 6;
    EXPECT_EQ(parse_quote(b).error().code, "quote.unsupported_version");
  }
  {
    Bytes b = raw;
    b[4] = 0x42;
    EXPECT_EQ(parse_quote(b).error().code, "quote.unsupported_body");
  }
  {
    // Signature data length larger than the buffer.
    Bytes b = raw;
    store_le32(b.data() + 48 + kTd10ReportSize, 0xfffffff0u);
    EXPECT_EQ(parse_quote(b).error().code, "quote.truncated");
  }
  {
    // Outer certification data type other than 6.
    Bytes b = raw;
    b[48 + kTd10ReportSize + 4 + 128] = 5;
    EXPECT_EQ(parse_quote(b).error().code, "quote.unsupported_cert_data");
  }
  EXPECT_FALSE(decode_quote_input(as_bytes("zz!!")).ok());
}

}  // namespace
}  // namespace veil::attest
