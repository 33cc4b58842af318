// The Jinja template analyser: walks the flat node pool built by the parser
// (no recursion) and reports sandbox-escape patterns.
#include <fmt/core.h>

#include <algorithm>
#include <array>
#include <set>
#include <string>
#include <string_view>
#include <utility>

#include "jinja/lexer.h"
#include "jinja/parser.h"
#include "mats/core/encoding.h"
#include "mats/jinja/jinja.h"

namespace mats::jinja {
namespace {

using internal::Node;
using internal::NodeKind;

constexpr uint32_t kMaxExprDepth = 200;

// Globals of Jinja/Flask helpers whose function __globals__ lead to Python
// modules (lipsum.__globals__['os'], cycler.__init__.__globals__ ...).
constexpr std::string_view kHelperGlobals[] = {
    "lipsum", "cycler",  "joiner",  "self",
    "config", "request", "url_for", "get_flashed_messages"};
// Callables real chat templates call (namespace(), range(), dict(),
// raise_exception(), strftime_now()); calling them is fine, reaching into
// their attributes is not.
constexpr std::string_view kCallableHelpers[] = {
    "namespace",    "range",  "dict",   "raise_exception",
    "strftime_now", "lipsum", "cycler", "joiner"};
// Bare names that only matter for code execution.
constexpr std::string_view kDangerNames[] = {
    "os",      "subprocess", "eval",         "exec", "__import__",
    "getattr", "setattr",    "delattr",      "open", "popen",
    "import",  "builtins",   "__builtins__", "sys",  "compile",
    "globals", "locals",     "importlib",    "pty",  "socket",
    "shutil"};
// Attribute names on the path from a template object to process execution:
// always suspicious after '.'.
constexpr std::string_view kDangerAttrs[] = {
    "popen",   "subprocess",   "eval",       "exec",   "import_module",
    "getattr", "builtins",     "spawnv",     "spawnl", "execv",
    "execve",  "check_output", "check_call", "Popen",  "load_module"};
// Names that are also ordinary words (ns.system, x.open): flagged when
// reached through internals/helpers or called.
constexpr std::string_view kWeakDangerAttrs[] = {
    "os",  "system", "sys",   "modules", "open",
    "pty", "socket", "posix", "nt",      "importlib"};
// Python internals named in sandbox-escape payloads.
constexpr std::string_view kSensitiveDunders[] = {
    "__globals__", "__builtins__",  "__subclasses__",   "__mro__",
    "__class__",   "__init__",      "__import__",       "__base__",
    "__bases__",   "__dict__",      "__getattribute__", "__code__",
    "__func__",    "__self__",      "__loader__",       "__spec__",
    "__reduce__",  "__reduce_ex__", "__getitem__"};
// Filters that take an attribute name (`attribute='x'` or map('attr', 'x')).
constexpr std::string_view kAttributeFilters[] = {
    "map", "selectattr", "rejectattr", "sort", "groupby",
    "sum", "unique",     "min",        "max"};

template <size_t N>
bool In(const std::string_view (&list)[N], std::string_view s) {
  return std::find(std::begin(list), std::end(list), s) != std::end(list);
}

bool ContainsSensitiveDunder(std::string_view s) {
  for (std::string_view d : kSensitiveDunders) {
    if (s.find(d) != std::string_view::npos) {
      return true;
    }
  }
  return false;
}

class Analyzer {
 public:
  Analyzer(std::string_view src, const Limits& limits)
      : src_(src), limits_(limits) {}

  std::vector<Finding> Run() {
    if (src_.size() > limits_.max_text_bytes) {
      Add(kRuleLimit, Severity::kMedium, 0,
          fmt::format("template of {} bytes not analysed: {}", src_.size(),
                      LimitMessage("max_text_bytes", limits_.max_text_bytes)),
          "");
      return std::move(findings_);
    }
    // Tokens (and so parse nodes) are bounded by 2 x max_entries: real chat
    // templates have a few thousand.
    uint64_t max_tokens = std::max<uint64_t>(limits_.max_entries, 1) * 2;
    internal::LexResult lex = internal::Lex(src_, max_tokens);
    uint32_t expr_depth = std::min<uint32_t>(limits_.max_depth, kMaxExprDepth);
    internal::ParseOutput parsed =
        internal::Parse(lex.tokens, src_.size(), limits_.max_depth, expr_depth);
    nodes_ = &parsed.nodes;
    consumed_.assign(parsed.nodes.size(), false);

    for (size_t i = 0; i < parsed.nodes.size(); ++i) {
      CheckNode(i);
    }
    for (size_t i = 0; i < parsed.nodes.size(); ++i) {
      CheckLiteral(i);
    }
    for (const auto& [offset, tag] : parsed.loads) {
      Add(kRuleLoadsTemplates, Severity::kMedium, offset,
          fmt::format("{{% {} %}} loads another template; chat templates are "
                      "self-contained",
                      tag),
          Preview(offset));
    }

    // Syntax errors and limits.
    std::vector<std::pair<uint64_t, uint64_t>> skipped = parsed.skipped;
    if (!lex.ok && lex.limit) {
      skipped.emplace_back(lex.error_offset, src_.size());
      Add(kRuleLimit, Severity::kMedium, lex.error_offset,
          fmt::format(
              "template analysis limit: {} ({}); the rest was only searched "
              "for markers",
              lex.error, LimitMessage("max_entries", limits_.max_entries)),
          Preview(lex.error_offset));
    } else if (!lex.ok) {
      skipped.emplace_back(lex.error_offset, src_.size());
      Add(kRuleUnparseable, Severity::kMedium, lex.error_offset,
          fmt::format("template does not tokenize: {} at offset {}", lex.error,
                      lex.error_offset),
          Preview(lex.error_offset));
    }
    size_t syntax = 0;
    for (const auto& issue : parsed.issues) {
      if (issue.limit) {
        Add(kRuleLimit, Severity::kMedium, issue.offset,
            fmt::format("template analysis limit: {} (rest of the tag skipped)",
                        issue.message),
            Preview(issue.offset));
      } else if (syntax++ == 0) {
        Add(kRuleUnparseable, Severity::kMedium, issue.offset,
            fmt::format(
                "template does not parse: {} at offset {} ({} syntax "
                "error(s) in total)",
                issue.message, issue.offset,
                std::count_if(parsed.issues.begin(), parsed.issues.end(),
                              [](const auto& x) { return !x.limit; })),
            Preview(issue.offset));
      }
    }
    for (const auto& [from, to] : skipped) {
      ScanRaw(from, to);
    }
    std::stable_sort(
        findings_.begin(), findings_.end(),
        [](const Finding& a, const Finding& b) { return a.offset < b.offset; });
    return std::move(findings_);
  }

 private:
  const Node& N(uint32_t i) const { return (*nodes_)[i]; }

  std::string Preview(uint64_t offset, size_t n = 80) const {
    if (offset >= src_.size()) {
      return "";
    }
    return EscapePreview(src_.substr(offset, n), n);
  }

  void Add(std::string_view rule, Severity sev, uint64_t offset,
           std::string message, std::string evidence) {
    if (!seen_.emplace(std::string(rule), offset).second) {
      return;
    }
    if (findings_.size() >= limits_.max_findings) {
      return;
    }
    Finding f;
    f.rule_id = std::string(rule);
    f.severity = sev;
    f.offset = offset;
    f.message = std::move(message);
    f.evidence = std::move(evidence);
    findings_.push_back(std::move(f));
  }

  // `name` is the attribute looked up on `obj` by `how` ("." "[]" "|attr"
  // "attribute="); `key` is the node that spelled it (or the access node).
  void CheckAttrName(const std::string& name, const Node& obj, const Node& key,
                     std::string_view how, uint64_t offset) {
    // For "." the key is the access node itself: a plain name, not built.
    bool built = !key.literal && key.kind != NodeKind::kGetAttr;
    bool escaped = key.escaped;
    std::string shown = EscapePreview(name, 64);
    std::string evidence = Preview(obj.chain_start);
    bool helper_root =
        In(kHelperGlobals, obj.root) || In(kCallableHelpers, obj.root);
    std::string via =
        helper_root
            ? fmt::format(
                  " on helper '{}' (its __globals__ reach Python modules)",
                  EscapePreview(obj.root, 32))
            : "";
    if (!name.empty() && name[0] == '_') {
      bool dunder = name.size() > 1 && name[1] == '_';
      Severity sev = dunder ? Severity::kCritical : Severity::kHigh;
      if (built || escaped) {
        Add(kRuleObfuscatedName, sev, offset,
            fmt::format("attribute name '{}' {} and looked up with {}{}", shown,
                        escaped ? "spelled with escape sequences"
                                : "built from strings",
                        how, via),
            evidence);
      } else if (!obj.dunder_chain) {  // first internal name of the chain
        Add(kRuleDunderAccess, sev, offset,
            fmt::format("access to Python {} attribute '{}' with {}{}",
                        dunder ? "internal" : "private", shown, how, via),
            evidence);
      }
      return;
    }
    if (escaped) {
      Add(kRuleObfuscatedName, Severity::kHigh, offset,
          fmt::format("attribute name '{}' spelled with escape sequences",
                      shown),
          evidence);
    }
    bool strong = In(kDangerAttrs, name);
    bool weak = In(kWeakDangerAttrs, name);
    if (strong || weak) {
      bool reached = obj.dunder_chain || helper_root;
      if (reached || (strong && how != "[]")) {
        Add(kRuleDangerousName, reached ? Severity::kCritical : Severity::kHigh,
            offset,
            fmt::format("attribute '{}' looked up with {}{}", shown, how,
                        reached
                            ? " after Python internals: leads to code execution"
                            : ""),
            evidence);
      }
    }
    if (obj.kind == NodeKind::kName && In(kCallableHelpers, obj.text) &&
        !obj.str) {
      Add(kRuleHelperGlobals, Severity::kMedium, offset,
          fmt::format(
              "attribute '{}' of template helper '{}' (helpers are meant to be "
              "called, their attributes lead to Python globals)",
              shown, EscapePreview(obj.text, 32)),
          evidence);
    }
  }

  void CheckNode(size_t i) {
    const Node& n = (*nodes_)[i];
    switch (n.kind) {
      case NodeKind::kName:
        if (n.str || n.list || n.num) {
          break;  // a {% set %} constant
        }
        if (In(kDangerNames, n.text)) {
          Add(kRuleDangerousName, Severity::kHigh, n.offset,
              fmt::format(
                  "reference to '{}', a name that only matters for code "
                  "execution",
                  EscapePreview(n.text, 32)),
              Preview(n.offset));
        }
        if (In(kHelperGlobals, n.text)) {
          Add(kRuleHelperGlobals, Severity::kMedium, n.offset,
              fmt::format(
                  "reference to template helper '{}', whose __globals__ "
                  "reach Python modules; chat templates do not use it",
                  EscapePreview(n.text, 32)),
              Preview(n.offset));
        }
        break;
      case NodeKind::kGetAttr:
        if (!n.kids.empty()) {
          CheckAttrName(n.text, N(n.kids[0]), n, ".", n.offset);
        }
        break;
      case NodeKind::kGetItem: {
        if (n.kids.size() < 2) {
          break;
        }
        const Node& obj = N(n.kids[0]);
        const Node& key = N(n.kids[1]);
        if (key.str) {
          consumed_[n.kids[1]] = true;
          CheckAttrName(*key.str, obj, key, "[]", key.offset);
        } else if (key.string_op) {
          Add(kRuleObfuscatedName, Severity::kMedium, key.offset,
              "subscript key built from strings at render time (attribute name "
              "hidden from static review)",
              Preview(obj.chain_start));
        }
        if (key.num && obj.kind == NodeKind::kFilter &&
            (obj.text == "string" || obj.text == "format" ||
             obj.text == "list")) {
          Add(kRuleObfuscatedName, Severity::kMedium, key.offset,
              "character picked out of an object's string form (used to build "
              "attribute names without quoting them)",
              Preview(obj.chain_start));
        }
        break;
      }
      case NodeKind::kFilter:
        CheckFilter(n);
        break;
      case NodeKind::kCall:
        if (!n.kids.empty() && N(n.kids[0]).kind == NodeKind::kGetAttr &&
            In(kWeakDangerAttrs, N(n.kids[0]).text)) {
          const Node& callee = N(n.kids[0]);
          Add(kRuleDangerousName, Severity::kHigh, callee.offset,
              fmt::format("call of '.{}()', a process or import function name",
                          EscapePreview(callee.text, 32)),
              Preview(callee.chain_start));
        }
        break;
      default:
        break;
    }
  }

  void CheckFilter(const Node& n) {
    if (n.kids.empty()) {
      return;
    }
    const Node& in = N(n.kids[0]);
    std::vector<uint32_t> pos;
    for (size_t k = 1; k < n.kids.size(); ++k) {
      if (N(n.kids[k]).kind != NodeKind::kKeyword) {
        pos.push_back(n.kids[k]);
      } else if (N(n.kids[k]).text == "attribute" &&
                 !N(n.kids[k]).kids.empty() && In(kAttributeFilters, n.text)) {
        uint32_t v = N(n.kids[k]).kids[0];
        if (N(v).str) {
          consumed_[v] = true;
          std::string shown = fmt::format("|{}(attribute=)", n.text);
          CheckAttrName(*N(v).str, in, N(v), shown, N(v).offset);
        }
      }
    }
    if (n.text == "attr") {
      if (!pos.empty() && N(pos[0]).str) {
        consumed_[pos[0]] = true;
        Add(kRuleAttrFilter, Severity::kLow, n.offset,
            fmt::format(
                "attr filter looks up '{}' (chat templates use '.' or [] "
                "instead)",
                EscapePreview(*N(pos[0]).str, 64)),
            Preview(in.chain_start));
        CheckAttrName(*N(pos[0]).str, in, N(pos[0]), "|attr", N(pos[0]).offset);
      } else {
        Add(kRuleObfuscatedName, Severity::kHigh, n.offset,
            "attr filter with an attribute name computed at render time",
            Preview(in.chain_start));
      }
    }
    if (n.text == "map" && pos.size() >= 2 && N(pos[0]).str &&
        *N(pos[0]).str == "attr") {
      if (N(pos[1]).str) {
        consumed_[pos[1]] = true;
        CheckAttrName(*N(pos[1]).str, in, N(pos[1]), "|map('attr')",
                      N(pos[1]).offset);
      } else {
        Add(kRuleObfuscatedName, Severity::kHigh, n.offset,
            "map('attr', ...) with an attribute name computed at render time",
            Preview(in.chain_start));
      }
    }
  }

  // Strings not used as attribute names that still spell Python internals
  // or hide identifiers behind escapes.
  void CheckLiteral(size_t i) {
    const Node& n = (*nodes_)[i];
    if (consumed_[i] || !n.str || n.kind == NodeKind::kName) {
      return;
    }
    if (n.kind == NodeKind::kConst && n.escaped) {
      Add(kRuleObfuscatedName, Severity::kHigh, n.offset,
          fmt::format("string literal spells identifier characters with escape "
                      "sequences: '{}'",
                      EscapePreview(*n.str, 64)),
          Preview(n.offset));
      return;
    }
    if (ContainsSensitiveDunder(*n.str) &&
        reported_values_.insert(*n.str).second) {
      bool built = n.kind != NodeKind::kConst;
      Add(kRuleObfuscatedName, built ? Severity::kCritical : Severity::kHigh,
          n.offset,
          fmt::format("string {} spells a Python internal name: '{}'",
                      built ? "built from pieces" : "literal",
                      EscapePreview(*n.str, 64)),
          Preview(n.offset));
    }
  }

  // Text skipped after a syntax error: look for the raw markers.
  void ScanRaw(uint64_t from, uint64_t to) {
    if (from >= to || from >= src_.size()) {
      return;
    }
    std::string_view part =
        src_.substr(from, std::min<uint64_t>(to, src_.size()) - from);
    struct Needle {
      std::string_view text;
      std::string_view rule;
      Severity sev;
    };
    static constexpr Needle kNeedles[] = {
        {"__globals__", kRuleDunderAccess, Severity::kCritical},
        {"__builtins__", kRuleDunderAccess, Severity::kCritical},
        {"__subclasses__", kRuleDunderAccess, Severity::kCritical},
        {"__mro__", kRuleDunderAccess, Severity::kCritical},
        {"__class__", kRuleDunderAccess, Severity::kCritical},
        {"__init__", kRuleDunderAccess, Severity::kCritical},
        {"__import__", kRuleDunderAccess, Severity::kCritical},
        {"__base__", kRuleDunderAccess, Severity::kCritical},
        {"\\x5f", kRuleObfuscatedName, Severity::kHigh},
        {"\\u005f", kRuleObfuscatedName, Severity::kHigh},
        {"\\U0000005f", kRuleObfuscatedName, Severity::kHigh},
        {"\\137", kRuleObfuscatedName, Severity::kHigh},
        {"LOW LINE", kRuleObfuscatedName, Severity::kHigh},
        {"popen", kRuleDangerousName, Severity::kHigh},
        {"subprocess", kRuleDangerousName, Severity::kHigh},
        {"os.system", kRuleDangerousName, Severity::kHigh},
        {"lipsum", kRuleHelperGlobals, Severity::kMedium},
        {"cycler", kRuleHelperGlobals, Severity::kMedium},
        {"joiner", kRuleHelperGlobals, Severity::kMedium},
    };
    std::string lower(part);
    for (char& c : lower) {
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    for (const Needle& nd : kNeedles) {
      std::string needle(nd.text);
      for (char& c : needle) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      }
      size_t at = lower.find(needle);
      if (at == std::string::npos) {
        continue;
      }
      Add(nd.rule, nd.sev, from + at,
          fmt::format("'{}' in a part of the template that could not be parsed",
                      EscapePreview(nd.text, 32)),
          Preview(from + at));
    }
  }

  std::string_view src_;
  const Limits& limits_;
  const std::vector<Node>* nodes_ = nullptr;
  std::vector<bool> consumed_;
  std::vector<Finding> findings_;
  std::set<std::pair<std::string, uint64_t>> seen_;
  std::set<std::string> reported_values_;
};

}  // namespace

std::vector<Finding> AnalyzeTemplate(std::string_view source,
                                     const Limits& limits) {
  return Analyzer(source, limits).Run();
}

void ReportTemplate(std::string_view source, std::string_view member,
                    uint64_t base_offset, ScanContext& ctx) {
  for (Finding& f : AnalyzeTemplate(source, ctx.limits())) {
    f.member = std::string(member);
    f.offset += base_offset;
    ctx.Report(std::move(f));
  }
}

bool LooksLikeTemplate(std::string_view text) {
  return text.find("{{") != std::string_view::npos ||
         text.find("{%") != std::string_view::npos;
}

}  // namespace mats::jinja
