// Helpers shared by the NVIDIA tests: building nvidia_payload JSON from the
// recorded files in ../shared/testdata.
#pragma once

#include <boost/json.hpp>
#include <string>
#include <vector>

#include "support/shared_data.h"
#include "veil/base/encoding.h"

namespace veil::test::nvidia {

// 2025-10-01T00:00:00Z: inside every recorded device chain's validity.
inline constexpr int64_t kEvidenceTime = 1759276800;

struct EvidenceFiles {
  std::string chain_pem;
  Bytes report;
};

inline std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

inline EvidenceFiles load_hex_evidence(const std::string& report_hex_path, const std::string& chain_path) {
  EvidenceFiles f;
  f.chain_pem = read_shared_text(chain_path);
  auto r = hex_decode(trim(read_shared_text(report_hex_path)));
  EXPECT_TRUE(r.ok());
  if (r) f.report = *r;
  return f;
}

inline std::string make_payload(const std::string& nonce_hex, const std::vector<EvidenceFiles>& entries,
                                const std::string& arch = "HOPPER") {
  boost::json::array list;
  for (const auto& e : entries) {
    list.push_back(boost::json::object{{"certificate", base64_encode(as_bytes(e.chain_pem))},
                                       {"evidence", base64_encode(e.report)},
                                       {"arch", arch}});
  }
  return boost::json::serialize(
      boost::json::object{{"nonce", nonce_hex}, {"evidence_list", list}, {"arch", arch}});
}

inline std::array<uint8_t, 32> nonce_from_hex(const std::string& hex) {
  std::array<uint8_t, 32> n{};
  auto b = hex_decode(hex);
  EXPECT_TRUE(b.ok() && b->size() == 32);
  if (b && b->size() == 32) std::copy(b->begin(), b->end(), n.begin());
  return n;
}

}  // namespace veil::test::nvidia
