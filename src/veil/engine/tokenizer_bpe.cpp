// GPT-2 byte-level BPE ("gpt2" vocabularies), as llama.cpp's
// llm_tokenizer_bpe runs it: pre-tokenize into words, map each word's UTF-8
// bytes to the byte-to-unicode alphabet, then repeatedly merge the adjacent
// pair with the lowest merge rank (leftmost on ties).
#include <queue>

#include "veil/engine/tokenizer_internal.h"
#include "veil/engine/unicode.h"

namespace veil::engine {

namespace {

struct Symbol {
  size_t start;
  size_t n;
  int prev;
  int next;
};

struct Bigram {
  int left;
  int right;
  int32_t rank;
  std::string text;  // left + right when queued, to detect stale pairs
};

struct BigramOrder {
  bool operator()(const Bigram& a, const Bigram& b) const {
    return a.rank > b.rank || (a.rank == b.rank && a.left > b.left);
  }
};

}  // namespace

void Tokenizer::Impl::bpe_encode(std::string_view text, std::vector<int32_t>& out) const {
  const std::vector<uint32_t> cpts = utf8_to_code_points(text);
  const std::vector<size_t> lengths = detail::pre_tokenize(pre, cpts);

  std::string word;
  std::string utf8;
  std::vector<Symbol> symbols;
  size_t word_begin = 0;
  for (size_t length : lengths) {
    // The word's UTF-8 bytes, each written as its byte-alphabet character.
    word.clear();
    for (size_t i = word_begin; i < word_begin + length; ++i) {
      utf8.clear();
      append_utf8(utf8, cpts[i]);
      for (char c : utf8) append_utf8(word, byte_to_unicode(uint8_t(c)));
    }
    word_begin += length;

    if (ignore_merges) {
      if (int32_t id = find(word); id >= 0) {
        out.push_back(id);
        continue;
      }
    }

    symbols.clear();
    for (size_t offset = 0; offset < word.size();) {
      const size_t n = std::min(utf8_sequence_length(uint8_t(word[offset])), word.size() - offset);
      const int index = int(symbols.size());
      symbols.push_back({offset, n, index - 1, offset + n == word.size() ? -1 : index + 1});
      offset += n;
    }
    auto piece = [&](int i) {
      return std::string_view(word).substr(symbols[size_t(i)].start, symbols[size_t(i)].n);
    };

    std::priority_queue<Bigram, std::vector<Bigram>, BigramOrder> queue;
    auto try_add = [&](int left, int right) {
      if (left < 0 || right < 0) return;
      auto it = merge_ranks.find(detail::merge_key(piece(left), piece(right)));
      if (it == merge_ranks.end()) return;
      std::string joined(piece(left));
      joined.append(piece(right));
      queue.push({left, right, it->second, std::move(joined)});
    };
    for (int i = 1; i < int(symbols.size()); ++i) try_add(i - 1, i);

    while (!queue.empty()) {
      const Bigram top = queue.top();
      queue.pop();
      Symbol& left = symbols[size_t(top.left)];
      Symbol& right = symbols[size_t(top.right)];
      if (left.n == 0 || right.n == 0) continue;
      if (left.n + right.n != top.text.size() ||
          std::string_view(word).substr(left.start, left.n + right.n) != top.text) {
        continue;  // stale: a side changed since this pair was queued
      }
      left.n += right.n;
      right.n = 0;
      left.next = right.next;
      if (right.next >= 0) symbols[size_t(right.next)].prev = top.left;
      try_add(left.prev, top.left);
      try_add(top.left, left.next);
    }

    for (int i = symbols.empty() ? -1 : 0; i != -1; i = symbols[size_t(i)].next) {
      if (symbols[size_t(i)].n == 0) continue;
      const std::string_view p = piece(i);
      if (int32_t id = find(p); id >= 0) {
        out.push_back(id);
        continue;
      }
      // Not a token (only with an incomplete vocabulary): its single bytes
      // that are tokens, as llama.cpp does.
      for (char c : p) {
        if (int32_t id = find(std::string_view(&c, 1)); id >= 0) out.push_back(id);
      }
    }
  }
}

}  // namespace veil::engine
