// Strict JSON parsing of untrusted text, through one adapter over
// nlohmann-json (which throws; the exceptions stop here).
//
//   JsonOptions opts{.max_depth = limits.max_depth};
//   MATS_ASSIGN_OR_RETURN(nlohmann::json doc, ParseJson(text, opts));
//
// Unlike nlohmann's default, duplicate object keys are an error (parsers
// disagree on which value wins, a classic differential), as is invalid UTF-8
// and nesting past max_depth. Errors are kMalformed with the byte offset.
#ifndef MATS_CORE_JSON_H_
#define MATS_CORE_JSON_H_

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <string_view>

#include "mats/core/result.h"

namespace mats {

struct JsonOptions {
  uint32_t max_depth = 256;
  bool reject_duplicate_keys = true;
  // Prefix of error messages, e.g. "safetensors: header".
  std::string_view what = "json";
};

Result<nlohmann::json> ParseJson(std::string_view text,
                                 const JsonOptions& options = {});

// The string member `key` of `obj`, or "" when `obj` is not an object, the
// member is absent or it is not a string. Use this instead of
// nlohmann's value(key, default), which throws on a member of another type.
std::string_view JsonStringOr(const nlohmann::json& obj, std::string_view key,
                              std::string_view fallback = {});

// Serialises without throwing: invalid UTF-8 in strings is replaced.
std::string DumpJson(const nlohmann::json& value, int indent = -1);

}  // namespace mats

#endif  // MATS_CORE_JSON_H_
