// `mats rules`, `mats limits`, `mats formats`: what the scanner knows.
#include <memory>
#include <string>

#include "command.h"
#include "mats/core/limits.h"
#include "mats/scan/registry.h"
#include "mats/scan/report.h"

namespace mats::cli {
namespace {

void RegisterRules(CLI::App& app, CliContext& ctx) {
  auto format = std::make_shared<std::string>("text");
  CLI::App* rules = app.add_subcommand("rules", "List every scanner rule");
  rules->add_option("--format", *format, "text, json or markdown (docs/rules.md)")
      ->check(CLI::IsMember({"text", "json", "markdown"}));
  rules->callback([format, &ctx] {
    std::string out;
    if (*format == "markdown") {
      out = scan::RenderRulesMarkdown();
    } else if (*format == "json") {
      out = scan::RenderRulesJson();
    } else {
      for (const RuleInfo& r : scan::AllRules()) {
        out += fmt::format("{:<16} {:<8} {}\n", r.id, SeverityName(r.severity), r.title);
      }
    }
    Status s = WriteOutput("", out);
    ctx.exit_code = s.ok() ? kExitOk : ReportError(s);
  });

  CLI::App* limits = app.add_subcommand("limits", "List the resource limits and their defaults");
  limits->callback([&ctx] {
    Limits defaults;
    std::string out;
    for (const LimitField& f : LimitFields()) {
      out += fmt::format("{:<24} {:>16}  {}\n", f.name, f.get(defaults), f.protects);
    }
    Status s = WriteOutput("", out);
    ctx.exit_code = s.ok() ? kExitOk : ReportError(s);
  });

  CLI::App* formats = app.add_subcommand("formats", "List the formats the scanner detects");
  formats->callback([&ctx] {
    std::string out;
    for (const FormatHandler* h : scan::AllFormats()) {
      out += fmt::format("{:<18} {}\n", h->id, h->description);
    }
    Status s = WriteOutput("", out);
    ctx.exit_code = s.ok() ? kExitOk : ReportError(s);
  });
}

MATS_REGISTER_COMMAND(RegisterRules);

}  // namespace
}  // namespace mats::cli
