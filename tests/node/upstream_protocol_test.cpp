// What the node sends its upstream (upstream_protocol.h): the client's bytes
// when nothing changes, and for streams always a request for usage, however
// the body was written.
#include "veil/node/upstream_protocol.h"

#include <boost/json.hpp>
#include <gtest/gtest.h>

namespace veil::node {
namespace {

struct Forwarded {
  std::string text;
  boost::json::object sent;  // what the upstream parses
};

Forwarded forward(const std::string& raw, bool stream, const std::string& upstream_model = "") {
  const boost::json::object body = boost::json::parse(raw).as_object();
  BackendRequest req{Endpoint::chat_completions, &body, raw, stream, false};
  Forwarded f;
  f.text = upstream_forward_body(req, upstream_model);
  f.sent = boost::json::parse(f.text).as_object();
  return f;
}

TEST(UpstreamForwardBody, NonStreamingBodyIsForwardedByteForByte) {
  const std::string raw = "{ \"model\" : \"m\",\n \"messages\": [] }\n";
  EXPECT_EQ(forward(raw, false).text, raw);
}

TEST(UpstreamForwardBody, StreamAsksForUsageAndKeepsEveryOtherMember) {
  for (const std::string& raw : {std::string(R"({"model":"m","messages":[{"role":"user","content":"}"}],"stream":true})"),
                                std::string("{\"model\":\"m\", \"stream\": true, \"n\": 1.50}  \r\n\t ")}) {
    const auto f = forward(raw, true);
    boost::json::object expected = boost::json::parse(raw).as_object();
    expected["stream_options"] = boost::json::object{{"include_usage", true}};
    EXPECT_EQ(f.sent, expected) << f.text;
    // Appended to the client's bytes, not re-serialized (1.50 stays 1.50).
    EXPECT_EQ(f.text.substr(0, raw.find_last_of('}')), raw.substr(0, raw.find_last_of('}')));
  }
}

TEST(UpstreamForwardBody, StreamOptionsTheClientSentAreKeptWithUsageForcedOn) {
  const auto f = forward(R"({"model":"m","stream":true,"stream_options":{"include_usage":false,"continuous_usage_stats":true}})",
                         true);
  const auto& so = f.sent.at("stream_options").as_object();
  EXPECT_EQ(so.at("include_usage"), true);
  EXPECT_EQ(so.at("continuous_usage_stats"), true);
  EXPECT_EQ(so.size(), 2u);
}

TEST(UpstreamForwardBody, UpstreamModelRenamesTheModel) {
  EXPECT_EQ(forward(R"({"model":"m","stream":true})", true, "real").sent.at("model"), "real");
  EXPECT_EQ(forward(R"({"model":"m"})", false, "real").sent.at("model"), "real");
}

}  // namespace
}  // namespace veil::node
