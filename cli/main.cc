// The `mats` command-line tool: a thin layer over the mats libraries.
#include <cstdio>
#include <exception>

#include "command.h"
#include "mats/core/log.h"
#include "mats/core/mapped_file.h"

namespace mats::cli {

namespace {
std::vector<RegisterFn>& Registry() {
  static std::vector<RegisterFn> fns;
  return fns;
}
}  // namespace

CommandRegistrar::CommandRegistrar(RegisterFn fn) { Registry().push_back(fn); }
const std::vector<RegisterFn>& RegisteredCommands() { return Registry(); }

int ReportError(const Status& status) {
  std::fprintf(stderr, "mats: %s\n", status.ToString().c_str());
  switch (status.code()) {
    case ErrorCode::kInvalidArgument: return kExitUsage;
    case ErrorCode::kInternal: return kExitInternal;
    case ErrorCode::kVerificationFailed: return kExitFindings;
    default: return kExitInput;
  }
}

Status WriteOutput(const std::string& path, std::string_view text) {
  if (path.empty() || path == "-") {
    if (std::fwrite(text.data(), 1, text.size(), stdout) != text.size() ||
        std::fflush(stdout) != 0) {
      return IoError("cannot write to standard output");
    }
    return Status::Ok();
  }
  return WriteFileAtomic(path, text);
}

}  // namespace mats::cli

int main(int argc, char** argv) {
  using namespace mats::cli;  // NOLINT(google-build-using-namespace): main only
  CLI::App app{
      "mats: treat every pre-trained model and dataset as untrusted until "
      "proven otherwise"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("mats ") + MATS_VERSION);
  app.add_flag_callback(
      "-v,--verbose", [] { mats::log::SetLevel(mats::log::Level::kDebug); },
      "log library diagnostics to stderr");
  CliContext ctx;
  for (RegisterFn fn : RegisteredCommands()) fn(app, ctx);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : kExitUsage;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "mats: internal error: %s\n", e.what());
    return kExitInternal;
  }
  return ctx.exit_code;
}
