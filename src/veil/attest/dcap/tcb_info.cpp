#include "veil/attest/dcap/tcb_info.h"

#include <boost/json.hpp>
#include <ctime>

#include "veil/base/encoding.h"

namespace veil::attest::dcap {
namespace json = boost::json;
namespace {

struct StatusName {
  TcbStatus status;
  const char* name;
};
constexpr StatusName kStatusNames[] = {
    {TcbStatus::UpToDate, "UpToDate"},
    {TcbStatus::SWHardeningNeeded, "SWHardeningNeeded"},
    {TcbStatus::ConfigurationNeeded, "ConfigurationNeeded"},
    {TcbStatus::ConfigurationAndSWHardeningNeeded, "ConfigurationAndSWHardeningNeeded"},
    {TcbStatus::OutOfDate, "OutOfDate"},
    {TcbStatus::OutOfDateConfigurationNeeded, "OutOfDateConfigurationNeeded"},
    {TcbStatus::Revoked, "Revoked"},
    {TcbStatus::TDRelaunchAdvised, "TDRelaunchAdvised"},
    {TcbStatus::TDRelaunchAdvisedConfigurationNeeded, "TDRelaunchAdvisedConfigurationNeeded"},
};

// Field accessors that turn a missing or mistyped field into an error naming it.
class Fields {
 public:
  Fields(const json::object& o, const char* code) : o_(o), code_(code) {}

  Error err(const std::string& field, const char* what) const {
    return make_error(code_, "field '" + field + "' " + what);
  }
  bool has(const char* k) const { return o_.contains(k); }
  Result<std::string> str(const char* k) const {
    auto* v = o_.if_contains(k);
    if (!v || !v->is_string()) return err(k, "missing or not a string");
    return std::string(v->as_string());
  }
  Result<int64_t> integer(const char* k, int64_t lo, int64_t hi) const {
    auto* v = o_.if_contains(k);
    if (!v || !(v->is_int64() || v->is_uint64())) return err(k, "missing or not an integer");
    int64_t x =
        v->is_int64() ? v->as_int64() : int64_t(std::min<uint64_t>(v->as_uint64(), uint64_t(INT64_MAX)));
    if (x < lo || x > hi) return err(k, "out of range");
    return x;
  }
  template <size_t N>
  Result<std::array<uint8_t, N>> hex(const char* k) const {
    VEIL_ASSIGN_OR_RETURN(std::string s, str(k));
    auto b = hex_decode(s);
    if (!b.ok() || b->size() != N) return err(k, "is not hex of the expected length");
    std::array<uint8_t, N> out{};
    std::copy(b->begin(), b->end(), out.begin());
    return out;
  }
  Result<int64_t> time(const char* k) const {
    VEIL_ASSIGN_OR_RETURN(std::string s, str(k));
    auto t = parse_iso8601_utc(s);
    if (!t.ok()) return err(k, "is not an ISO 8601 UTC time");
    return *t;
  }
  Result<const json::array*> array(const char* k) const {
    auto* v = o_.if_contains(k);
    if (!v || !v->is_array()) return err(k, "missing or not an array");
    return &v->as_array();
  }
  Result<const json::object*> object(const char* k) const {
    auto* v = o_.if_contains(k);
    if (!v || !v->is_object()) return err(k, "missing or not an object");
    return &v->as_object();
  }
  Result<TcbStatus> status(const char* k) const {
    VEIL_ASSIGN_OR_RETURN(std::string s, str(k));
    auto st = tcb_status_from_string(s);
    if (!st) return err(k, "is not a known TCB status");
    return *st;
  }
  Result<std::vector<std::string>> advisories() const {
    std::vector<std::string> out;
    auto* v = o_.if_contains("advisoryIDs");
    if (!v) return out;
    if (!v->is_array()) return err("advisoryIDs", "is not an array");
    for (const auto& a : v->as_array()) {
      if (!a.is_string()) return err("advisoryIDs", "holds a non-string");
      out.emplace_back(a.as_string());
    }
    return out;
  }

 private:
  const json::object& o_;
  const char* code_;
};

Result<json::object> parse_object(std::string_view text, const char* code) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) return make_error(code, "not a JSON object");
  return std::move(v.as_object());
}

const json::object* as_obj(const json::value& v) { return v.is_object() ? &v.as_object() : nullptr; }

// v3 "sgxtcbcomponents"/"tdxtcbcomponents": 16 objects with "svn".
Result<std::array<uint8_t, 16>> components(const Fields& f, const char* key, const char* code) {
  VEIL_ASSIGN_OR_RETURN(auto* arr, f.array(key));
  if (arr->size() != 16) return make_error(code, std::string("'") + key + "' must have 16 entries");
  std::array<uint8_t, 16> out{};
  for (size_t i = 0; i < 16; ++i) {
    const json::object* c = as_obj((*arr)[i]);
    if (!c) return make_error(code, std::string("'") + key + "' entry is not an object");
    VEIL_ASSIGN_OR_RETURN(int64_t svn, Fields(*c, code).integer("svn", 0, 255));
    out[i] = uint8_t(svn);
  }
  return out;
}

Result<TdxModule> tdx_module(const json::object& o, const char* code) {
  Fields f(o, code);
  TdxModule m;
  VEIL_ASSIGN_OR_RETURN(m.mrsigner, f.hex<48>("mrsigner"));
  VEIL_ASSIGN_OR_RETURN(m.attributes, f.hex<8>("attributes"));
  VEIL_ASSIGN_OR_RETURN(m.attributes_mask, f.hex<8>("attributesMask"));
  return m;
}

}  // namespace

const char* to_string(TcbStatus s) {
  for (const auto& n : kStatusNames)
    if (n.status == s) return n.name;
  return "Unknown";
}

std::optional<TcbStatus> tcb_status_from_string(std::string_view s) {
  for (const auto& n : kStatusNames)
    if (s == n.name) return n.status;
  return std::nullopt;
}

Result<int64_t> parse_iso8601_utc(std::string_view s) {
  // YYYY-MM-DDTHH:MM:SS[.fff]Z
  auto digits = [&](size_t pos, size_t n) -> int {
    int v = 0;
    for (size_t i = pos; i < pos + n; ++i) {
      if (i >= s.size() || s[i] < '0' || s[i] > '9') return -1;
      v = v * 10 + (s[i] - '0');
    }
    return v;
  };
  if (s.size() < 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':') {
    return make_error("time.bad_format", "not YYYY-MM-DDTHH:MM:SSZ");
  }
  size_t end = 19;
  if (s[end] == '.') {
    ++end;
    while (end < s.size() && s[end] >= '0' && s[end] <= '9') ++end;
  }
  if (end + 1 != s.size() || s[end] != 'Z') return make_error("time.bad_format", "time must end in Z");
  struct tm tm {};
  tm.tm_year = digits(0, 4) - 1900;
  tm.tm_mon = digits(5, 2) - 1;
  tm.tm_mday = digits(8, 2);
  tm.tm_hour = digits(11, 2);
  tm.tm_min = digits(14, 2);
  tm.tm_sec = digits(17, 2);
  if (tm.tm_year < 0 || tm.tm_mon < 0 || tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31 ||
      tm.tm_hour < 0 || tm.tm_hour > 23 || tm.tm_min < 0 || tm.tm_min > 59 || tm.tm_sec < 0 ||
      tm.tm_sec > 60) {
    return make_error("time.bad_format", "date or time field out of range");
  }
  return int64_t(timegm(&tm));
}

Result<TcbInfo> parse_tcb_info(std::string_view text) {
  static constexpr const char* kCode = "collateral.bad_tcb_info";
  VEIL_ASSIGN_OR_RETURN(json::object o, parse_object(text, kCode));
  Fields f(o, kCode);
  TcbInfo t;
  VEIL_ASSIGN_OR_RETURN(int64_t version, f.integer("version", 1, 100));
  t.version = int(version);
  if (t.version != 2 && t.version != 3) {
    return make_error(kCode, "TCB info version " + std::to_string(t.version) + " (supported: 2, 3)");
  }
  if (t.version >= 3) {
    VEIL_ASSIGN_OR_RETURN(t.id, f.str("id"));
    if (t.id != "SGX" && t.id != "TDX") return make_error(kCode, "unknown TCB info id '" + t.id + "'");
  } else {
    t.id = "SGX";
  }
  VEIL_ASSIGN_OR_RETURN(t.issue_date, f.time("issueDate"));
  VEIL_ASSIGN_OR_RETURN(t.next_update, f.time("nextUpdate"));
  VEIL_ASSIGN_OR_RETURN(t.fmspc, f.hex<6>("fmspc"));
  VEIL_ASSIGN_OR_RETURN(t.pce_id, f.hex<2>("pceId"));
  VEIL_ASSIGN_OR_RETURN(int64_t tcb_type, f.integer("tcbType", 0, 255));
  t.tcb_type = int(tcb_type);
  VEIL_ASSIGN_OR_RETURN(int64_t eval, f.integer("tcbEvaluationDataNumber", 0, INT32_MAX));
  t.tcb_evaluation_data_number = int(eval);

  if (t.id == "TDX") {
    VEIL_ASSIGN_OR_RETURN(auto* mod, f.object("tdxModule"));
    VEIL_ASSIGN_OR_RETURN(t.tdx_module, tdx_module(*mod, kCode));
    if (f.has("tdxModuleIdentities")) {
      VEIL_ASSIGN_OR_RETURN(auto* ids, f.array("tdxModuleIdentities"));
      for (const auto& v : *ids) {
        const json::object* io = as_obj(v);
        if (!io) return make_error(kCode, "tdxModuleIdentities entry is not an object");
        Fields fi(*io, kCode);
        TdxModuleIdentity mi;
        VEIL_ASSIGN_OR_RETURN(mi.id, fi.str("id"));
        VEIL_ASSIGN_OR_RETURN(mi.module, tdx_module(*io, kCode));
        VEIL_ASSIGN_OR_RETURN(auto* levels, fi.array("tcbLevels"));
        for (const auto& lv : *levels) {
          const json::object* lo = as_obj(lv);
          if (!lo) return make_error(kCode, "module tcbLevels entry is not an object");
          Fields fl(*lo, kCode);
          ModuleTcbLevel ml;
          VEIL_ASSIGN_OR_RETURN(auto* tcb, fl.object("tcb"));
          VEIL_ASSIGN_OR_RETURN(int64_t isvsvn, Fields(*tcb, kCode).integer("isvsvn", 0, 255));
          ml.isv_svn = uint16_t(isvsvn);
          VEIL_ASSIGN_OR_RETURN(ml.status, fl.status("tcbStatus"));
          VEIL_ASSIGN_OR_RETURN(ml.advisory_ids, fl.advisories());
          mi.tcb_levels.push_back(std::move(ml));
        }
        t.tdx_module_identities.push_back(std::move(mi));
      }
    }
  }

  VEIL_ASSIGN_OR_RETURN(auto* levels, f.array("tcbLevels"));
  for (const auto& lv : *levels) {
    const json::object* lo = as_obj(lv);
    if (!lo) return make_error(kCode, "tcbLevels entry is not an object");
    Fields fl(*lo, kCode);
    TcbLevel level;
    VEIL_ASSIGN_OR_RETURN(auto* tcb, fl.object("tcb"));
    Fields ft(*tcb, kCode);
    if (t.version >= 3) {
      VEIL_ASSIGN_OR_RETURN(level.sgx_components, components(ft, "sgxtcbcomponents", kCode));
      if (t.id == "TDX") {
        VEIL_ASSIGN_OR_RETURN(level.tdx_components, components(ft, "tdxtcbcomponents", kCode));
        level.has_tdx_components = true;
      }
    } else {
      for (int i = 0; i < 16; ++i) {
        char key[24];
        std::snprintf(key, sizeof(key), "sgxtcbcomp%02dsvn", i + 1);
        VEIL_ASSIGN_OR_RETURN(int64_t svn, ft.integer(key, 0, 255));
        level.sgx_components[size_t(i)] = uint8_t(svn);
      }
    }
    VEIL_ASSIGN_OR_RETURN(int64_t pcesvn, ft.integer("pcesvn", 0, 65535));
    level.pce_svn = uint16_t(pcesvn);
    VEIL_ASSIGN_OR_RETURN(level.status, fl.status("tcbStatus"));
    if (fl.has("tcbDate")) {
      VEIL_ASSIGN_OR_RETURN(level.tcb_date, fl.str("tcbDate"));
    }
    VEIL_ASSIGN_OR_RETURN(level.advisory_ids, fl.advisories());
    t.tcb_levels.push_back(std::move(level));
  }
  return t;
}

Result<QeIdentity> parse_qe_identity(std::string_view text) {
  static constexpr const char* kCode = "collateral.bad_qe_identity";
  VEIL_ASSIGN_OR_RETURN(json::object o, parse_object(text, kCode));
  Fields f(o, kCode);
  QeIdentity q;
  VEIL_ASSIGN_OR_RETURN(q.id, f.str("id"));
  VEIL_ASSIGN_OR_RETURN(int64_t version, f.integer("version", 1, 100));
  q.version = int(version);
  if (q.version != 2)
    return make_error(kCode, "QE identity version " + std::to_string(q.version) + " (supported: 2)");
  VEIL_ASSIGN_OR_RETURN(q.issue_date, f.time("issueDate"));
  VEIL_ASSIGN_OR_RETURN(q.next_update, f.time("nextUpdate"));
  VEIL_ASSIGN_OR_RETURN(int64_t eval, f.integer("tcbEvaluationDataNumber", 0, INT32_MAX));
  q.tcb_evaluation_data_number = int(eval);
  // miscselect is written big-endian as hex (Intel QVL EnclaveReportVerifier).
  VEIL_ASSIGN_OR_RETURN(auto ms, f.hex<4>("miscselect"));
  VEIL_ASSIGN_OR_RETURN(auto msm, f.hex<4>("miscselectMask"));
  q.miscselect = (uint32_t(ms[0]) << 24) | (uint32_t(ms[1]) << 16) | (uint32_t(ms[2]) << 8) | ms[3];
  q.miscselect_mask = (uint32_t(msm[0]) << 24) | (uint32_t(msm[1]) << 16) | (uint32_t(msm[2]) << 8) | msm[3];
  VEIL_ASSIGN_OR_RETURN(q.attributes, f.hex<16>("attributes"));
  VEIL_ASSIGN_OR_RETURN(q.attributes_mask, f.hex<16>("attributesMask"));
  VEIL_ASSIGN_OR_RETURN(q.mrsigner, f.hex<32>("mrsigner"));
  VEIL_ASSIGN_OR_RETURN(int64_t prod, f.integer("isvprodid", 0, 65535));
  q.isv_prod_id = uint16_t(prod);
  VEIL_ASSIGN_OR_RETURN(auto* levels, f.array("tcbLevels"));
  for (const auto& lv : *levels) {
    const json::object* lo = as_obj(lv);
    if (!lo) return make_error(kCode, "tcbLevels entry is not an object");
    Fields fl(*lo, kCode);
    QeTcbLevel level;
    VEIL_ASSIGN_OR_RETURN(auto* tcb, fl.object("tcb"));
    VEIL_ASSIGN_OR_RETURN(int64_t isvsvn, Fields(*tcb, kCode).integer("isvsvn", 0, 65535));
    level.isv_svn = uint16_t(isvsvn);
    VEIL_ASSIGN_OR_RETURN(level.status, fl.status("tcbStatus"));
    if (fl.has("tcbDate")) {
      VEIL_ASSIGN_OR_RETURN(level.tcb_date, fl.str("tcbDate"));
    }
    VEIL_ASSIGN_OR_RETURN(level.advisory_ids, fl.advisories());
    q.tcb_levels.push_back(std::move(level));
  }
  return q;
}

}  // namespace veil::attest::dcap
