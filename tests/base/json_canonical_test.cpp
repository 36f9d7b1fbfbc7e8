// The canonical-form scanner (json_canonical.h) against fixed cases and
// against Node itself: for every text of a random corpus, "canonical" must
// mean JSON.stringify(JSON.parse(text)) === text in Node, and the converse
// must hold too wherever the scanner does not decline on purpose.
#include "veil/base/json_canonical.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>

#include "base/run_node.h"
#include "veil/base/encoding.h"
#include "veil/base/json_stringify.h"

namespace veil {
namespace {

bool canonical(std::string_view text, int depth = 64) {
  CanonicalJsonScanner s;
  return s.scan_object(text, depth);
}

TEST(CanonicalJson, AcceptsJsonStringifyForm) {
  for (const char* t :
       {R"({})", R"({"a":1})", R"({"a":[],"b":{},"c":[1,-2,0,0.5,-1.5e-7,1e+21,null,true,false]})",
        R"({"s":"q\"b\\n\n\t\b\f\r\u0001\u001f/é漢😀 "})", "{\"s\":\"\xe2\x80\xa8\"}",
        R"({"n":123456789012345680000,"m":0.30000000000000004,"k":9007199254740992})",
        R"({"id":"chatcmpl-1","choices":[{"delta":{"content":"Hi"},"index":0}]})"}) {
    EXPECT_TRUE(canonical(t)) << t;
  }
}

TEST(CanonicalJson, RejectsEveryOtherSpelling) {
  for (const char* t : {"",
                        "[]",
                        "1",
                        "\"a\"",
                        "{",
                        "{}{}",
                        "{} ",
                        " {}",
                        "{ }",
                        R"({"a": 1})",
                        R"({"a":1 })",
                        "{\"a\":1}\n",
                        R"({"a":1.0})",
                        R"({"a":1e2})",
                        R"({"a":1E+21})",
                        R"({"a":-0})",
                        R"({"a":01})",
                        R"({"a":.5})",
                        R"({"a":1.})",
                        R"({"a":+1})",
                        R"({"a":1e400})",
                        R"({"a":9007199254740993})",
                        R"({"a":0.1000})",
                        R"({"a":"\/"})",
                        R"({"a":"\u0041"})",
                        R"({"a":"\u000a"})",
                        R"({"a":"\u001F"})",
                        R"({"a":"\ud83d\ude00"})",
                        "{\"a\":\"\x01\"}",
                        "{\"a\":\"\xff\"}",
                        "{\"a\":\"\xed\xa0\x80\"}",
                        "{\"a\":\"\xc0\xaf\"}",
                        R"({"a":"x)",
                        R"({"a":1,"a":2})",
                        R"({"o":{"k":1,"k":1}})",
                        R"({"1":1})",
                        R"({"a":tru})",
                        R"({"a":nul})",
                        R"({"a":[1,]})",
                        R"({"a":1,})",
                        R"({a:1})",
                        R"({"a"})",
                        R"({"a":[1 ,2]})"}) {
    EXPECT_FALSE(canonical(t)) << t;
  }
  // Keys may repeat across objects, just not within one.
  EXPECT_TRUE(canonical(R"({"a":{"a":{"a":1}},"b":[{"a":1},{"a":2}]})"));
}

TEST(CanonicalJson, ListsTopLevelMembersInOrder) {
  CanonicalJsonScanner s;
  ASSERT_TRUE(s.scan_object(R"({"id":"x","usage":{"a":1},"choices":[],"model":"m\"q"})"));
  ASSERT_EQ(s.members().size(), 4u);
  EXPECT_EQ(s.members()[0].key, "id");
  EXPECT_EQ(s.members()[0].value, "\"x\"");
  EXPECT_EQ(s.members()[1].value, R"({"a":1})");
  EXPECT_EQ(s.members()[2].value, "[]");
  EXPECT_EQ(s.members()[3].value, R"("m\"q")");
  // A second scan starts afresh.
  ASSERT_TRUE(s.scan_object(R"({"b":2})"));
  ASSERT_EQ(s.members().size(), 1u);
  EXPECT_EQ(s.members()[0].key, "b");
}

TEST(CanonicalJson, DepthAndMemberBounds) {
  // 64 levels: the object and 63 arrays; the same bound as Boost.JSON's max_depth.
  std::string deep = "{\"a\":";
  for (int i = 0; i < 63; ++i) deep += "[";
  deep += "1";
  for (int i = 0; i < 63; ++i) deep += "]";
  deep += "}";
  EXPECT_TRUE(canonical(deep, 64));
  EXPECT_FALSE(canonical(deep, 63));
  for (int depth : {63, 64}) {
    boost::json::parse_options opt;
    opt.max_depth = static_cast<size_t>(depth);
    boost::system::error_code ec;
    boost::json::parse(deep, ec, {}, opt);
    EXPECT_EQ(!ec, canonical(deep, depth)) << depth;
  }
  std::string wide = "{";
  for (size_t i = 0; i <= CanonicalJsonScanner::kMaxMembers; ++i)
    wide += (i ? ",\"k" : "\"k") + std::to_string(i) + "\":0";
  EXPECT_FALSE(canonical(wide + "}"));  // declined, not judged
}

// A random JSON text, sometimes canonical, often a near miss.
class Generator {
 public:
  explicit Generator(uint64_t seed) : rng_(seed) {}
  std::string object_text(int depth) {
    std::string out = "{";
    const int n = pick(5);
    for (int i = 0; i < n; ++i) {
      if (i) out += ",";
      space(out);
      out += key();
      space(out);
      out += ":";
      out += value(depth);
      space(out);
    }
    return out + "}";
  }

 private:
  int pick(int n) { return static_cast<int>(rng_() % static_cast<uint64_t>(n)); }
  void space(std::string& out) {
    if (pick(25) == 0) out += " ";
  }
  std::string key() {
    static const char* keys[] = {"\"a\"", "\"b\"", "\"id\"", "\"1\"", "\"\\u0061\"", "\"\"", "\"a\""};
    return keys[pick(7)];
  }
  std::string value(int depth) {
    switch (depth > 0 ? pick(6) : pick(3)) {
      case 0:
        return number();
      case 1:
        return string();
      case 2:
        return std::vector<std::string>{"true", "false", "null"}[static_cast<size_t>(pick(3))];
      case 3:
        return object_text(depth - 1);
      default: {
        std::string out = "[";
        const int n = pick(4);
        for (int i = 0; i < n; ++i) out += (i ? "," : "") + value(depth - 1);
        return out + "]";
      }
    }
  }
  std::string number() {
    static const char* forms[] = {"0",
                                  "-0",
                                  "1",
                                  "1.0",
                                  "1e2",
                                  "1E2",
                                  "100",
                                  "1.5",
                                  "0.1",
                                  "1e21",
                                  "1e+21",
                                  "1e-7",
                                  "0.000001",
                                  "-2.50",
                                  "12345678901234567",
                                  "9007199254740993",
                                  "123456789012345680000",
                                  "0.30000000000000004",
                                  "5e-324"};
    if (pick(2) == 0) return forms[pick(sizeof forms / sizeof forms[0])];
    double d = std::ldexp(static_cast<double>(rng_() % 1000000) - 500000, pick(80) - 40);
    if (pick(2) == 0) return js_number(d);
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.17g", d);
    return buf;
  }
  std::string string() {
    static const char* pieces[] = {"a",
                                   " ",
                                   "\\\"",
                                   "\\\\",
                                   "\\n",
                                   "\\u000a",
                                   "\\/",
                                   "/",
                                   "\\u0001",
                                   "\\u001F",
                                   "\\u001f",
                                   "\\u0041",
                                   "é",
                                   "😀",
                                   "\\t",
                                   "\xe2\x80\xa8",
                                   "\\ud83d\\ude00",
                                   "\\b"};
    std::string out = "\"";
    const int n = pick(4);
    for (int i = 0; i < n; ++i) out += pieces[pick(sizeof pieces / sizeof pieces[0])];
    return out + "\"";
  }
  std::mt19937_64 rng_;
};

TEST(CanonicalJson, AgreesWithNodeOnRandomTexts) {
  if (!test::node_available()) GTEST_SKIP() << "node not installed";
  Generator gen(7);
  std::vector<std::string> texts;
  for (int i = 0; i < 4000; ++i) texts.push_back(gen.object_text(3));
  // Hex-encoded, one per line, so Node sees exactly these bytes.
  std::string input;
  for (const auto& t : texts)
    input += hex_encode(ByteView(reinterpret_cast<const uint8_t*>(t.data()), t.size())) + "\n";
  const auto verdicts_or = test::run_node(
      "for (const h of require(\"fs\").readFileSync(process.argv[1], \"utf8\").split(\"\\n\")) { if (!h) "
      "continue;"
      " const t = Buffer.from(h, \"hex\").toString(\"utf8\"); let same = false;"
      " try { same = JSON.stringify(JSON.parse(t)) === t; } catch (e) {}"
      " process.stdout.write(same ? \"1\" : \"0\"); }",
      input);
  ASSERT_TRUE(verdicts_or.has_value());
  const std::string& verdicts = *verdicts_or;
  ASSERT_EQ(verdicts.size(), texts.size());
  size_t canonical_count = 0;
  for (size_t i = 0; i < texts.size(); ++i) {
    const bool ours = canonical(texts[i]);
    const bool node = verdicts[i] == '1';
    canonical_count += ours;
    if (ours) {
      EXPECT_TRUE(node) << "called canonical, but Node rewrites it: " << texts[i];
    } else if (node) {
      // Declined on purpose only for an integer-like key (here "1").
      EXPECT_NE(texts[i].find("\"1\":"), std::string::npos) << "canonical in Node, not here: " << texts[i];
    }
  }
  // The corpus exercises both verdicts.
  EXPECT_GT(canonical_count, texts.size() / 10);
  EXPECT_LT(canonical_count, texts.size() * 9 / 10);
}

}  // namespace
}  // namespace veil
