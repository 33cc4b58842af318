// Private: the Jinja2 tokenizer used by the template analyser.
#ifndef MATS_JINJA_LEXER_H_
#define MATS_JINJA_LEXER_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace mats::jinja::internal {

enum class TokenKind : uint8_t {
  kVarBegin,    // {{
  kVarEnd,      // }}
  kBlockBegin,  // {%
  kBlockEnd,    // %}
  kName,
  kString,  // text holds the decoded value
  kNumber,
  kOp,  // operators and punctuation
  kEof,
};

struct Token {
  TokenKind kind = TokenKind::kEof;
  std::string text;
  uint64_t offset = 0;
  // kString: an escape sequence (\x, \u, \U, octal, \N{}) produced a letter,
  // digit or underscore, i.e. hides an identifier.
  bool escaped_ident = false;
};

struct LexResult {
  std::vector<Token> tokens;  // always ends with kEof
  bool ok = true;
  uint64_t error_offset = 0;
  std::string error;   // lowercase reason when !ok
  bool limit = false;  // stopped at max_tokens (not a syntax error)
};

// Tokenizes a whole template. Text outside tags and comments is dropped;
// `{% raw %}...{% endraw %}` is dropped as text. On a lexical error the
// tokens before it are returned with ok=false (the caller analyses them).
// At most `max_tokens` tokens are produced (error past it).
LexResult Lex(std::string_view src, uint64_t max_tokens);

}  // namespace mats::jinja::internal

#endif  // MATS_JINJA_LEXER_H_
