// NVIDIA GPU attestation report = SPDM GET_MEASUREMENTS request followed by
// its MEASUREMENTS response (DMTF DSP0274 1.1 / 1.2 / 1.3, sections
// "GET_MEASUREMENTS request and MEASUREMENTS response messages"), parsed by
// structure: every length field is checked against the buffer. Bytes after
// the signature (some drivers append padding) are counted, never parsed.
//
// Request (1.1/1.2): SPDMVersion 1 | RequestResponseCode 0xE0 | Param1
//   (bit 0: signature requested) | Param2 (operation) | Nonce 32 |
//   SlotIDParam 1 [1.3: | RequesterContext 8]
// Response: SPDMVersion | 0x60 | Param1 | Param2 | NumberOfBlocks 1 |
//   MeasurementRecordLength 3 (LE) | MeasurementRecord | Nonce 32 |
//   OpaqueDataLength 2 (LE) | OpaqueData [1.3: | RequesterContext 8] |
//   Signature (96 bytes for ECDSA P-384, raw r || s)
// Measurement block: Index 1 | MeasurementSpecification 1 (bit 0 = DMTF) |
//   MeasurementSize 2 | Measurement; DMTF measurement:
//   DMTFSpecMeasurementValueType 1 | DMTFSpecMeasurementValueSize 2 | value.
// NVIDIA opaque data: a run of TLVs, type 2 (LE) | size 2 (LE) | value.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "veil/base/bytes.h"
#include "veil/base/result.h"

namespace veil::attest::nvidia {

// NVIDIA opaque data field ids (nvtrust local_gpu_verifier OpaqueDataType).
enum class OpaqueFieldId : uint16_t {
  cert_issuer_name = 1,
  cert_authority_key_identifier = 2,
  driver_version = 3,
  gpu_info = 4,
  sku = 5,
  vbios_version = 6,
  manufacturer_id = 7,
  tamper_detection = 8,
  smc = 9,
  vpr = 10,
  nvdec0_status = 11,
  msrscnt = 12,
  cprinfo = 13,
  board_id = 14,
  chip_sku = 15,
  chip_sku_mod = 16,
  project = 17,
  project_sku = 18,
  project_sku_mod = 19,
  fwid = 20,
  protected_pcie_status = 21,
  switch_pdi = 22,
  floorswept_ports = 23,
  position_id = 24,
  lock_switch_status = 25,
  gpu_link_conn = 32,
  sys_enable_status = 33,
  opaque_data_version = 34,
  chip_info = 35,
  feature_flag = 36,
};

struct OpaqueField {
  uint16_t type = 0;
  Bytes value;
};

struct MeasurementBlock {
  uint8_t index = 0;
  uint8_t specification = 0;  // bit 0: DMTF format
  uint8_t value_type = 0;     // DMTFSpecMeasurementValueType (bit 7: raw bit stream)
  Bytes value;                // DMTFSpecMeasurementValue (48 bytes for SHA-384 digests)
};

constexpr size_t kSpdmNonceSize = 32;
constexpr size_t kP384SignatureSize = 96;

struct SpdmReport {
  uint8_t version = 0;  // 0x11, 0x12 or 0x13 (request and response agree)
  uint8_t request_param1 = 0;
  uint8_t request_param2 = 0;
  uint8_t slot_id = 0;
  std::array<uint8_t, kSpdmNonceSize> request_nonce{};
  uint8_t response_param1 = 0;
  uint8_t response_param2 = 0;
  std::vector<MeasurementBlock> blocks;
  std::array<uint8_t, kSpdmNonceSize> response_nonce{};
  std::vector<OpaqueField> opaque;
  Bytes signature;            // raw r || s
  size_t request_size = 0;    // bytes of the request message
  size_t signed_size = 0;     // request || response up to the signature
  size_t trailing_bytes = 0;  // bytes after the signature (ignored)

  // Decoded NVIDIA opaque fields (absent when the field is absent).
  std::optional<std::string> driver_version;  // "550.90.07"
  std::optional<std::string> vbios_version;   // "96.00.9F.00.01"
  std::optional<Bytes> fwid;                  // 48 bytes
  std::optional<std::string> project, project_sku, chip_sku;

  const OpaqueField* find_opaque(OpaqueFieldId id) const;
  const MeasurementBlock* find_block(uint8_t index) const;
};

// Parses request || response || signature [|| trailing]. signature_size is
// the raw signature length of the responder's key (96 for P-384). Errors
// carry code "spdm.malformed" (lengths, codes, versions) or
// "spdm.bad_opaque" (NVIDIA TLVs).
Result<SpdmReport> parse_spdm_report(ByteView report, size_t signature_size = kP384SignatureSize);

// Parses NVIDIA opaque data TLVs; the fields must exactly fill the buffer and
// no type may repeat.
Result<std::vector<OpaqueField>> parse_opaque_data(ByteView opaque);

// VBIOS version bytes -> "96.00.9F.00.01": the first half reversed, then the
// first byte of the second half (nvtrust's formatting).
Result<std::string> format_vbios_version(ByteView value);

// The message whose SHA-384 the responder signs. SPDM 1.1: the request and
// response bytes as sent (L1/L2 without a session transcript). SPDM 1.2+:
// DSP0274 1.2 section 15 "combined_spdm_prefix" (the version string four
// times, zero padding, "responder-measurements signing") followed by
// SHA-384(request || response-without-signature).
Bytes spdm_signed_message(const SpdmReport& report, ByteView raw, bool with_v12_prefix);

// combined_spdm_prefix(version, "responder-measurements signing") || SHA-384(l1l2).
Bytes spdm12_measurements_signing_message(uint8_t version, ByteView l1l2);

}  // namespace veil::attest::nvidia
