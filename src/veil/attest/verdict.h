// The outcome of a verification: one entry per check, plus the summary that
// `veil verify --json` prints (issue: verified / tcb_status / advisory_ids /
// policy_violations / error / checks).
//
// Meaning: `verified` is true when every cryptographic link (signatures,
// chains, CRLs, collateral window, TCB level matching, bindings) succeeded.
// Policy (allowed TCB statuses, debug TD, SEPT_VE_DISABLE, expected
// measurements) is judged apart and reported in policy_violations.
// A check that could not run is `skip`, never `pass`.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace boost::json {
class value;
}

namespace veil::attest {

enum class CheckStatus { pass, fail, skip };

struct Check {
  std::string name;    // stable, e.g. "tdx.quote_signature"
  CheckStatus status;  // pass | fail | skip
  std::string detail;  // one line, human readable; never content
};

struct Verdict {
  bool verified = false;
  std::optional<std::string> tcb_status;  // e.g. "UpToDate"; null when not reached
  std::vector<std::string> advisory_ids;
  std::vector<std::string> policy_violations;
  std::optional<std::string> error;  // first failure, when not verified
  std::vector<Check> checks;
  // Set when the evidence came from Veil's simulated TEE (accepted only with
  // --allow-simulated); printed as "simulated, not a hardware TEE".
  bool simulated = false;

  void pass(std::string name, std::string detail = {});
  void skip(std::string name, std::string detail);
  // Records a failed check; the first failure becomes `error`.
  void fail(std::string name, std::string detail);
  void policy_violation(std::string what);
  bool any_failed() const;
  // Appends another verdict's checks/violations (e.g. GPU into report).
  void merge(const Verdict& other);

  // Exit status of the CLI: 0 clean, 2 verified with policy violations, 1 not verified.
  int exit_code() const;
};

const char* to_string(CheckStatus s);
boost::json::value to_json(const Verdict& v);
// Human checklist, one line per check, then a summary line.
std::string to_text(const Verdict& v);

}  // namespace veil::attest
