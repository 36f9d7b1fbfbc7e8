// `veil verify gpu --payload FILE [--nonce HEX] [--now UNIX] [--rim FILE]...
//                  [--nras-token FILE --jwks FILE|https://URL [--jwks-ca FILE]]
//                  [--allow-simulated] [--json]`
// Verifies an NVIDIA `nvidia_payload` offline (attest/nvidia/gpu_verify.h)
// and, when given, an NRAS token against a JWKS file or one fetched over
// verified TLS (cli/jwks_fetch.h).
#pragma once

namespace veil::cli {

// argv[0] is "gpu". Exit status: 0 verified, 2 verified with policy
// violations, 1 not verified or bad usage.
int verify_gpu_main(int argc, char** argv);

}  // namespace veil::cli
