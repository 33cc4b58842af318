#include "mats/core/limits.h"

#include <charconv>
#include <limits>

#include "mats/core/checked_math.h"
#include "mats/core/encoding.h"

namespace mats {
namespace {

struct FieldRef {
  LimitField info;
  uint64_t Limits::*u64 = nullptr;
  uint32_t Limits::*u32 = nullptr;
};

#define MATS_LIMIT_U64(name, text)                                       \
  FieldRef{{#name, text, [](const Limits& l) -> uint64_t { return l.name; }}, \
           &Limits::name, nullptr}
#define MATS_LIMIT_U32(name, text)                                       \
  FieldRef{{#name, text, [](const Limits& l) -> uint64_t { return l.name; }}, \
           nullptr, &Limits::name}

const FieldRef kFields[] = {
    MATS_LIMIT_U64(max_entries, "entries of one container or table (zip members, tensors, key/value pairs, graph nodes)"),
    MATS_LIMIT_U64(max_string_bytes, "one string or name read from input"),
    MATS_LIMIT_U32(max_depth, "nesting of structures inside one stream (pickle marks, protobuf, JSON, HDF5, Jinja)"),
    MATS_LIMIT_U32(max_nesting, "nesting of containers (zip in 7z in gzip ...)"),
    MATS_LIMIT_U64(max_uncompressed_bytes, "bytes produced by decompression for one top-level file"),
    MATS_LIMIT_U64(max_inflate_bytes, "bytes decompressed into memory for one member or stream"),
    MATS_LIMIT_U32(max_compression_ratio, "uncompressed/compressed ratio of one member (zip bombs)"),
    MATS_LIMIT_U64(max_pickle_ops, "opcodes run by the symbolic pickle machine per stream (bounds work)"),
    MATS_LIMIT_U64(max_memo_entries, "entries in a pickle memo"),
    MATS_LIMIT_U64(max_stack_items, "items on the pickle stack"),
    MATS_LIMIT_U64(max_findings, "findings recorded per file (further ones are counted)"),
    MATS_LIMIT_U64(max_json_bytes, "JSON headers and configs (safetensors header, config.json)"),
    MATS_LIMIT_U64(max_files, "files considered by one directory walk"),
    MATS_LIMIT_U64(max_text_bytes, "source files (Python, Jinja) reviewed by text rules"),
};

const std::vector<LimitField>& FieldList() {
  static const std::vector<LimitField> list = [] {
    std::vector<LimitField> v;
    for (const FieldRef& f : kFields) v.push_back(f.info);
    return v;
  }();
  return list;
}

}  // namespace

std::span<const LimitField> LimitFields() { return FieldList(); }

std::string LimitMessage(std::string_view name, uint64_t value) {
  return fmt::format("limit {}={} exceeded", name, value);
}

Status Limits::Set(std::string_view name, uint64_t value) {
  for (const FieldRef& f : kFields) {
    if (f.info.name != name) continue;
    if (f.u64 != nullptr) {
      this->*f.u64 = value;
    } else {
      if (value > std::numeric_limits<uint32_t>::max()) {
        return InvalidArgument("limit {}: value {} does not fit 32 bits", name,
                               value);
      }
      this->*f.u32 = static_cast<uint32_t>(value);
    }
    return Status::Ok();
  }
  return InvalidArgument("unknown limit '{}' (see `mats limits`)",
                         EscapePreview(name, 64));
}

Status Limits::SetFromString(std::string_view assignment) {
  size_t eq = assignment.find('=');
  if (eq == std::string_view::npos) {
    return InvalidArgument("limit '{}': want name=value",
                           EscapePreview(assignment, 64));
  }
  std::string_view name = assignment.substr(0, eq);
  std::string_view text = assignment.substr(eq + 1);
  uint64_t multiplier = 1;
  if (!text.empty()) {
    switch (text.back()) {
      case 'k': case 'K': multiplier = 1ull << 10; break;
      case 'm': case 'M': multiplier = 1ull << 20; break;
      case 'g': case 'G': multiplier = 1ull << 30; break;
      case 't': case 'T': multiplier = 1ull << 40; break;
      default: break;
    }
    if (multiplier != 1) text.remove_suffix(1);
  }
  uint64_t value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || ptr != text.data() + text.size() || text.empty()) {
    return InvalidArgument("limit {}: '{}' is not a non-negative integer",
                           EscapePreview(name, 64), EscapePreview(text, 32));
  }
  if (!CheckedMul(value, multiplier, &value)) {
    return InvalidArgument("limit {}: value overflows", EscapePreview(name, 64));
  }
  return Set(name, value);
}

}  // namespace mats
