// Fuzzes the CCEL (TCG2 crypto-agile) event log and ACPI table parsers.
#include <cstddef>
#include <cstdint>

#include "veil/attest/ccel.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  veil::ByteView in(data, size);
  auto events = veil::attest::parse_ccel(in);
  auto log = veil::attest::ccel_to_event_log(in);
  if (events.ok() != log.ok() && events.ok()) {
    // ccel_to_event_log may only add the "measured event without SHA-384" error.
    if (log.error().code != "ccel.bad_event") __builtin_trap();
  }
  if (log.ok()) (void)veil::attest::replay_rtmrs(*log);
  (void)veil::attest::parse_ccel_table(in);
  return 0;
}
