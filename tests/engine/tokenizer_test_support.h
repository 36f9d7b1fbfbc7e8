// Shared by the tokenizer tests: the real vocabularies from ../shared/models,
// loaded once per test binary.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "support/shared_data.h"
#include "veil/engine/gguf.h"
#include "veil/engine/tokenizer.h"

namespace veil::engine::test {

// Loads ../shared/models/<name> once; nullptr (with a test failure) when it
// cannot be read or has no usable tokenizer.
inline const Tokenizer* shared_tokenizer(const std::string& name) {
  struct Loaded {
    std::unique_ptr<GgufFile> file;
    std::unique_ptr<Tokenizer> tokenizer;
  };
  static std::map<std::string, Loaded> cache;
  auto it = cache.find(name);
  if (it == cache.end()) {
    Loaded loaded;
    auto file = GgufFile::open(veil::test::shared_path("models/" + name));
    EXPECT_TRUE(file.ok()) << (file.ok() ? "" : file.error().to_string());
    if (file.ok()) {
      auto tok = Tokenizer::from_gguf(**file);
      EXPECT_TRUE(tok.ok()) << (tok.ok() ? "" : tok.error().to_string());
      if (tok.ok()) loaded.tokenizer = std::move(*tok);
      loaded.file = std::move(*file);
    }
    it = cache.emplace(name, std::move(loaded)).first;
  }
  return it->second.tokenizer.get();
}

}  // namespace veil::engine::test
