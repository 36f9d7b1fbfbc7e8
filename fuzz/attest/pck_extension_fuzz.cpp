// Fuzzes the SGX PCK certificate extension (OID 1.2.840.113741.1.13.1) DER parser.
#include <cstddef>
#include <cstdint>

#include "veil/attest/dcap/pck_extension.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  (void)veil::attest::dcap::parse_pck_extension(veil::ByteView(data, size));
  return 0;
}
