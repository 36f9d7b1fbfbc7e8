// The "simulated" TeeProvider (see tee_provider.h and WIRE.md section 3,
// "Simulated TEE"). Created by make_tee_provider("simulated"); this header
// lets tests pin the start time.
#pragma once

#include <memory>

#include "veil/attest/tee/tee_provider.h"
#include "veil/base/clock.h"

namespace veil::attest {

// Creates the simulation root, PCK chain, attestation key and QE report now
// (a few milliseconds). `now` dates the certificates and the collateral;
// collateral is re-issued when a week old (by the system clock).
Result<std::unique_ptr<TeeProvider>> make_simulated_tee_provider(
    UnixSeconds now, const std::optional<std::array<uint8_t, 48>>& mr_config_id = std::nullopt);

}  // namespace veil::attest
