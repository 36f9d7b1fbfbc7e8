#include "veil/attest/dcap/verify.h"

#include <openssl/x509.h>

#include <algorithm>
#include <ctime>

#include "veil/attest/dcap/x509.h"
#include "veil/base/encoding.h"
#include "veil/crypto/hash.h"

namespace veil::attest::dcap {
namespace {

constexpr std::string_view kIntelSgxRootCaPem =
    "-----BEGIN CERTIFICATE-----\n"
    "MIICjzCCAjSgAwIBAgIUImUM1lqdNInzg7SVUr9QGzknBqwwCgYIKoZIzj0EAwIw\n"
    "aDEaMBgGA1UEAwwRSW50ZWwgU0dYIFJvb3QgQ0ExGjAYBgNVBAoMEUludGVsIENv\n"
    "cnBvcmF0aW9uMRQwEgYDVQQHDAtTYW50YSBDbGFyYTELMAkGA1UECAwCQ0ExCzAJ\n"
    "BgNVBAYTAlVTMB4XDTE4MDUyMTEwNDUxMFoXDTQ5MTIzMTIzNTk1OVowaDEaMBgG\n"
    "A1UEAwwRSW50ZWwgU0dYIFJvb3QgQ0ExGjAYBgNVBAoMEUludGVsIENvcnBvcmF0\n"
    "aW9uMRQwEgYDVQQHDAtTYW50YSBDbGFyYTELMAkGA1UECAwCQ0ExCzAJBgNVBAYT\n"
    "AlVTMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEC6nEwMDIYZOj/iPWsCzaEKi7\n"
    "1OiOSLRFhWGjbnBVJfVnkY4u3IjkDYYL0MxO4mqsyYjlBalTVYxFP2sJBK5zlKOB\n"
    "uzCBuDAfBgNVHSMEGDAWgBQiZQzWWp00ifODtJVSv1AbOScGrDBSBgNVHR8ESzBJ\n"
    "MEegRaBDhkFodHRwczovL2NlcnRpZmljYXRlcy50cnVzdGVkc2VydmljZXMuaW50\n"
    "ZWwuY29tL0ludGVsU0dYUm9vdENBLmRlcjAdBgNVHQ4EFgQUImUM1lqdNInzg7SV\n"
    "Ur9QGzknBqwwDgYDVR0PAQH/BAQDAgEGMBIGA1UdEwEB/wQIMAYBAf8CAQEwCgYI\n"
    "KoZIzj0EAwIDSQAwRgIhAOW/5QkR+S9CiSDcNoowLuPRLsWGf/Yi7GSX94BgwTwg\n"
    "AiEA4J0lrHoMs+Xo5o/sX6O9QWxHRAvZUGOdRQ7cvqRXaqI=\n"
    "-----END CERTIFICATE-----\n";

std::string iso(int64_t t) {
  time_t tt = time_t(t);
  struct tm tm {};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// An issuer chain (TCB signing, PCK CRL signing) verified to the root at
// `now` with the root CA CRL; returns its leaf.
struct SigningChain {
  std::vector<X509Ptr> certs;
  X509* leaf() const { return certs.front().get(); }
};

Result<SigningChain> verify_signing_chain(std::string_view pem, X509* root, X509_CRL* root_crl, int64_t now) {
  SigningChain chain;
  VEIL_ASSIGN_OR_RETURN(chain.certs, parse_pem_chain(pem));
  put_leaf_first(chain.certs);
  std::vector<X509*> rest;
  for (size_t i = 1; i < chain.certs.size(); ++i) rest.push_back(chain.certs[i].get());
  std::vector<X509_CRL*> crls;
  if (root_crl) crls.push_back(root_crl);
  // Only the TCB Signing certificate, issued by the root itself, may sign
  // TCB info and QE identities: a PCK chain also reaches the root, and a
  // platform's PCK key must never be able to vouch for its own TCB.
  if (subject_cn(chain.leaf()) != "Intel SGX TCB Signing" ||
      X509_NAME_cmp(X509_get_issuer_name(chain.leaf()), X509_get_subject_name(root)) != 0) {
    return make_error("x509.chain",
                      "the signer is not the Intel SGX TCB Signing certificate issued by the root (" +
                          subject_cn(chain.leaf()) + ")");
  }
  VEIL_TRY(verify_chain(chain.leaf(), rest, root, crls, now));
  return chain;
}

// The PCK CRL's own issuer chain (dcap-qvl pck_crl_issuer_chain, PCS header
// SGX-PCK-CRL-Issuer-Chain), checked on its own as Intel's QVL does rather
// than trusting whichever CA the quote brought: the chain verifies to the
// pinned root at `now` (root CA CRL applied when given); its leaf is an Intel
// SGX PCK CA, is the issuer of the quote's PCK certificate (same name, and its
// key signed the PCK certificate), signed the PCK CRL, and the CRL is current.
// `verified_pck_issuer`, when set, is the PCK's issuer certificate as already
// verified by the PCK chain check with both CRLs at `now` (which established
// the same facts for it: chain, revocation, its signatures on the PCK and the
// PCK CRL, the CRL's dates); a chain whose leaf is byte-identical to it needs
// no second round of signature checks. Returns the check's detail.
Result<std::string> verify_pck_crl_issuer_chain(std::string_view pem, X509* pck, X509_CRL* pck_crl,
                                                X509* root, X509_CRL* root_crl, int64_t now,
                                                X509* verified_pck_issuer) {
  auto parsed = parse_pem_chain(pem);
  if (!parsed.ok()) return make_error("x509.chain", "PCK CRL issuer chain: " + parsed.error().message);
  std::vector<X509Ptr> chain = std::move(*parsed);
  put_leaf_first(chain);
  X509* leaf = chain.front().get();
  const std::string leaf_cn = subject_cn(leaf);
  if (leaf_cn != "Intel SGX PCK Processor CA" && leaf_cn != "Intel SGX PCK Platform CA") {
    return make_error("x509.chain",
                      "PCK CRL issuer chain: its leaf is not an Intel SGX PCK CA ('" + leaf_cn + "')");
  }
  if (verified_pck_issuer != nullptr && X509_cmp(leaf, verified_pck_issuer) == 0) {
    const ASN1_TIME* next_update = X509_CRL_get0_nextUpdate(pck_crl);
    return leaf_cn + ": the quote's own PCK issuer certificate, verified with the PCK chain → root at " +
           iso(now) +
           ", not revoked; its signatures on the PCK certificate and the PCK CRL checked there (CRL "
           "current" +
           (next_update ? " until " + iso(asn1_time_to_unix(next_update)) : std::string()) + ")";
  }
  std::vector<X509*> rest;
  for (size_t i = 1; i < chain.size(); ++i) rest.push_back(chain[i].get());
  std::vector<X509_CRL*> crls;
  if (root_crl) crls.push_back(root_crl);
  if (auto st = verify_chain(leaf, rest, root, crls, now); !st.ok()) {
    return make_error("x509.chain", "PCK CRL issuer chain: " + st.error().message);
  }
  char pck_issuer_cn[256] = {0};
  X509_NAME_get_text_by_NID(X509_get_issuer_name(pck), NID_commonName, pck_issuer_cn, sizeof(pck_issuer_cn));
  if (X509_NAME_cmp(X509_get_subject_name(leaf), X509_get_issuer_name(pck)) != 0) {
    return make_error("x509.chain", "PCK CRL issuer chain is for '" + leaf_cn +
                                        "', but the PCK certificate was issued by '" + pck_issuer_cn + "'");
  }
  EVP_PKEY* leaf_key = X509_get0_pubkey(leaf);
  if (leaf_key == nullptr || X509_verify(pck, leaf_key) != 1) {
    return make_error("x509.chain", "PCK CRL issuer chain: its " + leaf_cn +
                                        " certificate's key did not sign the PCK certificate");
  }
  if (X509_CRL_verify(pck_crl, leaf_key) != 1) {
    return make_error("x509.crl", "the PCK CRL is not signed by the issuer chain's " + leaf_cn);
  }
  const ASN1_TIME* this_update = X509_CRL_get0_lastUpdate(pck_crl);
  const ASN1_TIME* next_update = X509_CRL_get0_nextUpdate(pck_crl);
  if (this_update == nullptr || next_update == nullptr) {
    return make_error("x509.crl", "the PCK CRL has no thisUpdate/nextUpdate");
  }
  const int64_t next = asn1_time_to_unix(next_update);
  const int64_t issued = asn1_time_to_unix(this_update);
  if (now > next) return make_error("x509.crl", "the PCK CRL expired (nextUpdate " + iso(next) + ")");
  if (now < issued)
    return make_error("x509.crl", "the PCK CRL is not yet valid (thisUpdate " + iso(issued) + ")");
  return leaf_cn + " → root, valid at " + iso(now) + (root_crl ? ", not revoked" : "") +
         "; it issued the PCK certificate and signed the PCK CRL (current until " + iso(next) + ")";
}

// issueDate <= now <= nextUpdate.
std::optional<std::string> window_problem(const char* what, int64_t issue, int64_t next, int64_t now) {
  if (now > next) return std::string(what) + " expired (nextUpdate " + iso(next) + ", now " + iso(now) + ")";
  if (now < issue)
    return std::string(what) + " not yet valid (issueDate " + iso(issue) + ", now " + iso(now) + ")";
  return std::nullopt;
}

}  // namespace

std::string_view intel_sgx_root_ca_pem() { return kIntelSgxRootCaPem; }

Result<PckInfo> pck_info(const Quote& q) {
  if (q.cert_data_type != kCertDataPckChain) {
    return make_error("pck.no_chain", "the quote carries no PCK certificate chain");
  }
  VEIL_ASSIGN_OR_RETURN(auto chain, parse_pem_chain(as_chars(q.cert_data)));
  VEIL_ASSIGN_OR_RETURN(auto ext, pck_extension_from_cert(chain.front().get()));
  PckInfo info;
  info.fmspc = ext.fmspc;
  char issuer_cn[256] = {0};
  X509_NAME_get_text_by_NID(X509_get_issuer_name(chain.front().get()), NID_commonName, issuer_cn,
                            sizeof(issuer_cn));
  info.ca = std::string(issuer_cn).find("Processor") != std::string::npos ? PckCaType::processor
                                                                          : PckCaType::platform;
  return info;
}

DcapReport verify_quote(const Quote& q, const VerifyOptions& opt) {
  DcapReport rep;
  Verdict& v = rep.verdict;
  const Collateral* col = opt.collateral;

  // Header and certification data (Intel QVL Quote::validate).
  if (q.header.attestation_key_type != kAttestationKeyEcdsaP256) {
    v.fail("dcap.quote_format", "attestation key type " + std::to_string(q.header.attestation_key_type) +
                                    " (only 2 = ECDSA P-256 is defined)");
    return rep;
  }
  if (q.header.qe_vendor_id != kIntelQeVendorId) {
    v.fail("dcap.quote_format", "QE vendor id is not Intel's");
    return rep;
  }
  const bool chain_given = !opt.pck_chain_pem.empty();
  if (!chain_given && q.cert_data_type != kCertDataPckChain) {
    v.fail("dcap.quote_format", "certification data type " + std::to_string(q.cert_data_type) +
                                    " (a PCK chain, type 5, is required)");
    return rep;
  }
  v.pass("dcap.quote_format", describe(q) + ", ECDSA P-256, Intel QE, " +
                                  (chain_given ? "PCK chain given by the caller" : "PCK chain in the quote"));

  // Trust root.
  const std::string root_text = opt.trusted_root.empty() ? std::string(kIntelSgxRootCaPem) : opt.trusted_root;
  auto root_r = parse_cert(as_bytes(root_text));
  if (!root_r.ok()) {
    v.fail("dcap.trust_root", root_r.error().message);
    return rep;
  }
  X509Ptr root = std::move(*root_r);
  const bool intel_root = opt.trusted_root.empty();

  // PCK chain from the quote.
  auto pck_chain_r =
      parse_pem_chain(chain_given ? std::string_view(opt.pck_chain_pem) : as_chars(q.cert_data));
  if (!pck_chain_r.ok() || pck_chain_r->size() < 2) {
    v.fail("dcap.pck_chain",
           pck_chain_r.ok() ? "PCK chain has fewer than 2 certificates" : pck_chain_r.error().message);
    return rep;
  }
  std::vector<X509Ptr> pck_chain = std::move(*pck_chain_r);
  put_leaf_first(pck_chain);
  X509* pck = pck_chain.front().get();
  const std::string pck_cn = subject_cn(pck);
  if (pck_cn.find("SGX PCK Certificate") == std::string::npos) {
    v.fail("dcap.pck_chain", "leaf is not an SGX PCK certificate (CN '" + pck_cn + "')");
    return rep;
  }
  char issuer_cn[256] = {0};
  X509_NAME_get_text_by_NID(X509_get_issuer_name(pck), NID_commonName, issuer_cn, sizeof(issuer_cn));
  const std::string issuer(issuer_cn);
  if (issuer == "Intel SGX PCK Processor CA") {
    rep.pck_ca = PckCaType::processor;
  } else if (issuer == "Intel SGX PCK Platform CA") {
    rep.pck_ca = PckCaType::platform;
  } else {
    v.fail("dcap.pck_chain", "the PCK certificate's issuer is not an Intel SGX PCK CA ('" + issuer + "')");
    return rep;
  }

  // CRLs (collateral).
  X509CrlPtr root_crl, pck_crl;
  if (col) {
    auto rc = parse_crl(col->root_ca_crl);
    auto pc = parse_crl(col->pck_crl);
    if (!rc.ok()) v.fail("dcap.root_ca_crl", "root CA CRL: " + rc.error().message);
    if (!pc.ok()) v.fail("dcap.pck_crl", "PCK CRL: " + pc.error().message);
    if (rc.ok()) root_crl = std::move(*rc);
    if (pc.ok()) pck_crl = std::move(*pc);
    if (pck_crl && X509_NAME_cmp(X509_CRL_get_issuer(pck_crl.get()), X509_get_issuer_name(pck)) != 0) {
      v.fail("dcap.pck_crl", "PCK CRL was not issued by the PCK certificate's issuer (" + issuer + ")");
      pck_crl.reset();
    }
    if (root_crl &&
        X509_NAME_cmp(X509_CRL_get_issuer(root_crl.get()), X509_get_subject_name(root.get())) != 0) {
      v.fail("dcap.root_ca_crl", "root CA CRL was not issued by the trusted root");
      root_crl.reset();
    }
  }
  X509* verified_pck_issuer = nullptr;
  {
    std::vector<X509*> rest;
    for (size_t i = 1; i < pck_chain.size(); ++i) rest.push_back(pck_chain[i].get());
    std::vector<X509_CRL*> crls;
    if (root_crl && pck_crl) crls = {root_crl.get(), pck_crl.get()};
    auto st = verify_chain(pck, rest, root.get(), crls, opt.now);
    const std::string root_name = intel_root ? "Intel SGX Root CA" : "the given root";
    if (!st.ok()) {
      v.fail("dcap.pck_chain", st.error().message);
    } else if (!crls.empty()) {
      v.pass("dcap.pck_chain", "PCK → " + issuer + " → " + root_name + ", valid at " + iso(opt.now) +
                                   "; PCK CRL and root CA CRL signed, current, not revoked");
      // The issuer the verification used: the only chain certificate named as
      // the PCK's issuer (the trusted store holds just the root).
      for (const X509* c : rest) {
        if (X509_NAME_cmp(X509_get_subject_name(c), X509_get_issuer_name(pck)) != 0) continue;
        verified_pck_issuer = verified_pck_issuer == nullptr ? const_cast<X509*>(c) : nullptr;
        if (verified_pck_issuer == nullptr) break;  // two candidates: verify independently
      }
    } else {
      v.pass("dcap.pck_chain", "PCK → " + issuer + " → " + root_name + ", valid at " + iso(opt.now));
      if (col == nullptr) v.skip("dcap.crl", "no collateral: revocation not checked");
    }
  }
  if (col && pck_crl) {
    auto detail = verify_pck_crl_issuer_chain(col->pck_crl_issuer_chain, pck, pck_crl.get(), root.get(),
                                              root_crl.get(), opt.now, verified_pck_issuer);
    if (detail.ok()) {
      v.pass("dcap.pck_crl_issuer_chain", *detail);
    } else {
      v.fail("dcap.pck_crl_issuer_chain", detail.error().message);
    }
  }

  // PCK SGX extension.
  auto ext = pck_extension_from_cert(pck);
  if (!ext.ok()) {
    v.fail("dcap.pck_extension", ext.error().message);
  } else {
    rep.pck = *ext;
    v.pass("dcap.pck_extension", "FMSPC " + hex_encode(ext->fmspc) + ", PCE-ID " + hex_encode(ext->pce_id) +
                                     ", PCESVN " + std::to_string(ext->pce_svn));
  }

  // QE report signature with the PCK key; QE REPORTDATA binding.
  auto pck_key = p256_public_key(pck);
  if (!pck_key.ok()) {
    v.fail("dcap.qe_report_signature", "PCK key: " + pck_key.error().message);
  } else if (!verify_p256_sha256(*pck_key, q.qe_report_raw, q.qe_report_signature)) {
    v.fail("dcap.qe_report_signature", "QE report signature does not verify with the PCK key");
  } else {
    v.pass("dcap.qe_report_signature", "QE report signed by the PCK key");
  }
  {
    auto h = crypto::sha256(concat({ByteView(q.attestation_key), ByteView(q.qe_auth_data)}));
    if (!std::equal(h.begin(), h.end(), q.qe_report.report_data.begin())) {
      v.fail("dcap.qe_report_data", "QE REPORTDATA is not SHA-256(attestation key ‖ QE auth data)");
    } else {
      v.pass("dcap.qe_report_data", "QE REPORTDATA = SHA-256(attestation key ‖ QE auth data)");
    }
  }
  // Quote signature with the attestation key.
  {
    auto key = p256_key_from_raw(q.attestation_key);
    if (!key.ok()) {
      v.fail("dcap.quote_signature", "attestation key: " + key.error().message);
    } else if (!verify_p256_sha256(key->get(), q.signed_data, q.signature)) {
      v.fail("dcap.quote_signature", "quote signature does not verify with the attestation key");
    } else {
      v.pass("dcap.quote_signature", "header and report body signed by the attestation key");
    }
  }

  if (!col) {
    for (const char* c : {"dcap.tcb_info", "dcap.qe_identity", "dcap.tcb_level"}) {
      v.skip(c, "no collateral given");
    }
    v.verified = false;
    return rep;
  }

  // TCB info: issuer chain, signature over the exact text, content, window.
  std::optional<TcbInfo> tcb_info;
  std::optional<SigningChain> tcb_chain;
  {
    auto chain = verify_signing_chain(col->tcb_info_issuer_chain, root.get(), root_crl.get(), opt.now);
    if (!chain.ok()) {
      v.fail("dcap.tcb_info_chain", chain.error().message);
    } else {
      v.pass("dcap.tcb_info_chain",
             subject_cn(chain->leaf()) + " → root, valid at " + iso(opt.now) + ", not revoked");
      auto key = p256_public_key(chain->leaf());
      if (!key.ok() || !verify_p256_sha256(*key, as_bytes(col->tcb_info), col->tcb_info_signature)) {
        v.fail("dcap.tcb_info_signature", "TCB info signature does not verify over the signed text");
      } else {
        v.pass("dcap.tcb_info_signature", "signed by " + subject_cn(chain->leaf()));
        auto parsed = parse_tcb_info(col->tcb_info);
        if (!parsed.ok()) {
          v.fail("dcap.tcb_info", parsed.error().message);
        } else {
          tcb_info = std::move(*parsed);
        }
      }
      tcb_chain = std::move(*chain);
    }
  }
  if (tcb_info) {
    rep.tcb_evaluation_data_number = tcb_info->tcb_evaluation_data_number;
    rep.collateral_issue_date = tcb_info->issue_date;
    rep.collateral_next_update = tcb_info->next_update;
    if (auto p = window_problem("TCBInfo", tcb_info->issue_date, tcb_info->next_update, opt.now)) {
      v.fail("dcap.tcb_info_window", *p);
    } else {
      v.pass("dcap.tcb_info_window",
             "issued " + iso(tcb_info->issue_date) + ", next update " + iso(tcb_info->next_update));
    }
    const bool want_tdx = q.is_tdx();
    if ((tcb_info->id == "TDX") != want_tdx || (want_tdx && tcb_info->version < 3)) {
      v.fail("dcap.tcb_info", "TCB info '" + tcb_info->id + "' v" + std::to_string(tcb_info->version) +
                                  " does not match a " + (want_tdx ? "TDX" : "SGX") + " quote");
      tcb_info.reset();
    } else if (rep.pck && (rep.pck->fmspc != tcb_info->fmspc || rep.pck->pce_id != tcb_info->pce_id)) {
      v.fail("dcap.fmspc_pceid", "TCB info is for FMSPC " + hex_encode(tcb_info->fmspc) + " PCE-ID " +
                                     hex_encode(tcb_info->pce_id) + ", the PCK certificate says " +
                                     hex_encode(rep.pck->fmspc) + " / " + hex_encode(rep.pck->pce_id));
      tcb_info.reset();
    } else if (rep.pck) {
      v.pass("dcap.fmspc_pceid", "TCB info matches the PCK certificate's FMSPC and PCE-ID");
    }
  }

  // QE identity: issuer chain, signature, content, window, report match.
  std::optional<QeIdentity> qe_id;
  {
    Result<SigningChain> chain = make_error("", "");
    if (tcb_chain && col->qe_identity_issuer_chain == col->tcb_info_issuer_chain) {
      // Same chain text as TCB info: already verified above.
      SigningChain copy;
      for (auto& c : tcb_chain->certs) {
        X509_up_ref(c.get());
        copy.certs.emplace_back(c.get());
      }
      chain = std::move(copy);
    } else {
      chain = verify_signing_chain(col->qe_identity_issuer_chain, root.get(), root_crl.get(), opt.now);
    }
    if (!chain.ok()) {
      v.fail("dcap.qe_identity_chain", chain.error().message);
    } else {
      v.pass("dcap.qe_identity_chain",
             subject_cn(chain->leaf()) + " → root, valid at " + iso(opt.now) + ", not revoked");
      auto key = p256_public_key(chain->leaf());
      if (!key.ok() || !verify_p256_sha256(*key, as_bytes(col->qe_identity), col->qe_identity_signature)) {
        v.fail("dcap.qe_identity_signature", "QE identity signature does not verify over the signed text");
      } else {
        v.pass("dcap.qe_identity_signature", "signed by " + subject_cn(chain->leaf()));
        auto parsed = parse_qe_identity(col->qe_identity);
        if (!parsed.ok()) {
          v.fail("dcap.qe_identity", parsed.error().message);
        } else {
          qe_id = std::move(*parsed);
        }
      }
    }
  }
  std::optional<QeTcbLevel> qe_level;
  if (qe_id) {
    rep.collateral_issue_date =
        std::min(rep.collateral_issue_date.value_or(qe_id->issue_date), qe_id->issue_date);
    rep.collateral_next_update =
        std::min(rep.collateral_next_update.value_or(qe_id->next_update), qe_id->next_update);
    if (auto p = window_problem("QE identity", qe_id->issue_date, qe_id->next_update, opt.now)) {
      v.fail("dcap.qe_identity_window", *p);
    } else {
      v.pass("dcap.qe_identity_window",
             "issued " + iso(qe_id->issue_date) + ", next update " + iso(qe_id->next_update));
    }
    const EnclaveReport& qe = q.qe_report;
    std::array<uint8_t, 16> masked{};
    for (size_t i = 0; i < 16; ++i) masked[i] = qe.attributes[i] & qe_id->attributes_mask[i];
    const char* expected_id = q.is_tdx() ? "TD_QE" : "QE";
    if (qe_id->id != expected_id) {
      v.fail("dcap.qe_identity",
             "QE identity '" + qe_id->id + "' is not for a " + (q.is_tdx() ? "TDX" : "SGX") + " quote");
    } else if ((qe.misc_select & qe_id->miscselect_mask) != qe_id->miscselect) {
      v.fail("dcap.qe_identity", "QE MISCSELECT does not match the QE identity");
    } else if (masked != qe_id->attributes) {
      v.fail("dcap.qe_identity", "QE ATTRIBUTES do not match the QE identity");
    } else if (qe.mr_signer != qe_id->mrsigner) {
      v.fail("dcap.qe_identity", "QE MRSIGNER does not match the QE identity");
    } else if (qe.isv_prod_id != qe_id->isv_prod_id) {
      v.fail("dcap.qe_identity", "QE ISVPRODID does not match the QE identity");
    } else {
      for (const auto& l : qe_id->tcb_levels) {
        if (qe.isv_svn >= l.isv_svn) {
          qe_level = l;
          break;
        }
      }
      if (!qe_level) {
        v.fail("dcap.qe_identity",
               "No matching QE TCB level found (QE ISVSVN " + std::to_string(qe.isv_svn) + ")");
      } else {
        v.pass("dcap.qe_identity", std::string("QE ") + qe_id->id + " ISVSVN " + std::to_string(qe.isv_svn) +
                                       ": " + to_string(qe_level->status));
      }
    }
  }

  // TDX module identity (Intel QVL 4.1.2.4.11): MRSIGNERSEAM and SEAMATTRIBUTES.
  if (tcb_info && q.is_tdx() && tcb_info->tdx_module) {
    const Bytes16& svn = q.td_report.tee_tcb_svn;
    TdxModule expected = *tcb_info->tdx_module;
    bool ok = true;
    std::string which = "tdxModule";
    if (q.header.version > 3 && svn[1] > 0) {
      bool found = false;
      char id[8];
      std::snprintf(id, sizeof(id), "TDX_%02X", svn[1]);
      for (const auto& m : tcb_info->tdx_module_identities) {
        std::string upper = m.id;
        for (auto& ch : upper) ch = char(std::toupper(uint8_t(ch)));
        if (upper == id) {
          expected = m.module;
          found = true;
          which = m.id;
        }
      }
      if (!found) {
        v.fail("dcap.tdx_module", std::string("TCB info has no module identity ") + id);
        ok = false;
      }
    }
    if (ok) {
      bool attrs_ok = true;
      for (size_t i = 0; i < 8; ++i) {
        if ((q.td_report.seam_attributes[i] & expected.attributes_mask[i]) !=
            (expected.attributes[i] & expected.attributes_mask[i]))
          attrs_ok = false;
      }
      if (q.td_report.mr_signer_seam != expected.mrsigner) {
        v.fail("dcap.tdx_module", "MRSIGNERSEAM does not match " + which);
      } else if (!attrs_ok) {
        v.fail("dcap.tdx_module", "SEAMATTRIBUTES do not match " + which);
      } else {
        v.pass("dcap.tdx_module", "MRSIGNERSEAM and SEAMATTRIBUTES match " + which);
      }
    }
  }

  // TCB level.
  if (tcb_info && rep.pck && !v.any_failed()) {
    auto m = match_tcb_level(*tcb_info, *rep.pck, q, qe_level);
    if (!m.ok()) {
      v.fail("dcap.tcb_level", m.error().message);
    } else {
      rep.tcb_status = m->status;
      rep.advisory_ids = m->advisory_ids;
      std::string adv;
      for (const auto& a : m->advisory_ids) adv += (adv.empty() ? " [" : ", ") + a;
      if (!adv.empty()) adv += "]";
      v.pass("dcap.tcb_level", std::string(to_string(m->status)) + adv + " (" + m->detail + ")");
    }
  } else if (!v.any_failed()) {
    v.fail("dcap.tcb_level", "TCB level not evaluated");
  } else {
    v.skip("dcap.tcb_level", "not evaluated: an earlier check failed");
  }

  v.verified = !v.any_failed() && rep.tcb_status.has_value();
  if (v.verified) {
    v.tcb_status = to_string(*rep.tcb_status);
    v.advisory_ids = rep.advisory_ids;
  }
  return rep;
}

}  // namespace veil::attest::dcap
