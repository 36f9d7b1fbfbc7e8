// Time to verify one TDX quote with its collateral already in memory (parse
// + complete DCAP verification: PCK chain with both CRLs, TCB info and QE
// identity chains and signatures, QE report, quote signature, TCB level).
// Google Benchmark; VEIL_SHARED overrides the shared data folder.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "veil/attest/collateral.h"
#include "veil/attest/dcap/verify.h"
#include "veil/attest/dcap/x509.h"
#include "veil/attest/quote.h"
#include "veil/base/file.h"

namespace {

std::string shared_path(const std::string& rel) {
  const char* env = std::getenv("VEIL_SHARED");
  return std::string(env && *env ? env : VEIL_SHARED_DEFAULT) + "/testdata/" + rel;
}

struct Inputs {
  veil::Bytes quote;
  veil::attest::Collateral collateral;
  bool ok = false;
};

Inputs load(const char* quote_rel, const char* collateral_rel) {
  Inputs in;
  auto q = veil::read_file(shared_path(quote_rel));
  auto c = veil::read_text_file(shared_path(collateral_rel));
  if (!q.ok() || !c.ok()) return in;
  auto col = veil::attest::collateral_from_dcap_qvl_json(*c);
  if (!col.ok()) return in;
  in.quote = std::move(*q);
  in.collateral = std::move(*col);
  in.ok = true;
  return in;
}

void verify_loop(benchmark::State& state, const char* quote_rel, const char* collateral_rel, int64_t now,
                 bool cold = false) {
  Inputs in = load(quote_rel, collateral_rel);
  if (!in.ok) {
    state.SkipWithError("shared test data not found (set VEIL_SHARED)");
    return;
  }
  veil::attest::dcap::VerifyOptions opt;
  opt.now = now;
  opt.collateral = &in.collateral;
  for (auto _ : state) {
    if (cold) veil::attest::dcap::clear_parse_caches();
    auto q = veil::attest::parse_quote(in.quote);
    auto r = veil::attest::dcap::verify_quote(*q, opt);
    if (!r.verdict.verified) {
      state.SkipWithError("the quote did not verify");
      return;
    }
    benchmark::DoNotOptimize(r);
  }
}

void BM_VerifyTdxV4Quote(benchmark::State& state) {
  verify_loop(state, "dcap-qvl/tdx_quote", "dcap-qvl/tdx_quote_collateral.json", 1751624191);
}
// Every certificate and CRL parsed again (no parse cache): a verifier's first quote.
void BM_VerifyTdxV4QuoteCold(benchmark::State& state) {
  verify_loop(state, "dcap-qvl/tdx_quote", "dcap-qvl/tdx_quote_collateral.json", 1751624191, true);
}
void BM_VerifyTdxV5Quote(benchmark::State& state) {
  verify_loop(state, "go-tdx-guest/quote_v5_sample.dat",
              "derived/collateral/tdx_90c06f000000_tinfoil_2026-01.json", 1770174696);
}
void BM_ParseQuoteOnly(benchmark::State& state) {
  Inputs in = load("dcap-qvl/tdx_quote", "dcap-qvl/tdx_quote_collateral.json");
  if (!in.ok) {
    state.SkipWithError("shared test data not found");
    return;
  }
  for (auto _ : state) benchmark::DoNotOptimize(veil::attest::parse_quote(in.quote));
}

BENCHMARK(BM_VerifyTdxV4Quote)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_VerifyTdxV4QuoteCold)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_VerifyTdxV5Quote)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ParseQuoteOnly)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
