// Helpers for the crypto tests: JSON vector files under ../shared and hex.
#pragma once

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <string>
#include <string_view>

#include "support/shared_data.h"
#include "veil/base/bytes.h"
#include "veil/base/encoding.h"

namespace veil::crypto::test {

// Parses a JSON file under shared/ (fails the test on a parse error).
inline boost::json::value load_json(const std::string& relative) {
  std::string text = veil::test::read_shared_text(relative);
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(text, ec);
  EXPECT_FALSE(ec) << relative << ": " << ec.message();
  return v;
}

// Hex that must decode (test data); fails the test otherwise.
inline Bytes unhex(std::string_view hex) {
  auto r = hex_decode(hex, /*allow_0x=*/true);
  EXPECT_TRUE(r.ok()) << "bad hex in test data: " << hex.substr(0, 40);
  return r.ok() ? std::move(r).value() : Bytes{};
}

inline Bytes unhex(const char* hex) { return unhex(std::string_view(hex)); }
inline Bytes unhex(const boost::json::value& v) { return unhex(std::string_view(v.as_string())); }

inline std::string str(const boost::json::value& v) { return std::string(v.as_string()); }

template <typename Container>
std::string hex(const Container& c) {
  return hex_encode(ByteView(c.data(), c.size()));
}

// True when a Wycheproof test lists the flag.
inline bool has_flag(const boost::json::object& test, std::string_view flag) {
  auto it = test.find("flags");
  if (it == test.end()) return false;
  for (const auto& f : it->value().as_array()) {
    if (f.as_string() == flag) return true;
  }
  return false;
}

}  // namespace veil::crypto::test
