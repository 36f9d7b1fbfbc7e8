#include "veil/crypto/hash.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "vectors.h"
#include "veil/crypto/random.h"

namespace veil::crypto {
namespace {

using test::hex;

// FIPS 180-2 appendix examples ("abc").
TEST(Hash, Sha2KnownAnswers) {
  EXPECT_EQ(hex(sha256(as_bytes("abc"))), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_hex(std::string_view("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_hex(std::string_view("")),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(
      hex(sha384(as_bytes("abc"))),
      "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7");
  EXPECT_EQ(hex(sha512(as_bytes("abc"))),
            "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd"
            "454d4423643ce80e2a9ac94fa54ca49f");
}

TEST(Hash, IncrementalMatchesOneShot) {
  Bytes data = random_bytes(10000);
  for (size_t split : {size_t(0), size_t(1), size_t(63), size_t(64), size_t(5000), size_t(10000)}) {
    Sha256 h;
    h.update(ByteView(data).first(split));
    h.update(ByteView(data).subspan(split));
    EXPECT_EQ(h.finish(), sha256(data)) << split;
    Sha384 h3;
    h3.update(ByteView(data).first(split));
    Sha384 moved = std::move(h3);  // movable mid-stream
    moved.update(ByteView(data).subspan(split));
    EXPECT_EQ(moved.finish(), sha384(data)) << split;
  }
  Sha256 s;
  s.update(std::string_view("ab"));
  s.update(std::string_view("c"));
  EXPECT_EQ(hex(s.finish()), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

// RFC 4231 test cases 1 and 2.
TEST(Hash, HmacSha256Rfc4231) {
  Bytes key1(20, 0x0b);
  EXPECT_EQ(hex(hmac_sha256(key1, as_bytes("Hi There"))),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  EXPECT_EQ(hex(hmac_sha256(as_bytes("Jefe"), as_bytes("what do ya want for nothing?"))),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(Hash, FileStreamingMatchesInMemory) {
  // 9 MiB + 17 bytes: spans several 4 MiB chunks and a partial one.
  Bytes data = random_bytes((size_t(9) << 20) + 17);
  std::string path = ::testing::TempDir() + "veil_crypto_hash_" + std::to_string(::getpid());
  {
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(data.data()), std::streamsize(data.size()));
  }
  auto digest = sha256_file(path);
  ASSERT_TRUE(digest.ok()) << digest.error().to_string();
  EXPECT_EQ(*digest, sha256(data));
  std::remove(path.c_str());

  auto missing = sha256_file(path);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, "crypto.file_open");

  auto directory = sha256_file(::testing::TempDir());
  ASSERT_FALSE(directory.ok());
  EXPECT_EQ(directory.error().code, "crypto.file_read");

  std::string empty_path = path + ".empty";
  { std::ofstream out(empty_path, std::ios::binary); }
  auto empty = sha256_file(empty_path);
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(hex(*empty), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  std::remove(empty_path.c_str());
}

TEST(Random, FillsAndDiffers) {
  Bytes a = random_bytes(32), b = random_bytes(32);
  EXPECT_EQ(a.size(), 32u);
  EXPECT_NE(a, b);
  EXPECT_TRUE(random_bytes(0).empty());
}

}  // namespace
}  // namespace veil::crypto
