// Hex and base64 codecs. Decoders reject malformed input instead of guessing.
#pragma once

#include <string>
#include <string_view>

#include "veil/base/bytes.h"
#include "veil/base/result.h"

namespace veil {

// Lowercase hex.
std::string hex_encode(ByteView data);
// Accepts either case; an optional "0x" prefix only when allow_0x is set.
Result<Bytes> hex_decode(std::string_view hex, bool allow_0x = false);

// Standard alphabet with padding (RFC 4648 section 4).
std::string base64_encode(ByteView data);
// Accepts the standard and URL-safe alphabets, padded or not; ignores ASCII
// whitespace (PEM bodies and wrapped fields).
Result<Bytes> base64_decode(std::string_view text);
// URL-safe alphabet without padding (RFC 4648 section 5; JWTs).
std::string base64url_encode(ByteView data);

}  // namespace veil
