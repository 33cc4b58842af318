// A bounded parser for the Python literals found in .npy headers: dict,
// tuple, list, str, int, bool and None. Never evaluates anything; nesting is
// handled with an explicit stack and a depth limit.
#ifndef MATS_NUMPY_PY_LITERAL_H_
#define MATS_NUMPY_PY_LITERAL_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "mats/core/result.h"

namespace mats::numpy::internal {

struct PyValue {
  enum class Kind : uint8_t { kNone, kBool, kInt, kStr, kTuple, kList, kDict };
  Kind kind = Kind::kNone;
  bool boolean = false;
  int64_t integer = 0;
  std::string str;
  // Tuple/list items; for a dict: key, value, key, value, ...
  std::vector<PyValue> items;

  // For a dict: the value for string key `key`, or nullptr.
  const PyValue* Get(std::string_view key) const;
};

// Parses exactly one literal from `text` (surrounding whitespace allowed).
// Errors: kMalformed naming the offset (base_offset + position in text);
// kLimitExceeded past `max_depth` nesting.
Result<PyValue> ParsePyLiteral(std::string_view text, uint32_t max_depth,
                               uint64_t base_offset = 0);

}  // namespace mats::numpy::internal

#endif  // MATS_NUMPY_PY_LITERAL_H_
