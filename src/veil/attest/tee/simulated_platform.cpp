#include "veil/attest/tee/simulated_platform.h"

#include <openssl/sha.h>

#include <string_view>

namespace veil::attest {
namespace {

// Fixed synthetic identities derived from labels, so that they are stable
// across runs and visibly not Intel's values.
template <size_t N>
std::array<uint8_t, N> label_bytes(std::string_view label) {
  static_assert(N <= 48);
  uint8_t digest[48];
  SHA384(reinterpret_cast<const uint8_t*>(label.data()), label.size(), digest);
  std::array<uint8_t, N> out{};
  std::copy(digest, digest + N, out.begin());
  return out;
}

SimulatedPlatformProfile build_profile() {
  SimulatedPlatformProfile p;

  p.pck.ppid = label_bytes<16>("veil simulated TEE: PPID");
  p.pck.sgx_tcb_components = {3, 3, 2, 2, 4, 1, 0, 5, 0, 0, 0, 0, 0, 0, 0, 0};
  p.pck.pcesvn = 11;
  p.pck.cpusvn = p.pck.sgx_tcb_components;  // CPUSVN bytes are the comp SVNs
  p.pck.pce_id = {0x00, 0x00};
  p.pck.fmspc = {'V', 'E', 'I', 'L', 0x00, 0x00};
  p.pck.sgx_type = 1;
  p.pck.platform_instance_id = label_bytes<16>("veil simulated TEE: platform instance");

  auto& td = p.td_template;
  td.tee_tcb_svn = {6, 1, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  td.mrseam = label_bytes<48>("veil simulated TEE: TDX module (MRSEAM)");
  td.mrsignerseam = {};  // Intel-signed module: all zero (tcbInfo.tdxModule.mrsigner)
  td.seam_attributes = {};
  // TDATTRIBUTES (little-endian 64-bit): bit 28 SEPT_VE_DISABLE set; DEBUG
  // (bit 0) and every reserved bit clear.
  td.td_attributes = {0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x00};
  // XFAM: x87, SSE, AVX, AVX-512 state, PKRU, AMX as on current Xeons.
  td.xfam = {0xe7, 0x02, 0x06, 0x00, 0x00, 0x00, 0x00, 0x00};

  auto& qe = p.qe_template;
  qe.cpusvn = p.pck.sgx_tcb_components;
  qe.miscselect = 0;
  // ATTRIBUTES.FLAGS = INIT | MODE64BIT | PROVISIONKEY, XFRM = 0xe7.
  qe.attributes = {0x15, 0, 0, 0, 0, 0, 0, 0, 0xe7, 0, 0, 0, 0, 0, 0, 0};
  qe.mrenclave = label_bytes<32>("veil simulated TEE: TD quoting enclave (MRENCLAVE)");
  qe.mrsigner = label_bytes<32>("veil simulated TEE: TD quoting enclave signer (MRSIGNER)");
  qe.isvprodid = 2;  // TD_QE
  qe.isvsvn = 4;
  p.qe_attributes_mask = {0xfb, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0};
  p.qe_miscselect_mask = 0xffffffff;

  auto user_data = label_bytes<16>("veil simulated TEE: QE platform id");
  std::copy(user_data.begin(), user_data.end(), p.header.user_data.begin());
  return p;
}

}  // namespace

const SimulatedPlatformProfile& simulated_platform_profile() {
  static const SimulatedPlatformProfile profile = build_profile();
  return profile;
}

}  // namespace veil::attest
