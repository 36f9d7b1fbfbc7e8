// A minimal DER (X.690) TLV reader for the certificate extensions NVIDIA uses
// (TCG DICE FWID / TcbInfo). Only definite lengths; every length is checked
// against the enclosing buffer.
#pragma once

#include <cstdint>

#include "veil/base/bytes.h"
#include "veil/base/result.h"

namespace veil::attest::nvidia::der {

struct Tlv {
  uint8_t tag = 0;  // the identifier octet (single-byte tags only)
  ByteView value;   // contents octets
};

// Reads TLVs one after another from a buffer.
class Reader {
 public:
  explicit Reader(ByteView data) : data_(data) {}
  bool empty() const { return pos_ >= data_.size(); }
  // Reads the next TLV. Errors "der.malformed" on truncation, indefinite or
  // over-long lengths, and multi-byte tags.
  Result<Tlv> next();

 private:
  ByteView data_;
  size_t pos_ = 0;
};

constexpr uint8_t kSequence = 0x30;
constexpr uint8_t kOctetString = 0x04;
constexpr uint8_t kOid = 0x06;
// Context-specific constructed [n]: 0xA0 | n; primitive [n]: 0x80 | n.
constexpr uint8_t context_constructed(uint8_t n) { return uint8_t(0xA0 | n); }
constexpr uint8_t context_primitive(uint8_t n) { return uint8_t(0x80 | n); }

}  // namespace veil::attest::nvidia::der
