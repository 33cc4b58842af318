// A bounded HDF5 reader for the access path a model scanner needs, and the
// "hdf5" format analyser (legacy tf.keras `.h5` models, Keras 3
// `model.weights.h5`).
//
// The reader finds the superblock (offset 0, 512, 1024, 2048, ...), reads
// superblock versions 0-3, object headers v1 and v2 with continuation
// blocks, and walks the group tree from the root with an explicit stack:
// symbol-table groups (v1 B-tree + local heap) and compact link messages.
// It records string attributes of the root group (fixed-length and
// variable-length strings, the latter from the global heap), external links,
// datasets with external raw-data files and virtual datasets. Structures it
// does not read (dense link/attribute storage in fractal heaps, shared
// messages, unknown versions) are listed in `unsupported`, never skipped
// silently. Checksums of v2 structures are not verified.
//
//   FileSummary s;
//   Status st = ReadHdf5(bytes, limits, &s);   // s holds what was read so far
//   for (const Attribute& a : s.root_attributes) ...
#ifndef MATS_HDF5_HDF5_H_
#define MATS_HDF5_HDF5_H_

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "mats/core/bytes.h"
#include "mats/core/finding.h"
#include "mats/core/format_handler.h"
#include "mats/core/limits.h"
#include "mats/core/scan_context.h"
#include "mats/core/status.h"

namespace mats::hdf5 {

struct Attribute {
  std::string name;
  // Decoded string values (one per element); empty for non-string types.
  std::vector<std::string> values;
  bool is_string = false;
  uint64_t offset = 0;  // of the attribute message
};

struct ExternalLink {
  std::string path;         // link path in this file ("/model_weights/x")
  std::string target_file;  // file the link points to
  std::string target_object;
  uint64_t offset = 0;
};

struct ExternalStorage {
  std::string path;                // dataset path
  std::vector<std::string> files;  // raw-data file names
  uint64_t offset = 0;
};

struct VirtualDataset {
  std::string path;
  std::string first_source_file;     // "" when not decoded
  std::string first_source_dataset;
  uint64_t mappings = 0;
  uint64_t offset = 0;
};

struct UnsupportedPart {
  std::string path;  // object path
  Status status;     // kUnsupported / kMalformed naming the structure
};

struct FileSummary {
  uint64_t signature_offset = 0;
  uint8_t superblock_version = 0;
  uint64_t objects = 0;  // object headers read
  std::vector<Attribute> root_attributes;
  std::vector<ExternalLink> external_links;
  std::vector<ExternalStorage> external_storage;
  std::vector<VirtualDataset> virtual_datasets;
  std::vector<UnsupportedPart> unsupported;
  bool user_block_nonzero = false;  // bytes before the signature not all 0
};

// Reads `data`. Errors: kMalformed (no signature, truncated or inconsistent
// structures, with the offset), kUnsupported (superblock version or field
// sizes this reader does not handle), kLimitExceeded (max_entries objects or
// messages, max_depth group nesting, max_string_bytes). `out` keeps what was
// read before an error.
Status ReadHdf5(ByteSpan data, const Limits& limits, FileSummary* out);

// Offset of the HDF5 signature (0, 512, 1024, ...), or -1 when absent.
int64_t FindSignature(ByteSpan data);

// Handler id "hdf5" (refined to "keras-h5" when the root has model_config).
const FormatHandler& Hdf5Handler();
std::span<const RuleInfo> Hdf5Rules();

// Reports MATS-H5 findings and hands model_config / training_config to the
// keras-config analyser through ctx.ScanNested(..., "keras-config").
Status AnalyzeHdf5(ByteSpan data, ScanContext& ctx);

inline constexpr std::string_view kRuleExternalLink = "MATS-H5-001";
inline constexpr std::string_view kRuleExternalStorage = "MATS-H5-002";
inline constexpr std::string_view kRuleVirtualDataset = "MATS-H5-003";
inline constexpr std::string_view kRuleUserBlock = "MATS-H5-004";
inline constexpr std::string_view kRuleKerasModel = "MATS-H5-005";

}  // namespace mats::hdf5

#endif  // MATS_HDF5_HDF5_H_
