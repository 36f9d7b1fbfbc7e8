#include <cstdio>

#include "veil/cli/commands.h"

namespace veil::cli {

// Placeholder until the verify subcommand is built; exits non-zero so nothing
// mistakes it for success.
int verify_command(int, char**) {
  std::fprintf(stderr, "veil verify: not built yet\n");
  return 3;
}

}  // namespace veil::cli
