#include "veil/attest/tee/tdx_configfs_provider.h"

#include <mutex>

#include "veil/attest/tee/tdx_configfs_io.h"
#include "veil/attest/tee/tdx_configfs_registers.h"
#include "veil/attest/tee/tdx_configfs_report.h"
#include "veil/base/log.h"

namespace veil::attest {
namespace {

// The CCEL ACPI table data (TCG2 crypto-agile event log, SHA-384 on TDX) is
// at most LAML bytes; real logs are a few hundred KiB.
constexpr size_t kMaxCcelBytes = size_t(16) << 20;

class TdxConfigfsProvider final : public TeeProvider {
 public:
  TdxConfigfsProvider(TeeOptions options, std::unique_ptr<ConfigfsTsmReport> report, Bytes ccel_raw)
      : options_(std::move(options)), report_(std::move(report)), ccel_raw_(std::move(ccel_raw)) {}

  std::string kind() const override { return "tdx"; }

  Result<Bytes> quote(const std::array<uint8_t, 64>& report_data) override {
    return report_->generate(report_data);
  }

  Status extend_runtime_event(std::string_view name, ByteView payload) override {
    EventLogEntry e = make_runtime_event(name, payload);
    // One extension at a time, so the recorded order is the RTMR order.
    std::lock_guard lock(mu_);
    VEIL_TRY(extend_tdx_rtmr3(options_, e.digest));
    runtime_events_.push_back(std::move(e));
    return ok_status();
  }

  std::vector<EventLogEntry> event_log() const override {
    std::vector<EventLogEntry> log = boot_events_;
    std::lock_guard lock(mu_);
    log.insert(log.end(), runtime_events_.begin(), runtime_events_.end());
    return log;
  }

  TdxMeasurements measurements() const override {
    auto m = read_tdx_measurements(options_);
    if (!m.ok()) {
      log::error("tee.tdx: cannot read measurement registers: {}", m.error().to_string());
      return TdxMeasurements{};
    }
    return *m;
  }

  std::optional<std::string> simulation_info_json() const override { return std::nullopt; }

 private:
  const TeeOptions options_;
  std::unique_ptr<ConfigfsTsmReport> report_;
  // Raw CCEL bytes, kept for when the TCG2 parser (attest/ccel.h, owned by
  // the TDX verifier) lands; until then boot events are not served.
  const Bytes ccel_raw_;
  const std::vector<EventLogEntry> boot_events_;

  mutable std::mutex mu_;
  std::vector<EventLogEntry> runtime_events_;
};

}  // namespace

Result<std::unique_ptr<TeeProvider>> make_tdx_configfs_provider(const TeeOptions& options) {
  ConfigfsReportOptions report_options;
  report_options.configfs_root = options.configfs_root;
  auto report = std::make_unique<ConfigfsTsmReport>(report_options);
  VEIL_TRY(report->open());

  Bytes ccel;
  auto ccel_read = kernel_attr::read(options.ccel_path, kMaxCcelBytes);
  if (ccel_read.ok()) {
    ccel = std::move(ccel_read).value();
    log::warn(
        "tee.tdx: CCEL read ({} bytes) but not parsed yet: the served event_log has no boot events "
        "(imr 0..2), only runtime events",
        ccel.size());
  } else {
    log::warn("tee.tdx: no CCEL event log ({}); the served event_log has no boot events",
              ccel_read.error().to_string());
  }

  auto initial = read_tdx_measurements(options);
  if (initial.ok() && initial->rtmr[3] != Sha384Value{}) {
    log::warn(
        "tee.tdx: RTMR3 was already extended before this process started; events measured earlier are "
        "not in this process's event log, so RTMR3 replay will not match");
  }
  log::info("tee.tdx: configfs-tsm report entry {}", report->entry_path());
  return std::unique_ptr<TeeProvider>(new TdxConfigfsProvider(options, std::move(report), std::move(ccel)));
}

}  // namespace veil::attest
