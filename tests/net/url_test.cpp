#include "veil/net/url.h"

#include <gtest/gtest.h>

namespace veil::net {
namespace {

TEST(Url, ParsesHostsPortsAndTargets) {
  auto a = parse_url("http://example.com/v1/models?x=1#frag");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->scheme, "http");
  EXPECT_EQ(a->host, "example.com");
  EXPECT_EQ(a->port, 80);
  EXPECT_EQ(a->target, "/v1/models?x=1");
  EXPECT_EQ(a->host_header(), "example.com");

  auto b = parse_url("HTTPS://[::1]:8443");
  ASSERT_TRUE(b.ok());
  EXPECT_TRUE(b->tls());
  EXPECT_EQ(b->host, "::1");
  EXPECT_EQ(b->port, 8443);
  EXPECT_EQ(b->target, "/");
  EXPECT_EQ(b->host_header(), "[::1]:8443");

  auto c = parse_url("https://127.0.0.1/a%20b");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->port, 443);
  EXPECT_EQ(c->target, "/a%20b");
}

TEST(Url, RejectsBadUrls) {
  for (const char* bad : {"", "example.com", "ftp://x/", "http://", "http://u:p@host/", "http://h:0/",
                          "http://h:65536/", "http://h:12a/", "http://[::1/", "/relative"}) {
    EXPECT_FALSE(parse_url(bad).ok()) << bad;
  }
}

TEST(Url, PercentDecoding) {
  EXPECT_EQ(percent_decode("a%20b%2Fc").value(), "a b/c");
  EXPECT_EQ(percent_decode("a+b", true).value(), "a b");
  EXPECT_EQ(percent_decode("a+b", false).value(), "a+b");
  EXPECT_FALSE(percent_decode("%").ok());
  EXPECT_FALSE(percent_decode("%4").ok());
  EXPECT_FALSE(percent_decode("%zz").ok());
  EXPECT_EQ(percent_encode("a b/~"), "a%20b%2F~");
}

TEST(Url, QueryParsing) {
  auto q = parse_query("nonce=ab&x=%41+b&flag&&=v&x=2");
  ASSERT_TRUE(q.ok());
  ASSERT_EQ(q->size(), 5u);
  EXPECT_EQ((*q)[0], (std::pair<std::string, std::string>{"nonce", "ab"}));
  EXPECT_EQ((*q)[1], (std::pair<std::string, std::string>{"x", "A b"}));
  EXPECT_EQ((*q)[2], (std::pair<std::string, std::string>{"flag", ""}));
  EXPECT_EQ((*q)[3], (std::pair<std::string, std::string>{"", "v"}));
  EXPECT_EQ((*q)[4], (std::pair<std::string, std::string>{"x", "2"}));
  EXPECT_FALSE(parse_query("a=%G0").ok());
}

}  // namespace
}  // namespace veil::net
