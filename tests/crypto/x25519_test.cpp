#include "veil/crypto/x25519.h"

#include <gtest/gtest.h>

#include <map>

#include "vectors.h"

namespace veil::crypto {
namespace {

using test::hex;
using test::unhex;

// RFC 7748 §6.1.
TEST(X25519, Rfc7748DiffieHellman) {
  Bytes a = unhex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
  Bytes b = unhex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb");
  EXPECT_EQ(hex(x25519_public(a)), "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
  EXPECT_EQ(hex(x25519_public(b)), "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
  auto k = x25519(a, x25519_public(b));
  ASSERT_TRUE(k.ok());
  EXPECT_EQ(hex(*k), "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");
  EXPECT_EQ(x25519(a, Bytes(31, 1)).error().code, "crypto.bad_key");
  EXPECT_EQ(x25519(Bytes(32, 1), Bytes(32, 0)).error().code, "crypto.zero_shared_secret");
  auto gen = x25519_generate_private();
  EXPECT_TRUE(x25519(gen, x25519_public(a)).ok());
}

// Wycheproof x25519: "acceptable" vectors with ZeroSharedSecret must be
// refused (RFC 7748 §6.1 check); every other vector must give `shared`.
TEST(X25519, Wycheproof) {
  VEIL_REQUIRE_SHARED();
  auto doc = test::load_json("testdata/crypto/wycheproof/x25519_test.json");
  std::map<std::string, size_t> counts;
  size_t zero_refused = 0;
  for (const auto& gv : doc.at("testGroups").as_array()) {
    ASSERT_EQ(test::str(gv.at("curve")), "curve25519");
    for (const auto& tv : gv.at("tests").as_array()) {
      const auto& t = tv.as_object();
      std::string result = test::str(t.at("result"));
      auto shared = x25519(unhex(t.at("private")), unhex(t.at("public")));
      if (test::has_flag(t, "ZeroSharedSecret")) {
        EXPECT_EQ(result, "acceptable");
        ASSERT_FALSE(shared.ok()) << "tcId " << t.at("tcId").as_int64();
        EXPECT_EQ(shared.error().code, "crypto.zero_shared_secret");
        EXPECT_EQ(test::str(t.at("shared")), std::string(64, '0'));
        ++zero_refused;
      } else if (result == "valid" || result == "acceptable") {
        ASSERT_TRUE(shared.ok()) << "tcId " << t.at("tcId").as_int64() << " " << test::str(t.at("comment"));
        EXPECT_EQ(hex(*shared), test::str(t.at("shared"))) << "tcId " << t.at("tcId").as_int64();
      } else {
        EXPECT_FALSE(shared.ok() && hex(*shared) == test::str(t.at("shared")))
            << "tcId " << t.at("tcId").as_int64();
      }
      ++counts[result];
    }
  }
  size_t total = 0;
  for (auto& [k, v] : counts) total += v;
  EXPECT_EQ(total, size_t(doc.at("numberOfTests").as_int64()));
  EXPECT_GT(counts["valid"], 0u);
  EXPECT_GT(zero_refused, 0u);
}

}  // namespace
}  // namespace veil::crypto
