// Format handlers "jinja" (standalone templates) and "tokenizer-config"
// (tokenizer_config.json and other JSON with a top-level chat_template),
// and the MATS-JINJA / MATS-TOK rule tables.
#include <fmt/core.h>

#include <algorithm>
#include <string>

#include "mats/core/encoding.h"
#include "mats/core/json.h"
#include "mats/jinja/jinja.h"

namespace mats::jinja {
namespace {

constexpr size_t kSniffWindow = size_t{64} * 1024;

std::string_view BaseName(std::string_view name) {
  size_t slash = name.find_last_of("/\\");
  return slash == std::string_view::npos ? name : name.substr(slash + 1);
}

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() &&
         s.substr(s.size() - suffix.size()) == suffix;
}

std::string Lower(std::string_view s) {
  std::string r(s);
  for (char& c : r) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return r;
}

SniffResult SniffJinja(ByteSpan data, std::string_view name) {
  std::string base = Lower(BaseName(name));
  if (!EndsWith(base, ".jinja") && !EndsWith(base, ".j2") &&
      !EndsWith(base, ".jinja2")) {
    return SniffResult::kNo;
  }
  std::string_view head =
      AsChars(data.first(std::min(data.size(), kSniffWindow)));
  if (head.find('\0') != std::string_view::npos) {
    return SniffResult::kNo;
  }
  return LooksLikeTemplate(head) ? SniffResult::kStrong : SniffResult::kNo;
}

Status AnalyzeJinjaImpl(ByteSpan data, ScanContext& ctx) {
  return AnalyzeJinja(data, ctx);
}

size_t SkipSpace(std::string_view s) {
  size_t i = 0;
  if (s.substr(0, 3) == "\xEF\xBB\xBF") {
    i = 3;  // UTF-8 BOM
  }
  while (i < s.size() &&
         (s[i] == ' ' || s[i] == '\n' || s[i] == '\r' || s[i] == '\t')) {
    ++i;
  }
  return i;
}

SniffResult SniffTokenizerConfig(ByteSpan data, std::string_view name) {
  std::string_view text = AsChars(data);
  size_t i = SkipSpace(text);
  if (i >= text.size() || text[i] != '{') {
    return SniffResult::kNo;
  }
  std::string base = Lower(BaseName(name));
  if (base == "tokenizer_config.json") {
    return SniffResult::kStrong;
  }
  // Content: a JSON object with a top-level "chat_template" key.
  if (text.find("\"chat_template\"") == std::string_view::npos) {
    return SniffResult::kNo;
  }
  if (data.size() > (16u << 20)) {
    return SniffResult::kNo;
  }
  JsonOptions opts{
      .max_depth = 64, .reject_duplicate_keys = false, .what = "sniff"};
  Result<nlohmann::json> doc = ParseJson(text, opts);
  if (!doc.ok() || !doc->is_object() || !doc->contains("chat_template")) {
    return SniffResult::kNo;
  }
  return SniffResult::kStrong;
}

Status AnalyzeTokenizerConfigImpl(ByteSpan data, ScanContext& ctx) {
  return AnalyzeTokenizerConfig(data, ctx);
}

constexpr std::string_view kAtlasTemplate[] = {"AML.T0011.000", "AML.T0010.003",
                                               "AML.T0050"};
constexpr std::string_view kAtlasParser[] = {"AML.T0011.000", "AML.T0010.003"};
constexpr std::string_view kAtlasCode[] = {"AML.T0011.000", "AML.T0010.001",
                                           "AML.T0010.003"};
constexpr uint8_t kGoalsExec =
    Goal::kConfidentiality | Goal::kIntegrity | Goal::kAvailability;
constexpr std::string_view kTemplateRefs =
    "CVE-2024-34359; CVE-2026-5760; "
    "https://jinja.palletsprojects.com/en/stable/sandbox/";

constexpr RuleInfo kRules[] = {
    {kRuleDunderAccess, "Chat template accesses Python internals",
     Severity::kCritical,
     "The Jinja template reads an attribute whose name starts with an "
     "underscore "
     "(__class__, __mro__, __subclasses__, __globals__, __init__, __builtins__ "
     "...) "
     "with '.', [] or a filter. Chat templates only format messages; walking "
     "Python object internals is how template payloads escape to os.popen when "
     "a "
     "loader renders them without a sandbox (llama-cpp-python CVE-2024-34359) "
     "and "
     "how they probe sandboxes for gaps.",
     "Do not load the model's chat template; replace it with a known template "
     "for "
     "the model family, and render templates only in jinja2's "
     "ImmutableSandboxedEnvironment.",
     kAtlasTemplate, kGoalsExec, kTemplateRefs},
    {kRuleObfuscatedName, "Chat template hides attribute names",
     Severity::kHigh,
     "An attribute name or a string is spelled so that a text search does not "
     "see "
     "it: escape sequences (\\x5f, \\u005f, octal, \\N{LOW LINE}) for "
     "identifier "
     "characters, concatenation with '~'/'+', |join, |format, |replace, "
     "dict(keys)|join, characters picked from an object's string form, or an "
     "|attr()/subscript whose name is computed at render time. Benign "
     "templates "
     "never need this; payloads use it to evade filters. Critical when the "
     "spelled name is a Python internal.",
     "Treat the template as hostile; replace it with a known template.",
     kAtlasTemplate, kGoalsExec, kTemplateRefs},
    {kRuleAttrFilter, "Chat template uses the attr filter", Severity::kLow,
     "The template calls |attr('name'), which looks up attributes by a string. "
     "Chat templates use '.' and [] for message fields; |attr is the usual "
     "way to reach attributes that the '.' syntax or a filter would block.",
     "Review the attribute names the template looks up.", kAtlasTemplate,
     static_cast<uint8_t>(Goal::kIntegrity), kTemplateRefs},
    {kRuleHelperGlobals,
     "Chat template references helpers that lead to Python globals",
     Severity::kMedium,
     "The template references a Jinja or Flask helper whose function globals "
     "lead "
     "to Python modules (lipsum, cycler, joiner, self, config, request, "
     "url_for, "
     "get_flashed_messages, g, session) or reads an attribute of a callable "
     "helper (namespace, range, dict, raise_exception, strftime_now). Real "
     "chat "
     "templates call namespace() and friends but never reference the others; "
     "lipsum.__globals__['os'] and cycler.__init__.__globals__ are the "
     "shortest "
     "known escapes.",
     "Review why the template needs the helper; replace the template if it "
     "reaches into helper attributes.",
     kAtlasTemplate, kGoalsExec, kTemplateRefs},
    {kRuleDangerousName, "Chat template names process or import machinery",
     Severity::kHigh,
     "The template names os, subprocess, popen, system, eval, exec, "
     "__import__, "
     "getattr, open, builtins, sys, importlib ... as a variable or attribute. "
     "Critical when the name is reached through Python internals or a helper's "
     "globals, which is the last step of a sandbox escape to command "
     "execution.",
     "Treat the template as hostile; replace it with a known template.",
     kAtlasTemplate, kGoalsExec, kTemplateRefs},
    {kRuleUnparseable, "Chat template does not parse", Severity::kMedium,
     "The template is not valid Jinja2 as mats tokenizes and parses it "
     "(unknown "
     "tag, unbalanced blocks, unterminated string ...). A template the scanner "
     "cannot read cannot be cleared; parts that were skipped are still "
     "searched "
     "for escape markers.",
     "Check the template renders with jinja2; report a parser gap to mats if "
     "it "
     "is valid.",
     kAtlasParser, static_cast<uint8_t>(Goal::kIntegrity),
     "https://jinja.palletsprojects.com/en/stable/templates/"},
    {kRuleLimit, "Chat template exceeds an analysis limit", Severity::kMedium,
     "The template is larger than max_text_bytes or nests blocks/expressions "
     "deeper than max_depth (expressions at most 200); the part beyond the "
     "limit "
     "was not analysed. Oversized or deeply nested templates are a way to hide "
     "payloads from scanners.",
     "Inspect the template by hand, or raise --limit max_text_bytes / "
     "max_depth.",
     kAtlasParser, Goal::kIntegrity | Goal::kAvailability, ""},
    {kRuleLoadsTemplates, "Chat template loads other templates",
     Severity::kMedium,
     "The template uses {% include %}, {% import %}, {% from %} or "
     "{% extends %}. Chat templates are self-contained strings; loading other "
     "templates reaches the loader's search path (files next to the model or "
     "elsewhere on disk).",
     "Inline what the template needs or replace it with a known template.",
     kAtlasTemplate, Goal::kConfidentiality | Goal::kIntegrity, kTemplateRefs},
    {kRuleTokAutoMap, "tokenizer_config.json maps classes to repository code",
     Severity::kMedium,
     "tokenizer_config.json has an auto_map entry: with "
     "trust_remote_code=True, "
     "transformers imports the named Python modules from the model repository "
     "and "
     "runs them when the tokenizer loads. That code is not reviewed by weight "
     "scanners.",
     "Review the Python files named by auto_map, or load without "
     "trust_remote_code.",
     kAtlasCode, kGoalsExec,
     "https://huggingface.co/docs/transformers/custom_models"},
    {kRuleTokTemplateType,
     "tokenizer_config.json chat_template has an unexpected shape",
     Severity::kLow,
     "chat_template is neither a string nor a list of {\"name\", \"template\"} "
     "objects with string values, or a key in the file appears twice (JSON "
     "parsers disagree on which value wins). Loaders may read a different "
     "template than the scanner.",
     "Fix the file so it has one chat_template of the documented shape.",
     kAtlasParser, static_cast<uint8_t>(Goal::kIntegrity),
     "https://huggingface.co/docs/transformers/chat_templating"},
};

void ReportTemplateValue(const nlohmann::json& value, const std::string& member,
                         ScanContext& ctx) {
  const std::string& text = value.get_ref<const std::string&>();
  ReportTemplate(text, member, 0, ctx);
}

}  // namespace

Status AnalyzeJinja(ByteSpan data, ScanContext& ctx) {
  ReportTemplate(AsChars(data), "", 0, ctx);
  return Status::Ok();
}

const FormatHandler& JinjaHandler() {
  static const FormatHandler h{
      "jinja", "Jinja2 chat template (*.jinja, *.j2), sandbox-escape analysis",
      &SniffJinja, &AnalyzeJinjaImpl};
  return h;
}

Status AnalyzeTokenizerConfig(ByteSpan data, ScanContext& ctx) {
  const Limits& limits = ctx.limits();
  if (data.size() > limits.max_json_bytes) {
    return LimitExceeded("tokenizer_config: {} bytes: {}", data.size(),
                         LimitMessage("max_json_bytes", limits.max_json_bytes));
  }
  std::string_view text = AsChars(data);
  JsonOptions opts{.max_depth = limits.max_depth, .what = "tokenizer_config"};
  Result<nlohmann::json> doc = ParseJson(text, opts);
  if (!doc.ok() &&
      doc.status().message().find("duplicate key") != std::string::npos) {
    ctx.Report(
        {.rule_id = std::string(kRuleTokTemplateType),
         .severity = Severity::kMedium,
         .member = "",
         .offset = doc.status().offset().value_or(0),
         .message = doc.status().message() +
                    " (loaders keep the last value, other parsers the first)",
         .evidence = ""});
    opts.reject_duplicate_keys = false;
    doc = ParseJson(text, opts);
  }
  if (!doc.ok()) {
    return doc.status();
  }
  if (!doc->is_object()) {
    return Malformed(0, "tokenizer_config: top level is not an object");
  }
  if (auto it = doc->find("auto_map"); it != doc->end()) {
    // Medium like MATS-HF-001 (auto_map in config.json): remote code is
    // common in legitimate repositories; the Python review (MATS-PY-*)
    // rates what that code actually does.
    ctx.Report({.rule_id = std::string(kRuleTokAutoMap),
                .severity = Severity::kMedium,
                .member = "auto_map",
                .offset = 0,
                .message =
                    "auto_map names repository code that transformers imports "
                    "with trust_remote_code=True",
                .evidence = EscapePreview(DumpJson(*it), 160)});
  }
  auto it = doc->find("chat_template");
  if (it == doc->end() || it->is_null()) {
    return Status::Ok();
  }
  if (it->is_string()) {
    ReportTemplateValue(*it, "chat_template", ctx);
    return Status::Ok();
  }
  auto bad_shape = [&](std::string what) {
    ctx.Report({.rule_id = std::string(kRuleTokTemplateType),
                .severity = Severity::kLow,
                .member = "chat_template",
                .offset = 0,
                .message = std::move(what),
                .evidence = EscapePreview(DumpJson(*it), 80)});
  };
  if (!it->is_array()) {
    bad_shape(fmt::format("chat_template is a JSON {}, want a string or a list",
                          it->type_name()));
    return Status::Ok();
  }
  if (it->size() > limits.max_entries) {
    return LimitExceeded("tokenizer_config: chat_template list of {}: {}",
                         it->size(),
                         LimitMessage("max_entries", limits.max_entries));
  }
  size_t index = 0;
  for (const nlohmann::json& entry : *it) {
    std::string member = fmt::format("chat_template[{}]", index++);
    if (!entry.is_object() || !entry.contains("template") ||
        !entry["template"].is_string()) {
      bad_shape(fmt::format("{} is not an object with a string \"template\"",
                            member));
      continue;
    }
    if (entry.contains("name") && entry["name"].is_string()) {
      member = "chat_template." +
               EscapePreview(entry["name"].get<std::string>(), 64);
    } else {
      bad_shape(fmt::format("{} has no string \"name\"", member));
    }
    ReportTemplateValue(entry["template"], member, ctx);
  }
  return Status::Ok();
}

const FormatHandler& TokenizerConfigHandler() {
  static const FormatHandler h{
      "tokenizer-config",
      "Hugging Face tokenizer_config.json: chat templates and auto_map",
      &SniffTokenizerConfig, &AnalyzeTokenizerConfigImpl};
  return h;
}

std::span<const RuleInfo> JinjaRules() { return kRules; }

}  // namespace mats::jinja
