// dstack runtime event digests, V1 and V2 (event_log.h). The V2 vectors were
// computed outside this code (Python hashlib over json.dumps(sort_keys=True,
// separators=(",", ":"), ensure_ascii=False), which equals RFC 8785 for these
// inputs) from dstack's definition: SHA384 of the canonical JSON
// {"name": event, "payload": hex(payload), "type": 134217729}.
#include <gtest/gtest.h>
#include <openssl/sha.h>

#include <boost/json.hpp>
#include <ctime>

#include "support/shared_data.h"
#include "veil/attest/event_log.h"
#include "veil/attest/report_verify.h"
#include "veil/attest/tee/tee_provider.h"
#include "veil/base/encoding.h"

namespace veil::attest {
namespace {
namespace json = boost::json;

std::string as_string(const Bytes& b) { return std::string(b.begin(), b.end()); }

EventLogEntry v2_event(std::string name, Bytes payload) {
  EventLogEntry e;
  e.imr = 3;
  e.event_type = kRuntimeEventType;
  e.event = std::move(name);
  e.event_payload = std::move(payload);
  e.version = 2;
  e.digest = runtime_event_digest_v2(e.event, e.event_payload);
  return e;
}

TEST(DstackEventLogV2, CanonicalPreimageAndDigestVectors) {
  struct Vector {
    std::string name;
    Bytes payload;
    std::string preimage;
    std::string digest;
  };
  const Vector vectors[] = {
      {"compose-hash",
       {0xab, 0xcd},
       R"({"name":"compose-hash","payload":"abcd","type":134217729})",
       "9dde1673f544faa94b921825209593ddde08d0baf9cd6990175dffaf3081f1bb10311d56de189491feb33842a050ad7b"},
      {"event\"with\\special\nchars",
       {0xff},
       R"({"name":"event\"with\\special\nchars","payload":"ff","type":134217729})",
       "c3c6aaab21738411752bfe0d7164921c00a3b0975904f3ea4f092cbab63898af9ffa0b6713f15f1192a68b923155a9d9"},
      {"\x08\x0c\n\r\t\x01",
       {},
       R"({"name":"\b\f\n\r\t\u0001","payload":"","type":134217729})",
       "9dfdbc8f6277bb06d71d940dca91a3277a33558eebd3bbb3d46e798c82d51f24cb9ab246a8ae8d47effd900e6915737a"},
      // Non-ASCII is written as UTF-8, never \u-escaped (RFC 8785 3.2.2.2).
      {"\xe6\xb5\x8b\xe8\xaf\x95-emoji-\xf0\x9f\xa6\x80",
       {},
       "{\"name\":\"\xe6\xb5\x8b\xe8\xaf\x95-emoji-\xf0\x9f\xa6\x80\",\"payload\":\"\",\"type\":134217729}",
       "39d2d72cca60a45ecff2b5f77a928664c850b90f85bbbb5b0a2ac2efff4608f6526f8eabeeabafd6b78e329dd5f8fc23"},
      {"",
       {},
       R"({"name":"","payload":"","type":134217729})",
       "7d65b81202e4e4a23a637731e0a701ff5cb75d0bba75a94a8761fbb036eb5b46ff988258a81cf9c783edbe720c162cc7"},
  };
  for (const auto& v : vectors) {
    EXPECT_EQ(as_string(runtime_event_preimage(v.name, v.payload, 2)), v.preimage);
    EXPECT_EQ(hex_encode(runtime_event_digest_v2(v.name, v.payload)), v.digest) << v.preimage;
    // The V1 rule gives another digest for the same fields.
    EXPECT_NE(hex_encode(runtime_event_digest(v.name, v.payload)), v.digest);
  }
  // V1 preimage: le32(0x08000001) ‖ ":" ‖ name ‖ ":" ‖ payload.
  EXPECT_EQ(hex_encode(runtime_event_preimage("app-id", Bytes{0xde, 0xad}, 1)),
            "01000008" + hex_encode(as_bytes(std::string_view(":app-id:"))) + "dead");
  EXPECT_EQ(jcs_string("a/b\x7f"), "\"a/b\x7f\"");  // '/' and DEL are not escaped
}

// A mixed V1/V2 log as dstack's guest would serve it (V2 with "version": 2 and
// "preimage"); digests and the expected RTMR3 computed outside this code.
constexpr const char* kMixedLog = R"([
 {"imr":3,"event_type":134217729,"digest":"aa89600f6438e7c3d46e86fb9a3600120c01fc21fcb855a928d26efab202750856302f2cb202822e6e6951ded19d1829","event":"app-id","event_payload":"0102"},
 {"imr":3,"event_type":134217729,"digest":"2a5326c760ed1b4fcd1b044e5b1eee2a10aae3fe52992abcd81d9bbf48395f6f579088498e4ff1c84e4f1b055b871f6a","event":"compose-hash","event_payload":"0304","version":2,"preimage":"7b226e616d65223a22636f6d706f73652d68617368222c227061796c6f6164223a2230333034222c2274797065223a3133343231373732397d"},
 {"imr":3,"event_type":134217729,"digest":"e3f609e9724871eb5e8e00149552490b5bdcb742ba3070d50e6147b636716ee4fc7ece2bf144fcf6a6bcb1244c7fbfb4","event":"instance-id","event_payload":"0506"}])";
constexpr const char* kMixedRtmr3 =
    "79815fb79fc512fffb0f244ad86bd084a3b1d31049aefd2d49c77a07b9f8476eb6b9ae3fcbdc27fee36018ce9a366bb5";

TEST(DstackEventLogV2, MixedLogParsesChecksAndReplays) {
  auto log = event_log_from_json(json::parse(kMixedLog));
  ASSERT_TRUE(log.ok()) << log.error().to_string();
  ASSERT_EQ(log->size(), 3u);
  EXPECT_EQ((*log)[0].version, 1u);
  EXPECT_EQ((*log)[1].version, 2u);
  ASSERT_TRUE((*log)[1].preimage.has_value());
  for (const auto& e : *log) EXPECT_TRUE(check_runtime_event(e).ok()) << e.event;
  EXPECT_EQ(hex_encode(replay_rtmrs(*log)[3]), kMixedRtmr3);
  // Serialized back with its version and preimage, it parses to the same.
  auto again = event_log_from_json(to_json(*log));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ((*again)[1].version, 2u);
  EXPECT_EQ((*again)[1].preimage, (*log)[1].preimage);
  EXPECT_FALSE(to_json((*log)[0]).as_object().contains("version"));
}

TEST(DstackEventLogV2, MismatchesFailWithTheirOwnReason) {
  const EventLogEntry good = v2_event("key-provider", Bytes{1, 2, 3});
  ASSERT_TRUE(check_runtime_event(good).ok());
  {
    EventLogEntry e = good;  // payload changed, digest kept
    e.event_payload[0] ^= 1;
    auto st = check_runtime_event(e);
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.error().code, "eventlog.digest_mismatch");
    EXPECT_NE(st.error().message.find("V2"), std::string::npos);
  }
  {
    EventLogEntry e = good;  // flipped digest byte
    e.digest[47] ^= 0x80;
    auto st = check_runtime_event(e);
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.error().code, "eventlog.digest_mismatch");
    EXPECT_EQ(st.error().message.find("matches the"), std::string::npos);
  }
  {
    EventLogEntry e = good;  // a V2 digest on an event without "version": 2
    e.version = 1;
    auto st = check_runtime_event(e);
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.error().code, "eventlog.digest_mismatch");
    EXPECT_NE(st.error().message.find("matches the V2 rule, but the event is marked V1"), std::string::npos);
  }
  {
    EventLogEntry e = make_runtime_event("app-id", Bytes{9});  // a V1 digest marked V2
    e.version = 2;
    auto st = check_runtime_event(e);
    ASSERT_FALSE(st.ok());
    EXPECT_NE(st.error().message.find("matches the V1 rule, but the event is marked V2"), std::string::npos);
  }
  {
    EventLogEntry e = good;
    e.version = 3;
    auto st = check_runtime_event(e);
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.error().code, "eventlog.unknown_version");
  }
  {
    // A preimage that hashes to the digest but is not canonical (members
    // reordered): refused, as dstack's validate_v2_preimages does.
    EventLogEntry e = good;
    const std::string reordered = R"({"type":134217729,"name":"key-provider","payload":"010203"})";
    e.preimage = Bytes(reordered.begin(), reordered.end());
    SHA384(e.preimage->data(), e.preimage->size(), e.digest.data());
    auto st = check_runtime_event(e);
    ASSERT_FALSE(st.ok());
    // The digest now matches neither rule for these fields.
    EXPECT_EQ(st.error().code, "eventlog.digest_mismatch");
  }
  {
    EventLogEntry e = good;  // canonical digest, preimage of other bytes
    e.preimage = runtime_event_preimage("key-provider", Bytes{1, 2, 4}, 2);
    auto st = check_runtime_event(e);
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.error().code, "eventlog.preimage_mismatch");
    EXPECT_NE(st.error().message.find("does not hash"), std::string::npos);
  }
  {
    EventLogEntry e = good;
    e.preimage = runtime_event_preimage("key-provider", Bytes{1, 2, 3}, 2);
    EXPECT_TRUE(check_runtime_event(e).ok());
  }
  // Not a runtime event: nothing to recompute.
  EventLogEntry boot;
  boot.event_type = 0x80000001;
  boot.digest[0] = 1;
  EXPECT_TRUE(check_runtime_event(boot).ok());
}

TEST(DstackEventLogV2, ParserRefusesBadVersionAndPreimage) {
  auto with = [](const char* extra) {
    std::string s = std::string(R"([{"imr":3,"event_type":134217729,"digest":")") + std::string(96, '0') +
                    R"(","event":"a","event_payload":"")" + extra + "}]";
    return event_log_from_json(json::parse(s));
  };
  EXPECT_TRUE(with("").ok());
  EXPECT_EQ(with("").value()[0].version, 1u);  // absent means V1, as in dstack
  EXPECT_TRUE(with(R"(,"version":1)").ok());
  EXPECT_TRUE(with(R"(,"version":2)").ok());
  for (const char* bad : {R"(,"version":3)", R"(,"version":0)", R"(,"version":"2")", R"(,"version":-1)",
                          R"(,"preimage":"zz")", R"(,"preimage":5)"}) {
    auto r = with(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code, "eventlog.bad_entry") << bad;
  }
}

TEST(DstackEventLogV2, RealV1SampleStillChecksAsV1) {
  VEIL_REQUIRE_SHARED();
  auto sample =
      json::parse(veil::test::read_shared_text("testdata/nearai-vllm-proxy/SAMPLE_DSTACK_QUOTE.json"));
  auto log = event_log_from_json(sample.at("event_log"));
  ASSERT_TRUE(log.ok());
  size_t runtime = 0;
  for (const auto& e : *log) {
    EXPECT_TRUE(check_runtime_event(e).ok()) << e.event;
    if (e.event_type == kRuntimeEventType) {
      ++runtime;
      EXPECT_EQ(e.version, 1u);
      // Relabelled as V2 without recomputing: caught, and the reason names V1.
      EventLogEntry relabelled = e;
      relabelled.version = 2;
      auto st = check_runtime_event(relabelled);
      ASSERT_FALSE(st.ok());
      EXPECT_NE(st.error().message.find("matches the V1 rule"), std::string::npos);
    }
  }
  EXPECT_EQ(runtime, 9u);
}

TEST(DstackEventLogV2, ReportWithMislabelledRuntimeEventFails) {
  auto tee = make_tee_provider("simulated");
  ASSERT_TRUE(tee.ok());
  ASSERT_TRUE((*tee)->extend_runtime_event("model-hash", Bytes(32, 0x77)).ok());
  std::array<uint8_t, 64> rd{};
  auto quote = (*tee)->quote(rd);
  ASSERT_TRUE(quote.ok());
  json::object o;
  o["signing_address"] = hex_encode(Bytes(32, 0x5a));
  o["signing_algo"] = "ed25519";
  o["signing_public_key"] = hex_encode(Bytes(32, 0x5a));
  o["request_nonce"] = std::string(64, '0');
  o["intel_quote"] = hex_encode(*quote);
  json::value log = to_json((*tee)->event_log());
  json::object info;
  info["veil_simulation"] = json::parse(*(*tee)->simulation_info_json());
  o["info"] = info;
  ReportVerifyOptions opt;
  opt.allow_simulated = true;
  opt.now = std::time(nullptr);
  auto event_log_check = [&](const json::value& l) {
    json::object r = o;
    r["event_log"] = l;
    Verdict v = verify_node_report(r, opt);
    for (const auto& c : v.checks)
      if (c.name == "report.event_log") return c;
    ADD_FAILURE() << "no report.event_log check";
    return Check{};
  };
  Check pass = event_log_check(log);
  EXPECT_EQ(pass.status, CheckStatus::pass) << pass.detail;
  EXPECT_NE(pass.detail.find("(1 V1, 0 V2)"), std::string::npos) << pass.detail;
  log.as_array().back().as_object()["version"] = 2;
  Check fail = event_log_check(log);
  EXPECT_EQ(fail.status, CheckStatus::fail);
  EXPECT_NE(fail.detail.find("'model-hash'"), std::string::npos) << fail.detail;
  EXPECT_NE(fail.detail.find("matches the V1 rule, but the event is marked V2"), std::string::npos)
      << fail.detail;
}

}  // namespace
}  // namespace veil::attest
