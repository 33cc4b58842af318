// NumPy .npy files (format versions 1.0, 2.0 and 3.0).
//
// ParseNpyHeader() reads the magic, version, header length and the header
// dict (a Python literal, parsed by a bounded parser of our own, never
// evaluated), and derives the dtype's item size and whether it holds Python
// objects at any depth of a structured dtype. AnalyzeNpy() reports header
// anomalies, checks shape x itemsize against the data, and hands the data of
// object arrays (a pickle) to ctx.ScanNested(body, name, "pickle"). The data
// of other arrays is never read.
//
//   MATS_ASSIGN_OR_RETURN(NpyHeader h, ParseNpyHeader(bytes, limits));
//   if (h.has_object) ... bytes.subspan(h.data_offset) is a pickle ...
#ifndef MATS_NUMPY_NPY_H_
#define MATS_NUMPY_NPY_H_

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "mats/core/finding.h"
#include "mats/core/format_handler.h"
#include "mats/core/limits.h"
#include "mats/core/result.h"
#include "mats/core/scan_context.h"

namespace mats::numpy {

inline constexpr std::string_view kRuleObjectArray = "MATS-NPY-001";
inline constexpr std::string_view kRuleHeaderTooLarge = "MATS-NPY-002";
inline constexpr std::string_view kRuleDataSizeMismatch = "MATS-NPY-003";
inline constexpr std::string_view kRuleHeaderAnomaly = "MATS-NPY-004";

// numpy's default `max_header_size` for np.load.
inline constexpr uint64_t kNumpyMaxHeaderSize = 10000;

std::span<const RuleInfo> NumpyRules();
const FormatHandler& NpyHandler();

struct NpyHeader {
  uint8_t major = 0;
  uint8_t minor = 0;
  uint64_t header_offset = 0;  // start of the header text
  uint64_t header_len = 0;
  uint64_t data_offset = 0;    // start of the array data
  std::string descr;           // dtype string, or "<structured>"
  bool fortran_order = false;
  std::vector<uint64_t> shape;
  uint64_t count = 0;          // product of shape
  uint64_t itemsize = 0;       // bytes per element (8 for object pointers)
  bool has_object = false;     // 'O' anywhere in the dtype
  bool size_overflow = false;  // count * itemsize overflows 64 bits
  // Inconsistencies numpy would reject or never write (for MATS-NPY-004).
  std::vector<std::string> anomalies;
};

// Parses the header. Errors: kMalformed (bad magic, truncated, header not a
// dict literal, missing or mistyped 'descr'/'shape', unknown dtype),
// kUnsupported (version other than 1.0/2.0/3.0), kLimitExceeded (header
// longer than limits.max_string_bytes, nesting deeper than max_depth).
Result<NpyHeader> ParseNpyHeader(ByteSpan data, const Limits& limits);

Status AnalyzeNpy(ByteSpan data, ScanContext& ctx);

}  // namespace mats::numpy

#endif  // MATS_NUMPY_NPY_H_
