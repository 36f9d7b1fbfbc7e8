#include <cstdio>

#include "veil/cli/commands.h"

namespace veil::cli {

// Placeholder until the node subcommand is built; exits non-zero so nothing
// mistakes it for success.
int node_command(int, char**) {
  std::fprintf(stderr, "veil node: not built yet\n");
  return 3;
}

}  // namespace veil::cli
