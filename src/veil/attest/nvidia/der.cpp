#include "veil/attest/nvidia/der.h"

namespace veil::attest::nvidia::der {

Result<Tlv> Reader::next() {
  const size_t n = data_.size();
  if (pos_ + 2 > n) return make_error("der.malformed", "truncated TLV header");
  Tlv tlv;
  tlv.tag = data_[pos_];
  if ((tlv.tag & 0x1F) == 0x1F) return make_error("der.malformed", "multi-byte tag");
  uint8_t first = data_[pos_ + 1];
  size_t p = pos_ + 2;
  size_t len = 0;
  if (first < 0x80) {
    len = first;
  } else {
    size_t count = first & 0x7F;
    // X.690 10.1: DER forbids the indefinite form; 4 length octets are plenty here.
    if (count == 0 || count > 4) return make_error("der.malformed", "unsupported length form");
    if (p + count > n) return make_error("der.malformed", "truncated length");
    for (size_t i = 0; i < count; ++i) len = (len << 8) | data_[p + i];
    p += count;
  }
  if (len > n - p) return make_error("der.malformed", "length exceeds buffer");
  tlv.value = data_.subspan(p, len);
  pos_ = p + len;
  return tlv;
}

}  // namespace veil::attest::nvidia::der
