#include "numpy/py_literal.h"

#include <optional>

#include "mats/core/encoding.h"
#include "mats/core/limits.h"

namespace mats::numpy::internal {

const PyValue* PyValue::Get(std::string_view key) const {
  if (kind != Kind::kDict) return nullptr;
  for (size_t i = 0; i + 1 < items.size(); i += 2) {
    if (items[i].kind == Kind::kStr && items[i].str == key) return &items[i + 1];
  }
  return nullptr;
}

namespace {

class Parser {
 public:
  Parser(std::string_view text, uint32_t max_depth, uint64_t base)
      : t_(text), max_depth_(max_depth), base_(base) {}

  Result<PyValue> Run();

 private:
  struct Frame {
    PyValue value;
    char close;
    bool comma_seen = false;
  };
  void SkipWs() {
    while (pos_ < t_.size() && (t_[pos_] == ' ' || t_[pos_] == '\t' ||
                                t_[pos_] == '\n' || t_[pos_] == '\r')) {
      ++pos_;
    }
  }
  uint64_t Off() const { return base_ + pos_; }
  Result<PyValue> ParseString();
  Result<PyValue> ParseInt();

  std::string_view t_;
  uint32_t max_depth_;
  uint64_t base_;
  size_t pos_ = 0;
};

Result<PyValue> Parser::ParseString() {
  char quote = t_[pos_++];
  PyValue v;
  v.kind = PyValue::Kind::kStr;
  while (true) {
    if (pos_ >= t_.size()) return Malformed(Off(), "npy: unterminated string in header");
    char c = t_[pos_++];
    if (c == quote) break;
    if (c == '\n') return Malformed(Off(), "npy: newline inside a string in header");
    if (c != '\\') {
      v.str.push_back(c);
      continue;
    }
    if (pos_ >= t_.size()) return Malformed(Off(), "npy: unterminated escape in header");
    char e = t_[pos_++];
    switch (e) {
      case '\\': v.str.push_back('\\'); break;
      case '\'': v.str.push_back('\''); break;
      case '"': v.str.push_back('"'); break;
      case 'n': v.str.push_back('\n'); break;
      case 't': v.str.push_back('\t'); break;
      case 'r': v.str.push_back('\r'); break;
      case '0': v.str.push_back('\0'); break;
      case 'x': {
        if (pos_ + 2 > t_.size()) return Malformed(Off(), "npy: short \\x escape in header");
        unsigned val = 0;
        for (int k = 0; k < 2; ++k) {
          char h = t_[pos_++];
          unsigned d = (h >= '0' && h <= '9')   ? static_cast<unsigned>(h - '0')
                       : (h >= 'a' && h <= 'f') ? static_cast<unsigned>(h - 'a' + 10)
                       : (h >= 'A' && h <= 'F') ? static_cast<unsigned>(h - 'A' + 10)
                                                : 16u;
          if (d == 16) return Malformed(Off(), "npy: bad \\x escape in header");
          val = val * 16 + d;
        }
        v.str.push_back(static_cast<char>(val));
        break;
      }
      default:
        // Python keeps unknown escapes verbatim (\u... is kept as text too;
        // names are only compared, never decoded further).
        v.str.push_back('\\');
        v.str.push_back(e);
    }
  }
  return v;
}

Result<PyValue> Parser::ParseInt() {
  PyValue v;
  v.kind = PyValue::Kind::kInt;
  bool neg = false;
  if (t_[pos_] == '-' || t_[pos_] == '+') {
    neg = t_[pos_] == '-';
    ++pos_;
  }
  size_t start = pos_;
  uint64_t mag = 0;
  while (pos_ < t_.size() && t_[pos_] >= '0' && t_[pos_] <= '9') {
    uint64_t d = static_cast<uint64_t>(t_[pos_] - '0');
    if (mag > (static_cast<uint64_t>(INT64_MAX) - d) / 10) {
      return Malformed(Off(), "npy: integer in header does not fit in 64 bits");
    }
    mag = mag * 10 + d;
    ++pos_;
  }
  if (pos_ == start) return Malformed(Off(), "npy: expected a digit in header");
  if (pos_ < t_.size() && (t_[pos_] == 'L' || t_[pos_] == 'l')) ++pos_;  // Python 2 long
  v.integer = neg ? -static_cast<int64_t>(mag) : static_cast<int64_t>(mag);
  return v;
}

Result<PyValue> Parser::Run() {
  std::vector<Frame> stack;
  bool have_root = false;
  PyValue root;
  while (true) {
    SkipWs();
    if (have_root) break;
    // Expecting a value, or the close of the innermost container.
    if (pos_ >= t_.size()) return Malformed(Off(), "npy: header ends inside a literal");
    char c = t_[pos_];
    std::optional<PyValue> done;
    if (!stack.empty() && c == stack.back().close) {
      Frame& f = stack.back();
      bool dict_value_pending = f.value.kind == PyValue::Kind::kDict && f.value.items.size() % 2 == 1;
      if (dict_value_pending) return Malformed(Off(), "npy: dict key without value in header");
      ++pos_;
      PyValue v = std::move(f.value);
      bool paren_single = v.kind == PyValue::Kind::kTuple && v.items.size() == 1 && !f.comma_seen;
      stack.pop_back();
      if (paren_single) {
        PyValue inner = std::move(v.items[0]);
        v = std::move(inner);
      }
      done = std::move(v);
    } else if (c == '{' || c == '(' || c == '[') {
      if (stack.size() >= max_depth_) {
        return LimitExceededAt(Off(), "npy: header nesting: {}", LimitMessage("max_depth", max_depth_));
      }
      Frame f;
      f.value.kind = c == '{' ? PyValue::Kind::kDict : c == '(' ? PyValue::Kind::kTuple : PyValue::Kind::kList;
      f.close = c == '{' ? '}' : c == '(' ? ')' : ']';
      stack.push_back(std::move(f));
      ++pos_;
      continue;
    } else if (c == '\'' || c == '"') {
      MATS_ASSIGN_OR_RETURN(PyValue v, ParseString());
      done = std::move(v);
    } else if ((c >= '0' && c <= '9') || c == '-' || c == '+') {
      MATS_ASSIGN_OR_RETURN(PyValue v, ParseInt());
      done = std::move(v);
    } else if (t_.substr(pos_, 4) == "True" || t_.substr(pos_, 5) == "False" ||
               t_.substr(pos_, 4) == "None") {
      PyValue v;
      if (t_[pos_] == 'N') {
        v.kind = PyValue::Kind::kNone;
        pos_ += 4;
      } else {
        v.kind = PyValue::Kind::kBool;
        v.boolean = t_[pos_] == 'T';
        pos_ += v.boolean ? 4 : 5;
      }
      done = std::move(v);
    } else {
      return Malformed(Off(), "npy: unexpected character '{}' in header",
                       EscapePreview(t_.substr(pos_, 1)));
    }
    // A value is complete: attach it to its container, then read the
    // separator that must follow inside a container.
    if (stack.empty()) {
      root = std::move(*done);
      have_root = true;
      continue;
    }
    Frame& top = stack.back();
    top.value.items.push_back(std::move(*done));
    SkipWs();
    if (pos_ >= t_.size()) return Malformed(Off(), "npy: header ends inside a literal");
    bool dict_key = top.value.kind == PyValue::Kind::kDict && top.value.items.size() % 2 == 1;
    if (dict_key) {
      if (t_[pos_] != ':') return Malformed(Off(), "npy: expected ':' after a dict key in header");
      ++pos_;
      SkipWs();
      if (pos_ < t_.size() && t_[pos_] == top.close) {
        return Malformed(Off(), "npy: dict key without value in header");
      }
      continue;
    }
    if (t_[pos_] == ',') {
      top.comma_seen = true;
      ++pos_;
      continue;
    }
    if (t_[pos_] != top.close) {
      return Malformed(Off(), "npy: expected ',' or '{}' in header", top.close);
    }
  }
  if (pos_ != t_.size()) {
    return Malformed(Off(), "npy: trailing characters after the header literal");
  }
  return root;
}

}  // namespace

Result<PyValue> ParsePyLiteral(std::string_view text, uint32_t max_depth,
                               uint64_t base_offset) {
  return Parser(text, max_depth, base_offset).Run();
}

}  // namespace mats::numpy::internal
