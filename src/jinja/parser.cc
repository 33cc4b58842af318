#include "jinja/parser.h"

#include <fmt/core.h>

#include <algorithm>
#include <charconv>
#include <map>
#include <string_view>

#include "mats/core/encoding.h"

namespace mats::jinja::internal {
namespace {

constexpr size_t kMaxFoldedBytes = 4096;
constexpr size_t kMaxFoldedItems = 1024;
// Bytes of folded strings kept for one template; past it nothing more is
// folded (each node keeps its own copy, so a long chain of `~` would
// otherwise cost nodes x kMaxFoldedBytes).
constexpr size_t kMaxFoldedTotal = 16u << 20;

std::string NumToString(int64_t v) { return std::to_string(v); }

std::optional<std::string> AsStr(const Node& n) {
  if (n.str) {
    return n.str;
  }
  if (n.num) {
    return NumToString(*n.num);
  }
  return std::nullopt;
}

// Python %-formatting for %s %d %i %c %% only.
std::optional<std::string> FormatPercent(std::string_view f,
                                         const std::vector<const Node*>& args) {
  std::string out;
  size_t next = 0;
  for (size_t i = 0; i < f.size(); ++i) {
    if (f[i] != '%') {
      out.push_back(f[i]);
      continue;
    }
    if (i + 1 >= f.size()) {
      return std::nullopt;
    }
    char spec = f[++i];
    if (spec == '%') {
      out.push_back('%');
      continue;
    }
    if (next >= args.size()) {
      return std::nullopt;
    }
    const Node* a = args[next++];
    if (spec == 's') {
      auto s = AsStr(*a);
      if (!s) {
        return std::nullopt;
      }
      out += *s;
    } else if (spec == 'd' || spec == 'i') {
      if (!a->num) {
        return std::nullopt;
      }
      out += NumToString(*a->num);
    } else if (spec == 'c') {
      if (a->num && *a->num > 0 && *a->num < 0x80) {
        out.push_back(static_cast<char>(*a->num));
      } else if (a->str && a->str->size() == 1) {
        out += *a->str;
      } else {
        return std::nullopt;
      }
    } else {
      return std::nullopt;
    }
    if (out.size() > kMaxFoldedBytes) {
      return std::nullopt;
    }
  }
  if (next != args.size()) {
    return std::nullopt;
  }
  return out;
}

// Python str.format with "{}", "{N}", "{{", "}}".
std::optional<std::string> FormatBraces(std::string_view f,
                                        const std::vector<const Node*>& args) {
  std::string out;
  size_t auto_index = 0;
  for (size_t i = 0; i < f.size(); ++i) {
    char c = f[i];
    if (c == '{' && i + 1 < f.size() && f[i + 1] == '{') {
      out.push_back('{');
      ++i;
    } else if (c == '}' && i + 1 < f.size() && f[i + 1] == '}') {
      out.push_back('}');
      ++i;
    } else if (c == '{') {
      size_t close = f.find('}', i);
      if (close == std::string_view::npos) {
        return std::nullopt;
      }
      std::string_view field = f.substr(i + 1, close - i - 1);
      size_t index = auto_index++;
      if (!field.empty()) {
        auto [p, ec] =
            std::from_chars(field.data(), field.data() + field.size(), index);
        if (ec != std::errc() || p != field.data() + field.size()) {
          return std::nullopt;
        }
      }
      if (index >= args.size()) {
        return std::nullopt;
      }
      auto s = AsStr(*args[index]);
      if (!s) {
        return std::nullopt;
      }
      out += *s;
      i = close;
    } else {
      out.push_back(c);
    }
    if (out.size() > kMaxFoldedBytes) {
      return std::nullopt;
    }
  }
  return out;
}

void ReplaceAll(std::string* s, std::string_view from, std::string_view to) {
  if (from.empty()) {
    return;
  }
  size_t pos = 0;
  while ((pos = s->find(from, pos)) != std::string::npos) {
    s->replace(pos, from.size(), to);
    pos += to.size();
    if (s->size() > kMaxFoldedBytes) {
      return;
    }
  }
}

class Parser {
 public:
  Parser(const std::vector<Token>& tokens, uint64_t source_size,
         uint32_t max_block_depth, uint32_t max_expr_depth)
      : toks_(tokens),
        source_size_(source_size),
        max_block_depth_(max_block_depth),
        max_expr_depth_(max_expr_depth) {}

  ParseOutput Run() {
    while (Peek().kind != TokenKind::kEof) {
      const Token& t = Next();
      failed_ = false;
      if (t.kind == TokenKind::kVarBegin) {
        ParseTuple(true);
        if (!failed_) {
          ExpectKind(TokenKind::kVarEnd, "'}}'");
        }
      } else if (t.kind == TokenKind::kBlockBegin) {
        ParseStatement();
        if (!failed_) {
          ExpectKind(TokenKind::kBlockEnd, "'%}'");
        }
      } else {
        Fail(t.offset, "unexpected token outside a tag");
      }
      if (failed_) {
        Recover();
      }
    }
    for (auto it = blocks_.rbegin(); it != blocks_.rend(); ++it) {
      out_.issues.push_back(
          {it->second, fmt::format("unclosed {{% {} %}} block", it->first),
           false});
    }
    return std::move(out_);
  }

 private:
  // ---- tokens -------------------------------------------------------------
  const Token& Peek(size_t ahead = 0) const {
    size_t i = std::min(pos_ + ahead, toks_.size() - 1);
    return toks_[i];
  }
  const Token& Next() {
    const Token& t = Peek();
    if (pos_ < toks_.size() - 1) {
      ++pos_;
    }
    return t;
  }
  bool IsOp(std::string_view op, size_t ahead = 0) const {
    const Token& t = Peek(ahead);
    return t.kind == TokenKind::kOp && t.text == op;
  }
  bool IsName(std::string_view name, size_t ahead = 0) const {
    const Token& t = Peek(ahead);
    return t.kind == TokenKind::kName && t.text == name;
  }
  bool IsTagEnd() const {
    TokenKind k = Peek().kind;
    return k == TokenKind::kVarEnd || k == TokenKind::kBlockEnd ||
           k == TokenKind::kEof;
  }
  void Fail(uint64_t offset, std::string message, bool limit = false) {
    if (failed_) {
      return;
    }
    failed_ = true;
    out_.issues.push_back({offset, std::move(message), limit});
  }
  void FailAtPeek(std::string_view what) {
    const Token& t = Peek();
    std::string got = t.kind == TokenKind::kEof      ? "end of template"
                      : t.kind == TokenKind::kVarEnd ? "'}}'"
                      : t.kind == TokenKind::kBlockEnd
                          ? "'%}'"
                          : "'" + EscapePreview(t.text, 32) + "'";
    Fail(t.offset, fmt::format("expected {}, got {}", what, got));
  }
  bool ExpectOp(std::string_view op) {
    if (failed_) {
      return false;
    }
    if (!IsOp(op)) {
      FailAtPeek(fmt::format("'{}'", op));
      return false;
    }
    Next();
    return true;
  }
  bool ExpectKind(TokenKind kind, std::string_view what) {
    if (failed_) {
      return false;
    }
    if (Peek().kind != kind) {
      FailAtPeek(what);
      return false;
    }
    Next();
    return true;
  }
  std::string ExpectName() {
    if (failed_) {
      return {};
    }
    if (Peek().kind != TokenKind::kName) {
      FailAtPeek("a name");
      return {};
    }
    return Next().text;
  }
  void Recover() {
    uint64_t from = Peek().offset;
    while (!IsTagEnd()) {
      Next();
    }
    uint64_t to = Peek().kind == TokenKind::kEof ? source_size_ : Peek().offset;
    out_.skipped.emplace_back(std::min(from, to), to);
    if (Peek().kind != TokenKind::kEof) {
      Next();
    }
  }

  // ---- blocks -------------------------------------------------------------
  void PushBlock(std::string name, uint64_t offset) {
    if (blocks_.size() >= max_block_depth_) {
      Fail(offset,
           fmt::format("blocks nested deeper than {}", max_block_depth_), true);
      return;
    }
    blocks_.emplace_back(std::move(name), offset);
  }
  void PopBlock(std::string_view name, uint64_t offset) {
    if (blocks_.empty() || blocks_.back().first != name) {
      Fail(offset, fmt::format("unexpected {{% end{} %}}", name));
      return;
    }
    blocks_.pop_back();
  }
  bool InBlock(std::string_view name) const {
    return !blocks_.empty() && blocks_.back().first == name;
  }

  void ParseStatement() {
    const Token& t = Peek();
    if (t.kind != TokenKind::kName) {
      FailAtPeek("a tag name");
      return;
    }
    uint64_t at = t.offset;
    std::string tag = Next().text;
    if (tag == "for") {
      uint32_t target = ParseAssignTarget(false);
      Unbind(target);
      if (failed_) {
        return;
      }
      if (!IsName("in")) {
        return FailAtPeek("'in'");
      }
      Next();
      ParseTuple(false);
      if (IsName("if")) {
        Next();
        ParseExpr();
      }
      if (IsName("recursive")) {
        Next();
      }
      PushBlock("for", at);
    } else if (tag == "if") {
      ParseTuple(false);
      PushBlock("if", at);
    } else if (tag == "elif") {
      ParseTuple(false);
      if (!InBlock("if")) {
        Fail(at, "{% elif %} outside {% if %}");
      }
    } else if (tag == "else") {
      if (!InBlock("if") && !InBlock("for")) {
        Fail(at, "{% else %} outside {% if %}/{% for %}");
      }
    } else if (tag == "set") {
      ParseSet(at);
    } else if (tag == "macro") {
      ExpectName();
      ParseSignature();
      PushBlock("macro", at);
    } else if (tag == "call") {
      if (IsOp("(")) {
        ParseSignature();
      }
      ParseExpr();
      PushBlock("call", at);
    } else if (tag == "filter") {
      uint32_t input = Make(NodeKind::kEmpty, "", {}, at);
      ParseFilterChain(input, /*require_pipe=*/false);
      PushBlock("filter", at);
    } else if (tag == "with") {
      while (!failed_ && !IsTagEnd()) {
        uint32_t target = ParseAssignTarget(false);
        ExpectOp("=");
        uint32_t value = ParseExpr();
        Bind(target, value);
        if (!IsOp(",")) {
          break;
        }
        Next();
      }
      PushBlock("with", at);
    } else if (tag == "block") {
      ExpectName();
      while (IsName("scoped") || IsName("required")) {
        Next();
      }
      PushBlock("block", at);
    } else if (tag == "autoescape") {
      ParseExpr();
      PushBlock("autoescape", at);
    } else if (tag == "generation") {
      PushBlock("generation", at);
    } else if (tag == "extends" || tag == "include" || tag == "import" ||
               tag == "from") {
      out_.loads.emplace_back(at, tag);
      ParseExpr();
      if (tag == "include") {
        if (IsName("ignore") && IsName("missing", 1)) {
          Next();
          Next();
        }
      } else if (tag == "import") {
        if (!IsName("as")) {
          return FailAtPeek("'as'");
        }
        Next();
        Unbind(Make(NodeKind::kName, ExpectName(), {}, at));
      } else if (tag == "from") {
        if (!IsName("import")) {
          return FailAtPeek("'import'");
        }
        Next();
        while (!failed_ && Peek().kind == TokenKind::kName && !IsName("with") &&
               !IsName("without")) {
          std::string n = ExpectName();
          if (IsName("as")) {
            Next();
            n = ExpectName();
          }
          names_.erase(n);
          if (!IsOp(",")) {
            break;
          }
          Next();
        }
      }
      if ((IsName("with") || IsName("without")) && IsName("context", 1)) {
        Next();
        Next();
      }
    } else if (tag == "do") {
      ParseTuple(true);
    } else if (tag == "break" || tag == "continue") {
      if (std::none_of(blocks_.begin(), blocks_.end(),
                       [](const auto& b) { return b.first == "for"; })) {
        Fail(at, fmt::format("{{% {} %}} outside a loop", tag));
      }
    } else if (tag.size() > 3 && tag.compare(0, 3, "end") == 0) {
      std::string name = tag.substr(3);
      static constexpr std::string_view kBlocks[] = {
          "for",    "if",   "set",   "macro",      "call",
          "filter", "with", "block", "autoescape", "generation"};
      if (std::find(std::begin(kBlocks), std::end(kBlocks), name) ==
          std::end(kBlocks)) {
        return Fail(at,
                    fmt::format("unknown tag '{}'", EscapePreview(tag, 32)));
      }
      PopBlock(name, at);
      if (name == "block" && Peek().kind == TokenKind::kName) {
        Next();
      }
    } else {
      Fail(at, fmt::format("unknown tag '{}'", EscapePreview(tag, 32)));
    }
  }

  void ParseSet(uint64_t at) {
    uint32_t target = ParseAssignTarget(true);
    if (failed_) {
      return;
    }
    if (IsOp("=")) {
      Next();
      uint32_t value = ParseTuple(true);
      Bind(target, value);
      return;
    }
    Unbind(target);
    if (IsOp("|")) {
      ParseFilterChain(Make(NodeKind::kEmpty, "", {}, at), true);
    }
    PushBlock("set", at);
  }

  // Names and tuples of names; with_namespace allows `ns.attr`.
  uint32_t ParseAssignTarget(bool with_namespace) {
    if (failed_) {
      return kNoNode;
    }
    std::vector<uint32_t> items;
    bool parens = false;
    if (IsOp("(")) {
      parens = true;
      Next();
    }
    while (!failed_) {
      uint64_t at = Peek().offset;
      std::string n = ExpectName();
      uint32_t node = Make(NodeKind::kName, n, {}, at);
      if (with_namespace && IsOp(".")) {
        Next();
        uint64_t attr_at = Peek().offset;
        std::string attr = ExpectName();
        node = Make(NodeKind::kGetAttr, attr, {node}, attr_at);
      }
      items.push_back(node);
      if (!IsOp(",")) {
        break;
      }
      Next();
      if (parens && IsOp(")")) {
        break;
      }
    }
    if (parens) {
      ExpectOp(")");
    }
    if (failed_) {
      return kNoNode;
    }
    if (items.size() == 1) {
      return items[0];
    }
    return Make(NodeKind::kTuple, "", items, nodes()[items[0]].offset);
  }

  void Bind(uint32_t target, uint32_t value) {
    if (failed_ || target == kNoNode) {
      return;
    }
    const Node& t = nodes()[target];
    if (t.kind != NodeKind::kName || value == kNoNode) {
      return Unbind(target);
    }
    const Node& v = nodes()[value];
    if (v.str || v.list || v.num) {
      names_[t.text] = Binding{v.str, v.list, v.num, v.escaped};
    } else {
      names_.erase(t.text);
    }
  }
  void Unbind(uint32_t target) {
    if (target == kNoNode) {
      return;
    }
    const Node& t = nodes()[target];
    if (t.kind == NodeKind::kName) {
      names_.erase(t.text);
    }
    if (t.kind == NodeKind::kTuple) {  // targets are flat tuples of names
      for (uint32_t k : t.kids) {
        if (out_.nodes[k].kind == NodeKind::kName) {
          names_.erase(out_.nodes[k].text);
        }
      }
    }
  }

  // (a, b=expr, ...) of a macro or call block.
  void ParseSignature() {
    if (!ExpectOp("(")) {
      return;
    }
    while (!failed_ && !IsOp(")")) {
      names_.erase(ExpectName());
      if (IsOp("=")) {
        Next();
        ParseExpr();
      }
      if (!IsOp(",")) {
        break;
      }
      Next();
    }
    ExpectOp(")");
  }

  // ---- expressions ----------------------------------------------------------
  struct DepthGuard {
    explicit DepthGuard(Parser* p) : p_(p) { ++p_->expr_depth_; }
    ~DepthGuard() { --p_->expr_depth_; }
    DepthGuard(const DepthGuard&) = delete;
    DepthGuard& operator=(const DepthGuard&) = delete;
    Parser* p_;
  };
  bool DepthExceeded() {
    if (expr_depth_ > max_expr_depth_) {
      Fail(Peek().offset,
           fmt::format("expression nested deeper than {}", max_expr_depth_),
           true);
      return true;
    }
    return failed_;
  }

  uint32_t ParseTuple(bool with_condexpr) {
    if (failed_) {
      return kNoNode;
    }
    uint64_t at = Peek().offset;
    uint32_t first = with_condexpr ? ParseExpr() : ParseOr();
    if (failed_ || !IsOp(",")) {
      return first;
    }
    std::vector<uint32_t> items{first};
    while (!failed_ && IsOp(",")) {
      Next();
      if (IsTagEnd() || IsOp(")") || IsName("in")) {
        break;
      }
      items.push_back(with_condexpr ? ParseExpr() : ParseOr());
    }
    return Make(NodeKind::kTuple, "", items, at);
  }

  uint32_t ParseExpr() {
    DepthGuard g(this);
    if (DepthExceeded()) {
      return kNoNode;
    }
    uint32_t n = ParseOr();
    while (!failed_ && IsName("if")) {
      uint64_t at = Next().offset;
      uint32_t test = ParseOr();
      std::vector<uint32_t> kids{n, test};
      if (IsName("else")) {
        Next();
        kids.push_back(ParseExpr());
      }
      n = Make(NodeKind::kCond, "", kids, at);
    }
    return n;
  }

  uint32_t ParseOr() {
    uint32_t n = ParseAnd();
    while (!failed_ && IsName("or")) {
      uint64_t at = Next().offset;
      n = Make(NodeKind::kBinary, "or", {n, ParseAnd()}, at);
    }
    return n;
  }
  uint32_t ParseAnd() {
    uint32_t n = ParseNot();
    while (!failed_ && IsName("and")) {
      uint64_t at = Next().offset;
      n = Make(NodeKind::kBinary, "and", {n, ParseNot()}, at);
    }
    return n;
  }
  uint32_t ParseNot() {
    DepthGuard g(this);
    if (DepthExceeded()) {
      return kNoNode;
    }
    if (IsName("not")) {
      uint64_t at = Next().offset;
      return Make(NodeKind::kUnary, "not", {ParseNot()}, at);
    }
    return ParseCompare();
  }
  uint32_t ParseCompare() {
    uint32_t n = ParseMath1();
    while (!failed_) {
      const Token& t = Peek();
      uint64_t at = t.offset;
      if (t.kind == TokenKind::kOp &&
          (t.text == "==" || t.text == "!=" || t.text == "<" || t.text == ">" ||
           t.text == "<=" || t.text == ">=")) {
        std::string op = Next().text;
        n = Make(NodeKind::kBinary, op, {n, ParseMath1()}, at);
      } else if (IsName("in")) {
        Next();
        n = Make(NodeKind::kBinary, "in", {n, ParseMath1()}, at);
      } else if (IsName("not") && IsName("in", 1)) {
        Next();
        Next();
        n = Make(NodeKind::kBinary, "not in", {n, ParseMath1()}, at);
      } else {
        break;
      }
    }
    return n;
  }
  uint32_t ParseMath1() {
    uint32_t n = ParseConcat();
    while (!failed_ && (IsOp("+") || IsOp("-"))) {
      const Token& t = Next();
      std::string op = t.text;
      n = Make(NodeKind::kBinary, op, {n, ParseConcat()}, t.offset);
    }
    return n;
  }
  uint32_t ParseConcat() {
    uint32_t n = ParseMath2();
    while (!failed_ && IsOp("~")) {
      uint64_t at = Next().offset;
      n = Make(NodeKind::kBinary, "~", {n, ParseMath2()}, at);
    }
    return n;
  }
  uint32_t ParseMath2() {
    uint32_t n = ParsePow();
    while (!failed_ && (IsOp("*") || IsOp("/") || IsOp("//") || IsOp("%"))) {
      const Token& t = Next();
      std::string op = t.text;
      n = Make(NodeKind::kBinary, op, {n, ParsePow()}, t.offset);
    }
    return n;
  }
  uint32_t ParsePow() {
    uint32_t n = ParseUnary(true);
    while (!failed_ && IsOp("**")) {
      uint64_t at = Next().offset;
      n = Make(NodeKind::kBinary, "**", {n, ParseUnary(true)}, at);
    }
    return n;
  }
  uint32_t ParseUnary(bool with_filter) {
    DepthGuard g(this);
    if (DepthExceeded()) {
      return kNoNode;
    }
    uint32_t n;
    if (IsOp("-") || IsOp("+")) {
      const Token& t = Next();
      std::string op = t.text;
      n = Make(NodeKind::kUnary, op, {ParseUnary(false)}, t.offset);
    } else {
      n = ParsePrimary();
    }
    n = ParsePostfix(n);
    if (with_filter) {
      n = ParseFilterExpr(n);
    }
    return n;
  }

  uint32_t ParsePrimary() {
    DepthGuard g(this);
    if (DepthExceeded()) {
      return kNoNode;
    }
    const Token& t = Peek();
    uint64_t at = t.offset;
    switch (t.kind) {
      case TokenKind::kName: {
        std::string name = Next().text;
        if (name == "true" || name == "false" || name == "none" ||
            name == "True" || name == "False" || name == "None") {
          return Make(NodeKind::kConst, name, {}, at);
        }
        return Make(NodeKind::kName, name, {}, at);
      }
      case TokenKind::kString: {
        std::string value;
        bool escaped = false;
        while (Peek().kind == TokenKind::kString) {  // adjacent literals join
          const Token& s = Next();
          value += s.text;
          escaped = escaped || s.escaped_ident;
        }
        uint32_t n = Make(NodeKind::kConst, "", {}, at);
        Node& node = out_.nodes[n];
        node.str = std::move(value);
        node.literal = !escaped;
        node.escaped = escaped;
        return n;
      }
      case TokenKind::kNumber: {
        std::string text = Next().text;
        uint32_t n = Make(NodeKind::kConst, text, {}, at);
        int64_t v = 0;
        auto [p, ec] =
            std::from_chars(text.data(), text.data() + text.size(), v);
        if (ec == std::errc() && p == text.data() + text.size()) {
          out_.nodes[n].num = v;
        }
        return n;
      }
      case TokenKind::kOp:
        if (t.text == "(") {
          Next();
          if (IsOp(")")) {
            Next();
            return Make(NodeKind::kTuple, "", {}, at);
          }
          uint32_t n = ParseTuple(true);
          ExpectOp(")");
          return n;
        }
        if (t.text == "[") {
          Next();
          std::vector<uint32_t> items;
          while (!failed_ && !IsOp("]")) {
            items.push_back(ParseExpr());
            if (!IsOp(",")) {
              break;
            }
            Next();
          }
          ExpectOp("]");
          return Make(NodeKind::kList, "", items, at);
        }
        if (t.text == "{") {
          Next();
          std::vector<uint32_t> items;
          while (!failed_ && !IsOp("}")) {
            items.push_back(ParseExpr());
            ExpectOp(":");
            items.push_back(ParseExpr());
            if (!IsOp(",")) {
              break;
            }
            Next();
          }
          ExpectOp("}");
          return Make(NodeKind::kDict, "", items, at);
        }
        break;
      default:
        break;
    }
    FailAtPeek("an expression");
    return kNoNode;
  }

  uint32_t ParsePostfix(uint32_t n) {
    while (!failed_) {
      if (IsOp(".")) {
        Next();
        const Token& t = Peek();
        if (t.kind != TokenKind::kName && t.kind != TokenKind::kNumber) {
          FailAtPeek("an attribute name");
          return n;
        }
        Next();
        n = Make(NodeKind::kGetAttr, t.text, {n}, t.offset);
      } else if (IsOp("[")) {
        uint64_t at = Next().offset;
        std::vector<uint32_t> items;
        while (!failed_ && !IsOp("]")) {
          items.push_back(ParseSubscribed());
          if (!IsOp(",")) {
            break;
          }
          Next();
        }
        ExpectOp("]");
        if (failed_) {
          return n;
        }
        uint32_t key = items.size() == 1
                           ? items[0]
                           : Make(NodeKind::kTuple, "", items, at);
        n = Make(NodeKind::kGetItem, "", {n, key}, at);
      } else if (IsOp("(")) {
        n = ParseCall(n);
      } else {
        break;
      }
    }
    return n;
  }

  uint32_t ParseSubscribed() {
    uint64_t at = Peek().offset;
    uint32_t start = kNoNode;
    if (!IsOp(":")) {
      start = ParseExpr();
    }
    if (failed_ || !IsOp(":")) {
      return start;
    }
    Next();
    std::vector<uint32_t> kids;
    if (start != kNoNode) {
      kids.push_back(start);
    }
    if (!IsOp("]") && !IsOp(",") && !IsOp(":")) {
      kids.push_back(ParseExpr());
    }
    if (IsOp(":")) {
      Next();
      if (!IsOp("]") && !IsOp(",")) {
        kids.push_back(ParseExpr());
      }
    }
    return Make(NodeKind::kSlice, "", kids, at);
  }

  // Parses "(args)" after `callee`; kind is kCall, or kFilter/kTest when
  // `kind_text` names the filter/test (callee is then the filtered value).
  void ParseArgs(std::vector<uint32_t>* kids) {
    if (!ExpectOp("(")) {
      return;
    }
    while (!failed_ && !IsOp(")")) {
      if (IsOp("*") || IsOp("**")) {
        Next();
      }
      if (Peek().kind == TokenKind::kName && IsOp("=", 1)) {
        uint64_t at = Peek().offset;
        std::string key = Next().text;
        Next();
        uint32_t v = ParseExpr();
        kids->push_back(Make(NodeKind::kKeyword, key, {v}, at));
      } else {
        kids->push_back(ParseExpr());
      }
      if (!IsOp(",")) {
        break;
      }
      Next();
    }
    ExpectOp(")");
  }

  uint32_t ParseCall(uint32_t callee) {
    uint64_t at = Peek().offset;
    std::vector<uint32_t> kids{callee};
    ParseArgs(&kids);
    if (failed_) {
      return callee;
    }
    return Make(NodeKind::kCall, "", kids, at);
  }

  std::string ParseDottedName() {
    std::string name = ExpectName();
    while (!failed_ && IsOp(".")) {
      Next();
      name += "." + ExpectName();
    }
    return name;
  }

  uint32_t ParseFilterChain(uint32_t n, bool require_pipe) {
    bool first = true;
    while (!failed_ && (IsOp("|") || (first && !require_pipe))) {
      if (IsOp("|")) {
        Next();
      }
      first = false;
      uint64_t at = Peek().offset;
      std::string name = ParseDottedName();
      std::vector<uint32_t> kids{n};
      if (IsOp("(")) {
        ParseArgs(&kids);
      }
      if (failed_) {
        return n;
      }
      n = Make(NodeKind::kFilter, name, kids, at);
    }
    return n;
  }

  uint32_t ParseFilterExpr(uint32_t n) {
    while (!failed_) {
      if (IsOp("|")) {
        n = ParseFilterChain(n, true);
      } else if (IsName("is")) {
        uint64_t at = Next().offset;
        bool negated = false;
        if (IsName("not")) {
          Next();
          negated = true;
        }
        std::string name = ParseDottedName();
        std::vector<uint32_t> kids{n};
        const Token& t = Peek();
        // Jinja takes one primary as the argument unless the next token is
        // else/or/and (so `x is defined if y` reads `if` as the argument).
        static constexpr std::string_view kStop[] = {"else", "or", "and"};
        bool arg_start =
            t.kind == TokenKind::kString || t.kind == TokenKind::kNumber ||
            (t.kind == TokenKind::kName &&
             std::find(std::begin(kStop), std::end(kStop), t.text) ==
                 std::end(kStop)) ||
            (t.kind == TokenKind::kOp && (t.text == "[" || t.text == "{"));
        if (IsOp("(")) {
          ParseArgs(&kids);
        } else if (arg_start) {
          kids.push_back(ParsePostfix(ParsePrimary()));
        }
        if (failed_) {
          return n;
        }
        n = Make(NodeKind::kTest, negated ? "not " + name : name, kids, at);
      } else if (IsOp("(")) {
        n = ParseCall(n);
      } else {
        break;
      }
    }
    return n;
  }

  // ---- node construction and folding ----------------------------------------
  const std::vector<Node>& nodes() const { return out_.nodes; }

  uint32_t Make(NodeKind kind, std::string text, std::vector<uint32_t> kids,
                uint64_t offset) {
    // A failed sub-parse leaves kNoNode children; keep the node but drop them.
    kids.erase(std::remove(kids.begin(), kids.end(), kNoNode), kids.end());
    Node n;
    n.kind = kind;
    n.text = std::move(text);
    n.kids = std::move(kids);
    n.offset = offset;
    n.chain_start = offset;
    Fold(n);
    size_t cost = n.str ? n.str->size() : 0;
    if (n.list) {
      for (const std::string& item : *n.list) {
        cost += item.size() + 1;
      }
    }
    if (folded_bytes_ + cost > kMaxFoldedTotal) {
      n.str.reset();
      n.list.reset();
    } else {
      folded_bytes_ += cost;
    }
    out_.nodes.push_back(std::move(n));
    return static_cast<uint32_t>(out_.nodes.size() - 1);
  }

  const Node* Kid(const Node& n, size_t i) const {
    return i < n.kids.size() ? &out_.nodes[n.kids[i]] : nullptr;
  }

  void Fold(Node& n) {
    const Node* a = Kid(n, 0);
    const Node* b = Kid(n, 1);
    for (uint32_t k : n.kids) {
      n.escaped = n.escaped || out_.nodes[k].escaped;
    }
    switch (n.kind) {
      case NodeKind::kName: {
        n.root = n.text;
        auto it = names_.find(n.text);
        if (it != names_.end()) {
          n.str = it->second.str;
          n.list = it->second.list;
          n.num = it->second.num;
          n.escaped = it->second.escaped;
          n.string_op = true;
        }
        break;
      }
      case NodeKind::kGetAttr:
      case NodeKind::kGetItem:
      case NodeKind::kCall:
        if (a) {
          n.root = a->root;
          n.chain_start = a->chain_start;
          n.dunder_chain = a->dunder_chain;
        }
        if (n.kind == NodeKind::kGetAttr) {
          if (!n.text.empty() && n.text[0] == '_') {
            n.dunder_chain = true;
          }
        } else if (n.kind == NodeKind::kGetItem) {
          if (b && b->str && !b->str->empty() && (*b->str)[0] == '_') {
            n.dunder_chain = true;
          }
          if (a && b && b->num) {
            if (a->str && *b->num >= 0 &&
                static_cast<uint64_t>(*b->num) < a->str->size()) {
              n.str = std::string(1, (*a->str)[static_cast<size_t>(*b->num)]);
              n.string_op = true;
            } else if (a->list && *b->num >= 0 &&
                       static_cast<uint64_t>(*b->num) < a->list->size()) {
              n.str = (*a->list)[static_cast<size_t>(*b->num)];
              n.string_op = true;
            }
          }
        } else {
          FoldCall(n);
        }
        break;
      case NodeKind::kFilter:
        if (a) {
          n.root = a->root;
          n.chain_start = a->chain_start;
          n.dunder_chain = a->dunder_chain;
        }
        FoldFilter(n);
        break;
      case NodeKind::kBinary:
        if (!a || !b) {
          break;
        }
        if (n.text == "~") {
          n.string_op = true;
          auto x = AsStr(*a);
          auto y = AsStr(*b);
          if (x && y && x->size() + y->size() <= kMaxFoldedBytes) {
            n.str = *x + *y;
          }
        } else if (n.text == "+") {
          n.string_op = a->str.has_value() || b->str.has_value() ||
                        a->string_op || b->string_op;
          if (a->str && b->str &&
              a->str->size() + b->str->size() <= kMaxFoldedBytes) {
            n.str = *a->str + *b->str;
          } else if (a->num && b->num) {
            int64_t r = 0;
            if (!__builtin_add_overflow(*a->num, *b->num, &r)) {
              n.num = r;
            }
          } else if (a->list && b->list &&
                     a->list->size() + b->list->size() <= kMaxFoldedItems) {
            n.list = *a->list;
            n.list->insert(n.list->end(), b->list->begin(), b->list->end());
          }
        } else if (n.text == "*") {
          const Node* s = a->str ? a : (b->str ? b : nullptr);
          const Node* k = a->str ? b : a;
          if (s) {
            n.string_op = true;
          }
          if (s && k->num && *k->num >= 0 &&
              s->str->size() * static_cast<uint64_t>(*k->num) <=
                  kMaxFoldedBytes) {
            std::string r;
            for (int64_t i = 0; i < *k->num; ++i) {
              r += *s->str;
            }
            n.str = std::move(r);
          } else if (a->num && b->num) {
            int64_t r = 0;
            if (!__builtin_mul_overflow(*a->num, *b->num, &r)) {
              n.num = r;
            }
          }
        } else if (n.text == "%") {
          if (a->str) {
            n.string_op = true;
            std::vector<const Node*> args;
            if (b->kind == NodeKind::kTuple) {
              for (uint32_t k : b->kids) {
                args.push_back(&out_.nodes[k]);
              }
            } else {
              args.push_back(b);
            }
            n.str = FormatPercent(*a->str, args);
          }
        } else if (n.text == "-" && a->num && b->num) {
          int64_t r = 0;
          if (!__builtin_sub_overflow(*a->num, *b->num, &r)) {
            n.num = r;
          }
        }
        break;
      case NodeKind::kList:
      case NodeKind::kTuple: {
        std::vector<std::string> items;
        bool all = n.kids.size() <= kMaxFoldedItems;
        for (uint32_t k : n.kids) {
          const Node& kid = out_.nodes[k];
          n.string_op = n.string_op || kid.string_op;
          auto s = AsStr(kid);
          if (!s) {
            all = false;
          } else if (all) {
            items.push_back(*s);
          }
        }
        if (all) {
          n.list = std::move(items);
        }
        break;
      }
      case NodeKind::kCond:
        n.string_op =
            (a && a->string_op) || (Kid(n, 2) && Kid(n, 2)->string_op);
        break;
      default:
        break;
    }
  }

  // Positional arguments of a call/filter node (skipping the callee/input).
  std::vector<const Node*> Positional(const Node& n) const {
    std::vector<const Node*> v;
    for (size_t i = 1; i < n.kids.size(); ++i) {
      const Node& k = out_.nodes[n.kids[i]];
      if (k.kind != NodeKind::kKeyword) {
        v.push_back(&k);
      }
    }
    return v;
  }

  void FoldCall(Node& n) {
    const Node* callee = Kid(n, 0);
    if (!callee) {
      return;
    }
    std::vector<const Node*> args = Positional(n);
    if (callee->kind == NodeKind::kName && callee->text == "dict") {
      // dict(__cla=1, ss__=2)|join spells "__class__".
      std::vector<std::string> keys;
      for (size_t i = 1; i < n.kids.size(); ++i) {
        const Node& k = out_.nodes[n.kids[i]];
        if (k.kind == NodeKind::kKeyword) {
          keys.push_back(k.text);
        }
      }
      if (!keys.empty()) {
        n.list = std::move(keys);
        n.string_op = true;
      }
      return;
    }
    if (callee->kind != NodeKind::kGetAttr || callee->kids.empty()) {
      return;
    }
    const Node& self = out_.nodes[callee->kids[0]];
    const std::string& method = callee->text;
    if (!self.str) {
      return;
    }
    n.string_op = true;
    if (method == "format") {
      n.str = FormatBraces(*self.str, args);
    } else if (method == "join" && args.size() == 1 && args[0]->list) {
      std::string r;
      for (size_t i = 0; i < args[0]->list->size(); ++i) {
        if (i > 0) {
          r += *self.str;
        }
        r += (*args[0]->list)[i];
        if (r.size() > kMaxFoldedBytes) {
          return;
        }
      }
      n.str = std::move(r);
    } else if (method == "replace" && args.size() == 2 && args[0]->str &&
               args[1]->str) {
      std::string r = *self.str;
      ReplaceAll(&r, *args[0]->str, *args[1]->str);
      if (r.size() <= kMaxFoldedBytes) {
        n.str = std::move(r);
      }
    } else if (method == "lower" || method == "upper" || method == "strip") {
      std::string r = *self.str;
      if (method == "lower") {
        for (char& c : r) {
          c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        }
      } else if (method == "upper") {
        for (char& c : r) {
          c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        }
      }
      n.str = std::move(r);
    }
  }

  void FoldFilter(Node& n) {
    const Node* in = Kid(n, 0);
    if (!in) {
      return;
    }
    std::vector<const Node*> args = Positional(n);
    const std::string& f = n.text;
    if (f == "join") {
      n.string_op = true;
      std::string sep;
      if (!args.empty()) {
        if (!args[0]->str) {
          return;
        }
        sep = *args[0]->str;
      }
      std::vector<std::string> items;
      if (in->list) {
        items = *in->list;
      } else if (in->str) {
        for (char c : *in->str) {
          items.emplace_back(1, c);
        }
      } else {
        return;
      }
      std::string r;
      for (size_t i = 0; i < items.size(); ++i) {
        if (i > 0) {
          r += sep;
        }
        r += items[i];
        if (r.size() > kMaxFoldedBytes) {
          return;
        }
      }
      n.str = std::move(r);
    } else if (f == "format") {
      n.string_op = true;
      if (in->str) {
        n.str = FormatPercent(*in->str, args);
      }
    } else if (f == "replace") {
      n.string_op = true;
      if (in->str && args.size() >= 2 && args[0]->str && args[1]->str) {
        std::string r = *in->str;
        ReplaceAll(&r, *args[0]->str, *args[1]->str);
        if (r.size() <= kMaxFoldedBytes) {
          n.str = std::move(r);
        }
      }
    } else if (f == "string" || f == "e" || f == "escape" || f == "safe" ||
               f == "trim" || f == "lower" || f == "upper") {
      if (f == "string") {
        n.string_op = true;
      }
      n.string_op = n.string_op || in->string_op;
      auto s = AsStr(*in);
      if (!s) {
        return;
      }
      std::string r = *s;
      if (f == "lower") {
        for (char& c : r) {
          c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        }
      } else if (f == "upper") {
        for (char& c : r) {
          c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        }
      }
      n.str = std::move(r);
    } else if (f == "reverse") {
      n.string_op = true;
      if (in->str) {
        n.str = std::string(in->str->rbegin(), in->str->rend());
      }
      if (in->list) {
        n.list = std::vector<std::string>(in->list->rbegin(), in->list->rend());
      }
    } else if (f == "first" || f == "last") {
      n.string_op = in->string_op || in->str.has_value();
      if (in->list && !in->list->empty()) {
        n.str = f == "first" ? in->list->front() : in->list->back();
      } else if (in->str && !in->str->empty()) {
        n.str =
            std::string(1, f == "first" ? in->str->front() : in->str->back());
      }
    } else if (f == "list") {
      n.string_op = in->string_op;
      if (in->list) {
        n.list = in->list;
      } else if (in->str && in->str->size() <= kMaxFoldedItems) {
        std::vector<std::string> chars;
        for (char c : *in->str) {
          chars.emplace_back(1, c);
        }
        n.list = std::move(chars);
      }
    } else if (f == "center" || f == "batch" || f == "slice" ||
               f == "wordwrap" || f == "truncate" || f == "indent" ||
               f == "urlencode" || f == "striptags") {
      n.string_op = in->str.has_value() || in->string_op;
    }
  }

  struct Binding {
    std::optional<std::string> str;
    std::optional<std::vector<std::string>> list;
    std::optional<int64_t> num;
    bool escaped = false;
  };

  const std::vector<Token>& toks_;
  uint64_t source_size_;
  uint32_t max_block_depth_;
  uint32_t max_expr_depth_;
  size_t pos_ = 0;
  bool failed_ = false;
  uint32_t expr_depth_ = 0;
  size_t folded_bytes_ = 0;
  std::vector<std::pair<std::string, uint64_t>> blocks_;  // explicit stack
  std::map<std::string, Binding> names_;                  // {% set %} constants
  ParseOutput out_;
};

}  // namespace

ParseOutput Parse(const std::vector<Token>& tokens, uint64_t source_size,
                  uint32_t max_block_depth, uint32_t max_expr_depth) {
  return Parser(tokens, source_size, max_block_depth, max_expr_depth).Run();
}

}  // namespace mats::jinja::internal
