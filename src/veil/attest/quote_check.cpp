#include "veil/attest/quote_check.h"

#include "veil/base/encoding.h"

namespace veil::attest {

QuoteCheck check_quote(ByteView input, const QuoteCheckOptions& options) {
  QuoteCheck out;
  Verdict& v = out.verdict;
  auto raw = decode_quote_input(input);
  if (!raw.ok()) {
    v.fail("quote.parse", raw.error().message);
    return out;
  }
  auto q = parse_quote(*raw);
  if (!q.ok()) {
    v.fail("quote.parse", q.error().to_string());
    return out;
  }
  out.quote = std::move(*q);
  const Quote& quote = *out.quote;
  std::string detail = describe(quote) + ", " + std::to_string(quote.quote_size) + " bytes";
  if (quote.trailing_bytes)
    detail += " (+" + std::to_string(quote.trailing_bytes) + " ignored trailing bytes)";
  if (quote.is_tdx()) detail += "; MRTD " + hex_encode(quote.td_report.mr_td);
  v.pass("quote.parse", detail);

  std::optional<Collateral> fetched;
  const Collateral* collateral = options.collateral;
  if (!collateral && options.source) {
    auto info = dcap::pck_info(quote);
    if (!info.ok()) {
      v.fail("collateral.fetch", info.error().message);
    } else {
      auto c = options.source->get(info->fmspc, info->ca, quote.is_tdx());
      if (!c.ok()) {
        v.fail("collateral.fetch", c.error().to_string());
      } else {
        fetched = std::move(*c);
        collateral = &*fetched;
        v.pass("collateral.fetch", "FMSPC " + hex_encode(info->fmspc) + ", " + to_string(info->ca) + " CA");
      }
    }
  }
  dcap::VerifyOptions vo;
  vo.now = options.now;
  vo.collateral = collateral;
  vo.trusted_root = options.trusted_root;
  out.dcap = dcap::verify_quote(quote, vo);
  v.merge(out.dcap.verdict);
  v.verified = out.dcap.verdict.verified && !v.any_failed();
  if (v.verified) {
    v.tcb_status = out.dcap.verdict.tcb_status;
    v.advisory_ids = out.dcap.verdict.advisory_ids;
  } else if (!v.error && !collateral) {
    v.error = "no collateral: the TCB status was not evaluated";
  }
  apply_quote_policy(quote, out.dcap, options.policy, options.now, v);
  return out;
}

}  // namespace veil::attest
