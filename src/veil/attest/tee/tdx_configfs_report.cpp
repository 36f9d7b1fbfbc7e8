#include "veil/attest/tee/tdx_configfs_report.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

#include "veil/attest/tee/tdx_configfs_io.h"
#include "veil/base/log.h"

namespace veil::attest {
namespace {

using Clock = std::chrono::steady_clock;

// Polls `read_once` until it succeeds with something other than
// tee.attr_missing, or the deadline passes.
template <typename F>
auto read_waiting(F read_once, Clock::time_point deadline) -> decltype(read_once()) {
  for (;;) {
    auto r = read_once();
    if (r.ok() || r.error().code != "tee.attr_missing" || Clock::now() >= deadline) return r;
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
}

}  // namespace

ConfigfsTsmReport::ConfigfsTsmReport(ConfigfsReportOptions options) : options_(std::move(options)) {
  if (options_.entry_name.empty()) options_.entry_name = "veil-" + std::to_string(::getpid());
  entry_path_ = options_.configfs_root + "/" + options_.entry_name;
}

ConfigfsTsmReport::~ConfigfsTsmReport() {
  // configfs removes the attributes with the directory. An emulation on a
  // normal filesystem refuses (ENOTEMPTY); that is harmless.
  if (created_ && ::rmdir(entry_path_.c_str()) != 0) {
    log::debug("tee.tdx: rmdir of report entry failed: {}", std::strerror(errno));
  }
}

Status ConfigfsTsmReport::open() {
  std::lock_guard lock(mu_);
  return open_locked();
}

Status ConfigfsTsmReport::open_locked() {
  if (opened_) return ok_status();
  struct stat st {};
  if (::stat(options_.configfs_root.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return make_error(
        "tee.configfs_unavailable",
        options_.configfs_root + " is not available (needs Linux 6.7+ configfs-tsm in a TDX guest)");
  }
  if (::mkdir(entry_path_.c_str(), 0700) == 0) {
    created_ = true;
  } else if (errno != EEXIST) {
    return make_error("tee.configfs_unavailable", "mkdir " + entry_path_ + ": " + std::strerror(errno));
  }
  const auto deadline = Clock::now() + options_.attribute_wait;
  VEIL_ASSIGN_OR_RETURN(
      std::string provider,
      read_waiting([&] { return kernel_attr::read_trimmed(entry_path_ + "/provider"); }, deadline));
  if (provider != options_.expected_provider) {
    return make_error("tee.wrong_provider", "configfs-tsm provider is '" + provider + "', expected '" +
                                                options_.expected_provider + "'");
  }
  opened_ = true;
  return ok_status();
}

Result<Bytes> ConfigfsTsmReport::generate(const std::array<uint8_t, 64>& inblob) {
  std::lock_guard lock(mu_);
  VEIL_TRY(open_locked());
  for (int i = 0; i < options_.max_attempts; ++i) {
    bool raced = false;
    auto r = attempt(inblob, raced);
    if (!raced) return r;
    log::debug("tee.tdx: configfs-tsm generation changed under us (attempt {}), retrying", i + 1);
  }
  return make_error("tee.configfs_contention",
                    "another writer kept changing the configfs-tsm report entry; gave up after " +
                        std::to_string(options_.max_attempts) + " attempts");
}

Result<Bytes> ConfigfsTsmReport::attempt(const std::array<uint8_t, 64>& inblob, bool& raced) {
  const std::string generation_path = entry_path_ + "/generation";
  const auto deadline = Clock::now() + options_.attribute_wait;
  VEIL_ASSIGN_OR_RETURN(uint64_t before,
                        read_waiting([&] { return kernel_attr::read_u64(generation_path); }, deadline));
  VEIL_TRY(kernel_attr::write(entry_path_ + "/inblob", inblob, O_TRUNC));

  // The kernel bumps generation when the inblob write commits (on close);
  // wait for the bump so emulations that do it asynchronously work too.
  uint64_t after_write = before;
  for (;;) {
    VEIL_ASSIGN_OR_RETURN(after_write, kernel_attr::read_u64(generation_path));
    if (after_write != before || Clock::now() >= deadline) break;
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  if (after_write == before) {
    return make_error("tee.configfs_stalled", "configfs-tsm generation did not advance after writing inblob");
  }
  if (after_write != before + 1) {  // someone else wrote inblob too
    raced = true;
    return make_error("tee.configfs_contention", "generation jumped");
  }
  VEIL_ASSIGN_OR_RETURN(Bytes outblob, kernel_attr::read(entry_path_ + "/outblob", options_.max_outblob));
  VEIL_ASSIGN_OR_RETURN(uint64_t after_read, kernel_attr::read_u64(generation_path));
  if (after_read != after_write) {  // the outblob may belong to another inblob
    raced = true;
    return make_error("tee.configfs_contention", "generation changed during outblob read");
  }
  if (outblob.empty()) return make_error("tee.empty_outblob", "configfs-tsm returned an empty outblob");
  return outblob;
}

}  // namespace veil::attest
