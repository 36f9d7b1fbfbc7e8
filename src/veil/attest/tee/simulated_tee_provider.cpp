#include "veil/attest/tee/simulated_tee_provider.h"

#include <openssl/sha.h>

#include <boost/json.hpp>

#include <mutex>

#include "veil/attest/tee/p256_key.h"
#include "veil/attest/tee/simulated_boot_log.h"
#include "veil/attest/tee/simulated_collateral.h"
#include "veil/attest/tee/simulated_pki.h"
#include "veil/attest/tee/simulated_platform.h"
#include "veil/attest/tee/tdx_quote_v4_writer.h"
#include "veil/base/log.h"

namespace veil::attest {
namespace {

constexpr int64_t kCollateralRefreshAge = 7 * 24 * 3600;

// Arbitrary QE authentication data (the real QE sends 32 bytes too).
Bytes qe_auth_data() {
  Bytes d(32);
  for (size_t i = 0; i < d.size(); ++i) d[i] = uint8_t(i);
  return d;
}

class SimulatedTeeProvider final : public TeeProvider {
 public:
  SimulatedTeeProvider(SimulatedPki pki, P256Key attestation_key, Bytes header, Bytes sig_data_tail,
                       std::string collateral_json, UnixSeconds collateral_time,
                       std::optional<std::array<uint8_t, 48>> mr_config_id)
      : profile_(simulated_platform_profile()),
        mr_config_id_(mr_config_id),
        boot_(simulated_boot_measurements()),
        pki_(std::move(pki)),
        attestation_key_(std::move(attestation_key)),
        header_(std::move(header)),
        sig_data_tail_(std::move(sig_data_tail)),
        collateral_json_(std::move(collateral_json)),
        collateral_time_(collateral_time) {
    boot_rtmrs_ = replay_rtmrs(boot_.boot_events);
  }

  std::string kind() const override { return "simulated"; }

  Result<Bytes> quote(const std::array<uint8_t, 64>& report_data) override {
    tdx_v4::TdReportBody10 body = profile_.td_template;
    const TdxMeasurements m = measurements();
    body.mrtd = m.mrtd;
    body.rtmr = m.rtmr;
    body.report_data = report_data;
    if (mr_config_id_) body.mrconfigid = *mr_config_id_;
    const Bytes body_bytes = tdx_v4::serialize_td_report_body(body);
    // Quote signature: attestation key over header ‖ body (DCAP QL API,
    // "Quote Signature Data Structure").
    const Bytes signed_part = concat({header_, body_bytes});
    VEIL_ASSIGN_OR_RETURN(auto signature, attestation_key_.sign_raw(signed_part));
    return tdx_v4::assemble_quote(header_, body_bytes, signature, sig_data_tail_);
  }

  Status extend_runtime_event(std::string_view name, ByteView payload) override {
    EventLogEntry e = make_runtime_event(name, payload);
    std::lock_guard lock(mu_);
    // RTMR extend semantics: rtmr = SHA384(rtmr ‖ digest).
    uint8_t buf[96];
    std::copy(rtmr3_.begin(), rtmr3_.end(), buf);
    std::copy(e.digest.begin(), e.digest.end(), buf + 48);
    SHA384(buf, sizeof buf, rtmr3_.data());
    runtime_events_.push_back(std::move(e));
    return ok_status();
  }

  std::vector<EventLogEntry> event_log() const override {
    std::vector<EventLogEntry> log = boot_.boot_events;
    std::lock_guard lock(mu_);
    log.insert(log.end(), runtime_events_.begin(), runtime_events_.end());
    return log;
  }

  TdxMeasurements measurements() const override {
    TdxMeasurements m;
    m.mrtd = boot_.mrtd;
    for (size_t i = 0; i < 3; ++i) m.rtmr[i] = boot_rtmrs_[i];
    std::lock_guard lock(mu_);
    m.rtmr[3] = rtmr3_;
    return m;
  }

  std::optional<std::string> simulation_info_json() const override {
    std::lock_guard lock(collateral_mu_);
    const UnixSeconds now = unix_now();
    if (info_json_.empty() || now - collateral_time_ > kCollateralRefreshAge) {
      if (now - collateral_time_ > kCollateralRefreshAge) {
        auto fresh = make_simulated_collateral_json(pki_, profile_, now);
        if (fresh.ok()) {
          collateral_json_ = std::move(fresh).value();
          collateral_time_ = now;
        } else {
          log::warn("tee.simulated: collateral refresh failed: {}", fresh.error().to_string());
        }
      }
      boost::json::object info;
      info["root_ca"] = pki_.root_pem;
      info["collateral"] = boost::json::parse(collateral_json_);
      info_json_ = boost::json::serialize(info);
    }
    return info_json_;
  }

 private:
  const SimulatedPlatformProfile& profile_;
  const std::optional<std::array<uint8_t, 48>> mr_config_id_;
  const SimulatedBootMeasurements& boot_;
  std::array<Sha384Value, 4> boot_rtmrs_{};
  const SimulatedPki pki_;
  const P256Key attestation_key_;
  const Bytes header_;
  const Bytes sig_data_tail_;

  mutable std::mutex mu_;  // guards rtmr3_ and runtime_events_
  Sha384Value rtmr3_{};
  std::vector<EventLogEntry> runtime_events_;

  // Collateral is re-issued (fresh dates and CRLs) when a week old, so a
  // long-running node never serves expired collateral.
  mutable std::mutex collateral_mu_;
  mutable std::string collateral_json_;
  mutable UnixSeconds collateral_time_;
  mutable std::string info_json_;  // cached {"root_ca", "collateral"} text
};

}  // namespace

Result<std::unique_ptr<TeeProvider>> make_simulated_tee_provider(
    UnixSeconds now, const std::optional<std::array<uint8_t, 48>>& mr_config_id) {
  const SimulatedPlatformProfile& profile = simulated_platform_profile();
  VEIL_ASSIGN_OR_RETURN(SimulatedPki pki, make_simulated_pki(profile.pck, now));
  P256Key attestation_key = P256Key::generate();

  // QE report: binds the attestation key, REPORTDATA = SHA-256(attestation
  // key ‖ QE auth data) ‖ 32 zero bytes; signed by the PCK key.
  const Bytes auth_data = qe_auth_data();
  tdx_v4::SgxReportBody qe = profile.qe_template;
  const Bytes bound = concat({attestation_key.public_raw(), auth_data});
  SHA256(bound.data(), bound.size(), qe.report_data.data());
  const Bytes qe_report = tdx_v4::serialize_sgx_report_body(qe);
  VEIL_ASSIGN_OR_RETURN(auto qe_report_sig, pki.pck_key.sign_raw(qe_report));

  const Bytes cert_data =
      tdx_v4::serialize_qe_report_cert_data(qe_report, qe_report_sig, auth_data, pki.pck_chain_pem());
  Bytes tail = tdx_v4::serialize_sig_data_tail(attestation_key.public_raw(), cert_data);
  Bytes header = tdx_v4::serialize_header(profile.header);
  VEIL_ASSIGN_OR_RETURN(std::string collateral, make_simulated_collateral_json(pki, profile, now));

  log::info("tee.simulated: simulated TDX quoting ready (not a hardware TEE)");
  return std::unique_ptr<TeeProvider>(new SimulatedTeeProvider(
      std::move(pki), std::move(attestation_key), std::move(header), std::move(tail), std::move(collateral), now,
      mr_config_id));
}

}  // namespace veil::attest
