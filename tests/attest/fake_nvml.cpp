// A fake libnvidia-ml.so for tests: it implements the NVML entry points Veil
// dlopen()s and serves recorded evidence.
//   VEIL_FAKE_NVML_REPORT  path of a hex SPDM report (recorded, fixed nonce)
//   VEIL_FAKE_NVML_CHAIN   path of the PEM certificate chain
//   VEIL_FAKE_NVML_GPUS    number of GPUs (default 1); the last one answers
//                          NOT_SUPPORTED when VEIL_FAKE_NVML_NON_CC=1
// The nonce passed in is recorded and available through
// veil_fake_nvml_last_nonce() so tests can check it was handed over.
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>

#include "veil/attest/gpu/nvml_abi.h"

namespace {

unsigned char g_last_nonce[32];
bool g_initialized = false;

std::string read_all(const char* env) {
  const char* p = std::getenv(env);
  if (!p) return {};
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

unsigned int gpu_count() {
  const char* n = std::getenv("VEIL_FAKE_NVML_GPUS");
  return n ? static_cast<unsigned int>(std::atoi(n)) : 1u;
}

int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

extern "C" {

__attribute__((visibility("default"))) nvmlReturn_t nvmlInit_v2(void) {
  g_initialized = true;
  return VEIL_NVML_SUCCESS;
}

__attribute__((visibility("default"))) nvmlReturn_t nvmlShutdown(void) {
  g_initialized = false;
  return VEIL_NVML_SUCCESS;
}

__attribute__((visibility("default"))) nvmlReturn_t nvmlDeviceGetCount(unsigned int* count) {
  if (!g_initialized) return 1;  // NVML_ERROR_UNINITIALIZED
  *count = gpu_count();
  return VEIL_NVML_SUCCESS;
}

__attribute__((visibility("default"))) nvmlReturn_t nvmlDeviceGetHandleByIndex(unsigned int index,
                                                                               nvmlDevice_t* device) {
  if (index >= gpu_count()) return 2;  // NVML_ERROR_INVALID_ARGUMENT
  *device = reinterpret_cast<nvmlDevice_t>(static_cast<uintptr_t>(0x1000 + index));
  return VEIL_NVML_SUCCESS;
}

__attribute__((visibility("default"))) nvmlReturn_t nvmlDeviceGetArchitecture(nvmlDevice_t,
                                                                              unsigned int* arch) {
  *arch = VEIL_NVML_DEVICE_ARCH_HOPPER;
  return VEIL_NVML_SUCCESS;
}

__attribute__((visibility("default"))) nvmlReturn_t nvmlDeviceGetConfComputeGpuAttestationReport(
    nvmlDevice_t device, nvmlConfComputeGpuAttestationReport_t* report) {
  unsigned int index = static_cast<unsigned int>(reinterpret_cast<uintptr_t>(device) - 0x1000);
  const char* non_cc = std::getenv("VEIL_FAKE_NVML_NON_CC");
  if (non_cc && std::strcmp(non_cc, "1") == 0 && index + 1 == gpu_count())
    return VEIL_NVML_ERROR_NOT_SUPPORTED;
  std::memcpy(g_last_nonce, report->nonce, sizeof g_last_nonce);
  std::string hex = read_all("VEIL_FAKE_NVML_REPORT");
  size_t n = 0;
  for (size_t i = 0; i + 1 < hex.size() && n < sizeof report->attestationReport; i += 2) {
    int hi = hexval(hex[i]), lo = hexval(hex[i + 1]);
    if (hi < 0 || lo < 0) break;
    report->attestationReport[n++] = static_cast<unsigned char>(hi * 16 + lo);
  }
  report->attestationReportSize = static_cast<unsigned int>(n);
  report->isCecAttestationReportPresent = 0;
  return n ? VEIL_NVML_SUCCESS : 999;  // NVML_ERROR_UNKNOWN
}

__attribute__((visibility("default"))) nvmlReturn_t nvmlDeviceGetConfComputeGpuCertificate(
    nvmlDevice_t, nvmlConfComputeGpuCertificate_t* cert) {
  std::string pem = read_all("VEIL_FAKE_NVML_CHAIN");
  if (pem.empty() || pem.size() > sizeof cert->attestationCertChain) return 999;
  std::memcpy(cert->attestationCertChain, pem.data(), pem.size());
  cert->attestationCertChainSize = static_cast<unsigned int>(pem.size());
  cert->certChainSize = 0;
  return VEIL_NVML_SUCCESS;
}

__attribute__((visibility("default"))) const unsigned char* veil_fake_nvml_last_nonce(void) {
  return g_last_nonce;
}
}
