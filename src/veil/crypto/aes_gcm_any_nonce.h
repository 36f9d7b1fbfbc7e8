// Internal: AES-GCM assembled from AES block encryptions and our own GHASH
// (NIST SP 800-38D §6-7), used only for nonces longer than OpenSSL's GCM
// accepts (128 bytes). Not a public header; aead.h dispatches here.
#pragma once

#include "veil/base/bytes.h"
#include "veil/base/result.h"

namespace veil::crypto::detail {

// Same contracts as aes_gcm_seal / aes_gcm_open (key 16/24/32 bytes, nonce
// of any length >= 1, 16-byte tag appended).
Result<Bytes> aes_gcm_seal_any_nonce(ByteView key, ByteView nonce, ByteView aad, ByteView plaintext);
Result<Bytes> aes_gcm_open_any_nonce(ByteView key, ByteView nonce, ByteView aad, ByteView ciphertext_and_tag);

}  // namespace veil::crypto::detail
