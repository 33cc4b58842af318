// Jinja chat-template analyser: finds sandbox-escape patterns in Jinja2
// templates (CVE-2024-34359 "Llama Drama" and successors) without rendering
// them, with a tokenizer and parser of our own.
//
// Chat templates live in GGUF metadata (`tokenizer.chat_template[.<name>]`),
// in tokenizer_config.json (`chat_template`: a string or a list of
// {name, template}) and in standalone `chat_template.jinja` files.
//
//   std::vector<Finding> fs = jinja::AnalyzeTemplate(text, ctx.limits());
//   // or, reporting through a scan context with a member name and offset:
//   jinja::ReportTemplate(text, "tokenizer.chat_template", value_offset, ctx);
//
// Template analysis never fails: syntax errors and exceeded limits become
// findings (MATS-JINJA-006/007) because a template a scanner cannot parse is
// itself suspicious; patterns found before or after a syntax error are still
// reported. Thread-compatible; no global state.
#ifndef MATS_JINJA_JINJA_H_
#define MATS_JINJA_JINJA_H_

#include <span>
#include <string_view>
#include <vector>

#include "mats/core/bytes.h"
#include "mats/core/finding.h"
#include "mats/core/format_handler.h"
#include "mats/core/limits.h"
#include "mats/core/scan_context.h"
#include "mats/core/status.h"

namespace mats::jinja {

inline constexpr std::string_view kRuleDunderAccess = "MATS-JINJA-001";
inline constexpr std::string_view kRuleObfuscatedName = "MATS-JINJA-002";
inline constexpr std::string_view kRuleAttrFilter = "MATS-JINJA-003";
inline constexpr std::string_view kRuleHelperGlobals = "MATS-JINJA-004";
inline constexpr std::string_view kRuleDangerousName = "MATS-JINJA-005";
inline constexpr std::string_view kRuleUnparseable = "MATS-JINJA-006";
inline constexpr std::string_view kRuleLimit = "MATS-JINJA-007";
inline constexpr std::string_view kRuleLoadsTemplates = "MATS-JINJA-008";
inline constexpr std::string_view kRuleTokAutoMap = "MATS-TOK-001";
inline constexpr std::string_view kRuleTokTemplateType = "MATS-TOK-002";

// Analyses one template. Offsets in the returned findings are byte offsets
// into `source`; `member` is empty. Uses limits.max_depth (block and
// expression nesting, expressions capped at 200), limits.max_text_bytes
// (template size) and limits.max_findings.
std::vector<Finding> AnalyzeTemplate(std::string_view source,
                                     const Limits& limits);

// AnalyzeTemplate, then reports each finding through `ctx` with
// `member` set (e.g. the GGUF metadata key) and `base_offset` added.
void ReportTemplate(std::string_view source, std::string_view member,
                    uint64_t base_offset, ScanContext& ctx);

// True when the text looks like a Jinja template ("{{" or "{%").
bool LooksLikeTemplate(std::string_view text);

// Handler "jinja": standalone templates (*.jinja, *.j2 with "{%"/"{{").
Status AnalyzeJinja(ByteSpan data, ScanContext& ctx);
const FormatHandler& JinjaHandler();

// Handler "tokenizer-config": tokenizer_config.json (by name, or JSON with a
// top-level "chat_template" key). Analyses its chat templates and flags
// `auto_map` (repository code run on load).
Status AnalyzeTokenizerConfig(ByteSpan data, ScanContext& ctx);
const FormatHandler& TokenizerConfigHandler();

std::span<const RuleInfo> JinjaRules();

}  // namespace mats::jinja

#endif  // MATS_JINJA_JINJA_H_
