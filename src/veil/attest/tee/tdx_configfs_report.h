// TDX quotes through the Linux configfs-tsm report interface
// (Documentation/ABI/testing/configfs-tsm-report, Linux 6.7+):
//
//   mkdir <root>/<name>            the kernel populates the attributes
//   <name>/provider                "tdx_guest" on TDX
//   <name>/generation              bumped by every write to inblob
//   <name>/inblob                  write: up to 64 bytes (TDX REPORTDATA)
//   <name>/outblob                 read: the quote for the last inblob
//
// Writers that share an entry detect each other through `generation`: it
// must be exactly one more after our inblob write and unchanged after our
// outblob read, else another writer raced and we retry. This process uses
// one entry ("veil-<pid>") for its lifetime, removed on destruction, and
// serialises its own requests with a mutex.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>

#include "veil/base/bytes.h"
#include "veil/base/result.h"

namespace veil::attest {

struct ConfigfsReportOptions {
  std::string configfs_root = "/sys/kernel/config/tsm/report";
  std::string entry_name;  // empty: "veil-<pid>"
  std::string expected_provider = "tdx_guest";
  int max_attempts = 8;
  // configfs creates an entry's attributes inside mkdir; emulations (and
  // tests) may need a moment. Also bounds the wait for the generation bump.
  std::chrono::milliseconds attribute_wait{2000};
  size_t max_outblob = size_t(1) << 20;
};

class ConfigfsTsmReport {
 public:
  explicit ConfigfsTsmReport(ConfigfsReportOptions options);
  ~ConfigfsTsmReport();
  ConfigfsTsmReport(const ConfigfsTsmReport&) = delete;
  ConfigfsTsmReport& operator=(const ConfigfsTsmReport&) = delete;

  // Creates the entry and checks the provider. Errors:
  // tee.configfs_unavailable, tee.wrong_provider, tee.attr_*.
  Status open();
  // outblob for this inblob. Thread-safe. Errors: tee.configfs_contention
  // after max_attempts races, tee.empty_outblob, tee.attr_*.
  Result<Bytes> generate(const std::array<uint8_t, 64>& inblob);

  const std::string& entry_path() const { return entry_path_; }

 private:
  Status open_locked();
  Result<Bytes> attempt(const std::array<uint8_t, 64>& inblob, bool& raced);

  ConfigfsReportOptions options_;
  std::string entry_path_;
  bool opened_ = false;
  bool created_ = false;
  std::mutex mu_;
};

}  // namespace veil::attest
