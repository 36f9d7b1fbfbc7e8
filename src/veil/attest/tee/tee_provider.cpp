#include "veil/attest/tee/tee_provider.h"

#include "veil/attest/tee/simulated_tee_provider.h"
#include "veil/attest/tee/tdx_configfs_provider.h"
#include "veil/base/clock.h"

namespace veil::attest {

Result<std::unique_ptr<TeeProvider>> make_tee_provider(std::string_view kind, const TeeOptions& options) {
  if (kind == "simulated") return make_simulated_tee_provider(unix_now(), options.simulated_mr_config_id);
  if (kind == "tdx") return make_tdx_configfs_provider(options);
  return make_error("tee.unknown_kind", "unknown TEE kind '" + std::string(kind) + "' (expected tdx or simulated)");
}

}  // namespace veil::attest
