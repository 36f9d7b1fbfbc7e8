// Minimal DER encoder (ITU-T X.690 section 10) for the few types the
// simulated PCK certificate extension needs. Encoding only: outside bytes are
// never parsed here.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string_view>
#include <vector>

#include "veil/base/bytes.h"

namespace veil::attest::der {

// Tag ‖ definite length (short or long form) ‖ content.
Bytes tlv(uint8_t tag, ByteView content);
// Concatenated already-encoded elements inside a SEQUENCE (tag 0x30).
Bytes sequence(std::initializer_list<ByteView> elements);
Bytes sequence_of(const std::vector<Bytes>& elements);
// OBJECT IDENTIFIER from dotted text ("1.2.840.113741.1.13.1"); the text is
// a compile-time constant of this project, so a malformed one is a bug
// (asserted).
Bytes oid(std::string_view dotted);
// Non-negative INTEGER in minimal two's-complement form.
Bytes integer(uint64_t value);
Bytes enumerated(uint64_t value);
Bytes octet_string(ByteView content);
Bytes boolean(bool value);

}  // namespace veil::attest::der
