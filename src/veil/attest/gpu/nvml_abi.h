// The part of NVIDIA's NVML C ABI (nvml.h, r550+) that Veil calls through
// dlopen(): confidential-computing attestation report and certificates.
// Declared here so Veil builds without the CUDA toolkit; the test fake
// library (tests/attest/fake_nvml.cpp) implements the same ABI.
#pragma once

extern "C" {

typedef int nvmlReturn_t;  // NVML_SUCCESS = 0
typedef struct nvmlDevice_st* nvmlDevice_t;

#define VEIL_NVML_SUCCESS 0
#define VEIL_NVML_ERROR_NOT_SUPPORTED 3
#define VEIL_NVML_DEVICE_ARCH_HOPPER 9
#define VEIL_NVML_DEVICE_ARCH_BLACKWELL 10

#define VEIL_NVML_GPU_CERT_CHAIN_SIZE 0x1000
#define VEIL_NVML_GPU_ATTESTATION_CERT_CHAIN_SIZE 0x1400
#define VEIL_NVML_CC_GPU_CEC_NONCE_SIZE 0x20
#define VEIL_NVML_CC_GPU_ATTESTATION_REPORT_SIZE 0x2000
#define VEIL_NVML_CC_GPU_CEC_ATTESTATION_REPORT_SIZE 0x1000

typedef struct nvmlConfComputeGpuCertificate_st {
  unsigned int certChainSize;
  unsigned int attestationCertChainSize;
  unsigned char certChain[VEIL_NVML_GPU_CERT_CHAIN_SIZE];
  unsigned char attestationCertChain[VEIL_NVML_GPU_ATTESTATION_CERT_CHAIN_SIZE];
} nvmlConfComputeGpuCertificate_t;

typedef struct nvmlConfComputeGpuAttestationReport_st {
  unsigned int isCecAttestationReportPresent;
  unsigned int attestationReportSize;
  unsigned int cecAttestationReportSize;
  unsigned char nonce[VEIL_NVML_CC_GPU_CEC_NONCE_SIZE];  // in: the caller's nonce
  unsigned char attestationReport[VEIL_NVML_CC_GPU_ATTESTATION_REPORT_SIZE];
  unsigned char cecAttestationReport[VEIL_NVML_CC_GPU_CEC_ATTESTATION_REPORT_SIZE];
} nvmlConfComputeGpuAttestationReport_t;

typedef nvmlReturn_t (*nvmlInit_v2_fn)(void);
typedef nvmlReturn_t (*nvmlShutdown_fn)(void);
typedef nvmlReturn_t (*nvmlDeviceGetCount_fn)(unsigned int* count);
typedef nvmlReturn_t (*nvmlDeviceGetHandleByIndex_fn)(unsigned int index, nvmlDevice_t* device);
typedef nvmlReturn_t (*nvmlDeviceGetArchitecture_fn)(nvmlDevice_t device, unsigned int* arch);
typedef nvmlReturn_t (*nvmlDeviceGetConfComputeGpuAttestationReport_fn)(
    nvmlDevice_t device, nvmlConfComputeGpuAttestationReport_t* report);
typedef nvmlReturn_t (*nvmlDeviceGetConfComputeGpuCertificate_fn)(nvmlDevice_t device,
                                                                  nvmlConfComputeGpuCertificate_t* cert);
}
