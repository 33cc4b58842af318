#include "mats/gguf/gguf.h"

#include <fmt/core.h>

#include <algorithm>
#include <set>

#include "mats/core/byte_reader.h"
#include "mats/core/checked_math.h"
#include "mats/core/encoding.h"
#include "mats/jinja/jinja.h"

namespace mats::gguf {
namespace {

constexpr uint32_t kMaxDims = 4;  // GGML_MAX_DIMS
constexpr uint32_t kDefaultAlignment = 32;
// Dims read for a tensor that declares more than kMaxDims (each is reported
// and skipped); more than this is treated as a declared-size attack.
constexpr uint32_t kMaxDeclaredDims = 64;
// Nested array depth cap on top of limits.max_depth.
constexpr uint32_t kMaxArrayDepth = 64;
// Declared counts whose items would need more bytes than this are attacks,
// not truncation (256 TiB).
constexpr uint64_t kAbsurdBytes = uint64_t{1} << 48;

constexpr GgmlType kTypes[] = {
    {0, "F32", 1, 4},           {1, "F16", 1, 2},
    {2, "Q4_0", 32, 18},        {3, "Q4_1", 32, 20},
    {6, "Q5_0", 32, 22},        {7, "Q5_1", 32, 24},
    {8, "Q8_0", 32, 34},        {9, "Q8_1", 32, 36},
    {10, "Q2_K", 256, 84},      {11, "Q3_K", 256, 110},
    {12, "Q4_K", 256, 144},     {13, "Q5_K", 256, 176},
    {14, "Q6_K", 256, 210},     {15, "Q8_K", 256, 292},
    {16, "IQ2_XXS", 256, 66},   {17, "IQ2_XS", 256, 74},
    {18, "IQ3_XXS", 256, 98},   {19, "IQ1_S", 256, 50},
    {20, "IQ4_NL", 32, 18},     {21, "IQ3_S", 256, 110},
    {22, "IQ2_S", 256, 82},     {23, "IQ4_XS", 256, 136},
    {24, "I8", 1, 1},           {25, "I16", 1, 2},
    {26, "I32", 1, 4},          {27, "I64", 1, 8},
    {28, "F64", 1, 8},          {29, "IQ1_M", 256, 56},
    {30, "BF16", 1, 2},         {31, "Q4_0_4_4", 32, 18},
    {32, "Q4_0_4_8", 32, 18},   {33, "Q4_0_8_8", 32, 18},
    {34, "TQ1_0", 256, 54},     {35, "TQ2_0", 256, 66},
    {36, "IQ4_NL_4_4", 32, 18}, {37, "IQ4_NL_4_8", 32, 18},
    {38, "IQ4_NL_8_8", 32, 18}, {39, "MXFP4", 32, 17},
};

std::string Shown(std::string_view s) { return EscapePreview(s, 64); }

void Report(ScanContext& ctx, std::string_view rule, Severity sev,
            uint64_t offset, std::string member, std::string message,
            std::string evidence = {}) {
  ctx.Report({.rule_id = std::string(rule),
              .severity = sev,
              .member = std::move(member),
              .offset = offset,
              .message = std::move(message),
              .evidence = std::move(evidence)});
}

uint64_t FixedSize(ValueType t) {
  switch (t) {
    case ValueType::kU8:
    case ValueType::kI8:
    case ValueType::kBool:
      return 1;
    case ValueType::kU16:
    case ValueType::kI16:
      return 2;
    case ValueType::kU32:
    case ValueType::kI32:
    case ValueType::kF32:
      return 4;
    case ValueType::kU64:
    case ValueType::kI64:
    case ValueType::kF64:
      return 8;
    default:
      return 0;
  }
}

bool KnownType(uint32_t t) { return t <= 12; }

// Endian- and version-aware reads over a ByteReader.
class Reader {
 public:
  Reader(ByteSpan data, ScanContext& ctx) : r_(data), ctx_(ctx) {}

  void set_format(bool big_endian, bool v1) {
    be_ = big_endian;
    v1_ = v1;
  }
  ByteReader& raw() { return r_; }
  uint64_t offset() const { return r_.offset(); }
  uint64_t remaining() const { return r_.remaining(); }
  bool v1() const { return v1_; }

  Result<uint32_t> U32() { return be_ ? r_.ReadU32Be() : r_.ReadU32Le(); }
  Result<uint64_t> U64() { return be_ ? r_.ReadU64Be() : r_.ReadU64Le(); }
  Result<uint16_t> U16() { return be_ ? r_.ReadU16Be() : r_.ReadU16Le(); }
  // Counts and lengths: u32 in v1, u64 after.
  Result<uint64_t> Count() {
    if (v1_) {
      MATS_ASSIGN_OR_RETURN(uint32_t v, U32());
      return uint64_t{v};
    }
    return U64();
  }

  // A declared count of items of at least `min_item` bytes each. Over the
  // limit, or needing more than kAbsurdBytes (no real file is that large), is
  // a finding and an error; more than the rest of the file holds is
  // truncation (an error only: a cut download is not an attack).
  Status CheckCount(uint64_t declared, uint64_t min_item, uint64_t at,
                    std::string_view what, std::string_view limit_name,
                    uint64_t limit_value, std::string member = {}) {
    uint64_t need = 0;
    bool overflow = !CheckedMul(declared, min_item, &need);
    if (declared > limit_value) {
      Report(ctx_, kRuleDeclaredSize, Severity::kHigh, at, std::move(member),
             fmt::format("declared {} {}: {}", what, declared,
                         LimitMessage(limit_name, limit_value)));
      return LimitExceededAt(at, "gguf: {} {} at offset {}: {}", what, declared,
                             at, LimitMessage(limit_name, limit_value));
    }
    if (overflow || need > kAbsurdBytes) {
      Report(ctx_, kRuleDeclaredSize, Severity::kHigh, at, std::move(member),
             fmt::format("declared {} {} would need {} bytes", what, declared,
                         overflow ? std::string("more than 2^64")
                                  : std::to_string(need)));
      return Malformed(at, "gguf: {} {} at offset {}: impossibly large", what,
                       declared, at);
    }
    if (need > r_.remaining()) {
      return Malformed(
          at, "gguf: {} {} at offset {}: got {} bytes, want {} (truncated)",
          what, declared, at, r_.remaining(), need);
    }
    return Status::Ok();
  }

  Result<std::string_view> String(std::string member = {}) {
    uint64_t at = r_.offset();
    MATS_ASSIGN_OR_RETURN(uint64_t declared_len, Count());
    MATS_RETURN_IF_ERROR(
        CheckCount(declared_len, 1, at, "string length", "max_string_bytes",
                   ctx_.limits().max_string_bytes, std::move(member)));
    return r_.ReadChars(declared_len);
  }

 private:
  ByteReader r_;
  ScanContext& ctx_;
  bool be_ = false;
  bool v1_ = false;
};

// Skips one array value (after its type was read) with an explicit stack.
Status SkipArray(Reader& rd, KeyValue* kv, ScanContext& ctx) {
  struct Frame {
    ValueType type;
    uint64_t left;
  };
  const uint32_t max_depth =
      std::min<uint32_t>(ctx.limits().max_depth, kMaxArrayDepth);
  std::vector<Frame> stack;
  auto push_array = [&](bool top) -> Status {
    uint64_t at = rd.offset();
    MATS_ASSIGN_OR_RETURN(uint32_t declared_type, rd.U32());
    if (!KnownType(declared_type)) {
      Report(ctx, kRuleUnknownValueType, Severity::kMedium, at, kv->key,
             fmt::format("array of unknown value type {}", declared_type));
      return Malformed(at,
                       "gguf: array element type {} at offset {}: want 0..12",
                       declared_type, at);
    }
    auto type = static_cast<ValueType>(declared_type);
    uint64_t count_at = rd.offset();
    MATS_ASSIGN_OR_RETURN(uint64_t declared_count, rd.Count());
    uint64_t min_item = FixedSize(type);
    if (type == ValueType::kString) {
      min_item = rd.v1() ? 4 : 8;
    }
    if (type == ValueType::kArray) {
      min_item = rd.v1() ? 8 : 12;
    }
    MATS_RETURN_IF_ERROR(rd.CheckCount(declared_count, min_item, count_at,
                                       "array length", "file size", UINT64_MAX,
                                       kv->key));
    if (top) {
      kv->array_type = type;
      kv->array_count = declared_count;
    }
    if (stack.size() >= max_depth) {
      Report(ctx, kRuleArrayDepth, Severity::kMedium, at, kv->key,
             fmt::format("arrays nested deeper than {}", max_depth));
      return LimitExceededAt(at, "gguf: nested arrays at offset {}: {}", at,
                             LimitMessage("max_depth", max_depth));
    }
    stack.push_back({type, declared_count});
    return Status::Ok();
  };
  MATS_RETURN_IF_ERROR(push_array(true));
  while (!stack.empty()) {
    Frame& f = stack.back();
    if (f.left == 0) {
      stack.pop_back();
      continue;
    }
    if (uint64_t size = FixedSize(f.type); size != 0) {
      // CheckCount guaranteed left * size <= remaining.
      MATS_RETURN_IF_ERROR(rd.raw().Skip(f.left * size));
      f.left = 0;
    } else if (f.type == ValueType::kString) {
      --f.left;
      MATS_ASSIGN_OR_RETURN(std::string_view s, rd.String(kv->key));
      (void)s;
    } else {  // nested array
      --f.left;
      MATS_RETURN_IF_ERROR(push_array(false));
    }
  }
  return Status::Ok();
}

Status ReadKeyValue(Reader& rd, File* file, ScanContext& ctx) {
  KeyValue kv;
  MATS_ASSIGN_OR_RETURN(std::string_view key, rd.String());
  kv.key = std::string(key);
  uint64_t type_at = rd.offset();
  MATS_ASSIGN_OR_RETURN(uint32_t declared_type, rd.U32());
  if (!KnownType(declared_type)) {
    Report(ctx, kRuleUnknownValueType, Severity::kMedium, type_at,
           Shown(kv.key),
           fmt::format("unknown metadata value type {}", declared_type));
    return Malformed(
        type_at, "gguf: value type {} of key \"{}\" at offset {}: want 0..12",
        declared_type, Shown(kv.key), type_at);
  }
  kv.type = static_cast<ValueType>(declared_type);
  kv.offset = rd.offset();
  switch (kv.type) {
    case ValueType::kString: {
      uint64_t len_at = rd.offset();
      MATS_ASSIGN_OR_RETURN(kv.string, rd.String(Shown(kv.key)));
      kv.offset = len_at + (rd.v1() ? 4 : 8);
      break;
    }
    case ValueType::kArray:
      MATS_RETURN_IF_ERROR(SkipArray(rd, &kv, ctx));
      break;
    case ValueType::kU8:
    case ValueType::kBool: {
      MATS_ASSIGN_OR_RETURN(uint8_t v, rd.raw().ReadU8());
      kv.integer = v;
      break;
    }
    case ValueType::kU16: {
      MATS_ASSIGN_OR_RETURN(uint16_t v, rd.U16());
      kv.integer = v;
      break;
    }
    case ValueType::kU32: {
      MATS_ASSIGN_OR_RETURN(uint32_t v, rd.U32());
      kv.integer = v;
      break;
    }
    case ValueType::kU64: {
      MATS_ASSIGN_OR_RETURN(uint64_t v, rd.U64());
      kv.integer = v;
      break;
    }
    default:
      MATS_RETURN_IF_ERROR(rd.raw().Skip(FixedSize(kv.type)));
      break;
  }
  file->kvs.push_back(std::move(kv));
  return Status::Ok();
}

// Metadata semantics: duplicates, alignment, chat templates.
void CheckMetadata(File* file, ScanContext& ctx) {
  std::set<std::string_view> seen;
  for (const KeyValue& kv : file->kvs) {
    if (!seen.insert(kv.key).second) {
      Report(ctx, kRuleDuplicate, Severity::kMedium, kv.offset, Shown(kv.key),
             "metadata key appears more than once (readers disagree on which "
             "value "
             "wins)");
    }
    if (kv.key == "general.alignment") {
      if (kv.type != ValueType::kU32) {
        Report(ctx, kRuleAlignment, Severity::kMedium, kv.offset, Shown(kv.key),
               "general.alignment is not a u32; the default 32 applies");
      } else if (kv.integer == 0 || (kv.integer & (kv.integer - 1)) != 0) {
        Report(
            ctx, kRuleAlignment, Severity::kMedium, kv.offset, Shown(kv.key),
            fmt::format("general.alignment {} is not a power of two (llama.cpp "
                        "rejects the file); the default 32 applies",
                        kv.integer));
      } else {
        file->alignment = static_cast<uint32_t>(kv.integer);
      }
    }
    bool is_template = kv.key == "tokenizer.chat_template" ||
                       kv.key.rfind("tokenizer.chat_template.", 0) == 0;
    if (is_template && kv.type == ValueType::kString) {
      jinja::ReportTemplate(kv.string, kv.key, kv.offset, ctx);
    }
  }
}

Status ReadTensorInfo(Reader& rd, File* file, ScanContext& ctx) {
  TensorInfo t;
  t.info_offset = rd.offset();
  MATS_ASSIGN_OR_RETURN(std::string_view name, rd.String());
  t.name = std::string(name);
  std::string member = Shown(t.name);
  uint64_t dims_at = rd.offset();
  MATS_ASSIGN_OR_RETURN(uint32_t declared_dims, rd.U32());
  if (declared_dims > kMaxDeclaredDims) {
    Report(ctx, kRuleDeclaredSize, Severity::kHigh, dims_at, member,
           fmt::format("tensor declares {} dimensions", declared_dims));
    return Malformed(
        dims_at, "gguf: n_dims {} of tensor \"{}\" at offset {}: want <= {}",
        declared_dims, member, dims_at, kMaxDims);
  }
  bool ok = true;
  if (declared_dims > kMaxDims) {
    Report(ctx, kRuleTooManyDims, Severity::kMedium, dims_at, member,
           fmt::format("tensor has {} dimensions; ggml supports at most {}",
                       declared_dims, kMaxDims));
    ok = false;
  }
  uint64_t elements = 1;
  bool overflow = false;
  for (uint32_t i = 0; i < declared_dims; ++i) {
    uint64_t d = 0;
    if (rd.v1()) {
      MATS_ASSIGN_OR_RETURN(uint32_t d32, rd.U32());
      d = d32;
    } else {
      MATS_ASSIGN_OR_RETURN(d, rd.U64());
    }
    t.dims.push_back(d);
    if (d > static_cast<uint64_t>(INT64_MAX)) {
      overflow = true;  // negative as int64
    }
    overflow = overflow || !CheckedMul(elements, d, &elements);
  }
  uint64_t type_at = rd.offset();
  MATS_ASSIGN_OR_RETURN(t.type, rd.U32());
  MATS_ASSIGN_OR_RETURN(t.offset, rd.U64());
  if (overflow || elements > static_cast<uint64_t>(INT64_MAX)) {
    Report(ctx, kRuleElementCount, Severity::kHigh, dims_at, member,
           "element count overflows (dims negative as int64 or product past "
           "2^63)");
    ok = false;
  }
  const GgmlType* type = FindGgmlType(t.type);
  if (type == nullptr) {
    Report(ctx, kRuleUnknownGgmlType, Severity::kMedium, type_at, member,
           fmt::format("unknown ggml type {}", t.type));
    ok = false;
  } else if (ok) {
    uint64_t first = t.dims.empty() ? 1 : t.dims[0];
    uint64_t bytes = 0;
    if (first % type->block_size != 0 || elements % type->block_size != 0) {
      Report(ctx, kRuleElementCount, Severity::kHigh, dims_at, member,
             fmt::format(
                 "first dimension {} is not a multiple of the {} block size {}",
                 first, type->name, type->block_size));
      ok = false;
    } else if (!CheckedMul(elements / type->block_size,
                           uint64_t{type->type_size}, &bytes)) {
      Report(ctx, kRuleElementCount, Severity::kHigh, dims_at, member,
             "tensor byte size overflows 64 bits");
      ok = false;
    } else {
      t.bytes = bytes;
    }
  }
  t.valid = ok;
  file->tensors.push_back(std::move(t));
  return Status::Ok();
}

void CheckTensors(File* file, uint64_t file_size, ScanContext& ctx) {
  std::set<std::string_view> names;
  std::vector<const TensorInfo*> placed;
  for (const TensorInfo& t : file->tensors) {
    std::string member = Shown(t.name);
    if (!names.insert(t.name).second) {
      Report(ctx, kRuleDuplicate, Severity::kMedium, t.info_offset, member,
             "tensor name appears more than once");
    }
    if (t.offset % file->alignment != 0) {
      Report(
          ctx, kRuleMisaligned, Severity::kMedium, t.info_offset, member,
          fmt::format("tensor offset {} is not a multiple of the alignment {}",
                      t.offset, file->alignment));
    }
    if (!t.valid) {
      continue;
    }
    uint64_t start = 0;
    if (!CheckedAdd(file->data_offset, t.offset, &start) ||
        !RangeInside(start, t.bytes, file_size)) {
      Report(ctx, kRulePastEof, Severity::kHigh, t.info_offset, member,
             fmt::format(
                 "tensor data [{} + {}, {} bytes) extends past the end of the "
                 "file ({} bytes)",
                 file->data_offset, t.offset, t.bytes, file_size));
      continue;
    }
    placed.push_back(&t);
  }
  std::sort(placed.begin(), placed.end(),
            [](const TensorInfo* a, const TensorInfo* b) {
              return a->offset != b->offset ? a->offset < b->offset
                                            : a->bytes < b->bytes;
            });
  uint64_t end = 0;
  const TensorInfo* prev = nullptr;
  for (const TensorInfo* t : placed) {
    if (t->bytes == 0) {
      continue;
    }
    if (prev != nullptr && t->offset < end) {
      Report(
          ctx, kRuleOverlap, Severity::kHigh, t->info_offset, Shown(t->name),
          fmt::format("tensor data [{}, {}) overlaps '{}' ending at {}",
                      t->offset, t->offset + t->bytes, Shown(prev->name), end));
    }
    if (t->offset + t->bytes > end) {  // no overflow: RangeInside passed
      end = t->offset + t->bytes;
      prev = t;
    }
  }
}

}  // namespace

const GgmlType* FindGgmlType(uint32_t id) {
  for (const GgmlType& t : kTypes) {
    if (t.id == id) {
      return &t;
    }
  }
  return nullptr;
}

Result<File> AnalyzeFile(ByteSpan data, ScanContext& ctx) {
  const Limits& limits = ctx.limits();
  Reader rd(data, ctx);
  File file;
  MATS_ASSIGN_OR_RETURN(ByteSpan magic, rd.raw().ReadBytes(4));
  if (AsChars(magic) != "GGUF") {
    return Malformed(0, "gguf: bad magic {} at offset 0, want \"GGUF\"",
                     HexEncode(magic));
  }
  MATS_ASSIGN_OR_RETURN(uint32_t version, rd.U32());
  uint32_t swapped = __builtin_bswap32(version);
  if (version >= 1 && version <= 3) {
    file.version = version;
  } else if (swapped >= 1 && swapped <= 3) {
    file.version = swapped;
    file.big_endian = true;
    Report(ctx, kRuleBigEndian, Severity::kInfo, 4, "",
           fmt::format(
               "big-endian GGUF v{} (byte-swapped version field); parsed as "
               "big-endian",
               swapped));
  } else {
    return UnsupportedAt(4, "gguf: version {} at offset 4: want 1..3", version);
  }
  rd.set_format(file.big_endian, file.version == 1);
  uint64_t at = rd.offset();
  MATS_ASSIGN_OR_RETURN(uint64_t declared_tensors, rd.Count());
  MATS_ASSIGN_OR_RETURN(uint64_t declared_kvs, rd.Count());
  uint64_t min_kv = file.version == 1 ? 4 + 4 + 1 : 8 + 4 + 1;
  uint64_t min_tensor = file.version == 1 ? 4 + 4 + 4 + 8 : 8 + 4 + 4 + 8;
  MATS_RETURN_IF_ERROR(rd.CheckCount(declared_kvs, min_kv, at, "metadata count",
                                     "max_entries", limits.max_entries));
  MATS_RETURN_IF_ERROR(rd.CheckCount(declared_tensors, min_tensor, at,
                                     "tensor count", "max_entries",
                                     limits.max_entries));
  // Both counts passed their limit and fit in the remaining bytes.
  file.tensor_count = declared_tensors;
  file.kv_count = declared_kvs;
  file.kvs.reserve(file.kv_count);
  for (uint64_t i = 0; i < file.kv_count; ++i) {
    Status s = ReadKeyValue(rd, &file, ctx);
    if (!s.ok()) {
      CheckMetadata(&file, ctx);  // templates read so far are still analysed
      return s;
    }
  }
  CheckMetadata(&file, ctx);
  file.tensors.reserve(file.tensor_count);
  for (uint64_t i = 0; i < file.tensor_count; ++i) {
    MATS_RETURN_IF_ERROR(ReadTensorInfo(rd, &file, ctx));
  }
  uint64_t end_of_infos = rd.offset();
  uint64_t padded = 0;
  if (!CheckedAdd(end_of_infos, uint64_t{file.alignment - 1}, &padded)) {
    return Malformed(end_of_infos, "gguf: data section offset overflows");
  }
  file.data_offset = padded / file.alignment * file.alignment;
  CheckTensors(&file, data.size(), ctx);
  return file;
}

Status AnalyzeGguf(ByteSpan data, ScanContext& ctx) {
  return AnalyzeFile(data, ctx).status();
}

namespace {

SniffResult Sniff(ByteSpan data, std::string_view /*name*/) {
  if (data.size() >= 4 && AsChars(data.first(4)) == "GGUF") {
    return SniffResult::kStrong;
  }
  return SniffResult::kNo;
}

constexpr std::string_view kAtlasParser[] = {"AML.T0011.000", "AML.T0010.003"};
constexpr uint8_t kIntegrity = static_cast<uint8_t>(Goal::kIntegrity);
constexpr uint8_t kMemory =
    Goal::kIntegrity | Goal::kAvailability | Goal::kConfidentiality;
constexpr std::string_view kSpec =
    "https://github.com/ggml-org/ggml/blob/master/docs/gguf.md";
constexpr std::string_view kAdvisories =
    "GHSA-7rxv-5jhh-j6xx; Databricks: GGML GGUF File Format Vulnerabilities "
    "(2024); "
    "https://github.com/ggml-org/ggml/blob/master/docs/gguf.md";

constexpr RuleInfo kRules[] = {
    {kRuleDeclaredSize, "GGUF declares impossible counts or lengths",
     Severity::kHigh,
     "A tensor or metadata count, string length, array length or n_dims is "
     "larger "
     "than the Limits allow or than the whole file could hold (e.g. 2^64-1). "
     "GGUF readers that allocate or loop from such values overflow the heap or "
     "exhaust memory (the 2024 llama.cpp/ggml GGUF CVEs).",
     "Do not load the file with any GGUF reader; report the publisher.",
     kAtlasParser, kMemory, kAdvisories},
    {kRuleBigEndian, "GGUF file is big-endian", Severity::kInfo,
     "The version field is byte-swapped: the file was written for a big-endian "
     "machine. mats parses it as big-endian; little-endian readers misread "
     "every count and offset.",
     "Use a little-endian conversion of the model on little-endian machines.",
     kAtlasParser, kIntegrity, kSpec},
    {kRuleUnknownValueType, "GGUF metadata has an unknown value type",
     Severity::kMedium,
     "A metadata value or array element type is not one of the 13 GGUF types. "
     "Readers cannot know its size; the rest of the file is unreadable and "
     "readers that guess diverge.",
     "Do not load the file.", kAtlasParser, kIntegrity, kAdvisories},
    {kRuleArrayDepth, "GGUF metadata arrays are nested too deeply",
     Severity::kMedium,
     "Arrays of arrays nest past max_depth (at most 64). Recursive readers "
     "exhaust their stack.",
     "Do not load the file, or raise --limit max_depth to inspect it.",
     kAtlasParser, Goal::kAvailability | Goal::kIntegrity, kAdvisories},
    {kRuleTooManyDims, "GGUF tensor has more than 4 dimensions",
     Severity::kMedium,
     "n_dims is above GGML_MAX_DIMS (4). ggml rejects it; readers with fixed "
     "arrays of 4 dims write past them.",
     "Do not load the file.", kAtlasParser, kMemory, kAdvisories},
    {kRuleElementCount, "GGUF tensor size overflows or breaks its block size",
     Severity::kHigh,
     "A dimension is negative as int64, the element count or byte size "
     "overflows, "
     "or the first dimension is not a multiple of the quantisation block size. "
     "Readers compute a wrong (small) size and read or write past the tensor.",
     "Do not load the file.", kAtlasParser, kMemory, kAdvisories},
    {kRuleUnknownGgmlType, "GGUF tensor has an unknown ggml type",
     Severity::kMedium,
     "The tensor type id is not a ggml type mats knows (F32 ... MXFP4), so its "
     "size cannot be checked. Readers index type tables with it.",
     "Update mats if the type is new; otherwise do not load the file.",
     kAtlasParser, kMemory, kAdvisories},
    {kRuleMisaligned, "GGUF tensor offset is not aligned", Severity::kMedium,
     "A tensor's offset is not a multiple of general.alignment (default 32). "
     "llama.cpp rejects such files; misaligned data is a sign of a hand-made "
     "file.",
     "Re-export the model with a standard writer.", kAtlasParser, kIntegrity,
     kSpec},
    {kRulePastEof, "GGUF tensor data lies past the end of the file",
     Severity::kHigh,
     "data section start + tensor offset + tensor size is past the end of the "
     "file (or overflows). Readers that map the file read out of bounds.",
     "Do not load the file; it is truncated or hostile.", kAtlasParser, kMemory,
     kAdvisories},
    {kRuleOverlap, "GGUF tensors overlap", Severity::kHigh,
     "Two tensors share bytes of the data section. Writers never produce it; "
     "aliasing tensors confuses readers and hides data.",
     "Do not load the file.", kAtlasParser, kIntegrity, kAdvisories},
    {kRuleAlignment, "GGUF general.alignment is invalid", Severity::kMedium,
     "general.alignment is not a u32 or not a power of two (0 included). "
     "llama.cpp rejects the file; other readers compute a different data "
     "section start.",
     "Do not load the file.", kAtlasParser, kIntegrity, kSpec},
    {kRuleDuplicate, "GGUF metadata key or tensor name repeated",
     Severity::kMedium,
     "The same metadata key or tensor name appears twice. Readers disagree on "
     "which one wins (a parser differential: e.g. a second chat template).",
     "Do not load the file.", kAtlasParser, kIntegrity, kSpec},
};

}  // namespace

const FormatHandler& GgufHandler() {
  static const FormatHandler h{
      "gguf", "GGUF v1-v3 (llama.cpp): metadata, tensor infos, chat templates",
      &Sniff, &AnalyzeGguf};
  return h;
}

std::span<const RuleInfo> GgufRules() { return kRules; }

}  // namespace mats::gguf
