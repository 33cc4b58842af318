#include "mats/numpy/npy.h"

#include <algorithm>

#include "mats/core/byte_reader.h"
#include "mats/core/checked_math.h"
#include "mats/core/encoding.h"
#include "numpy/py_literal.h"

namespace mats::numpy {
namespace {

using internal::PyValue;

constexpr uint8_t kMagic[] = {0x93, 'N', 'U', 'M', 'P', 'Y'};

struct TypeInfo {
  uint64_t size = 0;
  bool object = false;
};

// '<f8', '|u1', '<U10', '|S5', '|V16', '|O', '<M8[ns]', '|b1', '?'.
Result<TypeInfo> ParseTypeString(std::string_view s, uint64_t offset) {
  std::string_view orig = s;
  if (!s.empty() && (s[0] == '<' || s[0] == '>' || s[0] == '|' || s[0] == '=')) s.remove_prefix(1);
  if (s.empty()) return Malformed(offset, "npy: empty dtype '{}'", EscapePreview(orig));
  char kind = s[0];
  s.remove_prefix(1);
  size_t unit = s.find('[');
  std::string_view digits = s.substr(0, unit);
  if (unit != std::string_view::npos) {
    if ((kind != 'M' && kind != 'm') || s.back() != ']') {
      return Malformed(offset, "npy: unknown dtype '{}'", EscapePreview(orig));
    }
  }
  uint64_t n = 0;
  bool has_n = !digits.empty();
  for (char c : digits) {
    if (c < '0' || c > '9' || n > (1ull << 40)) {
      return Malformed(offset, "npy: unknown dtype '{}'", EscapePreview(orig));
    }
    n = n * 10 + static_cast<uint64_t>(c - '0');
  }
  TypeInfo t;
  switch (kind) {
    case '?':
      t.size = 1;
      return t;
    case 'O':
      t.size = 8;
      t.object = true;
      return t;
    case 'b': case 'i': case 'u': case 'f': case 'c': case 'M': case 'm':
      if (!has_n || n == 0 || n > 32) break;
      t.size = n;
      return t;
    case 'S': case 'a': case 'V':
      t.size = n;
      return t;
    case 'U':
      t.size = n * 4;
      return t;
    default:
      break;
  }
  return Malformed(offset, "npy: unknown dtype '{}'", EscapePreview(orig));
}

// Product of a shape given as an int or a tuple of ints; nullopt if invalid.
std::optional<uint64_t> ShapeProduct(const PyValue& v, bool* overflow) {
  if (v.kind == PyValue::Kind::kInt) {
    if (v.integer < 0) return std::nullopt;
    return static_cast<uint64_t>(v.integer);
  }
  if (v.kind != PyValue::Kind::kTuple) return std::nullopt;
  uint64_t p = 1;
  for (const PyValue& d : v.items) {
    if (d.kind != PyValue::Kind::kInt || d.integer < 0) return std::nullopt;
    if (!CheckedMul(p, static_cast<uint64_t>(d.integer), &p)) {
      *overflow = true;
      p = UINT64_MAX;
    }
  }
  return p;
}

// Item size and object-ness of a descr (string or structured list), walked
// with an explicit stack.
Status DescribeDtype(const PyValue& descr, uint64_t offset, uint32_t max_depth,
                     NpyHeader* h) {
  struct Item {
    const PyValue* v;
    uint64_t mult;
    uint32_t depth;
  };
  std::vector<Item> todo{{&descr, 1, 0}};
  uint64_t total = 0;
  bool overflow = false;
  while (!todo.empty()) {
    Item it = todo.back();
    todo.pop_back();
    if (it.depth > max_depth) {
      return LimitExceededAt(offset, "npy: dtype nesting: {}", LimitMessage("max_depth", max_depth));
    }
    if (it.v->kind == PyValue::Kind::kStr) {
      MATS_ASSIGN_OR_RETURN(TypeInfo t, ParseTypeString(it.v->str, offset));
      h->has_object = h->has_object || t.object;
      uint64_t bytes = 0;
      if (!CheckedMul(t.size, it.mult, &bytes) || !CheckedAdd(total, bytes, &total)) overflow = true;
      continue;
    }
    if (it.v->kind != PyValue::Kind::kList) {
      return Malformed(offset, "npy: 'descr' is neither a dtype string nor a list of fields");
    }
    for (const PyValue& field : it.v->items) {
      if (field.kind != PyValue::Kind::kTuple || field.items.size() < 2 || field.items.size() > 3) {
        return Malformed(offset, "npy: structured dtype field is not a (name, dtype[, shape]) tuple");
      }
      const PyValue& name = field.items[0];
      if (name.kind != PyValue::Kind::kStr && name.kind != PyValue::Kind::kTuple) {
        return Malformed(offset, "npy: structured dtype field name is not a string");
      }
      uint64_t mult = it.mult;
      if (field.items.size() == 3) {
        std::optional<uint64_t> n = ShapeProduct(field.items[2], &overflow);
        if (!n) return Malformed(offset, "npy: structured dtype field has a bad shape");
        if (!CheckedMul(mult, *n, &mult)) overflow = true;
      }
      todo.push_back({&field.items[1], mult, it.depth + 1});
    }
  }
  h->itemsize = total;
  h->size_overflow = h->size_overflow || overflow;
  return Status::Ok();
}

SniffResult SniffNpy(ByteSpan data, std::string_view) {
  if (data.size() >= 6 && std::equal(std::begin(kMagic), std::end(kMagic), data.begin())) {
    return SniffResult::kStrong;
  }
  return SniffResult::kNo;
}

}  // namespace

Result<NpyHeader> ParseNpyHeader(ByteSpan data, const Limits& limits) {
  ByteReader r(data);
  MATS_ASSIGN_OR_RETURN(ByteSpan magic, r.ReadBytes(6));
  if (!std::equal(std::begin(kMagic), std::end(kMagic), magic.begin())) {
    return Malformed(0, "npy: bad magic {}", HexEncode(magic));
  }
  NpyHeader h;
  MATS_ASSIGN_OR_RETURN(h.major, r.ReadU8());
  MATS_ASSIGN_OR_RETURN(h.minor, r.ReadU8());
  if (h.major < 1 || h.major > 3 || h.minor != 0) {
    return UnsupportedAt(6, "npy: format version {}.{}: want 1.0, 2.0 or 3.0", h.major, h.minor);
  }
  uint64_t declared_len = 0;
  if (h.major == 1) {
    MATS_ASSIGN_OR_RETURN(uint16_t v, r.ReadU16Le());
    declared_len = v;
  } else {
    MATS_ASSIGN_OR_RETURN(uint32_t v, r.ReadU32Le());
    declared_len = v;
  }
  if (declared_len > limits.max_string_bytes) {
    return LimitExceededAt(8, "npy: header of {} bytes: {}", declared_len,
                           LimitMessage("max_string_bytes", limits.max_string_bytes));
  }
  if (declared_len > r.remaining()) {
    return Malformed(8, "npy: header length {} exceeds the {} bytes left", declared_len, r.remaining());
  }
  h.header_offset = r.offset();
  h.header_len = declared_len;
  MATS_ASSIGN_OR_RETURN(std::string_view text, r.ReadChars(declared_len));
  h.data_offset = r.offset();
  if (h.major == 3 && !IsValidUtf8(text)) {
    return Malformed(h.header_offset, "npy: v3 header is not valid UTF-8");
  }
  if (text.empty() || text.back() != '\n') {
    h.anomalies.push_back("header does not end with a newline");
  }
  if (h.data_offset % 64 != 0 && h.data_offset % 16 != 0) {
    h.anomalies.push_back(fmt::format("array data starts at offset {}, not aligned to 16 or 64 bytes",
                                      h.data_offset));
  }
  // numpy pads with spaces (and older versions with NUL-free padding);
  // anything after the dict other than whitespace is an error.
  MATS_ASSIGN_OR_RETURN(PyValue dict, internal::ParsePyLiteral(text, limits.max_depth, h.header_offset));
  if (dict.kind != PyValue::Kind::kDict) {
    return Malformed(h.header_offset, "npy: header is not a dict literal");
  }
  for (size_t i = 0; i + 1 < dict.items.size(); i += 2) {
    const PyValue& k = dict.items[i];
    if (k.kind != PyValue::Kind::kStr ||
        (k.str != "descr" && k.str != "fortran_order" && k.str != "shape")) {
      h.anomalies.push_back(fmt::format("unexpected header key '{}'",
                                        k.kind == PyValue::Kind::kStr ? EscapePreview(k.str) : "?"));
    }
    for (size_t j = 0; j < i; j += 2) {
      if (dict.items[j].kind == PyValue::Kind::kStr && k.kind == PyValue::Kind::kStr &&
          dict.items[j].str == k.str) {
        h.anomalies.push_back(fmt::format("duplicate header key '{}'", EscapePreview(k.str)));
      }
    }
  }
  const PyValue* descr = dict.Get("descr");
  const PyValue* shape = dict.Get("shape");
  const PyValue* fortran = dict.Get("fortran_order");
  if (descr == nullptr) return Malformed(h.header_offset, "npy: header has no 'descr'");
  if (shape == nullptr) return Malformed(h.header_offset, "npy: header has no 'shape'");
  if (fortran == nullptr) {
    h.anomalies.push_back("header has no 'fortran_order'");
  } else if (fortran->kind != PyValue::Kind::kBool) {
    h.anomalies.push_back("'fortran_order' is not a bool");
  } else {
    h.fortran_order = fortran->boolean;
  }
  if (shape->kind != PyValue::Kind::kTuple) {
    return Malformed(h.header_offset, "npy: 'shape' is not a tuple");
  }
  h.count = 1;
  for (const PyValue& d : shape->items) {
    if (d.kind != PyValue::Kind::kInt || d.integer < 0) {
      return Malformed(h.header_offset, "npy: 'shape' holds a value that is not a non-negative int");
    }
    if (h.shape.size() >= 64) return Malformed(h.header_offset, "npy: 'shape' has more than 64 dimensions");
    h.shape.push_back(static_cast<uint64_t>(d.integer));
    if (!CheckedMul(h.count, static_cast<uint64_t>(d.integer), &h.count)) {
      h.size_overflow = true;
      h.count = UINT64_MAX;
    }
  }
  h.descr = descr->kind == PyValue::Kind::kStr ? descr->str : std::string("<structured>");
  MATS_RETURN_IF_ERROR(DescribeDtype(*descr, h.header_offset, limits.max_depth, &h));
  return h;
}

Status AnalyzeNpy(ByteSpan data, ScanContext& ctx) {
  MATS_ASSIGN_OR_RETURN(NpyHeader h, ParseNpyHeader(data, ctx.limits()));
  ctx.RefineFormat("numpy-npy");
  if (h.header_len > kNumpyMaxHeaderSize) {
    ctx.Report({.rule_id = std::string(kRuleHeaderTooLarge),
                .severity = Severity::kMedium,
                .member = {},
                .offset = 8,
                .message = fmt::format("npy header is {} bytes; numpy refuses headers over {} "
                                       "(max_header_size) because it parses them with literal_eval",
                                       h.header_len, kNumpyMaxHeaderSize),
                .evidence = {}});
  }
  for (const std::string& a : h.anomalies) {
    ctx.Report({.rule_id = std::string(kRuleHeaderAnomaly),
                .severity = Severity::kLow,
                .member = {},
                .offset = h.header_offset,
                .message = "npy: " + a,
                .evidence = {}});
  }
  ByteSpan body = data.subspan(h.data_offset);
  if (h.has_object) {
    ctx.Report({.rule_id = std::string(kRuleObjectArray),
                .severity = Severity::kInfo,
                .member = {},
                .offset = h.data_offset,
                .message = fmt::format("object dtype '{}': the array data is a pickle; "
                                       "np.load needs allow_pickle=True and runs it",
                                       EscapePreview(h.descr)),
                .evidence = {}});
    ctx.ScanNested(body, "object-data.pkl", "pickle").IgnoreError();
    return Status::Ok();
  }
  uint64_t expected = 0;
  if (h.size_overflow || !CheckedMul(h.count, h.itemsize, &expected)) {
    ctx.Report({.rule_id = std::string(kRuleDataSizeMismatch),
                .severity = Severity::kMedium,
                .member = {},
                .offset = h.header_offset,
                .message = "npy: shape x itemsize overflows 64 bits",
                .evidence = {}});
    return Status::Ok();
  }
  if (expected != body.size()) {
    bool trailing = body.size() > expected;
    ctx.Report({.rule_id = std::string(kRuleDataSizeMismatch),
                .severity = Severity::kMedium,
                .member = {},
                .offset = h.data_offset,
                .message = fmt::format("npy: shape and dtype need {} data bytes, the file has {}{}",
                                       expected, body.size(),
                                       trailing ? " (trailing bytes are scanned)" : " (truncated)"),
                .evidence = {}});
    if (trailing) {
      ctx.ScanNested(body.subspan(expected), "trailing-data").IgnoreError();
    }
  }
  return Status::Ok();
}

const FormatHandler& NpyHandler() {
  static const FormatHandler h{"npy", "NumPy .npy array (v1-v3 header)", &SniffNpy, &AnalyzeNpy};
  return h;
}

}  // namespace mats::numpy
