#include "jinja/lexer.h"

#include <fmt/core.h>

#include <array>

namespace mats::jinja::internal {
namespace {

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
         c == '\v';
}
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsNameStart(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
         static_cast<unsigned char>(c) >= 0x80;
}
bool IsNameChar(char c) { return IsNameStart(c) || IsDigit(c); }
bool IsIdentCodePoint(uint32_t cp) {
  return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') ||
         (cp >= '0' && cp <= '9') || cp == '_';
}
// Length of a UTF-8 encoded Unicode whitespace character at `pos` that
// Python's \s matches (Jinja skips it between tokens), or 0.
size_t UnicodeSpaceLen(std::string_view s, size_t pos) {
  auto at = [&](size_t i) {
    return pos + i < s.size() ? static_cast<unsigned char>(s[pos + i]) : 0u;
  };
  unsigned b0 = at(0);
  if (b0 == 0xC2 && (at(1) == 0x85 || at(1) == 0xA0)) return 2;
  if (b0 == 0xE1 && at(1) == 0x9A && at(2) == 0x80) return 3;  // U+1680
  if (b0 == 0xE2 && at(1) == 0x80 &&
      (at(2) <= 0x8A || at(2) == 0xA8 || at(2) == 0xA9 || at(2) == 0xAF)) {
    return at(2) >= 0x80 ? 3 : 0;  // U+2000..200A, 2028, 2029, 202F
  }
  if (b0 == 0xE2 && at(1) == 0x81 && at(2) == 0x9F) return 3;  // U+205F
  if (b0 == 0xE3 && at(1) == 0x80 && at(2) == 0x80) return 3;  // U+3000
  return 0;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  return -1;
}

void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp > 0x10FFFF) {
    cp = 0xFFFD;
  }
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// Unicode names an attacker may use in \N{...} to spell identifiers.
uint32_t LookupUnicodeName(std::string_view name) {
  if (name == "LOW LINE") {
    return '_';
  }
  if (name == "FULL STOP") {
    return '.';
  }
  constexpr std::string_view kSmall = "LATIN SMALL LETTER ";
  constexpr std::string_view kCapital = "LATIN CAPITAL LETTER ";
  if (name.size() == kSmall.size() + 1 &&
      name.substr(0, kSmall.size()) == kSmall) {
    char c = name.back();
    if (c >= 'A' && c <= 'Z') {
      return static_cast<uint32_t>(c - 'A' + 'a');
    }
  }
  if (name.size() == kCapital.size() + 1 &&
      name.substr(0, kCapital.size()) == kCapital) {
    char c = name.back();
    if (c >= 'A' && c <= 'Z') {
      return static_cast<uint32_t>(c);
    }
  }
  constexpr std::string_view kDigit = "DIGIT ";
  constexpr std::array<std::string_view, 10> kDigits = {
      "ZERO", "ONE", "TWO",   "THREE", "FOUR",
      "FIVE", "SIX", "SEVEN", "EIGHT", "NINE"};
  if (name.substr(0, std::min(name.size(), kDigit.size())) == kDigit) {
    for (size_t i = 0; i < kDigits.size(); ++i) {
      if (name.substr(kDigit.size()) == kDigits[i]) {
        return static_cast<uint32_t>('0' + i);
      }
    }
  }
  return 0xFFFD;
}

class Lexer {
 public:
  Lexer(std::string_view src, uint64_t max_tokens)
      : src_(src), max_tokens_(max_tokens) {}

  LexResult Run() {
    while (pos_ < src_.size() && result_.ok) {
      size_t open = FindTagOpen(pos_);
      if (open == std::string_view::npos) {
        break;
      }
      char kind = src_[open + 1];
      pos_ = open + 2;
      if (kind == '#') {
        size_t close = src_.find("#}", pos_);
        if (close == std::string_view::npos) {
          Fail(open, "unterminated comment");
          break;
        }
        pos_ = close + 2;
        continue;
      }
      if (kind == '%' && TryRaw(open)) {
        continue;
      }
      bool var = kind == '{';
      Push(var ? TokenKind::kVarBegin : TokenKind::kBlockBegin, "", open);
      if (pos_ < src_.size() && (src_[pos_] == '-' || src_[pos_] == '+')) {
        ++pos_;
      }
      LexCode(var);
    }
    result_.tokens.push_back({TokenKind::kEof, "", src_.size(), false});
    return std::move(result_);
  }

 private:
  size_t FindTagOpen(size_t from) const {
    for (size_t i = from; i + 1 < src_.size(); ++i) {
      if (src_[i] == '{' &&
          (src_[i + 1] == '{' || src_[i + 1] == '%' || src_[i + 1] == '#')) {
        return i;
      }
    }
    return std::string_view::npos;
  }

  void Fail(uint64_t offset, std::string reason) {
    if (!result_.ok) {
      return;
    }
    result_.ok = false;
    result_.error_offset = offset;
    result_.error = std::move(reason);
  }

  void Push(TokenKind kind, std::string text, uint64_t offset,
            bool escaped = false) {
    if (result_.tokens.size() >= max_tokens_) {
      Fail(offset, fmt::format("more than {} tokens", max_tokens_));
      result_.limit = true;
      return;
    }
    result_.tokens.push_back({kind, std::move(text), offset, escaped});
  }

  // `{% raw %}` ... `{% endraw %}`: skipped as text.
  bool TryRaw(size_t open) {
    size_t p = pos_;
    if (p < src_.size() && (src_[p] == '-' || src_[p] == '+')) {
      ++p;
    }
    while (p < src_.size() && IsSpace(src_[p])) {
      ++p;
    }
    if (src_.substr(p, 3) != "raw") {
      return false;
    }
    p += 3;
    if (p < src_.size() && IsNameChar(src_[p])) {
      return false;
    }
    while (p < src_.size() && IsSpace(src_[p])) {
      ++p;
    }
    if (p < src_.size() && (src_[p] == '-' || src_[p] == '+')) {
      ++p;
    }
    if (src_.substr(p, 2) != "%}") {
      return false;
    }
    p += 2;
    // Find {%[-+]? ws* endraw ws* [-+]? %}
    size_t q = p;
    while (true) {
      size_t t = src_.find("{%", q);
      if (t == std::string_view::npos) {
        Fail(open, "unterminated raw block");
        pos_ = src_.size();
        return true;
      }
      size_t r = t + 2;
      if (r < src_.size() && (src_[r] == '-' || src_[r] == '+')) {
        ++r;
      }
      while (r < src_.size() && IsSpace(src_[r])) {
        ++r;
      }
      if (src_.substr(r, 6) == "endraw") {
        r += 6;
        while (r < src_.size() && IsSpace(src_[r])) {
          ++r;
        }
        if (r < src_.size() && (src_[r] == '-' || src_[r] == '+')) {
          ++r;
        }
        if (src_.substr(r, 2) == "%}") {
          pos_ = r + 2;
          return true;
        }
      }
      q = t + 2;
    }
  }

  void LexCode(bool var) {
    const std::string_view end = var ? "}}" : "%}";
    std::vector<char> brackets;
    while (result_.ok) {
      while (pos_ < src_.size()) {
        if (IsSpace(src_[pos_])) {
          ++pos_;
        } else if (size_t n = UnicodeSpaceLen(src_, pos_); n != 0) {
          pos_ += n;
        } else {
          break;
        }
      }
      if (pos_ >= src_.size()) {
        Fail(pos_, var ? "unterminated {{ tag" : "unterminated {% tag");
        return;
      }
      if (brackets.empty()) {
        size_t p = pos_;
        if ((src_[p] == '-' || src_[p] == '+') &&
            src_.substr(p + 1, 2) == end) {
          ++p;
        }
        if (src_.substr(p, 2) == end) {
          Push(var ? TokenKind::kVarEnd : TokenKind::kBlockEnd, "", pos_);
          pos_ = p + 2;
          return;
        }
      }
      char c = src_[pos_];
      size_t start = pos_;
      if (IsNameStart(c)) {
        while (pos_ < src_.size() && IsNameChar(src_[pos_]) &&
               UnicodeSpaceLen(src_, pos_) == 0) {
          ++pos_;
        }
        Push(TokenKind::kName, std::string(src_.substr(start, pos_ - start)),
             start);
      } else if (IsDigit(c)) {
        LexNumber();
      } else if (c == '\'' || c == '"') {
        LexString();
      } else {
        static constexpr std::string_view kTwo[] = {
            "**", "//", "==", "!=", "<=", ">="};
        std::string_view two = src_.substr(pos_, 2);
        bool matched = false;
        for (std::string_view op : kTwo) {
          if (two == op) {
            Push(TokenKind::kOp, std::string(op), start);
            pos_ += 2;
            matched = true;
            break;
          }
        }
        if (matched) {
          continue;
        }
        static constexpr std::string_view kOne = "+-*/%~<>=()[]{},.:|;!";
        if (kOne.find(c) == std::string_view::npos) {
          Fail(start, fmt::format("unexpected character 0x{:02x}",
                                  static_cast<unsigned char>(c)));
          return;
        }
        if (c == '(' || c == '[' || c == '{') {
          brackets.push_back(c);
        }
        if (c == ')' || c == ']' || c == '}') {
          char want = c == ')' ? '(' : (c == ']' ? '[' : '{');
          if (brackets.empty() || brackets.back() != want) {
            Fail(start, fmt::format("unbalanced '{}'", c));
            return;
          }
          brackets.pop_back();
        }
        Push(TokenKind::kOp, std::string(1, c), start);
        ++pos_;
      }
    }
  }

  void LexNumber() {
    size_t start = pos_;
    if (src_[pos_] == '0' && pos_ + 1 < src_.size() &&
        (src_[pos_ + 1] == 'x' || src_[pos_ + 1] == 'X' ||
         src_[pos_ + 1] == 'o' || src_[pos_ + 1] == 'O' ||
         src_[pos_ + 1] == 'b' || src_[pos_ + 1] == 'B')) {
      pos_ += 2;
      while (pos_ < src_.size() &&
             (HexValue(src_[pos_]) >= 0 || src_[pos_] == '_')) {
        ++pos_;
      }
    } else {
      while (pos_ < src_.size() && (IsDigit(src_[pos_]) || src_[pos_] == '_')) {
        ++pos_;
      }
      if (pos_ + 1 < src_.size() && src_[pos_] == '.' &&
          IsDigit(src_[pos_ + 1])) {
        ++pos_;
        while (pos_ < src_.size() &&
               (IsDigit(src_[pos_]) || src_[pos_] == '_')) {
          ++pos_;
        }
      }
      if (pos_ < src_.size() && (src_[pos_] == 'e' || src_[pos_] == 'E')) {
        size_t p = pos_ + 1;
        if (p < src_.size() && (src_[p] == '+' || src_[p] == '-')) {
          ++p;
        }
        if (p < src_.size() && IsDigit(src_[p])) {
          pos_ = p;
          while (pos_ < src_.size() && IsDigit(src_[pos_])) {
            ++pos_;
          }
        }
      }
    }
    Push(TokenKind::kNumber, std::string(src_.substr(start, pos_ - start)),
         start);
  }

  void LexString() {
    size_t start = pos_;
    char quote = src_[pos_++];
    std::string value;
    bool escaped_ident = false;
    while (true) {
      if (pos_ >= src_.size()) {
        Fail(start, "unterminated string literal");
        return;
      }
      char c = src_[pos_++];
      if (c == quote) {
        break;
      }
      if (c != '\\') {
        value.push_back(c);
        continue;
      }
      if (pos_ >= src_.size()) {
        Fail(start, "unterminated string literal");
        return;
      }
      char e = src_[pos_++];
      uint32_t cp = 0;
      bool numeric = true;
      switch (e) {
        case 'n':
          value.push_back('\n');
          numeric = false;
          break;
        case 't':
          value.push_back('\t');
          numeric = false;
          break;
        case 'r':
          value.push_back('\r');
          numeric = false;
          break;
        case 'a':
          value.push_back('\a');
          numeric = false;
          break;
        case 'b':
          value.push_back('\b');
          numeric = false;
          break;
        case 'f':
          value.push_back('\f');
          numeric = false;
          break;
        case 'v':
          value.push_back('\v');
          numeric = false;
          break;
        case '\\':
          value.push_back('\\');
          numeric = false;
          break;
        case '\'':
          value.push_back('\'');
          numeric = false;
          break;
        case '"':
          value.push_back('"');
          numeric = false;
          break;
        case '\n':
          numeric = false;
          break;  // line continuation
        case 'x':
        case 'u':
        case 'U': {
          size_t digits = e == 'x' ? 2 : (e == 'u' ? 4 : 8);
          bool good = pos_ + digits <= src_.size();
          for (size_t i = 0; good && i < digits; ++i) {
            int h = HexValue(src_[pos_ + i]);
            if (h < 0) {
              good = false;
            } else {
              cp = cp * 16 + static_cast<uint32_t>(h);
            }
          }
          if (!good) {
            // Python rejects it; keep the text and let the parser continue.
            value.push_back('\\');
            value.push_back(e);
            numeric = false;
          } else {
            pos_ += digits;
          }
          break;
        }
        case 'N': {
          size_t close = src_.find('}', pos_);
          if (pos_ < src_.size() && src_[pos_] == '{' &&
              close != std::string_view::npos && close - pos_ < 100) {
            cp = LookupUnicodeName(src_.substr(pos_ + 1, close - pos_ - 1));
            pos_ = close + 1;
            if (cp == 0xFFFD) {
              escaped_ident = true;  // unknown name: treat as hiding
            }
          } else {
            value.push_back('\\');
            value.push_back('N');
            numeric = false;
          }
          break;
        }
        default:
          if (e >= '0' && e <= '7') {
            cp = static_cast<uint32_t>(e - '0');
            for (int i = 0; i < 2 && pos_ < src_.size() && src_[pos_] >= '0' &&
                            src_[pos_] <= '7';
                 ++i) {
              cp = cp * 8 + static_cast<uint32_t>(src_[pos_++] - '0');
            }
          } else {
            value.push_back('\\');
            value.push_back(e);
            numeric = false;
          }
          break;
      }
      if (numeric) {
        if (IsIdentCodePoint(cp)) {
          escaped_ident = true;
        }
        AppendUtf8(cp, &value);
      }
    }
    Push(TokenKind::kString, std::move(value), start, escaped_ident);
  }

  std::string_view src_;
  uint64_t max_tokens_;
  size_t pos_ = 0;
  LexResult result_;
};

}  // namespace

LexResult Lex(std::string_view src, uint64_t max_tokens) {
  return Lexer(src, max_tokens).Run();
}

}  // namespace mats::jinja::internal
