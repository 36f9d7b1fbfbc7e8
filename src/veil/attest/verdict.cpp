#include "veil/attest/verdict.h"

#include <boost/json.hpp>

namespace veil::attest {

const char* to_string(CheckStatus s) {
  switch (s) {
    case CheckStatus::pass: return "pass";
    case CheckStatus::fail: return "fail";
    case CheckStatus::skip: return "skip";
  }
  return "fail";
}

void Verdict::pass(std::string name, std::string detail) {
  checks.push_back({std::move(name), CheckStatus::pass, std::move(detail)});
}

void Verdict::skip(std::string name, std::string detail) {
  checks.push_back({std::move(name), CheckStatus::skip, std::move(detail)});
}

void Verdict::fail(std::string name, std::string detail) {
  if (!error) error = name + ": " + detail;
  verified = false;
  checks.push_back({std::move(name), CheckStatus::fail, std::move(detail)});
}

void Verdict::policy_violation(std::string what) { policy_violations.push_back(std::move(what)); }

bool Verdict::any_failed() const {
  for (const auto& c : checks)
    if (c.status == CheckStatus::fail) return true;
  return false;
}

void Verdict::merge(const Verdict& other) {
  for (const auto& c : other.checks) {
    if (c.status == CheckStatus::fail) {
      fail(c.name, c.detail);
    } else {
      checks.push_back(c);
    }
  }
  for (const auto& p : other.policy_violations) policy_violations.push_back(p);
  simulated = simulated || other.simulated;
}

int Verdict::exit_code() const {
  if (!verified || any_failed()) return 1;
  if (!policy_violations.empty()) return 2;
  return 0;
}

boost::json::value to_json(const Verdict& v) {
  boost::json::object o;
  const bool verified = v.verified && !v.any_failed();
  o["verified"] = verified;
  // Issue 4 part 8: a TCB status is only meaningful for verified evidence.
  if (v.tcb_status && verified) {
    o["tcb_status"] = *v.tcb_status;
  } else {
    o["tcb_status"] = nullptr;
  }
  boost::json::array adv;
  for (const auto& a : v.advisory_ids) adv.emplace_back(a);
  o["advisory_ids"] = std::move(adv);
  boost::json::array pv;
  for (const auto& p : v.policy_violations) pv.emplace_back(p);
  o["policy_violations"] = std::move(pv);
  if (v.error) {
    o["error"] = *v.error;
  } else {
    o["error"] = nullptr;
  }
  o["simulated"] = v.simulated;
  boost::json::array checks;
  for (const auto& c : v.checks) {
    checks.push_back(boost::json::object{{"name", c.name}, {"status", to_string(c.status)}, {"detail", c.detail}});
  }
  o["checks"] = std::move(checks);
  return o;
}

std::string to_text(const Verdict& v) {
  std::string out;
  for (const auto& c : v.checks) {
    const char* mark = c.status == CheckStatus::pass ? "[pass]" : c.status == CheckStatus::fail ? "[FAIL]" : "[skip]";
    out += mark;
    out += ' ';
    out += c.name;
    if (!c.detail.empty()) {
      out += " — ";
      out += c.detail;
    }
    out += '\n';
  }
  for (const auto& p : v.policy_violations) out += "[POLICY] " + p + "\n";
  if (v.simulated) out += "NOTE: simulated, not a hardware TEE\n";
  const bool ok = v.verified && !v.any_failed();
  out += ok ? (v.policy_violations.empty() ? "RESULT: verified" : "RESULT: verified, with policy violations")
            : "RESULT: NOT verified";
  if (v.tcb_status) out += " (TCB " + *v.tcb_status + ")";
  if (!ok && v.error) out += " — " + *v.error;
  out += '\n';
  return out;
}

}  // namespace veil::attest
