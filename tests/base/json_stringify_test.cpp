#include "veil/base/json_stringify.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <random>
#include <string>

#include "base/run_node.h"

namespace veil {
namespace {

TEST(JsNumber, Ecma262Forms) {
  EXPECT_EQ(js_number(0.0), "0");
  EXPECT_EQ(js_number(-0.0), "0");
  EXPECT_EQ(js_number(1.0), "1");
  EXPECT_EQ(js_number(-1.5), "-1.5");
  EXPECT_EQ(js_number(0.1), "0.1");
  EXPECT_EQ(js_number(1e21), "1e+21");
  EXPECT_EQ(js_number(1e20), "100000000000000000000");
  EXPECT_EQ(js_number(123456789012345680000.0), "123456789012345680000");
  EXPECT_EQ(js_number(1e-6), "0.000001");
  EXPECT_EQ(js_number(1e-7), "1e-7");
  EXPECT_EQ(js_number(1.5e-7), "1.5e-7");
  EXPECT_EQ(js_number(5e-324), "5e-324");
  EXPECT_EQ(js_number(1.7976931348623157e308), "1.7976931348623157e+308");
  EXPECT_EQ(js_number(0.30000000000000004), "0.30000000000000004");
  EXPECT_EQ(js_number(std::nan("")), "null");
  EXPECT_EQ(js_number(std::numeric_limits<double>::infinity()), "null");
}

TEST(JsStringify, CompactOrderedEscaped) {
  boost::json::object o;
  o["id"] = "chatcmpl-1";
  o["n"] = 1.0;
  o["big"] = int64_t(9007199254740993);  // beyond 2^53: printed as JS would
  o["s"] = "a\"b\\c\n\t\x01\xe2\x80\xa8 é";
  o["arr"] = boost::json::array{nullptr, true, false, 2.5};
  EXPECT_EQ(js_stringify(o),
            "{\"id\":\"chatcmpl-1\",\"n\":1,\"big\":9007199254740992,"
            "\"s\":\"a\\\"b\\\\c\\n\\t\\u0001\xe2\x80\xa8 é\",\"arr\":[null,true,false,2.5]}");
}

TEST(JsStringify, InvalidUtf8BecomesReplacementCharacter) {
  std::string out;
  js_quote_append("a\xff" "b\xed\xa0\x80", out);
  EXPECT_EQ(out, "\"a\xef\xbf\xbd" "b\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"");
}

// Compares against Node's JSON.stringify on a corpus of random doubles and
// strings, when node is installed (it is on every machine install-deps sets up).
TEST(JsStringify, MatchesNodeOnCorpus) {
  if (!test::node_available()) GTEST_SKIP() << "node not installed";
  std::mt19937_64 rng(42);
  boost::json::array corpus;
  for (int i = 0; i < 3000; ++i) {
    uint64_t bits = rng();
    double d;
    std::memcpy(&d, &bits, sizeof d);
    if (!std::isfinite(d)) continue;
    corpus.emplace_back(d);
    corpus.emplace_back(static_cast<double>(static_cast<int64_t>(rng() % 2000000) - 1000000) / 1000.0);
    corpus.emplace_back(std::ldexp(static_cast<double>(rng() % 100000), static_cast<int>(rng() % 140) - 70));
  }
  std::string str;
  for (int c = 0; c < 0x80; ++c) str += static_cast<char>(c);
  str += "é漢字😀\u2028\u2029";
  corpus.emplace_back(str);
  corpus.emplace_back(int64_t(-9007199254740991));
  corpus.emplace_back(uint64_t(18446744073709551615ull));

  const std::string input = boost::json::serialize(corpus);
  const std::string ours = js_stringify(corpus);
  const auto theirs_or = test::run_node(
      "process.stdout.write(JSON.stringify(JSON.parse(require(\"fs\").readFileSync(process.argv[1], "
      "\"utf8\"))))",
      input);
  ASSERT_TRUE(theirs_or.has_value());
  const std::string& theirs = *theirs_or;
  ASSERT_EQ(ours.size(), theirs.size());
  EXPECT_TRUE(ours == theirs) << "first difference at byte "
                              << std::mismatch(ours.begin(), ours.end(), theirs.begin()).first - ours.begin();
}

}  // namespace
}  // namespace veil
