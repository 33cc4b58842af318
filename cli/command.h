// How a `mats` verb plugs into the binary.
//
// Each cli/cmd_<verb>.cc defines
//
//   void RegisterScan(CLI::App& app, CliContext& ctx);
//   MATS_REGISTER_COMMAND(RegisterScan);
//
// The register function adds a subcommand that fills an options struct and,
// in its callback, calls one library function and stores the process exit
// code in ctx.exit_code. No parsing or crypto logic lives in cli/.
#ifndef MATS_CLI_COMMAND_H_
#define MATS_CLI_COMMAND_H_

#include <CLI/CLI.hpp>

#include <string>

#include "mats/core/status.h"

namespace mats::cli {

// Process exit codes shared by every verb (see README.md).
inline constexpr int kExitOk = 0;
inline constexpr int kExitFindings = 1;   // findings at/above threshold, or verification failed
inline constexpr int kExitUsage = 2;
inline constexpr int kExitInput = 3;      // input could not be analysed/read
inline constexpr int kExitInternal = 70;

struct CliContext {
  int exit_code = kExitOk;
};

using RegisterFn = void (*)(CLI::App& app, CliContext& ctx);

struct CommandRegistrar {
  explicit CommandRegistrar(RegisterFn fn);
};

// All registered verbs, in registration order.
const std::vector<RegisterFn>& RegisteredCommands();

// Prints "mats: <status>" to stderr and returns the exit code for it:
// kInvalidArgument → 2, kInternal → 70, others → 3.
int ReportError(const Status& status);

// Writes `text` to `path`, or to stdout when `path` is empty or "-".
Status WriteOutput(const std::string& path, std::string_view text);

}  // namespace mats::cli

#define MATS_CLI_CONCAT_INNER_(a, b) a##b
#define MATS_CLI_CONCAT_(a, b) MATS_CLI_CONCAT_INNER_(a, b)
#define MATS_REGISTER_COMMAND(fn)                              \
  static const ::mats::cli::CommandRegistrar MATS_CLI_CONCAT_( \
      mats_command_registrar_, __LINE__)(fn)

#endif  // MATS_CLI_COMMAND_H_
