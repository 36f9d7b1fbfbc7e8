#include "veil/attest/tee/sgx_pck_extension.h"

#include <string>
#include <vector>

#include "veil/attest/tee/der_writer.h"

namespace veil::attest {
namespace {

Bytes named(const std::string& oid, ByteView value) { return der::sequence({der::oid(oid), value}); }

}  // namespace

Bytes encode_sgx_pck_extension(const SgxPckExtensionFields& f) {
  const std::string base = kSgxPckExtensionOid;

  std::vector<Bytes> tcb;
  for (int i = 0; i < 16; ++i) {
    tcb.push_back(named(base + ".2." + std::to_string(i + 1), der::integer(f.sgx_tcb_components[i])));
  }
  tcb.push_back(named(base + ".2.17", der::integer(f.pcesvn)));
  tcb.push_back(named(base + ".2.18", der::octet_string(f.cpusvn)));

  const Bytes configuration = der::sequence_of({
      named(base + ".7.1", der::boolean(f.dynamic_platform)),
      named(base + ".7.2", der::boolean(f.cached_keys)),
      named(base + ".7.3", der::boolean(f.smt_enabled)),
  });

  return der::sequence_of({
      named(base + ".1", der::octet_string(f.ppid)),
      named(base + ".2", der::sequence_of(tcb)),
      named(base + ".3", der::octet_string(f.pce_id)),
      named(base + ".4", der::octet_string(f.fmspc)),
      named(base + ".5", der::enumerated(f.sgx_type)),
      named(base + ".6", der::octet_string(f.platform_instance_id)),
      named(base + ".7", configuration),
  });
}

}  // namespace veil::attest
