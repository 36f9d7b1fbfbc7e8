// The "tdx" TeeProvider: quotes through configfs-tsm
// (tdx_configfs_report.h), RTMR3 extension and register reads
// (tdx_configfs_registers.h), boot events from the CCEL ACPI table.
#pragma once

#include <memory>

#include "veil/attest/tee/tee_provider.h"

namespace veil::attest {

// Fails (tee.configfs_unavailable, tee.wrong_provider, ...) when this is
// not a TDX guest with configfs-tsm.
Result<std::unique_ptr<TeeProvider>> make_tdx_configfs_provider(const TeeOptions& options);

}  // namespace veil::attest
