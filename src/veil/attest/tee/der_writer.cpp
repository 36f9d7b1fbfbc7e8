#include "veil/attest/tee/der_writer.h"

#include <cassert>
#include <charconv>
#include <vector>

namespace veil::attest::der {
namespace {

// X.690 8.1.3: short form below 128, else 0x80|n followed by n length bytes.
void append_length(Bytes& out, size_t length) {
  if (length < 0x80) {
    out.push_back(uint8_t(length));
    return;
  }
  uint8_t buf[sizeof(size_t)];
  int n = 0;
  for (size_t v = length; v != 0; v >>= 8) buf[n++] = uint8_t(v & 0xff);
  out.push_back(uint8_t(0x80 | n));
  while (n > 0) out.push_back(buf[--n]);
}

// X.690 8.19.2: base-128, high bit set on every byte but the last.
void append_base128(Bytes& out, uint64_t v) {
  uint8_t buf[10];
  int n = 0;
  do {
    buf[n++] = uint8_t(v & 0x7f);
    v >>= 7;
  } while (v != 0);
  while (n > 1) out.push_back(uint8_t(buf[--n] | 0x80));
  out.push_back(buf[0]);
}

// X.690 8.3.2: minimal octets; a leading 0x00 keeps a set high bit positive.
Bytes unsigned_integer_content(uint64_t value) {
  Bytes content;
  int n = 8;
  while (n > 1 && ((value >> (8 * (n - 1))) & 0xff) == 0) --n;
  if ((value >> (8 * (n - 1))) & 0x80) content.push_back(0);
  for (int i = n - 1; i >= 0; --i) content.push_back(uint8_t(value >> (8 * i)));
  return content;
}

}  // namespace

Bytes tlv(uint8_t tag, ByteView content) {
  Bytes out;
  out.reserve(content.size() + 6);
  out.push_back(tag);
  append_length(out, content.size());
  out.insert(out.end(), content.begin(), content.end());
  return out;
}

Bytes sequence(std::initializer_list<ByteView> elements) { return tlv(0x30, concat(elements)); }

Bytes sequence_of(const std::vector<Bytes>& elements) {
  Bytes content;
  for (const auto& e : elements) content.insert(content.end(), e.begin(), e.end());
  return tlv(0x30, content);
}

Bytes oid(std::string_view dotted) {
  std::vector<uint64_t> arcs;
  size_t pos = 0;
  while (pos <= dotted.size()) {
    size_t dot = dotted.find('.', pos);
    if (dot == std::string_view::npos) dot = dotted.size();
    uint64_t arc = 0;
    auto [end, ec] = std::from_chars(dotted.data() + pos, dotted.data() + dot, arc);
    assert(ec == std::errc() && end == dotted.data() + dot);
    (void)end;
    (void)ec;
    arcs.push_back(arc);
    pos = dot + 1;
  }
  assert(arcs.size() >= 2 && arcs[0] <= 2);
  Bytes content;
  append_base128(content, arcs[0] * 40 + arcs[1]);  // X.690 8.19.4
  for (size_t i = 2; i < arcs.size(); ++i) append_base128(content, arcs[i]);
  return tlv(0x06, content);
}

Bytes integer(uint64_t value) { return tlv(0x02, unsigned_integer_content(value)); }
Bytes enumerated(uint64_t value) { return tlv(0x0a, unsigned_integer_content(value)); }
Bytes octet_string(ByteView content) { return tlv(0x04, content); }
Bytes boolean(bool value) {
  const uint8_t v = value ? 0xff : 0x00;  // X.690 11.1: DER TRUE is 0xFF
  return tlv(0x01, ByteView(&v, 1));
}

}  // namespace veil::attest::der
