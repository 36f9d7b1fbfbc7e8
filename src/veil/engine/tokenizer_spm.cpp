// SentencePiece-style BPE ("llama" vocabularies), as llama.cpp's
// llm_tokenizer_spm runs it: start from UTF-8 characters, repeatedly merge the
// adjacent pair whose concatenation is the vocabulary token with the highest
// score (leftmost on ties), and emit any leftover piece that is not a token
// as its bytes (<0xNN> tokens).
#include <queue>

#include "veil/engine/tokenizer_internal.h"
#include "veil/engine/unicode.h"

namespace veil::engine {

namespace {

struct Symbol {
  size_t start;  // byte offset in the text
  size_t n;      // byte length; 0 once merged into its left neighbour
  int prev;
  int next;
};

struct Bigram {
  int left;
  int right;
  float score;
  size_t size;
};

struct BigramOrder {
  // Highest score first; on equal scores the leftmost pair.
  bool operator()(const Bigram& a, const Bigram& b) const {
    return a.score < b.score || (a.score == b.score && a.left > b.left);
  }
};

}  // namespace

void Tokenizer::Impl::spm_encode(std::string_view text, std::vector<int32_t>& out) const {
  std::vector<Symbol> symbols;
  for (size_t offset = 0; offset < text.size();) {
    const size_t n = std::min(utf8_sequence_length(uint8_t(text[offset])), text.size() - offset);
    const int index = int(symbols.size());
    symbols.push_back({offset, n, index - 1, offset + n == text.size() ? -1 : index + 1});
    offset += n;
  }

  std::priority_queue<Bigram, std::vector<Bigram>, BigramOrder> queue;
  auto try_add = [&](int left, int right) {
    if (left < 0 || right < 0) return;
    const size_t size = symbols[size_t(left)].n + symbols[size_t(right)].n;
    const int32_t id = find(text.substr(symbols[size_t(left)].start, size));
    if (id < 0) return;
    queue.push({left, right, scores[size_t(id)], size});
  };
  for (int i = 1; i < int(symbols.size()); ++i) try_add(i - 1, i);

  while (!queue.empty()) {
    const Bigram top = queue.top();
    queue.pop();
    Symbol& left = symbols[size_t(top.left)];
    Symbol& right = symbols[size_t(top.right)];
    // Stale: one side was merged elsewhere since this pair was queued.
    if (left.n == 0 || right.n == 0 || left.n + right.n != top.size) continue;
    left.n += right.n;
    right.n = 0;
    left.next = right.next;
    if (right.next >= 0) symbols[size_t(right.next)].prev = top.left;
    try_add(left.prev, top.left);
    try_add(top.left, left.next);
  }

  for (int i = symbols.empty() ? -1 : 0; i != -1; i = symbols[size_t(i)].next) {
    const Symbol& s = symbols[size_t(i)];
    const std::string_view piece = text.substr(s.start, s.n);
    const int32_t id = find(piece);
    if (id >= 0) {
      out.push_back(id);
      continue;
    }
    // Byte fallback. (Every merged symbol is a token, so only single
    // characters get here.)
    for (char c : piece) {
      const int32_t byte_id = byte_tokens[uint8_t(c)];
      if (byte_id >= 0) {
        out.push_back(byte_id);
      } else if (unk >= 0) {
        out.push_back(unk);
      }
    }
  }
}

}  // namespace veil::engine
