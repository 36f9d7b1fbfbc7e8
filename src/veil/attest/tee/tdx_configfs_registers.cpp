#include "veil/attest/tee/tdx_configfs_registers.h"

#include <fcntl.h>
#include <linux/ioctl.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "veil/attest/tee/tdx_configfs_io.h"

namespace veil::attest {
namespace {

// include/uapi/linux/tdx-guest.h (TDX guest kernels carrying RTMR
// extension, e.g. intel/tdx-linux guest-next):
//   struct tdx_extend_rtmr_req { __u8 data[TDX_EXTEND_RTMR_DATA_LEN = 48]; __u8 index; };
//   #define TDX_CMD_EXTEND_RTMR _IOR('T', 3, struct tdx_extend_rtmr_req)
// Intel's libtdx_attest also knows an _IOW variant ("V3_DRIVER"); we try
// it when the first is not recognised (ENOTTY).
struct TdxExtendRtmrReq {
  uint8_t data[48];
  uint8_t index;
};
static_assert(sizeof(TdxExtendRtmrReq) == 49);
constexpr unsigned long kTdxCmdExtendRtmr = _IOR('T', 3, TdxExtendRtmrReq);
constexpr unsigned long kTdxCmdExtendRtmrV3 = _IOW('T', 3, TdxExtendRtmrReq);

// Upstream include/uapi/linux/tdx-guest.h (Linux 6.2+):
//   struct tdx_report_req { __u8 reportdata[64]; __u8 tdreport[1024]; };
//   #define TDX_CMD_GET_REPORT0 _IOWR('T', 1, struct tdx_report_req)
struct TdxReportReq {
  uint8_t reportdata[64];
  uint8_t tdreport[1024];
};
static_assert(sizeof(TdxReportReq) == 1088);
constexpr unsigned long kTdxCmdGetReport0 = _IOWR('T', 1, TdxReportReq);
// TDREPORT_STRUCT (TDX module ABI): REPORTMACSTRUCT (256) ‖ TEE_TCB_INFO
// (239) ‖ reserved (17) ‖ TDINFO_STRUCT at 512: ATTRIBUTES 8, XFAM 8,
// MRTD 48 (@528), MRCONFIGID, MROWNER, MROWNERCONFIG 48 each, RTMR0..3
// (@720).
constexpr size_t kTdReportMrtdOffset = 528;
constexpr size_t kTdReportRtmr0Offset = 720;

std::string measurements_dir(const TeeOptions& options) {
  const auto slash = options.rtmr3_sysfs.rfind('/');
  return slash == std::string::npos ? std::string(".") : options.rtmr3_sysfs.substr(0, slash);
}

Result<Sha384Value> read_register_file(const std::string& path) {
  VEIL_ASSIGN_OR_RETURN(Bytes raw, kernel_attr::read(path, 4096));
  if (raw.size() != 48) {
    return make_error("tee.attr_format", path + ": expected 48 bytes, got " + std::to_string(raw.size()));
  }
  Sha384Value v{};
  std::copy(raw.begin(), raw.end(), v.begin());
  return v;
}

Status extend_by_ioctl(const std::string& device, const Sha384Value& digest) {
  const int fd = ::open(device.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) return make_error("tee.rtmr_extend_failed", "open " + device + ": " + std::strerror(errno));
  TdxExtendRtmrReq req{};
  std::memcpy(req.data, digest.data(), 48);
  req.index = 3;
  int rc = ::ioctl(fd, kTdxCmdExtendRtmr, &req);
  if (rc != 0 && errno == ENOTTY) rc = ::ioctl(fd, kTdxCmdExtendRtmrV3, &req);
  const int err = errno;
  ::close(fd);
  if (rc != 0)
    return make_error("tee.rtmr_extend_failed", "TDX_CMD_EXTEND_RTMR: " + std::string(std::strerror(err)));
  return ok_status();
}

Result<TdxMeasurements> read_by_tdreport(const std::string& device) {
  const int fd = ::open(device.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0)
    return make_error("tee.measurements_unavailable", "open " + device + ": " + std::strerror(errno));
  TdxReportReq req{};
  const int rc = ::ioctl(fd, kTdxCmdGetReport0, &req);
  const int err = errno;
  ::close(fd);
  if (rc != 0) {
    return make_error("tee.measurements_unavailable",
                      "TDX_CMD_GET_REPORT0: " + std::string(std::strerror(err)));
  }
  TdxMeasurements m;
  std::memcpy(m.mrtd.data(), req.tdreport + kTdReportMrtdOffset, 48);
  for (size_t i = 0; i < 4; ++i)
    std::memcpy(m.rtmr[i].data(), req.tdreport + kTdReportRtmr0Offset + 48 * i, 48);
  return m;
}

}  // namespace

Status extend_tdx_rtmr3(const TeeOptions& options, const Sha384Value& digest) {
  auto via_sysfs = kernel_attr::write(options.rtmr3_sysfs, digest);
  if (via_sysfs.ok()) return via_sysfs;
  if (via_sysfs.error().code != "tee.attr_missing") {
    return make_error("tee.rtmr_extend_failed", via_sysfs.error().message);
  }
  auto via_ioctl = extend_by_ioctl(options.tdx_guest_device, digest);
  if (via_ioctl.ok()) return via_ioctl;
  return make_error("tee.rtmr_extend_failed",
                    "sysfs: " + via_sysfs.error().message + "; ioctl: " + via_ioctl.error().message);
}

Result<TdxMeasurements> read_tdx_measurements(const TeeOptions& options) {
  const std::string dir = measurements_dir(options);
  TdxMeasurements m;
  auto mrtd = read_register_file(dir + "/mrtd:sha384");
  if (mrtd.ok()) {
    m.mrtd = *mrtd;
    for (size_t i = 0; i < 4; ++i) {
      auto r = read_register_file(dir + "/rtmr" + std::to_string(i) + ":sha384");
      if (!r.ok()) return make_error("tee.measurements_unavailable", r.error().message);
      m.rtmr[i] = *r;
    }
    return m;
  }
  auto from_report = read_by_tdreport(options.tdx_guest_device);
  if (from_report.ok()) return from_report;
  return make_error("tee.measurements_unavailable",
                    "sysfs: " + mrtd.error().message + "; TDREPORT: " + from_report.error().message);
}

}  // namespace veil::attest
