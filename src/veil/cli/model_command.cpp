#include <cstdio>

#include "veil/cli/commands.h"

namespace veil::cli {

// Placeholder until the model subcommand is built; exits non-zero so nothing
// mistakes it for success.
int model_command(int, char**) {
  std::fprintf(stderr, "veil model: not built yet\n");
  return 3;
}

}  // namespace veil::cli
