// One function per `veil` subcommand; each lives in its own file of cli/.
#pragma once

namespace veil::cli {

// argv[0] is the subcommand name ("node", "verify", ...).
int node_command(int argc, char** argv);
int verify_command(int argc, char** argv);
int chat_command(int argc, char** argv);
int model_command(int argc, char** argv);

}  // namespace veil::cli
