// Keccak-256 as used by Ethereum: the original Keccak submission padding
// (domain byte 0x01, pad10*1), rate 136 bytes. NOT FIPS 202 SHA3-256 (0x06).
#pragma once

#include "veil/base/bytes.h"
#include "veil/crypto/hash.h"

namespace veil::crypto {

Digest32 keccak256(ByteView data);

}  // namespace veil::crypto
