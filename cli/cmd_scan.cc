// `mats scan PATH...`: static analysis of model files and repositories.
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "command.h"
#include "mats/scan/registry.h"
#include "mats/scan/report.h"
#include "mats/scan/scanner.h"

namespace mats::cli {
namespace {

struct ScanFlags {
  std::vector<std::string> paths;
  std::string format = "text";
  std::string output;
  std::string fail_on = "high";
  size_t threads = 0;
  std::vector<std::string> limits;
  std::vector<std::string> policy_files;
  std::vector<std::string> allow;
  std::vector<std::string> deny;
  bool include_vcs = false;
  bool verbose = false;
};

int RunScan(const ScanFlags& flags) {
  scan::ScanOptions options;
  options.threads = flags.threads;
  options.include_vcs = flags.include_vcs;
  for (const std::string& l : flags.limits) {
    Status s = options.limits.SetFromString(l);
    if (!s.ok()) return ReportError(s);
  }
  options.policy = scan::DefaultPolicy();
  for (const std::string& p : flags.policy_files) {
    Status s = options.policy.LoadFile(p);
    if (!s.ok()) {
      return ReportError(Status(ErrorCode::kInvalidArgument, s.message()));
    }
  }
  for (const std::string& a : flags.allow) {
    Status s = options.policy.AddFromFlag(a, PolicyAction::kAllow);
    if (!s.ok()) return ReportError(s);
  }
  for (const std::string& d : flags.deny) {
    Status s = options.policy.AddFromFlag(d, PolicyAction::kDeny);
    if (!s.ok()) return ReportError(s);
  }
  auto fail_on = ParseSeverity(flags.fail_on);
  if (!fail_on.ok()) return ReportError(fail_on.status());

  auto report = scan::ScanPaths(flags.paths, options);
  if (!report.ok()) return ReportError(report.status());

  scan::ReportOptions ro;
  ro.tool_version = MATS_VERSION;
  ro.fail_on = *fail_on;
  ro.verbose = flags.verbose;
  std::string text;
  if (flags.format == "json") {
    text = scan::RenderJson(*report, ro);
  } else if (flags.format == "sarif") {
    text = scan::RenderSarif(*report, ro);
  } else {
    text = scan::RenderText(*report, ro);
  }
  Status w = WriteOutput(flags.output, text);
  if (!w.ok()) return ReportError(w);

  bool failed = false;
  for (const auto& f : report->files)
    for (const auto& finding : f.findings) failed |= finding.severity >= *fail_on;
  for (const auto& r : report->repositories)
    for (const auto& finding : r.findings) failed |= finding.severity >= *fail_on;
  if (failed) return kExitFindings;
  if (report->CountVerdict(scan::Verdict::kNotAnalysable) > 0) return kExitInput;
  return kExitOk;
}

void RegisterScan(CLI::App& app, CliContext& ctx) {
  auto flags = std::make_shared<ScanFlags>();
  CLI::App* cmd = app.add_subcommand(
      "scan",
      "Scan model files, folders and Hugging Face snapshots without executing "
      "anything; every file gets a verdict");
  cmd->add_option("paths", flags->paths, "files or directories to scan")->required();
  cmd->add_option("--format", flags->format, "report format")
      ->check(CLI::IsMember({"text", "json", "sarif"}));
  cmd->add_option("-o,--output", flags->output, "write the report to FILE instead of stdout");
  cmd->add_option("--fail-on", flags->fail_on,
                  "exit 1 when a finding has at least this severity")
      ->check(CLI::IsMember({"info", "low", "medium", "high", "critical"}));
  cmd->add_option("-j,--threads", flags->threads, "files scanned in parallel (0 = all cores)");
  cmd->add_option("--limit", flags->limits,
                  "override a limit, NAME=VALUE (see `mats limits`); repeatable");
  cmd->add_option("--policy", flags->policy_files, "policy file (docs/policy.md); repeatable");
  cmd->add_option("--allow", flags->allow,
                  "allow a name, DOMAIN:NAME (e.g. pickle:mylib.Model); repeatable");
  cmd->add_option("--deny", flags->deny,
                  "deny a name, DOMAIN:NAME[=SEVERITY]; repeatable");
  cmd->add_flag("--include-vcs", flags->include_vcs, "also scan .git, .hg and .svn folders");
  cmd->add_flag("--details", flags->verbose,
                "text report: show ATLAS ids, remediation and container members");
  cmd->callback([flags, &ctx] { ctx.exit_code = RunScan(*flags); });
}

MATS_REGISTER_COMMAND(RegisterScan);

}  // namespace
}  // namespace mats::cli
