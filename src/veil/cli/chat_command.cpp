#include <cstdio>

#include "veil/cli/commands.h"

namespace veil::cli {

// Placeholder until the chat subcommand is built; exits non-zero so nothing
// mistakes it for success.
int chat_command(int, char**) {
  std::fprintf(stderr, "veil chat: not built yet\n");
  return 3;
}

}  // namespace veil::cli
