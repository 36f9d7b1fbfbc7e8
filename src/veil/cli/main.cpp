// `veil`: one binary, one subcommand per role (see docs/ARCHITECTURE.md).
#include <cstdio>
#include <cstring>
#include <string_view>

#include "veil/base/version.h"
#include "veil/cli/commands.h"

namespace {

struct Subcommand {
  const char* name;
  int (*run)(int, char**);
  const char* summary;
};

constexpr Subcommand kSubcommands[] = {
    {"node", veil::cli::node_command, "run a private LLM node (TLS ends here; attested; every response signed)"},
    {"verify", veil::cli::verify_command, "verify a node, a report, a TDX quote or GPU evidence"},
    {"chat", veil::cli::chat_command, "send one chat request, then verify its signature and the node"},
    {"model", veil::cli::model_command, "inspect, hash, synthesize or benchmark GGUF models"},
};

void usage(FILE* out) {
  std::fprintf(out, "veil %s — verifiable private inference\n\nusage: veil <command> [options]\n\ncommands:\n",
               veil::kVersion);
  for (const auto& s : kSubcommands) std::fprintf(out, "  %-8s %s\n", s.name, s.summary);
  std::fprintf(out, "\nRun `veil <command> --help` for a command's options.\n");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    usage(stderr);
    return 2;
  }
  std::string_view cmd = argv[1];
  if (cmd == "--help" || cmd == "-h" || cmd == "help") {
    usage(stdout);
    return 0;
  }
  if (cmd == "--version" || cmd == "version") {
    std::printf("veil %s\n", veil::kVersion);
    return 0;
  }
  for (const auto& s : kSubcommands) {
    if (cmd == s.name) return s.run(argc - 1, argv + 1);
  }
  std::fprintf(stderr, "veil: unknown command '%s'\n\n", argv[1]);
  usage(stderr);
  return 2;
}
