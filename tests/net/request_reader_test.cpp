#include "veil/net/request_reader.h"

#include <gtest/gtest.h>

namespace veil::net {
namespace {

RequestReader::State feed_all(RequestReader& r, std::string_view bytes, size_t* used_out = nullptr) {
  size_t used = 0;
  for (;;) {
    used += r.feed(bytes.substr(used));
    if (r.state() == RequestReader::State::header_ready) {
      r.continue_body();
      continue;
    }
    break;
  }
  if (used_out) *used_out = used;
  return r.state();
}

TEST(RequestReader, ParsesOneRequestAndLeavesTheNext) {
  RequestReader r({});
  const std::string two =
      "POST /a?b=1 HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\nhiGET / HTTP/1.1\r\n\r\n";
  size_t used = 0;
  ASSERT_EQ(feed_all(r, two, &used), RequestReader::State::done);
  EXPECT_EQ(two.substr(used), "GET / HTTP/1.1\r\n\r\n");
  EXPECT_TRUE(r.keep_alive());
  HttpRequest req = r.take_request();
  EXPECT_EQ(req.method, "POST");
  EXPECT_EQ(req.path, "/a");
  EXPECT_EQ(*req.query_param("b"), "1");
  EXPECT_EQ(*req.header("host"), "h");
  EXPECT_EQ(req.body, "hi");
  r.reset();
  ASSERT_EQ(feed_all(r, two.substr(used)), RequestReader::State::done);
  EXPECT_EQ(r.take_request().method, "GET");
}

TEST(RequestReader, HeaderReadyBeforeBodyForExpectContinue) {
  RequestReader r({});
  const std::string head = "PUT /x HTTP/1.1\r\nContent-Length: 3\r\nExpect: 100-Continue\r\n\r\n";
  EXPECT_EQ(r.feed(head), head.size());
  ASSERT_EQ(r.state(), RequestReader::State::header_ready);
  EXPECT_TRUE(r.expects_continue());
  r.continue_body();
  r.feed("abc");
  ASSERT_EQ(r.state(), RequestReader::State::done);
  EXPECT_EQ(r.take_request().body, "abc");
}

TEST(RequestReader, ErrorsMapToStatuses) {
  struct Case {
    std::string bytes;
    int status;
  };
  RequestLimits small{256, 10};
  const std::vector<Case> cases = {
      {"GET / HTTP/1.1\r\nX: " + std::string(300, 'a') + "\r\n\r\n", 431},
      {"POST / HTTP/1.1\r\nContent-Length: 11\r\n\r\n", 413},
      {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nb\r\n01234567890\r\n0\r\n\r\n", 413},
      {"POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", 501},
      {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 1\r\n\r\n", 400},
      {"POST / HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n", 400},
      {"GET / HTTP/1.1\r\nExpect: magic\r\n\r\n", 417},
      {"GET /%2 HTTP/1.1\r\n\r\n", 400},
      {"GET / HTTP/2.0\r\n\r\n", 400},
      {"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 400},
  };
  for (const auto& c : cases) {
    RequestReader r(small);
    EXPECT_EQ(feed_all(r, c.bytes), RequestReader::State::failed) << c.bytes;
    EXPECT_EQ(r.error_status(), c.status) << c.bytes;
  }
}

TEST(RequestReader, AbsoluteFormAndHttp10) {
  RequestReader r({});
  ASSERT_EQ(feed_all(r, "GET http://example.com/p%41?x=y HTTP/1.0\r\n\r\n"), RequestReader::State::done);
  EXPECT_FALSE(r.keep_alive());
  HttpRequest req = r.take_request();
  EXPECT_EQ(req.version, 10);
  EXPECT_EQ(req.target, "/p%41?x=y");
  EXPECT_EQ(req.path, "/pA");
}

TEST(RequestReader, ByteAtATimeMatchesWhole) {
  const std::string msg =
      "POST /v1/chat/completions HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
      "3\r\nabc\r\n1;e=v\r\n\n\r\n0\r\n\r\n";
  RequestReader r({});
  std::string pending;
  for (char c : msg) {
    pending.push_back(c);
    size_t used = r.feed(pending);
    pending.erase(0, used);
    if (r.state() == RequestReader::State::header_ready) {
      r.continue_body();
      pending.erase(0, r.feed(pending));
    }
  }
  ASSERT_EQ(r.state(), RequestReader::State::done);
  EXPECT_EQ(r.take_request().body, "abc\n");
}

}  // namespace
}  // namespace veil::net
