// Python source review: tokenizer, import aliases and call rules.
#include "mats/repo/python.h"

#include <algorithm>
#include <map>
#include <set>
#include <utility>

#include "mats/core/encoding.h"

namespace mats::repo {
namespace {

constexpr size_t kBlobMinChars = 200;
constexpr size_t kMaxCallScanTokens = 256;

struct Token {
  enum class Kind : uint8_t { kName, kString, kOp, kNewline };
  Kind kind;
  std::string_view text;  // name: dotted; string: body without quotes
  uint64_t offset;
  bool attribute = false;  // name preceded by '.' (method on an expression)
};

bool IsIdentStart(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
         static_cast<unsigned char>(c) >= 0x80;
}
bool IsIdentChar(char c) { return IsIdentStart(c) || (c >= '0' && c <= '9'); }

// Splits Python source into the tokens the rules need. Never fails: an
// unterminated string runs to the end of its line (or of the file for
// triple quotes), as a reader would show it.
std::vector<Token> Tokenize(std::string_view s) {
  std::vector<Token> out;
  size_t i = 0;
  int paren = 0;
  while (i < s.size()) {
    char c = s[i];
    if (c == '#') {
      while (i < s.size() && s[i] != '\n') ++i;
      continue;
    }
    if (c == '\n') {
      if (paren == 0) out.push_back({Token::Kind::kNewline, {}, i});
      ++i;
      continue;
    }
    if (c == '\\' && i + 1 < s.size() && s[i + 1] == '\n') {
      i += 2;  // line continuation
      continue;
    }
    if (c == ' ' || c == '\t' || c == '\r' || c == '\f') {
      ++i;
      continue;
    }
    // String prefix?
    size_t p = i;
    bool raw = false;
    while (p < s.size() && p - i < 2 &&
           std::string_view("rRbBuUfF").find(s[p]) != std::string_view::npos) {
      if (s[p] == 'r' || s[p] == 'R') raw = true;
      ++p;
    }
    if (p < s.size() && (s[p] == '\'' || s[p] == '"')) {
      char q = s[p];
      bool triple = p + 2 < s.size() && s[p + 1] == q && s[p + 2] == q;
      size_t start = p + (triple ? 3 : 1);
      size_t j = start;
      size_t end = s.size();
      while (j < s.size()) {
        if (!raw && s[j] == '\\') {
          j += 2;
          continue;
        }
        if (raw && s[j] == '\\' && j + 1 < s.size()) {
          j += 2;
          continue;
        }
        if (!triple && s[j] == '\n') {
          end = j;
          break;
        }
        if (s[j] == q) {
          if (!triple) {
            end = j;
            ++j;
            break;
          }
          if (j + 2 < s.size() && s[j + 1] == q && s[j + 2] == q) {
            end = j;
            j += 3;
            break;
          }
        }
        ++j;
      }
      j = std::min(j, s.size());
      end = std::min(end, s.size());
      out.push_back({Token::Kind::kString, s.substr(start, end - start), i});
      i = j;
      continue;
    }
    if (IsIdentStart(c)) {
      size_t j = i;
      for (;;) {
        while (j < s.size() && IsIdentChar(s[j])) ++j;
        if (j + 1 < s.size() && s[j] == '.' && IsIdentStart(s[j + 1])) {
          ++j;
          continue;
        }
        break;
      }
      bool attribute = !out.empty() && out.back().kind == Token::Kind::kOp &&
                       out.back().text == ".";
      out.push_back({Token::Kind::kName, s.substr(i, j - i), i, attribute});
      i = j;
      continue;
    }
    if (c >= '0' && c <= '9') {
      while (i < s.size() && (IsIdentChar(s[i]) || s[i] == '.')) ++i;
      continue;
    }
    if (c == '(' || c == '[' || c == '{') ++paren;
    if ((c == ')' || c == ']' || c == '}') && paren > 0) --paren;
    out.push_back({Token::Kind::kOp, s.substr(i, 1), i});
    ++i;
  }
  return out;
}

struct CallRule {
  std::string_view name;  // exact, or prefix when ending in '.' or '*'
  std::string_view rule;
  Severity severity;
  std::string_view what;
};

constexpr CallRule kCallRules[] = {
    {"os.system", kRulePyProcess, Severity::kCritical, "runs a shell command"},
    {"os.popen", kRulePyProcess, Severity::kCritical, "runs a shell command"},
    {"os.exec*", kRulePyProcess, Severity::kCritical, "replaces the process"},
    {"os.spawn*", kRulePyProcess, Severity::kCritical, "spawns a process"},
    {"os.posix_spawn*", kRulePyProcess, Severity::kCritical, "spawns a process"},
    {"os.fork", kRulePyProcess, Severity::kHigh, "forks the process"},
    {"subprocess.", kRulePyProcess, Severity::kCritical, "spawns a process"},
    {"pty.spawn", kRulePyProcess, Severity::kCritical, "spawns a shell"},
    {"commands.", kRulePyProcess, Severity::kCritical, "runs a shell command"},
    {"socket.", kRulePyNetwork, Severity::kHigh, "opens a raw socket"},
    {"paramiko.", kRulePyNetwork, Severity::kHigh, "opens an SSH connection"},
    {"ftplib.", kRulePyNetwork, Severity::kHigh, "opens an FTP connection"},
    {"telnetlib.", kRulePyNetwork, Severity::kHigh, "opens a telnet connection"},
    {"smtplib.", kRulePyNetwork, Severity::kHigh, "sends mail"},
    {"http.client.", kRulePyNetwork, Severity::kMedium, "makes HTTP requests"},
    {"urllib.request.", kRulePyNetwork, Severity::kMedium, "makes HTTP requests"},
    {"urllib.urlopen", kRulePyNetwork, Severity::kMedium, "makes HTTP requests"},
    {"urllib2.", kRulePyNetwork, Severity::kMedium, "makes HTTP requests"},
    {"requests.", kRulePyNetwork, Severity::kMedium, "makes HTTP requests"},
    {"httpx.", kRulePyNetwork, Severity::kMedium, "makes HTTP requests"},
    {"aiohttp.", kRulePyNetwork, Severity::kMedium, "makes HTTP requests"},
    {"exec", kRulePyDynamicCode, Severity::kHigh, "executes dynamic code"},
    {"eval", kRulePyDynamicCode, Severity::kHigh, "evaluates dynamic code"},
    {"compile", kRulePyDynamicCode, Severity::kHigh, "compiles dynamic code"},
    {"__import__", kRulePyDynamicCode, Severity::kHigh, "imports a computed module"},
    {"builtins.exec", kRulePyDynamicCode, Severity::kHigh, "executes dynamic code"},
    {"builtins.eval", kRulePyDynamicCode, Severity::kHigh, "evaluates dynamic code"},
    {"importlib.import_module", kRulePyDynamicCode, Severity::kHigh,
     "imports a computed module"},
    {"importlib.__import__", kRulePyDynamicCode, Severity::kHigh,
     "imports a computed module"},
    {"marshal.loads", kRulePyDynamicCode, Severity::kHigh, "loads marshalled bytecode"},
    {"marshal.load", kRulePyDynamicCode, Severity::kHigh, "loads marshalled bytecode"},
    {"pickle.loads", kRulePyDynamicCode, Severity::kHigh, "unpickles data"},
    {"pickle.load", kRulePyDynamicCode, Severity::kHigh, "unpickles data"},
    {"dill.load*", kRulePyDynamicCode, Severity::kHigh, "unpickles data"},
    {"runpy.", kRulePyDynamicCode, Severity::kHigh, "runs a module or script"},
    {"types.FunctionType", kRulePyDynamicCode, Severity::kHigh,
     "builds a function from code"},
    {"ctypes.CDLL", kRulePyDynamicCode, Severity::kHigh, "loads a native library"},
    {"ctypes.cdll.", kRulePyDynamicCode, Severity::kHigh, "loads a native library"},
};

constexpr std::string_view kDecoders[] = {
    "b64decode", "b32decode", "b16decode", "a85decode", "b85decode",
    "decodebytes", "decompress", "fromhex", "unhexlify", "codecs.decode",
    "marshal.loads", "zlib.decompress", "bz2.decompress", "lzma.decompress",
};

constexpr std::string_view kSensitivePaths[] = {
    ".ssh/", "/.ssh", "authorized_keys", "id_rsa", "/etc/passwd",
    "/etc/shadow", "/etc/sudoers", "/etc/cron", "crontab", "/var/spool/cron",
    ".bashrc", ".bash_profile", ".profile", ".zshrc", ".aws/credentials",
    ".netrc", ".git-credentials", "/etc/ld.so.preload", "/etc/rc.local",
    ".config/autostart", "/etc/systemd/",
};

constexpr std::string_view kSecretMarkers[] = {"TOKEN", "KEY", "SECRET",
                                               "PASSWORD", "PASSWD",
                                               "CREDENTIAL", "AUTH"};

const CallRule* MatchCall(std::string_view name) {
  for (const CallRule& r : kCallRules) {
    std::string_view n = r.name;
    if (n.back() == '.' || n.back() == '*') {
      std::string_view prefix = n.back() == '*' ? n.substr(0, n.size() - 1) : n;
      if (name.size() > prefix.size() && name.substr(0, prefix.size()) == prefix) {
        return &r;
      }
    } else if (name == n) {
      return &r;
    }
  }
  return nullptr;
}

bool IsBlob(std::string_view s) {
  if (s.size() < kBlobMinChars) return false;
  size_t b64 = 0;
  size_t hex = 0;
  size_t counted = 0;
  for (char c : s) {
    if (c == '\n' || c == '\r' || c == '\\') continue;
    ++counted;
    bool is_hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
                  (c >= 'A' && c <= 'F');
    bool is_b64 = is_hex || (c >= 'g' && c <= 'z') || (c >= 'G' && c <= 'Z') ||
                  c == '+' || c == '/' || c == '=' || c == '-' || c == '_';
    if (is_hex) ++hex;
    if (is_b64) ++b64;
    if (c == 'x') ++hex;  // \x41\x42 style escapes
  }
  if (counted < kBlobMinChars) return false;
  return b64 == counted || hex == counted;
}

class Reviewer {
 public:
  explicit Reviewer(std::string_view source)
      : source_(source), tokens_(Tokenize(source)) {}

  std::vector<Finding> Run() {
    for (size_t i = 0; i < tokens_.size(); ++i) {
      const Token& t = tokens_[i];
      if (t.kind == Token::Kind::kString) {
        OnString(t);
        continue;
      }
      if (t.kind != Token::Kind::kName) continue;
      bool stmt_start = i == 0 || tokens_[i - 1].kind == Token::Kind::kNewline ||
                        (tokens_[i - 1].kind == Token::Kind::kOp &&
                         tokens_[i - 1].text == ";");
      if (stmt_start && t.text == "import") {
        i = OnImport(i + 1);
        continue;
      }
      if (stmt_start && t.text == "from") {
        i = OnFromImport(i + 1);
        continue;
      }
      if (t.attribute) continue;
      if (i > 0 && tokens_[i - 1].kind == Token::Kind::kName &&
          (tokens_[i - 1].text == "def" || tokens_[i - 1].text == "class")) {
        continue;
      }
      std::string resolved = Resolve(t.text);
      bool call = i + 1 < tokens_.size() && tokens_[i + 1].kind == Token::Kind::kOp &&
                  tokens_[i + 1].text == "(";
      if (call) OnCall(resolved, i);
      OnEnvironment(resolved, i);
    }
    return std::move(findings_);
  }

  const std::vector<std::string>& imports() const { return imports_; }

 private:
  void Add(std::string_view rule, Severity sev, uint64_t offset,
           std::string message, std::string evidence) {
    findings_.push_back(Finding{.rule_id = std::string(rule),
                                .severity = sev,
                                .member = {},
                                .offset = offset,
                                .message = std::move(message),
                                .evidence = std::move(evidence)});
  }

  // Offsets arrive in increasing order, so line numbers are counted
  // incrementally (linear in the file, not per finding).
  std::string Line(uint64_t offset) {
    size_t start = source_.rfind('\n', offset);
    start = start == std::string_view::npos ? 0 : start + 1;
    size_t end = source_.find('\n', offset);
    if (end == std::string_view::npos) end = source_.size();
    if (start < line_pos_) {
      line_pos_ = 0;
      line_no_ = 1;
    }
    line_no_ += static_cast<size_t>(
        std::count(source_.begin() + static_cast<std::ptrdiff_t>(line_pos_),
                   source_.begin() + static_cast<std::ptrdiff_t>(start), '\n'));
    line_pos_ = start;
    size_t line = line_no_;
    std::string_view text = source_.substr(start, end - start);
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) {
      text.remove_prefix(1);
    }
    return fmt::format("line {}: {}", line, EscapePreview(text, 120));
  }

  std::string Resolve(std::string_view dotted) const {
    size_t dot = dotted.find('.');
    std::string_view head = dotted.substr(0, dot);
    auto it = aliases_.find(head);
    if (it == aliases_.end()) return std::string(dotted);
    std::string out = it->second;
    if (dot != std::string_view::npos) out += dotted.substr(dot);
    return out;
  }

  void NoteImport(const std::string& module) {
    if (imported_.insert(module).second) imports_.push_back(module);
  }

  // import a.b as c, d
  size_t OnImport(size_t i) {
    while (i < tokens_.size() && tokens_[i].kind == Token::Kind::kName) {
      std::string module(tokens_[i].text);
      NoteImport(module);
      ++i;
      if (i + 1 < tokens_.size() && tokens_[i].kind == Token::Kind::kName &&
          tokens_[i].text == "as" && tokens_[i + 1].kind == Token::Kind::kName) {
        aliases_[std::string(tokens_[i + 1].text)] = module;
        i += 2;
      } else {
        std::string head = module.substr(0, module.find('.'));
        aliases_[head] = head;
      }
      if (i < tokens_.size() && tokens_[i].kind == Token::Kind::kOp &&
          tokens_[i].text == ",") {
        ++i;
        continue;
      }
      break;
    }
    return i > 0 ? i - 1 : 0;
  }

  // from a.b import c as d, e
  size_t OnFromImport(size_t i) {
    std::string module;
    while (i < tokens_.size() && tokens_[i].kind != Token::Kind::kNewline) {
      if (tokens_[i].kind == Token::Kind::kName && tokens_[i].text == "import") break;
      module += tokens_[i].text;  // includes leading dots of relative imports
      ++i;
    }
    if (i >= tokens_.size() || tokens_[i].kind == Token::Kind::kNewline) return i;
    ++i;  // "import"
    if (!module.empty()) NoteImport(module);
    while (i < tokens_.size() && tokens_[i].kind != Token::Kind::kNewline) {
      const Token& t = tokens_[i];
      if (t.kind == Token::Kind::kName && t.text != "as") {
        std::string target = module + "." + std::string(t.text);
        if (i + 2 < tokens_.size() && tokens_[i + 1].kind == Token::Kind::kName &&
            tokens_[i + 1].text == "as" &&
            tokens_[i + 2].kind == Token::Kind::kName) {
          aliases_[std::string(tokens_[i + 2].text)] = target;
          i += 3;
          continue;
        }
        aliases_[std::string(t.text)] = target;
      }
      ++i;
    }
    return i;
  }

  // getattr(os, "system")(...) and getattr(os, "system") name os.system.
  std::string GetattrTarget(size_t i) const {
    if (i + 5 >= tokens_.size()) return {};
    const Token& obj = tokens_[i + 2];
    const Token& comma = tokens_[i + 3];
    const Token& attr = tokens_[i + 4];
    if (obj.kind != Token::Kind::kName || obj.attribute ||
        comma.kind != Token::Kind::kOp || comma.text != "," ||
        attr.kind != Token::Kind::kString) {
      return {};
    }
    return Resolve(obj.text) + "." + std::string(attr.text);
  }

  void OnCall(const std::string& call_name, size_t i) {
    std::string name = call_name;
    if (name == "getattr" || name == "builtins.getattr") {
      name = GetattrTarget(i);
      if (name.empty()) return;
    }
    const CallRule* r = MatchCall(name);
    if (r == nullptr) return;
    const Token& t = tokens_[i];
    Severity sev = r->severity;
    std::string extra;
    if (r->rule == kRulePyDynamicCode &&
        (name == "exec" || name == "eval" || name == "compile" ||
         name == "builtins.exec" || name == "builtins.eval")) {
      // Look inside the call's parentheses for a decoder or a blob.
      int depth = 0;
      for (size_t j = i + 1; j < tokens_.size() && j < i + kMaxCallScanTokens; ++j) {
        const Token& a = tokens_[j];
        if (a.kind == Token::Kind::kOp && a.text == "(") ++depth;
        if (a.kind == Token::Kind::kOp && a.text == ")" && --depth == 0) break;
        if (a.kind == Token::Kind::kName) {
          std::string res = Resolve(a.text);
          for (std::string_view d : kDecoders) {
            if (res.size() >= d.size() &&
                res.compare(res.size() - d.size(), d.size(), d) == 0) {
              sev = Severity::kCritical;
              extra = fmt::format(" a payload decoded by {}", EscapePreview(res, 64));
            }
          }
        }
        if (a.kind == Token::Kind::kString && IsBlob(a.text)) {
          sev = Severity::kCritical;
          extra = " an obfuscated literal";
        }
      }
    }
    Add(r->rule, sev, t.offset,
        fmt::format("calls {}, which {}{}", EscapePreview(name, 96), r->what,
                    extra.empty() ? std::string() : " on" + extra),
        Line(t.offset));
  }

  void OnEnvironment(const std::string& name, size_t i) {
    if (name != "os.environ" && name != "os.getenv" && name != "os.environ.get" &&
        name != "os.environ.__getitem__") {
      return;
    }
    // The next string literal within a few tokens is the variable name.
    for (size_t j = i + 1; j < tokens_.size() && j < i + 4; ++j) {
      if (tokens_[j].kind != Token::Kind::kString) continue;
      std::string upper(tokens_[j].text);
      for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      for (std::string_view m : kSecretMarkers) {
        if (upper.find(m) != std::string::npos) {
          Add(kRulePyCredentials, Severity::kMedium, tokens_[i].offset,
              fmt::format("reads credential environment variable {}",
                          EscapePreview(tokens_[j].text, 64)),
              Line(tokens_[i].offset));
          return;
        }
      }
      return;
    }
  }

  void OnString(const Token& t) {
    if (IsBlob(t.text)) {
      Add(kRulePyBlob, Severity::kMedium, t.offset,
          fmt::format("string literal of {} characters that is all base64/hex",
                      t.text.size()),
          EscapePreview(t.text, 64));
    }
    for (std::string_view p : kSensitivePaths) {
      if (t.text.find(p) != std::string_view::npos) {
        Add(kRulePySensitivePath, Severity::kHigh, t.offset,
            fmt::format("names the sensitive path {}", EscapePreview(t.text, 96)),
            Line(t.offset));
        return;
      }
    }
  }

  std::string_view source_;
  size_t line_pos_ = 0;
  size_t line_no_ = 1;
  std::vector<Token> tokens_;
  std::map<std::string, std::string, std::less<>> aliases_;
  std::set<std::string> imported_;
  std::vector<std::string> imports_;
  std::vector<Finding> findings_;

 public:
  std::string ImportList() const {
    std::string out;
    for (const std::string& m : imports_) {
      if (!out.empty()) out += ", ";
      out += EscapePreview(m, 64);
      if (out.size() > 400) {
        out += ", ...";
        break;
      }
    }
    return out;
  }
};

bool LooksLikeText(ByteSpan data) {
  ByteSpan head = data.first(std::min<size_t>(data.size(), 64 * 1024));
  return std::find(head.begin(), head.end(), 0) == head.end();
}

SniffResult SniffPython(ByteSpan data, std::string_view name) {
  if (data.empty() || !LooksLikeText(data)) return SniffResult::kNo;
  auto ends_with = [&](std::string_view suffix) {
    return name.size() >= suffix.size() &&
           name.substr(name.size() - suffix.size()) == suffix;
  };
  if (ends_with(".py") || ends_with(".pyw")) return SniffResult::kStrong;
  std::string_view text = AsChars(data.first(std::min<size_t>(data.size(), 4096)));
  if (text.substr(0, 2) == "#!") {
    std::string_view first = text.substr(0, text.find('\n'));
    if (first.find("python") != std::string_view::npos) {
      // Plausible Python after the shebang.
      for (std::string_view kw : {"import ", "def ", "print(", "class ", "from "}) {
        if (text.find(kw) != std::string_view::npos) return SniffResult::kStrong;
      }
    }
  }
  return SniffResult::kNo;
}

constexpr std::string_view kAtlasCode[] = {"AML.T0011.000", "AML.T0010.003",
                                           "AML.T0050"};
constexpr std::string_view kAtlasNet[] = {"AML.T0011.000", "AML.T0010.003",
                                          "AML.T0025"};
constexpr std::string_view kAtlasBlob[] = {"AML.T0011.000", "AML.T0018.002"};
constexpr std::string_view kAtlasFiles[] = {"AML.T0011.000", "AML.T0037"};
constexpr std::string_view kAtlasCreds[] = {"AML.T0011.000", "AML.T0055"};
constexpr std::string_view kAtlasLoad[] = {"AML.T0011.000", "AML.T0010.003"};

constexpr uint8_t kExecGoals =
    Goal::kConfidentiality | Goal::kIntegrity | Goal::kAvailability;

constexpr RuleInfo kRules[] = {
    {kRulePyProcess, "Python code spawns processes", Severity::kCritical,
     "Repository code calls os.system, os.popen, subprocess.*, pty.spawn, "
     "os.exec*/spawn* or similar. Code in a model repository runs when a "
     "loader imports it (trust_remote_code, custom handlers), so a shell "
     "command there runs on the user's machine.",
     "Read the code; do not load the repository with trust_remote_code until "
     "the command is explained and harmless.",
     kAtlasCode, kExecGoals, ""},
    {kRulePyNetwork, "Python code opens network connections", Severity::kHigh,
     "Repository code uses sockets, SSH/FTP/SMTP clients (high) or HTTP "
     "clients such as requests/urllib (medium). Model code rarely needs the "
     "network; it is the usual way to download a second stage or exfiltrate "
     "data.",
     "Check every URL and host the code contacts; block network access when "
     "loading untrusted repositories.",
     kAtlasNet, Goal::kConfidentiality | Goal::kIntegrity, ""},
    {kRulePyDynamicCode, "Python code runs dynamic code", Severity::kHigh,
     "Repository code calls exec, eval, compile, __import__, "
     "importlib.import_module, marshal.loads, pickle.loads, runpy or loads "
     "native libraries. Critical when the argument of exec/eval/compile is "
     "decoded (base64, hex, zlib, marshal) or an obfuscated literal: the "
     "classic shape of a hidden payload.",
     "Decode the payload offline (never run it) and review it; reject the "
     "repository if it hides code.",
     kAtlasCode, kExecGoals, ""},
    {kRulePyBlob, "Python code embeds an obfuscated blob", Severity::kMedium,
     "A string literal of 200 or more characters consists only of base64 or "
     "hex characters: typically an encoded payload, key or binary.",
     "Decode it offline and check what it contains.",
     kAtlasBlob, static_cast<uint8_t>(Goal::kIntegrity), ""},
    {kRulePySensitivePath, "Python code names a sensitive path", Severity::kHigh,
     "Repository code names ~/.ssh, authorized_keys, /etc/passwd, cron files, "
     "shell start-up files or cloud credential files: persistence or "
     "credential theft, never needed to run a model.",
     "Reject the repository unless the path use is clearly benign.",
     kAtlasFiles, Goal::kConfidentiality | Goal::kIntegrity, ""},
    {kRulePyCredentials, "Python code reads credential environment variables",
     Severity::kMedium,
     "Repository code reads environment variables whose names contain TOKEN, "
     "KEY, SECRET, PASSWORD or CREDENTIAL (e.g. HF_TOKEN, AWS keys).",
     "Check where the value goes; load untrusted code without secrets in the "
     "environment.",
     kAtlasCreds, static_cast<uint8_t>(Goal::kConfidentiality), ""},
    {kRulePyCodeOnLoad, "Python source that may run on load", Severity::kInfo,
     "A Python file in a model repository. Loaders import such files with "
     "trust_remote_code=True (auto_map) or as custom handlers, so they are "
     "part of what the model executes; the finding lists the file's imports. "
     "The repository summary raises this when config files point at it.",
     "Review the file before loading with trust_remote_code.",
     kAtlasLoad, static_cast<uint8_t>(Goal::kIntegrity),
     "https://huggingface.co/docs/transformers/custom_models"},
};

}  // namespace

std::vector<Finding> ReviewPython(std::string_view source) {
  Reviewer r(source);
  return r.Run();
}

Status AnalyzePython(ByteSpan data, ScanContext& ctx) {
  const Limits& limits = ctx.limits();
  if (data.size() > limits.max_text_bytes) {
    return LimitExceeded("python: source of {} bytes: {}", data.size(),
                         LimitMessage("max_text_bytes", limits.max_text_bytes));
  }
  Reviewer r(AsChars(data));
  std::vector<Finding> findings = r.Run();
  ctx.Report(Finding{.rule_id = std::string(kRulePyCodeOnLoad),
                     .severity = Severity::kInfo,
                     .member = {},
                     .offset = 0,
                     .message = "Python source that runs when a loader imports it",
                     .evidence = "imports: " + r.ImportList()});
  for (Finding& f : findings) ctx.Report(std::move(f));
  return Status::Ok();
}

const FormatHandler& PythonHandler() {
  static const FormatHandler h{"python",
                               "Python source (*.py, python shebang): static review",
                               &SniffPython, &AnalyzePython};
  return h;
}

std::span<const RuleInfo> PythonRules() { return kRules; }

}  // namespace mats::repo
