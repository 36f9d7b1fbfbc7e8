#include "veil/attest/tee/simulated_boot_log.h"

#include <openssl/sha.h>

#include <string_view>

namespace veil::attest {
namespace {

// TCG PC Client PFP event types.
constexpr uint32_t kEvSeparator = 0x00000004;
constexpr uint32_t kEvEventTag = 0x00000006;
constexpr uint32_t kEvIpl = 0x0000000d;
constexpr uint32_t kEvEfiVariableDriverConfig = 0x80000001;
constexpr uint32_t kEvEfiBootServicesApplication = 0x80000003;
constexpr uint32_t kEvEfiAction = 0x80000007;
constexpr uint32_t kEvEfiPlatformFirmwareBlob2 = 0x8000000a;
constexpr uint32_t kEvEfiHandoffTables2 = 0x8000000b;

Sha384Value sha384_of(ByteView data) {
  Sha384Value out{};
  SHA384(data.data(), data.size(), out.data());
  return out;
}

EventLogEntry boot_event(uint32_t imr, uint32_t type, ByteView payload) {
  EventLogEntry e;
  e.imr = imr;
  e.event_type = type;
  e.event_payload = Bytes(payload.begin(), payload.end());
  e.digest = sha384_of(payload);
  return e;
}

SimulatedBootMeasurements build() {
  SimulatedBootMeasurements m;
  m.mrtd = sha384_of(as_bytes("veil simulated TEE: TD firmware image (MRTD)"));
  const uint8_t separator[4] = {0, 0, 0, 0};
  auto& log = m.boot_events;
  // RTMR0: firmware configuration.
  log.push_back(boot_event(0, kEvEfiHandoffTables2, as_bytes("veil simulated TEE: TD HOB and ACPI tables")));
  log.push_back(
      boot_event(0, kEvEfiPlatformFirmwareBlob2, as_bytes("veil simulated TEE: TDVF firmware volume")));
  log.push_back(boot_event(0, kEvEfiVariableDriverConfig, as_bytes("veil simulated TEE: SecureBoot=0")));
  log.push_back(boot_event(0, kEvSeparator, separator));
  // RTMR1: bootloader.
  log.push_back(boot_event(1, kEvEfiBootServicesApplication, as_bytes("veil simulated TEE: bootloader")));
  log.push_back(boot_event(1, kEvEfiAction, as_bytes("Calling EFI Application from Boot Option")));
  log.push_back(boot_event(1, kEvSeparator, separator));
  log.push_back(boot_event(1, kEvEfiAction, as_bytes("Exit Boot Services Invocation")));
  // RTMR2: kernel command line and initrd.
  log.push_back(boot_event(2, kEvIpl, as_bytes("veil simulated TEE: kernel command line")));
  log.push_back(boot_event(2, kEvEventTag, as_bytes("veil simulated TEE: initrd")));
  return m;
}

}  // namespace

const SimulatedBootMeasurements& simulated_boot_measurements() {
  static const SimulatedBootMeasurements m = build();
  return m;
}

}  // namespace veil::attest
