#include "veil/attest/gpu/nvml_gpu.h"

#include <dlfcn.h>

#include <boost/json.hpp>
#include <cstdlib>
#include <cstring>
#include <mutex>

#include "veil/attest/gpu/nvml_abi.h"
#include "veil/attest/nvidia/openssl_util.h"
#include "veil/base/encoding.h"

namespace veil::attest::gpu {

namespace {

Error unavailable(const std::string& why) { return make_error("gpu.nvml_unavailable", why); }

// DER certificates back to back -> PEM text (NVML returns PEM on current
// drivers; older ones return concatenated DER).
Result<std::string> chain_to_pem(const unsigned char* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  while (!text.empty() && text.back() == '\0') text.remove_suffix(1);
  if (text.find("-----BEGIN CERTIFICATE-----") != std::string_view::npos) return std::string(text);
  std::string pem;
  size_t off = 0;
  while (off < size && data[off] == 0x30) {
    // DER SEQUENCE length: short form or 0x81/0x82 long form.
    if (size - off < 4) break;
    size_t len = 0, hdr = 0;
    if (data[off + 1] < 0x80) {
      len = data[off + 1];
      hdr = 2;
    } else if (data[off + 1] == 0x81) {
      len = data[off + 2];
      hdr = 3;
    } else if (data[off + 1] == 0x82) {
      len = (size_t(data[off + 2]) << 8) | data[off + 3];
      hdr = 4;
    } else {
      break;
    }
    if (size - off < hdr + len) break;
    auto cert = nvidia::parse_der_certificate(ByteView(data + off, hdr + len));
    if (!cert) return cert.error();
    pem += nvidia::to_pem(cert->get());
    off += hdr + len;
  }
  if (pem.empty())
    return make_error("gpu.nvml_bad_certificate", "attestation certificate chain is neither PEM nor DER");
  return pem;
}

class NvmlProvider final : public GpuEvidenceProvider {
 public:
  ~NvmlProvider() override {
    if (shutdown_) shutdown_();
    if (lib_) dlclose(lib_);
  }
  std::string kind() const override { return "nvml"; }

  Status load(const std::string& path) {
    lib_ = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!lib_) return unavailable("cannot load NVML library");
    init_ = reinterpret_cast<nvmlInit_v2_fn>(dlsym(lib_, "nvmlInit_v2"));
    shutdown_ = reinterpret_cast<nvmlShutdown_fn>(dlsym(lib_, "nvmlShutdown"));
    count_ = reinterpret_cast<nvmlDeviceGetCount_fn>(dlsym(lib_, "nvmlDeviceGetCount_v2"));
    if (!count_) count_ = reinterpret_cast<nvmlDeviceGetCount_fn>(dlsym(lib_, "nvmlDeviceGetCount"));
    handle_ = reinterpret_cast<nvmlDeviceGetHandleByIndex_fn>(dlsym(lib_, "nvmlDeviceGetHandleByIndex_v2"));
    if (!handle_)
      handle_ = reinterpret_cast<nvmlDeviceGetHandleByIndex_fn>(dlsym(lib_, "nvmlDeviceGetHandleByIndex"));
    arch_ = reinterpret_cast<nvmlDeviceGetArchitecture_fn>(dlsym(lib_, "nvmlDeviceGetArchitecture"));
    report_ = reinterpret_cast<nvmlDeviceGetConfComputeGpuAttestationReport_fn>(
        dlsym(lib_, "nvmlDeviceGetConfComputeGpuAttestationReport"));
    cert_ = reinterpret_cast<nvmlDeviceGetConfComputeGpuCertificate_fn>(
        dlsym(lib_, "nvmlDeviceGetConfComputeGpuCertificate"));
    if (!init_ || !count_ || !handle_ || !report_ || !cert_) {
      return unavailable(
          "NVML library lacks the confidential-computing entry points (driver older than r535?)");
    }
    if (init_() != VEIL_NVML_SUCCESS) return unavailable("nvmlInit_v2 failed");
    return ok_status();
  }

  Result<std::string> nvidia_payload(const std::array<uint8_t, 32>& nonce) override {
    std::lock_guard<std::mutex> lock(mutex_);
    unsigned int count = 0;
    if (count_(&count) != VEIL_NVML_SUCCESS) return make_error("gpu.nvml", "nvmlDeviceGetCount failed");
    if (count == 0) return std::string();
    if (count > 64) return make_error("gpu.nvml", "implausible GPU count");
    boost::json::array list;
    std::string top_arch;
    // Large structs (12 KiB + 9 KiB): on the heap, not the stack.
    auto rep = std::make_unique<nvmlConfComputeGpuAttestationReport_t>();
    auto cert = std::make_unique<nvmlConfComputeGpuCertificate_t>();
    for (unsigned int i = 0; i < count; ++i) {
      nvmlDevice_t dev = nullptr;
      if (handle_(i, &dev) != VEIL_NVML_SUCCESS)
        return make_error("gpu.nvml", "nvmlDeviceGetHandleByIndex failed");
      std::memset(rep.get(), 0, sizeof *rep);
      std::memcpy(rep->nonce, nonce.data(), nonce.size());
      nvmlReturn_t rc = report_(dev, rep.get());
      if (rc == VEIL_NVML_ERROR_NOT_SUPPORTED) continue;  // not a CC GPU
      if (rc != VEIL_NVML_SUCCESS)
        return make_error("gpu.nvml", "attestation report call failed on GPU " + std::to_string(i));
      if (rep->attestationReportSize == 0 || rep->attestationReportSize > sizeof rep->attestationReport) {
        return make_error("gpu.nvml", "attestation report size out of range");
      }
      std::memset(cert.get(), 0, sizeof *cert);
      if (cert_(dev, cert.get()) != VEIL_NVML_SUCCESS) {
        return make_error("gpu.nvml", "certificate call failed on GPU " + std::to_string(i));
      }
      if (cert->attestationCertChainSize == 0 ||
          cert->attestationCertChainSize > sizeof cert->attestationCertChain) {
        return make_error("gpu.nvml", "certificate chain size out of range");
      }
      VEIL_ASSIGN_OR_RETURN(std::string pem,
                            chain_to_pem(cert->attestationCertChain, cert->attestationCertChainSize));
      std::string arch = "HOPPER";
      unsigned int a = 0;
      if (arch_ && arch_(dev, &a) == VEIL_NVML_SUCCESS && a == VEIL_NVML_DEVICE_ARCH_BLACKWELL)
        arch = "BLACKWELL";
      if (top_arch.empty()) top_arch = arch;
      list.push_back(boost::json::object{
          {"certificate", base64_encode(as_bytes(pem))},
          {"evidence", base64_encode(ByteView(rep->attestationReport, rep->attestationReportSize))},
          {"arch", arch}});
    }
    if (list.empty()) return make_error("gpu.nvml", "no GPU supports confidential-computing attestation");
    boost::json::object o;
    o["nonce"] = hex_encode(nonce);
    o["evidence_list"] = std::move(list);
    o["arch"] = top_arch;
    return boost::json::serialize(o);
  }

 private:
  std::mutex mutex_;
  void* lib_ = nullptr;
  nvmlInit_v2_fn init_ = nullptr;
  nvmlShutdown_fn shutdown_ = nullptr;
  nvmlDeviceGetCount_fn count_ = nullptr;
  nvmlDeviceGetHandleByIndex_fn handle_ = nullptr;
  nvmlDeviceGetArchitecture_fn arch_ = nullptr;
  nvmlDeviceGetConfComputeGpuAttestationReport_fn report_ = nullptr;
  nvmlDeviceGetConfComputeGpuCertificate_fn cert_ = nullptr;
};

}  // namespace

Result<std::unique_ptr<GpuEvidenceProvider>> make_nvml_provider(const NvmlOptions& options) {
  std::string path = options.library_path;
  if (path.empty()) {
    const char* env = std::getenv("VEIL_NVML_LIBRARY");
    path = env && *env ? env : "libnvidia-ml.so.1";
  }
  auto p = std::make_unique<NvmlProvider>();
  VEIL_TRY(p->load(path));
  return std::unique_ptr<GpuEvidenceProvider>(std::move(p));
}

}  // namespace veil::attest::gpu
