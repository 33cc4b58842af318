#include "mats/scan/report.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "mats/core/encoding.h"
#include "mats/core/json.h"
#include "mats/scan/registry.h"

namespace mats::scan {
namespace {

using nlohmann::json;

std::string HumanSize(uint64_t n) {
  if (n < 1024) return fmt::format("{} B", n);
  static constexpr const char* kUnits[] = {"KiB", "MiB", "GiB", "TiB", "PiB"};
  double v = static_cast<double>(n);
  int unit = -1;
  while (v >= 1024.0 && unit < 4) {
    v /= 1024.0;
    ++unit;
  }
  return fmt::format("{:.1f} {}", v, kUnits[unit]);
}

std::string_view VerdictLabel(const FileReport& f) {
  if (f.skipped) return "SKIPPED";
  switch (f.verdict) {
    case Verdict::kClean: return "CLEAN";
    case Verdict::kSuspicious: return "SUSPICIOUS";
    case Verdict::kNotAnalysable: return "NOT ANALYSABLE";
    case Verdict::kMalicious: return "MALICIOUS";
  }
  return "CLEAN";
}

std::string_view JsonVerdict(const FileReport& f) {
  return f.skipped ? "skipped" : VerdictName(f.verdict);
}

std::string Location(const Finding& f) {
  if (f.member.empty()) return fmt::format("offset {}", f.offset);
  return fmt::format("{} offset {}", EscapePreview(f.member, 200), f.offset);
}

std::string SecuritySeverity(Severity s) {
  switch (s) {
    case Severity::kCritical: return "9.5";
    case Severity::kHigh: return "8.0";
    case Severity::kMedium: return "5.5";
    case Severity::kLow: return "3.0";
    case Severity::kInfo: return "0.0";
  }
  return "0.0";
}

std::string_view SarifLevel(Severity s) {
  switch (s) {
    case Severity::kCritical:
    case Severity::kHigh: return "error";
    case Severity::kMedium: return "warning";
    default: return "note";
  }
}

uint64_t Fnv1a(std::string_view s, uint64_t h = 1469598103934665603ull) {
  for (char c : s) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ull;
  }
  return h;
}

// Paths in SARIF are relative URIs with '/' separators and %-escaping.
std::string UriEscape(std::string_view path) {
  std::string out;
  for (char ch : path) {
    auto c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) || c == '/' || c == '.' || c == '-' || c == '_' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  while (out.starts_with("./")) out.erase(0, 2);
  return out;
}

json StatusJson(const FileError& e) {
  json j = {{"member", e.member},
            {"code", ErrorCodeName(e.status.code())},
            {"message", e.status.message()}};
  if (e.status.offset()) j["offset"] = *e.status.offset();
  return j;
}

json FindingJson(const Finding& f) {
  const RuleInfo* rule = FindRule(f.rule_id);
  json j = {{"rule_id", f.rule_id},
            {"severity", SeverityName(f.severity)},
            {"member", f.member},
            {"offset", f.offset},
            {"message", f.message}};
  if (!f.evidence.empty()) j["evidence"] = f.evidence;
  if (rule != nullptr) {
    j["title"] = rule->title;
    json atlas = json::array();
    for (auto id : rule->atlas) atlas.push_back(id);
    j["atlas"] = atlas;
    json goals = json::array();
    for (auto g : GoalNames(rule->goals)) goals.push_back(g);
    j["goals"] = goals;
    j["remediation"] = rule->remediation;
  } else {
    j["title"] = "unknown rule";
    j["atlas"] = json::array();
    j["goals"] = json::array();
    j["remediation"] = "";
  }
  return j;
}

bool HasFindings(const ScanReport& report) {
  for (const auto& f : report.files)
    if (!f.findings.empty()) return true;
  for (const auto& r : report.repositories)
    if (!r.findings.empty()) return true;
  return false;
}

}  // namespace

std::vector<std::string_view> GoalNames(uint8_t goals) {
  static constexpr std::pair<Goal, std::string_view> kNames[] = {
      {Goal::kConfidentiality, "confidentiality"}, {Goal::kIntegrity, "integrity"},
      {Goal::kAvailability, "availability"},       {Goal::kAuthenticity, "authenticity"},
      {Goal::kPrivacy, "privacy"},                 {Goal::kSafety, "safety"}};
  std::vector<std::string_view> out;
  for (auto [bit, name] : kNames) {
    if ((goals & static_cast<uint8_t>(bit)) != 0) out.push_back(name);
  }
  return out;
}

std::string RenderText(const ScanReport& report, const ReportOptions& options) {
  std::string out;
  for (const FileReport& f : report.files) {
    if (f.skipped) {
      out += fmt::format("{:<15} {}  ({})\n", VerdictLabel(f),
                         EscapePreview(f.path, 512), f.skip_reason);
      continue;
    }
    std::string link = f.link_target.empty()
                           ? std::string()
                           : " -> " + EscapePreview(f.link_target, 512);
    out += fmt::format("{:<15} {}{}  [{}, {}]\n", VerdictLabel(f),
                       EscapePreview(f.path, 512), link,
                       f.format.empty() ? "?" : f.format, HumanSize(f.size));
    for (const Finding& finding : f.findings) {
      const RuleInfo* rule = FindRule(finding.rule_id);
      out += fmt::format("  {:<8}  {}  {}: {}\n", SeverityName(finding.severity),
                         finding.rule_id, Location(finding), finding.message);
      if (!finding.evidence.empty()) {
        out += fmt::format("            evidence: {}\n", finding.evidence);
      }
      if (rule != nullptr && options.verbose) {
        out += fmt::format("            ATLAS {}; violates {}\n",
                           fmt::join(rule->atlas, ", "),
                           fmt::join(GoalNames(rule->goals), ", "));
        out += fmt::format("            fix: {}\n", rule->remediation);
      }
    }
    if (f.findings_dropped > 0) {
      out += fmt::format("  ... {} more findings not recorded (limit max_findings)\n",
                         f.findings_dropped);
    }
    for (const FileError& e : f.errors) {
      out += fmt::format("  not analysed{}: {}\n",
                         e.member.empty() ? "" : " " + EscapePreview(e.member, 200),
                         e.status.ToString());
    }
    if (options.verbose) {
      for (const MemberInfo& m : f.members) {
        out += fmt::format("  member {} [{}, {}]\n", EscapePreview(m.path, 200),
                           m.format, HumanSize(m.size));
      }
    }
  }
  for (const repo::RepositorySummary& r : report.repositories) {
    out += fmt::format("\nREPOSITORY {}{}: {}\n", EscapePreview(r.root, 512),
                       r.name.empty() ? "" : " (" + EscapePreview(r.name, 200) + ")",
                       r.verdict);
    std::vector<std::string> counts;
    for (int role = 0; role < 6; ++role) {
      counts.push_back(fmt::format(
          "{} {}", r.counts[role],
          repo::FileRoleName(static_cast<repo::FileRole>(role))));
    }
    out += fmt::format("  files: {}\n", fmt::join(counts, ", "));
    if (r.executes.empty()) {
      out += "  a loader executes: nothing found\n";
    } else {
      out += "  a loader executes:\n";
      for (const std::string& e : r.executes) out += fmt::format("    - {}\n", e);
    }
    for (const Finding& finding : r.findings) {
      out += fmt::format("  {:<8}  {}  {}: {}\n", SeverityName(finding.severity),
                         finding.rule_id,
                         finding.member.empty() ? "repository" : EscapePreview(finding.member, 200),
                         finding.message);
      if (!finding.evidence.empty()) {
        out += fmt::format("            evidence: {}\n", finding.evidence);
      }
    }
  }
  size_t skipped = 0;
  for (const auto& f : report.files) skipped += f.skipped ? 1 : 0;
  out += fmt::format(
      "\n{} files: {} clean, {} suspicious, {} malicious, {} not analysable, {} "
      "skipped. Highest severity: {} (fail-on: {}).\n",
      report.files.size() - skipped, report.CountVerdict(Verdict::kClean),
      report.CountVerdict(Verdict::kSuspicious),
      report.CountVerdict(Verdict::kMalicious),
      report.CountVerdict(Verdict::kNotAnalysable), skipped,
      HasFindings(report) ? SeverityName(report.MaxSeverity()) : "none",
      SeverityName(options.fail_on));
  return out;
}

std::string RenderJson(const ScanReport& report, const ReportOptions& options) {
  json files = json::array();
  size_t skipped = 0;
  for (const FileReport& f : report.files) {
    json jf = {{"path", f.path}, {"verdict", JsonVerdict(f)}};
    if (f.skipped) {
      ++skipped;
      jf["skip_reason"] = f.skip_reason;
      files.push_back(std::move(jf));
      continue;
    }
    if (!f.link_target.empty()) jf["link_target"] = f.link_target;
    jf["format"] = f.format;
    jf["size"] = f.size;
    json findings = json::array();
    for (const Finding& finding : f.findings) findings.push_back(FindingJson(finding));
    jf["findings"] = std::move(findings);
    jf["findings_dropped"] = f.findings_dropped;
    json errors = json::array();
    for (const FileError& e : f.errors) errors.push_back(StatusJson(e));
    jf["errors"] = std::move(errors);
    json members = json::array();
    for (const MemberInfo& m : f.members) {
      members.push_back({{"path", m.path}, {"format", m.format}, {"size", m.size}});
    }
    jf["members"] = std::move(members);
    files.push_back(std::move(jf));
  }
  json repositories = json::array();
  for (const repo::RepositorySummary& r : report.repositories) {
    json counts = json::object();
    for (int role = 0; role < 6; ++role) {
      counts[std::string(repo::FileRoleName(static_cast<repo::FileRole>(role)))] =
          r.counts[role];
    }
    json rfiles = json::array();
    for (const repo::RepoFileSummary& f : r.files) {
      json jf = {{"path", f.path},
                 {"role", repo::FileRoleName(f.role)},
                 {"format", f.format},
                 {"verdict", f.verdict}};
      if (!f.executes.empty()) jf["executes"] = f.executes;
      rfiles.push_back(std::move(jf));
    }
    json findings = json::array();
    for (const Finding& finding : r.findings) findings.push_back(FindingJson(finding));
    json jr = {{"root", r.root},
               {"verdict", r.verdict},
               {"counts", std::move(counts)},
               {"executes", r.executes},
               {"files", std::move(rfiles)},
               {"findings", std::move(findings)}};
    if (!r.name.empty()) jr["name"] = r.name;
    repositories.push_back(std::move(jr));
  }
  Severity max = report.MaxSeverity();
  bool has_findings = HasFindings(report);
  json doc = {
      {"schema", "mats-scan-report"},
      {"version", kScanReportVersion},
      {"tool", {{"name", "mats"}, {"version", options.tool_version}}},
      {"roots", report.roots},
      {"summary",
       {{"files", report.files.size() - skipped},
        {"clean", report.CountVerdict(Verdict::kClean)},
        {"suspicious", report.CountVerdict(Verdict::kSuspicious)},
        {"malicious", report.CountVerdict(Verdict::kMalicious)},
        {"not_analysable", report.CountVerdict(Verdict::kNotAnalysable)},
        {"skipped", skipped},
        {"max_severity", has_findings ? json(SeverityName(max)) : json(nullptr)},
        {"fail_on", SeverityName(options.fail_on)}}},
      {"files", std::move(files)},
      {"repositories", std::move(repositories)}};
  return DumpJson(doc, 2) + "\n";
}

std::string RenderSarif(const ScanReport& report, const ReportOptions& options) {
  const auto& catalog = AllRules();
  json rules = json::array();
  for (const RuleInfo& r : catalog) {
    json tags = json::array({"security"});
    for (auto id : r.atlas) tags.push_back(id);
    rules.push_back(
        {{"id", r.id},
         {"name", r.id},
         {"shortDescription", {{"text", r.title}}},
         {"fullDescription", {{"text", r.description}}},
         {"help", {{"text", r.remediation}, {"markdown", r.remediation}}},
         {"defaultConfiguration", {{"level", SarifLevel(r.severity)}}},
         {"properties",
          {{"tags", tags},
           {"security-severity", SecuritySeverity(r.severity)},
           {"precision", "high"},
           {"problem.severity", SarifLevel(r.severity) == "note" ? "recommendation"
                                : SarifLevel(r.severity)},
           {"mats-severity", SeverityName(r.severity)}}}});
  }
  json results = json::array();
  json notifications = json::array();
  for (const FileReport& f : report.files) {
    if (f.skipped) continue;
    json location = {
        {"physicalLocation",
         {{"artifactLocation", {{"uri", UriEscape(f.path)}}},
          {"region", {{"startLine", 1}}}}}};
    for (const Finding& finding : f.findings) {
      json loc = location;
      if (!finding.member.empty()) {
        loc["logicalLocations"] = json::array(
            {{{"fullyQualifiedName", finding.member}, {"kind", "member"}}});
      }
      std::string text = fmt::format("{} ({}): {}", finding.message,
                                     Location(finding), f.path);
      if (!finding.evidence.empty()) text += fmt::format(". Evidence: {}", finding.evidence);
      json result = {
          {"ruleId", finding.rule_id},
          {"level", SarifLevel(finding.severity)},
          {"message", {{"text", text}}},
          {"locations", json::array({loc})},
          {"partialFingerprints",
           {{"matsFinding/v1",
             fmt::format("{:016x}", Fnv1a(finding.rule_id + "\n" + f.path + "\n" +
                                          finding.member + "\n" + finding.message))}}},
          {"properties",
           {{"severity", SeverityName(finding.severity)},
            {"member", finding.member},
            {"offset", finding.offset},
            {"format", f.format},
            {"verdict", VerdictName(f.verdict)}}}};
      for (size_t i = 0; i < catalog.size(); ++i) {
        if (catalog[i].id == finding.rule_id) {
          result["ruleIndex"] = i;
          break;
        }
      }
      if (!finding.evidence.empty()) result["properties"]["evidence"] = finding.evidence;
      results.push_back(std::move(result));
    }
    for (const FileError& e : f.errors) {
      notifications.push_back(
          {{"level", "error"},
           {"message",
            {{"text", fmt::format("{}{}: not analysed: {}", f.path,
                                  e.member.empty() ? "" : "!" + e.member,
                                  e.status.ToString())}}},
           {"locations", json::array({location})}});
    }
  }
  for (const repo::RepositorySummary& r : report.repositories) {
    for (const Finding& finding : r.findings) {
      std::string where = finding.member.empty() ? r.root : r.root + "/" + finding.member;
      json result = {
          {"ruleId", finding.rule_id},
          {"level", SarifLevel(finding.severity)},
          {"message", {{"text", fmt::format("{}: {}", where, finding.message)}}},
          {"locations",
           json::array({{{"physicalLocation",
                          {{"artifactLocation", {{"uri", UriEscape(where)}}},
                           {"region", {{"startLine", 1}}}}}}})},
          {"partialFingerprints",
           {{"matsFinding/v1",
             fmt::format("{:016x}", Fnv1a(finding.rule_id + "\n" + where + "\n" +
                                          finding.message))}}},
          {"properties",
           {{"severity", SeverityName(finding.severity)}, {"repository", r.root}}}};
      for (size_t i = 0; i < catalog.size(); ++i) {
        if (catalog[i].id == finding.rule_id) {
          result["ruleIndex"] = i;
          break;
        }
      }
      results.push_back(std::move(result));
    }
  }
  json run = {
      {"tool",
       {{"driver",
         {{"name", "mats"},
          {"version", options.tool_version},
          {"semanticVersion", options.tool_version},
          {"informationUri", "https://github.com/mats-project/mats"},
          {"rules", std::move(rules)}}}}},
      {"invocations",
       json::array({{{"executionSuccessful", true},
                     {"toolExecutionNotifications", std::move(notifications)}}})},
      {"results", std::move(results)},
      {"columnKind", "unicodeCodePoints"}};
  json doc = {{"$schema", "https://json.schemastore.org/sarif-2.1.0.json"},
              {"version", "2.1.0"},
              {"runs", json::array({std::move(run)})}};
  return DumpJson(doc, 2) + "\n";
}

std::string RenderRulesMarkdown() {
  std::string out =
      "# mats rules\n\n"
      "Generated from the rule catalog by `mats rules --format markdown`; do not\n"
      "edit by hand (a test checks that this file matches the catalog).\n\n"
      "Every finding carries one of these stable rule ids. Severity is the\n"
      "default; a finding may carry another (for example a denied pickle\n"
      "callable takes the severity of its policy entry). Verdicts: any finding\n"
      "of severity high or critical makes a file *malicious*; medium or low\n"
      "makes it *suspicious*; info never changes the verdict. ATLAS ids refer\n"
      "to MITRE ATLAS 5.6.0; goals are the protection goals a true positive\n"
      "violates.\n\n"
      "| id | title | severity | ATLAS | goals |\n|---|---|---|---|---|\n";
  for (const RuleInfo& r : AllRules()) {
    out += fmt::format("| [{}](#{}) | {} | {} | {} | {} |\n", r.id,
                       [&] {
                         std::string a;
                         for (char c : r.id) a.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
                         return a;
                       }(),
                       r.title, SeverityName(r.severity), fmt::join(r.atlas, " "),
                       fmt::join(GoalNames(r.goals), ", "));
  }
  for (const RuleInfo& r : AllRules()) {
    out += fmt::format("\n## {}\n\n**{}** — default severity **{}**\n\n{}\n\n", r.id,
                       r.title, SeverityName(r.severity), r.description);
    out += "- ATLAS:";
    for (auto id : r.atlas) {
      out += fmt::format(" [{}](https://atlas.mitre.org/techniques/{})", id, id);
    }
    out += fmt::format("\n- Protection goals: {}\n", fmt::join(GoalNames(r.goals), ", "));
    out += fmt::format("- Remediation: {}\n", r.remediation);
    if (!r.references.empty()) out += fmt::format("- References: {}\n", r.references);
  }
  return out;
}

std::string RenderRulesJson() {
  json rules = json::array();
  for (const RuleInfo& r : AllRules()) {
    json atlas = json::array();
    for (auto id : r.atlas) atlas.push_back(id);
    json goals = json::array();
    for (auto g : GoalNames(r.goals)) goals.push_back(g);
    rules.push_back({{"id", r.id},
                     {"title", r.title},
                     {"severity", SeverityName(r.severity)},
                     {"description", r.description},
                     {"remediation", r.remediation},
                     {"atlas", atlas},
                     {"goals", goals},
                     {"references", r.references}});
  }
  json doc = json::object();
  doc["rules"] = std::move(rules);
  return DumpJson(doc, 2) + "\n";
}

}  // namespace mats::scan
