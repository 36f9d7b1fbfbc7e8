#include "veil/net/sse.h"

#include <gtest/gtest.h>

namespace veil::net {
namespace {

std::vector<SseEvent> feed_split(std::string_view stream, size_t piece) {
  SseParser parser;
  std::vector<SseEvent> events;
  for (size_t i = 0; i < stream.size(); i += piece) {
    EXPECT_TRUE(parser.feed(stream.substr(i, piece), events).ok());
  }
  return events;
}

TEST(Sse, ParsesEventsAcrossEverySplit) {
  const std::string stream =
      "\xEF\xBB\xBF: comment\r\n"
      "data: {\"a\":1}\r\n\r\n"
      "event: done\n"
      "data:first\n"
      "data: second\n"
      "id: 7\n"
      "\n"
      "data\r"
      "\r"
      "retry: 10\n"
      "event: ignored-without-data\n\n"
      "data: [DONE]\n\n";
  for (size_t piece = 1; piece <= stream.size(); ++piece) {
    auto events = feed_split(stream, piece);
    ASSERT_EQ(events.size(), 4u) << "piece " << piece;
    EXPECT_EQ(events[0].data, "{\"a\":1}");
    EXPECT_EQ(events[0].event, "");
    EXPECT_EQ(events[1].event, "done");
    EXPECT_EQ(events[1].data, "first\nsecond");
    EXPECT_EQ(events[1].id, "7");
    EXPECT_EQ(events[2].data, "");
    EXPECT_EQ(events[3].data, "[DONE]");
  }
}

TEST(Sse, PartialEventIsReported) {
  SseParser parser;
  std::vector<SseEvent> events;
  ASSERT_TRUE(parser.feed("data: x\n", events).ok());
  EXPECT_TRUE(events.empty());
  EXPECT_TRUE(parser.has_partial_event());
  ASSERT_TRUE(parser.feed("\n", events).ok());
  EXPECT_EQ(events.size(), 1u);
  EXPECT_FALSE(parser.has_partial_event());
}

TEST(Sse, LineAndEventLimits) {
  SseParser parser(16, 32);
  std::vector<SseEvent> events;
  EXPECT_FALSE(parser.feed(std::string(17, 'a'), events).ok());
  EXPECT_FALSE(parser.feed("\n", events).ok());  // stays failed

  SseParser small_events(64, 10);
  EXPECT_FALSE(small_events.feed("data: 0123456789a\n", events).ok());
}

TEST(Sse, DataLineFraming) {
  EXPECT_EQ(sse_data_line("{\"x\":1}"), "data: {\"x\":1}\n\n");
  EXPECT_EQ(sse_data_line("a\r\nb\nc"), "data: a\ndata: b\ndata: c\n\n");
  SseParser parser;
  std::vector<SseEvent> events;
  ASSERT_TRUE(parser.feed(sse_data_line("a\nb"), events).ok());
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].data, "a\nb");
}

}  // namespace
}  // namespace veil::net
