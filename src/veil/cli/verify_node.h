#pragma once

namespace veil::cli {
// `veil verify node URL [--model M] [--allow-simulated] [--json]`; argv[0] = "node".
int verify_node_main(int argc, char** argv);
}  // namespace veil::cli
