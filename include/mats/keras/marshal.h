// A bounded reader for CPython's marshal format, enough to say what a
// marshalled code object (a Keras Lambda's bytecode) refers to: the names it
// loads (co_names), its string constants and the names of nested code
// objects. It never builds Python objects and never executes anything.
//
//   MATS_ASSIGN_OR_RETURN(CodeSummary s, SummarizeMarshalCode(bytes, limits));
//   for (const std::string& n : s.names) ...  // "os", "system", ...
//
// The code-object layout differs between CPython versions and the marshal
// stream does not say which one wrote it; the reader tries the 3.11+ layout,
// the 3.8-3.10 layout and the 3.0-3.7 layout in that order and keeps the first
// that consumes the whole input. Re-entrant; no global state.
#ifndef MATS_KERAS_MARSHAL_H_
#define MATS_KERAS_MARSHAL_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "mats/core/bytes.h"
#include "mats/core/limits.h"
#include "mats/core/result.h"

namespace mats::keras {

struct CodeSummary {
  // "3.11+", "3.8-3.10" or "3.0-3.7".
  std::string layout;
  // Number of code objects (the top one and every nested one).
  uint64_t code_objects = 0;
  // co_names of every code object, deduplicated, in order of appearance.
  std::vector<std::string> names;
  // str/bytes constants of every code object, deduplicated (each cut to
  // 256 bytes).
  std::vector<std::string> string_constants;
  // co_name of every code object ("<lambda>", ...).
  std::vector<std::string> code_names;
};

// Errors: kMalformed (truncated or invalid stream, not a code object, no
// layout fits), kLimitExceeded (max_depth for nesting, max_entries for the
// number of objects, max_string_bytes for one string).
Result<CodeSummary> SummarizeMarshalCode(ByteSpan data, const Limits& limits);

// Names that make a code object dangerous when it loads or calls them
// ("system", "popen", "exec", "eval", "__import__", "subprocess", ...).
// Returns the matching subset of `s.names` and of string constants naming
// modules, in order.
std::vector<std::string> DangerousNames(const CodeSummary& s);

}  // namespace mats::keras

#endif  // MATS_KERAS_MARSHAL_H_
