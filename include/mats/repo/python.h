// Light static review of Python source files shipped with a model repository
// (modeling_*.py named by auto_map, setup scripts, handlers): the "python"
// format analyser.
//
// A small tokenizer of our own (comments, string literals with prefixes and
// triple quotes, dotted names, `import` / `from ... import ... as` aliases)
// feeds rules for process spawning, network access, dynamic code
// (exec/eval/compile/__import__/importlib/marshal/pickle, critical when the
// argument is a decoded payload), obfuscated blobs (long base64/hex
// literals), sensitive paths (~/.ssh, /etc, crontab) and credential
// environment variables. It never imports or runs the code.
//
//   std::vector<PyFinding> f = ReviewPython(source, limits);
//   Status s = AnalyzePython(bytes, ctx);   // reports MATS-PY-* findings
#ifndef MATS_REPO_PYTHON_H_
#define MATS_REPO_PYTHON_H_

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "mats/core/bytes.h"
#include "mats/core/finding.h"
#include "mats/core/format_handler.h"
#include "mats/core/scan_context.h"

namespace mats::repo {

// Handler id "python": name hint *.py / *.pyw, or a `#!` line naming python,
// on text without NUL bytes.
const FormatHandler& PythonHandler();
std::span<const RuleInfo> PythonRules();

// Reports one info finding (MATS-PY-007, code that runs on load, listing
// its imports) plus one finding per dangerous use. kLimitExceeded past
// max_text_bytes; never kMalformed (any text is reviewed).
Status AnalyzePython(ByteSpan data, ScanContext& ctx);

// The review itself, for tests and for other analysers: findings in source
// order (offset = byte offset of the token).
std::vector<Finding> ReviewPython(std::string_view source);

inline constexpr std::string_view kRulePyProcess = "MATS-PY-001";
inline constexpr std::string_view kRulePyNetwork = "MATS-PY-002";
inline constexpr std::string_view kRulePyDynamicCode = "MATS-PY-003";
inline constexpr std::string_view kRulePyBlob = "MATS-PY-004";
inline constexpr std::string_view kRulePySensitivePath = "MATS-PY-005";
inline constexpr std::string_view kRulePyCredentials = "MATS-PY-006";
inline constexpr std::string_view kRulePyCodeOnLoad = "MATS-PY-007";

}  // namespace mats::repo

#endif  // MATS_REPO_PYTHON_H_
