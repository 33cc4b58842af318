// Limits — every resource bound a mats parser enforces, in one struct.
//
// Passed explicitly (by const reference) to every parser. Each field says what
// it protects. Hitting one returns kLimitExceeded whose message names the
// field ("limit max_depth=256 exceeded"). The CLI exposes each field as
// `--limit name=value`; Limits::Set() does the parsing.
//
//   Limits limits;
//   MATS_RETURN_IF_ERROR(limits.Set("max_depth", 64));
#ifndef MATS_CORE_LIMITS_H_
#define MATS_CORE_LIMITS_H_

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "mats/core/status.h"

namespace mats {

struct Limits {
  // Entries of one container or table: zip/tar members, tensors, GGUF
  // key/value pairs, ONNX nodes.
  uint64_t max_entries = 100'000;
  // One string or name read from input (pickle strings, JSON headers are
  // separate, see below).
  uint64_t max_string_bytes = 16ull << 20;
  // Nesting of structures inside one stream: pickle stack marks,
  // protobuf messages, JSON, HDF5 groups, Jinja blocks.
  uint32_t max_depth = 256;
  // Nesting of containers (zip in 7z in gzip ...).
  uint32_t max_nesting = 8;
  // Total bytes produced by decompression for one top-level file.
  uint64_t max_uncompressed_bytes = 64ull << 30;
  // Bytes decompressed into memory for one member or stream that must be
  // parsed (a compressed pickle, a deflated zip member).
  uint64_t max_inflate_bytes = 2ull << 30;
  // Uncompressed/compressed ratio of one member (zip bombs).
  uint32_t max_compression_ratio = 200;
  // Opcodes executed by the symbolic pickle machine per file: bounds work.
  uint64_t max_pickle_ops = 50'000'000;
  // Entries in a pickle memo.
  uint64_t max_memo_entries = 10'000'000;
  // Items on the pickle stack (including below marks).
  uint64_t max_stack_items = 10'000'000;
  // Findings recorded for one file before further ones are counted only.
  uint64_t max_findings = 1'000;
  // JSON headers and configs (safetensors header, Keras config.json).
  uint64_t max_json_bytes = 100ull << 20;
  // Files considered by one directory walk.
  uint64_t max_files = 1'000'000;
  // Size of source files (Python, Jinja) reviewed by text rules.
  uint64_t max_text_bytes = 16ull << 20;

  // Sets the field called `name`; kInvalidArgument for an unknown name or a
  // value that does not fit the field.
  Status Set(std::string_view name, uint64_t value);
  // Parses "name=value" (value may use k/m/g/t suffixes, powers of 1024).
  Status SetFromString(std::string_view assignment);
};

struct LimitField {
  std::string_view name;
  std::string_view protects;
  uint64_t (*get)(const Limits&);
};

// All fields, in declaration order, for help texts and docs.
std::span<const LimitField> LimitFields();

// The message every parser uses when a limit is hit:
// "limit max_depth=256 exceeded".
std::string LimitMessage(std::string_view name, uint64_t value);

}  // namespace mats

#endif  // MATS_CORE_LIMITS_H_
