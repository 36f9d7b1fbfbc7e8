// TDX measurement registers from inside the guest.
//
// Extension of RTMR3: the Linux TDX guest measurements ABI
// (Documentation/ABI/testing/sysfs-devices-virtual-misc-tdx_guest, Linux
// 6.16+): writing a 48-byte SHA-384 digest to
// .../measurements/rtmr3:sha384 extends RTMR3; reading any
// .../measurements/<mr>:sha384 returns its 48 raw bytes. Older TDX guest
// kernels (Intel's and distribution TDX trees) instead offer the
// TDX_CMD_EXTEND_RTMR ioctl on /dev/tdx_guest, used as the fallback when
// the sysfs file is absent; registers are then read from a TDREPORT
// (TDX_CMD_GET_REPORT0, upstream since 6.2).
#pragma once

#include "veil/attest/event_log.h"
#include "veil/attest/tee/tee_provider.h"

namespace veil::attest {

// Errors: tee.rtmr_extend_failed (both paths failed; the message names
// each).
Status extend_tdx_rtmr3(const TeeOptions& options, const Sha384Value& digest);

// MRTD and RTMR0..3 now: the sysfs files beside options.rtmr3_sysfs, else
// a TDREPORT. Errors: tee.measurements_unavailable.
Result<TdxMeasurements> read_tdx_measurements(const TeeOptions& options);

}  // namespace veil::attest
