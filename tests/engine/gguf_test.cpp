#include "veil/engine/gguf.h"

#include <gtest/gtest.h>

#include "support/shared_data.h"
#include "veil/engine/gguf_writer.h"

namespace veil::engine {
namespace {

Bytes small_file() {
  GgufWriter w;
  w.add_string("general.architecture", "llama");
  w.add_u32("llama.block_count", 2);
  w.add_f32("llama.rope.freq_base", 10000.f);
  w.add_bool("tokenizer.ggml.add_bos_token", true);
  w.add_string_array("tokenizer.ggml.tokens", std::vector<std::string>{"<unk>", "a", "bc"});
  w.add_i32_array("tokenizer.ggml.token_type", {2, 1, 1});
  w.add_f32_array("tokenizer.ggml.scores", {0.f, -1.f, -2.5f});
  Bytes t0(4 * 64);
  for (size_t i = 0; i < t0.size(); ++i) t0[i] = uint8_t(i);
  w.add_tensor("a.weight", TensorType::f32, {8, 8}, t0);
  w.add_tensor("b.weight", TensorType::q8_0, {32, 2}, Bytes(68, 1));
  return w.serialize();
}

TEST(Gguf, ParsesWrittenFile) {
  auto f = GgufFile::parse(small_file());
  ASSERT_TRUE(f.ok()) << f.error().to_string();
  const GgufFile& g = **f;
  EXPECT_EQ(g.version(), 3u);
  EXPECT_EQ(g.architecture(), "llama");
  EXPECT_EQ(*g.get_u32("llama.block_count"), 2u);
  EXPECT_EQ(*g.get_i32("llama.block_count"), 2);
  EXPECT_FLOAT_EQ(*g.get_f32("llama.rope.freq_base"), 10000.f);
  EXPECT_TRUE(*g.get_bool("tokenizer.ggml.add_bos_token"));
  EXPECT_EQ(*g.get_string_array("tokenizer.ggml.tokens"), (std::vector<std::string>{"<unk>", "a", "bc"}));
  EXPECT_EQ(*g.get_int_array("tokenizer.ggml.token_type"), (std::vector<int64_t>{2, 1, 1}));
  EXPECT_EQ(*g.get_float_array("tokenizer.ggml.scores"), (std::vector<float>{0.f, -1.f, -2.5f}));
  EXPECT_EQ(*g.get_array_size("tokenizer.ggml.tokens"), 3u);
  ASSERT_EQ(g.tensors().size(), 2u);
  const auto* a = g.find_tensor("a.weight");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->n_bytes, 256u);
  EXPECT_EQ(a->data[5], 5);
  EXPECT_EQ(a->data - g.bytes().data(), int64_t(g.data_offset()));
  const auto* b = g.find_tensor("b.weight");
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->type, TensorType::q8_0);
  EXPECT_EQ(b->n_bytes, 68u);
  EXPECT_EQ(b->row_bytes(), 34u);
  EXPECT_EQ(b->rows(), 2u);
  EXPECT_EQ(b->offset % 32, 0u);
}

TEST(Gguf, TypedGettersRejectWrongTypes) {
  auto f = GgufFile::parse(small_file());
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f.value()->get_u32("general.architecture").error().code, "gguf.wrong_type");
  EXPECT_EQ(f.value()->get_string("llama.block_count").error().code, "gguf.wrong_type");
  EXPECT_EQ(f.value()->get_string("nope").error().code, "gguf.missing_key");
  EXPECT_EQ(f.value()->get_string_array("tokenizer.ggml.scores").error().code, "gguf.wrong_type");
  EXPECT_EQ(*f.value()->get_u32_or("nope", 7), 7u);
  EXPECT_FALSE(f.value()->get_u32_or("general.architecture", 7).ok());
}

TEST(Gguf, EveryTruncationIsAnErrorNotACrash) {
  Bytes full = small_file();
  ASSERT_TRUE(GgufFile::parse(full).ok());
  for (size_t n = 0; n < full.size(); ++n) {
    auto f = GgufFile::parse(ByteView(full.data(), n));
    // The last tensor's padding is optional, anything shorter than the data must fail.
    if (n < full.size() - 28) {
      EXPECT_FALSE(f.ok()) << "prefix " << n << " accepted";
    }
  }
}

// Finds `needle` in the serialized file and returns its offset.
size_t find(const Bytes& b, std::string_view needle) {
  auto it = std::search(b.begin(), b.end(), needle.begin(), needle.end());
  EXPECT_NE(it, b.end());
  return size_t(it - b.begin());
}

TEST(Gguf, RejectsBadMagicVersionAndCounts) {
  Bytes b = small_file();
  Bytes bad = b;
  bad[0] = 'X';
  EXPECT_EQ(GgufFile::parse(bad).error().code, "gguf.bad_magic");
  bad = b;
  store_le32(bad.data() + 4, 1);
  EXPECT_EQ(GgufFile::parse(bad).error().code, "gguf.bad_version");
  bad = b;
  store_le64(bad.data() + 8, uint64_t(1) << 60);  // tensor count
  EXPECT_EQ(GgufFile::parse(bad).error().code, "gguf.bad_count");
  bad = b;
  store_le64(bad.data() + 16, uint64_t(1) << 62);  // kv count
  EXPECT_EQ(GgufFile::parse(bad).error().code, "gguf.bad_count");
}

TEST(Gguf, RejectsBadStringArrayAndTypes) {
  Bytes b = small_file();
  // The string length of the first key's value ("llama") -> huge.
  size_t at = find(b, "general.architecture") + std::string("general.architecture").size() + 4;
  Bytes bad = b;
  store_le64(bad.data() + at, uint64_t(1) << 40);
  EXPECT_FALSE(GgufFile::parse(bad).ok());
  // Unknown value type.
  bad = b;
  store_le32(bad.data() + at - 4, 99);
  EXPECT_EQ(GgufFile::parse(bad).error().code, "gguf.bad_type");
  // Array count far beyond the file.
  size_t arr = find(b, "tokenizer.ggml.tokens") + std::string("tokenizer.ggml.tokens").size() + 8;
  bad = b;
  store_le64(bad.data() + arr, uint64_t(1) << 50);
  EXPECT_EQ(GgufFile::parse(bad).error().code, "gguf.bad_count");
  size_t iarr = find(b, "tokenizer.ggml.token_type") + std::string("tokenizer.ggml.token_type").size() + 8;
  bad = b;
  store_le64(bad.data() + iarr, uint64_t(1) << 61);
  EXPECT_EQ(GgufFile::parse(bad).error().code, "gguf.bad_count");
}

TEST(Gguf, RejectsBadTensorInfos) {
  Bytes b = small_file();
  size_t t = find(b, "b.weight") + 8;  // n_dims
  Bytes bad = b;
  store_le32(bad.data() + t, 7);
  EXPECT_EQ(GgufFile::parse(bad).error().code, "gguf.bad_dims");
  bad = b;
  store_le64(bad.data() + t + 4, 33);  // row not a multiple of the Q8_0 block
  EXPECT_EQ(GgufFile::parse(bad).error().code, "gguf.bad_dims");
  bad = b;
  store_le64(bad.data() + t + 4, 0);
  EXPECT_EQ(GgufFile::parse(bad).error().code, "gguf.bad_dims");
  bad = b;
  store_le32(bad.data() + t + 4 + 16, 77);  // type
  EXPECT_EQ(GgufFile::parse(bad).error().code, "gguf.bad_type");
  bad = b;
  store_le64(bad.data() + t + 4 + 16 + 4, 1u << 20);  // offset beyond the file
  EXPECT_EQ(GgufFile::parse(bad).error().code, "gguf.bad_offset");
  bad = b;
  store_le64(bad.data() + t + 4 + 16 + 4, 257);  // unaligned
  EXPECT_EQ(GgufFile::parse(bad).error().code, "gguf.bad_offset");
  bad = b;
  store_le64(bad.data() + t + 4 + 8, uint64_t(1) << 39);  // size overflows the file
  EXPECT_FALSE(GgufFile::parse(bad).ok());
}

TEST(Gguf, OpensRealModels) {
  VEIL_REQUIRE_SHARED();
  auto f = GgufFile::open(test::shared_path("models/stories260K.gguf"));
  ASSERT_TRUE(f.ok()) << f.error().to_string();
  EXPECT_EQ(f.value()->architecture(), "llama");
  EXPECT_EQ(*f.value()->get_u32("llama.block_count"), 5u);
  EXPECT_EQ(*f.value()->get_array_size("tokenizer.ggml.tokens"), 512u);
  const auto* emb = f.value()->find_tensor("token_embd.weight");
  ASSERT_NE(emb, nullptr);
  EXPECT_EQ(emb->dims, (std::vector<uint64_t>{64, 512}));
  auto q = GgufFile::open(test::shared_path("models/ref/tiny-llama-q4_k.gguf"));
  ASSERT_TRUE(q.ok()) << q.error().to_string();
  EXPECT_EQ(q.value()->find_tensor("blk.0.attn_q.weight")->type, TensorType::q4_k);
  EXPECT_FALSE(GgufFile::open("/nonexistent/x.gguf").ok());
}

}  // namespace
}  // namespace veil::engine
