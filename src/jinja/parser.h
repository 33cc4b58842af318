// Private: the Jinja2 parser. Builds a flat pool of expression nodes (every
// node's children have smaller indices than the node) and folds constant
// string expressions while building, so the analyser can see attribute
// names spelled with `~`, `+`, `|join`, `|format`, `|replace`, escapes and
// `{% set %}` indirection.
#ifndef MATS_JINJA_PARSER_H_
#define MATS_JINJA_PARSER_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "jinja/lexer.h"

namespace mats::jinja::internal {

enum class NodeKind : uint8_t {
  kName,
  kConst,    // string, number, true/false/none
  kList,     // [..]
  kTuple,    // (..), a, b
  kDict,     // {k: v}
  kGetAttr,  // obj.text
  kGetItem,  // obj[key]
  kSlice,    // a:b:c inside []
  kCall,     // kids[0](kids[1..])
  kFilter,   // kids[0] | text(kids[1..])
  kTest,     // kids[0] is text(kids[1..])
  kBinary,   // text = operator
  kUnary,
  kCond,     // a if b else c
  kKeyword,  // text=kids[0] inside a call
  kEmpty,    // input of a {% filter %} block
};

inline constexpr uint32_t kNoNode = UINT32_MAX;

struct Node {
  NodeKind kind = NodeKind::kConst;
  std::string text;
  std::vector<uint32_t> kids;
  uint64_t offset = 0;
  // Folded values (set when the value is known without rendering).
  std::optional<std::string> str;
  std::optional<std::vector<std::string>> list;
  std::optional<int64_t> num;
  bool literal = false;       // a plain string literal
  bool escaped = false;       // escapes spelled identifier characters
  bool string_op = false;     // value built by string operations
  bool dunder_chain = false;  // an attribute chain that passed a "_" name
  std::string root;           // root name of an attribute chain
  uint64_t chain_start = 0;   // offset of the chain's root
};

struct ParseIssue {
  uint64_t offset = 0;
  std::string message;
  bool limit = false;  // a depth limit, not a syntax error
};

struct ParseOutput {
  std::vector<Node> nodes;
  std::vector<ParseIssue> issues;
  // Byte ranges [first, second) of the source skipped after an error.
  std::vector<std::pair<uint64_t, uint64_t>> skipped;
  // Offsets and tag names of {% include/import/from/extends %}.
  std::vector<std::pair<uint64_t, std::string>> loads;
};

// Parses the tokens of one template. Never fails: errors are recorded in
// `issues` and parsing resumes at the next tag.
ParseOutput Parse(const std::vector<Token>& tokens, uint64_t source_size,
                  uint32_t max_block_depth, uint32_t max_expr_depth);

}  // namespace mats::jinja::internal

#endif  // MATS_JINJA_PARSER_H_
