#include "veil/attest/quote.h"

#include <algorithm>
#include <cctype>

#include "veil/base/encoding.h"

namespace veil::attest {
namespace {

// Bounds-checked little-endian reader over the quote bytes.
class Reader {
 public:
  explicit Reader(ByteView data) : data_(data) {}
  size_t pos() const { return pos_; }
  size_t remaining() const { return data_.size() - pos_; }
  bool has(size_t n) const { return n <= remaining(); }

  Result<ByteView> take(size_t n, const char* what) {
    if (!has(n)) return make_error("quote.truncated", std::string("quote ends inside ") + what);
    ByteView v = data_.subspan(pos_, n);
    pos_ += n;
    return v;
  }
  Result<uint16_t> u16(const char* what) {
    VEIL_ASSIGN_OR_RETURN(auto v, take(2, what));
    return load_le16(v.data());
  }
  Result<uint32_t> u32(const char* what) {
    VEIL_ASSIGN_OR_RETURN(auto v, take(4, what));
    return load_le32(v.data());
  }

 private:
  ByteView data_;
  size_t pos_ = 0;
};

template <size_t N>
void copy_to(std::array<uint8_t, N>& out, const uint8_t* p) {
  std::copy_n(p, N, out.begin());
}

EnclaveReport parse_enclave_report(const uint8_t* p) {
  EnclaveReport r;
  copy_to(r.cpu_svn, p + 0);
  r.misc_select = load_le32(p + 16);
  copy_to(r.isv_ext_prod_id, p + 32);
  copy_to(r.attributes, p + 48);
  copy_to(r.mr_enclave, p + 64);
  copy_to(r.mr_signer, p + 128);
  copy_to(r.config_id, p + 192);
  r.isv_prod_id = load_le16(p + 256);
  r.isv_svn = load_le16(p + 258);
  r.config_svn = load_le16(p + 260);
  copy_to(r.isv_family_id, p + 304);
  copy_to(r.report_data, p + 320);
  return r;
}

TdReport parse_td_report(const uint8_t* p, bool td15) {
  TdReport r;
  copy_to(r.tee_tcb_svn, p + 0);
  copy_to(r.mr_seam, p + 16);
  copy_to(r.mr_signer_seam, p + 64);
  copy_to(r.seam_attributes, p + 112);
  copy_to(r.td_attributes, p + 120);
  copy_to(r.xfam, p + 128);
  copy_to(r.mr_td, p + 136);
  copy_to(r.mr_config_id, p + 184);
  copy_to(r.mr_owner, p + 232);
  copy_to(r.mr_owner_config, p + 280);
  for (int i = 0; i < 4; ++i) copy_to(r.rtmr[i], p + 328 + 48 * i);
  copy_to(r.report_data, p + 520);
  r.is_td15 = td15;
  if (td15) {
    copy_to(r.tee_tcb_svn2, p + 584);
    copy_to(r.mr_service_td, p + 600);
  }
  return r;
}

// Certification data: type(2) ‖ size(4) ‖ data[size], bounded by `r`.
struct CertData {
  uint16_t type = 0;
  ByteView data;
};
Result<CertData> read_cert_data(Reader& r) {
  CertData cd;
  VEIL_ASSIGN_OR_RETURN(cd.type, r.u16("certification data type"));
  VEIL_ASSIGN_OR_RETURN(uint32_t size, r.u32("certification data size"));
  if (!r.has(size))
    return make_error("quote.bad_length", "certification data size exceeds the signature data");
  VEIL_ASSIGN_OR_RETURN(cd.data, r.take(size, "certification data"));
  return cd;
}

// QE report ‖ QE report signature ‖ QE auth data (v3 signature data and the
// v4/v5 type-6 certification data share this layout).
Status read_qe_section(Reader& r, Quote& q) {
  VEIL_ASSIGN_OR_RETURN(auto rep, r.take(kEnclaveReportSize, "QE report"));
  q.qe_report_raw.assign(rep.begin(), rep.end());
  q.qe_report = parse_enclave_report(rep.data());
  VEIL_ASSIGN_OR_RETURN(auto sig, r.take(64, "QE report signature"));
  copy_to(q.qe_report_signature, sig.data());
  VEIL_ASSIGN_OR_RETURN(uint16_t auth_size, r.u16("QE auth data size"));
  VEIL_ASSIGN_OR_RETURN(auto auth, r.take(auth_size, "QE auth data"));
  q.qe_auth_data.assign(auth.begin(), auth.end());
  return ok_status();
}

}  // namespace

uint64_t TdReport::td_attributes_le() const { return load_le64(td_attributes.data()); }

const Bytes64& Quote::report_data() const {
  return body_type == QuoteBodyType::sgx_enclave ? sgx_report.report_data : td_report.report_data;
}

Result<Quote> parse_quote(ByteView raw) {
  Reader r(raw);
  Quote q;
  VEIL_ASSIGN_OR_RETURN(auto hdr, r.take(48, "header"));
  q.header.version = load_le16(hdr.data());
  q.header.attestation_key_type = load_le16(hdr.data() + 2);
  q.header.tee_type = load_le32(hdr.data() + 4);
  q.header.qe_svn = load_le16(hdr.data() + 8);
  q.header.pce_svn = load_le16(hdr.data() + 10);
  copy_to(q.header.qe_vendor_id, hdr.data() + 12);
  copy_to(q.header.user_data, hdr.data() + 28);

  const uint16_t version = q.header.version;
  if (version != 3 && version != 4 && version != 5) {
    return make_error("quote.unsupported_version",
                      "quote version " + std::to_string(version) + " (supported: 3, 4, 5)");
  }
  if (q.header.tee_type != kTeeTypeSgx && q.header.tee_type != kTeeTypeTdx) {
    return make_error("quote.unsupported_body", "unknown TEE type " + std::to_string(q.header.tee_type));
  }
  if (version == 3 && q.header.tee_type != kTeeTypeSgx) {
    return make_error("quote.unsupported_body", "quote v3 must be an SGX quote");
  }

  // Body: implied by version and TEE type (v3/v4), described (v5).
  size_t body_size = 0;
  if (version == 5) {
    VEIL_ASSIGN_OR_RETURN(uint16_t body_type, r.u16("body type"));
    VEIL_ASSIGN_OR_RETURN(uint32_t declared, r.u32("body size"));
    switch (body_type) {
      case 1:
        q.body_type = QuoteBodyType::sgx_enclave;
        body_size = kEnclaveReportSize;
        break;
      case 2:
        q.body_type = QuoteBodyType::td10;
        body_size = kTd10ReportSize;
        break;
      case 3:
        q.body_type = QuoteBodyType::td15;
        body_size = kTd15ReportSize;
        break;
      default:
        return make_error("quote.unsupported_body", "quote v5 body type " + std::to_string(body_type));
    }
    if (declared != body_size) {
      return make_error("quote.bad_length",
                        "quote v5 body size " + std::to_string(declared) + " does not match its type");
    }
    if ((q.body_type == QuoteBodyType::sgx_enclave) != (q.header.tee_type == kTeeTypeSgx)) {
      return make_error("quote.unsupported_body", "quote v5 body type does not match the TEE type");
    }
  } else if (q.header.tee_type == kTeeTypeSgx) {
    q.body_type = QuoteBodyType::sgx_enclave;
    body_size = kEnclaveReportSize;
  } else {
    q.body_type = QuoteBodyType::td10;
    body_size = kTd10ReportSize;
  }
  VEIL_ASSIGN_OR_RETURN(auto body, r.take(body_size, "report body"));
  if (q.body_type == QuoteBodyType::sgx_enclave) {
    q.sgx_report = parse_enclave_report(body.data());
  } else {
    q.td_report = parse_td_report(body.data(), q.body_type == QuoteBodyType::td15);
  }
  q.signed_data.assign(raw.begin(), raw.begin() + r.pos());

  VEIL_ASSIGN_OR_RETURN(uint32_t sig_len, r.u32("signature data length"));
  if (!r.has(sig_len)) {
    return make_error("quote.truncated",
                      "signature data length " + std::to_string(sig_len) + " exceeds the input");
  }
  VEIL_ASSIGN_OR_RETURN(auto sig_data, r.take(sig_len, "signature data"));
  q.quote_size = r.pos();
  q.trailing_bytes = r.remaining();

  Reader s(sig_data);
  VEIL_ASSIGN_OR_RETURN(auto sig, s.take(64, "quote signature"));
  copy_to(q.signature, sig.data());
  VEIL_ASSIGN_OR_RETURN(auto key, s.take(64, "attestation key"));
  copy_to(q.attestation_key, key.data());

  CertData inner;
  if (version == 3) {
    VEIL_TRY(read_qe_section(s, q));
    VEIL_ASSIGN_OR_RETURN(inner, read_cert_data(s));
  } else {
    VEIL_ASSIGN_OR_RETURN(CertData outer, read_cert_data(s));
    if (outer.type != kCertDataQeReport) {
      return make_error("quote.unsupported_cert_data",
                        "outer certification data type " + std::to_string(outer.type) + " (expected 6)");
    }
    Reader qe(outer.data);
    VEIL_TRY(read_qe_section(qe, q));
    VEIL_ASSIGN_OR_RETURN(inner, read_cert_data(qe));
    if (qe.remaining() != 0) {
      return make_error("quote.bad_length", "QE report certification data has unparsed bytes");
    }
  }
  if (s.remaining() != 0) {
    return make_error("quote.bad_length", "signature data length does not match its content");
  }
  q.cert_data_type = inner.type;
  q.cert_data.assign(inner.data.begin(), inner.data.end());
  return q;
}

Result<Bytes> decode_quote_input(ByteView input) {
  // Raw binary: a supported version followed by attestation key type 2 or 3.
  if (input.size() >= 4 && input[1] == 0 && (input[0] == 3 || input[0] == 4 || input[0] == 5) &&
      input[3] == 0 && (input[2] == 2 || input[2] == 3)) {
    return Bytes(input.begin(), input.end());
  }
  std::string text;
  text.reserve(input.size());
  for (uint8_t c : input) {
    if (!std::isspace(c)) text.push_back(char(c));
  }
  if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) text.erase(0, 2);
  if (text.empty()) return make_error("quote.bad_encoding", "empty quote input");
  bool all_hex = std::all_of(text.begin(), text.end(), [](char c) { return std::isxdigit(uint8_t(c)) != 0; });
  if (all_hex && text.size() % 2 == 0) {
    auto b = hex_decode(text);
    if (b.ok()) return b;
  }
  auto b = base64_decode(text);
  if (b.ok()) return b;
  return make_error("quote.bad_encoding", "quote is neither raw binary, hex nor base64");
}

std::string describe(const Quote& q) {
  std::string s = "v" + std::to_string(q.header.version);
  switch (q.body_type) {
    case QuoteBodyType::sgx_enclave:
      s += " SGX";
      break;
    case QuoteBodyType::td10:
      s += " TDX TD1.0";
      break;
    case QuoteBodyType::td15:
      s += " TDX TD1.5";
      break;
  }
  return s;
}

}  // namespace veil::attest
