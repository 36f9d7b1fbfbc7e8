#include "veil/attest/tee/tdx_configfs_provider.h"

#include <mutex>

#include "veil/attest/ccel.h"
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
  TdxConfigfsProvider(TeeOptions options, std::unique_ptr<ConfigfsTsmReport> report,
                      std::vector<EventLogEntry> boot_events)
      : options_(std::move(options)), report_(std::move(report)), boot_events_(std::move(boot_events)) {}

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
  // The CCEL's measured events (RTMR0..3 as imr 0..3), extended before this
  // process started.
  const std::vector<EventLogEntry> boot_events_;

  mutable std::mutex mu_;
  std::vector<EventLogEntry> runtime_events_;
};

// The CCEL ACPI data (the log area) as event-log entries; empty, with a
// warning, when it is absent or malformed.
std::vector<EventLogEntry> read_boot_events(const std::string& ccel_path) {
  auto raw = kernel_attr::read(ccel_path, kMaxCcelBytes);
  if (!raw.ok()) {
    log::warn("tee.tdx: no CCEL event log ({}); the served event_log has no boot events",
              raw.error().to_string());
    return {};
  }
  auto events = ccel_to_event_log(*raw);
  if (!events.ok()) {
    log::warn("tee.tdx: CCEL event log unreadable ({}); the served event_log has no boot events",
              events.error().to_string());
    return {};
  }
  log::info("tee.tdx: CCEL event log: {} measured boot events", events->size());
  return std::move(events).value();
}

}  // namespace

Result<std::unique_ptr<TeeProvider>> make_tdx_configfs_provider(const TeeOptions& options) {
  ConfigfsReportOptions report_options;
  report_options.configfs_root = options.configfs_root;
  auto report = std::make_unique<ConfigfsTsmReport>(report_options);
  VEIL_TRY(report->open());

  std::vector<EventLogEntry> boot_events = read_boot_events(options.ccel_path);

  // Replay must reproduce the registers: warn once if the CCEL and what the
  // registers hold already disagree (then verifiers will say so too).
  auto initial = read_tdx_measurements(options);
  if (initial.ok()) {
    const auto replayed = replay_rtmrs(boot_events);
    for (size_t i = 0; i < 4; ++i) {
      if (replayed[i] != initial->rtmr[i]) {
        log::warn(
            "tee.tdx: RTMR{} does not match the replay of the CCEL event log; the served event_log will "
            "not reproduce it",
            i);
      }
    }
  } else {
    log::warn("tee.tdx: cannot read measurement registers at start: {}", initial.error().to_string());
  }
  log::info("tee.tdx: configfs-tsm report entry {}", report->entry_path());
  return std::unique_ptr<TeeProvider>(
      new TdxConfigfsProvider(options, std::move(report), std::move(boot_events)));
}

}  // namespace veil::attest
