#include "mats/safetensors/safetensors.h"

#include <fmt/core.h>

#include <algorithm>
#include <array>
#include <cstring>

#include "mats/core/byte_reader.h"
#include "mats/core/checked_math.h"
#include "mats/core/encoding.h"
#include "mats/core/json.h"
#include "mats/jinja/jinja.h"

namespace mats::safetensors {
namespace {

struct DtypeInfo {
  std::string_view name;
  uint32_t bits;
};

// safetensors Dtype enum (0.6): sub-byte floats, FP8 variants, complex.
constexpr DtypeInfo kDtypes[] = {
    {"BOOL", 8}, {"F4", 4},      {"F6_E2M3", 6}, {"F6_E3M2", 6}, {"U8", 8},
    {"I8", 8},   {"F8_E5M2", 8}, {"F8_E4M3", 8}, {"F8_E8M0", 8}, {"I16", 16},
    {"U16", 16}, {"F16", 16},    {"BF16", 16},   {"I32", 32},    {"U32", 32},
    {"F32", 32}, {"C64", 64},    {"F64", 64},    {"I64", 64},    {"U64", 64},
};

constexpr size_t kEocdSearch = 65535 + 22;

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

std::string Shown(std::string_view s) { return EscapePreview(s, 64); }

std::string Lower(std::string_view s) {
  std::string r(s);
  for (char& c : r) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return r;
}

bool IsWordChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_';
}

// First code-like marker in a metadata value, or "".
std::string_view CodeMarker(std::string_view value) {
  static constexpr std::string_view kMarkers[] = {
      "import os",    "import subprocess",
      "__import__",   "exec(",
      "eval(",        "subprocess",
      "os.system",    "popen(",
      "<script",      "#!/bin/",
      "#!/usr/bin",   "powershell",
      "curl ",        "wget ",
      "rm -rf",       "base64 -d",
      "pickle.loads", "marshal.loads",
      "lambda ",      "def ",
      "/bin/sh",      "cmd.exe"};
  std::string lower = Lower(value);
  for (std::string_view m : kMarkers) {
    size_t at = lower.find(m);
    while (at != std::string::npos) {
      bool word_start =
          at == 0 || !IsWordChar(lower[at - 1]) || !IsWordChar(m[0]);
      if (word_start) {
        return m;
      }
      at = lower.find(m, at + 1);
    }
  }
  return {};
}

std::string_view UrlMarker(std::string_view value) {
  static constexpr std::string_view kSchemes[] = {
      "http://", "https://", "ftp://", "file://", "s3://", "gs://"};
  std::string lower = Lower(value);
  for (std::string_view s : kSchemes) {
    if (lower.find(s) != std::string::npos) {
      return s;
    }
  }
  return {};
}

bool HasEocd(ByteSpan data) {
  if (data.size() < 22) {
    return false;
  }
  size_t from = data.size() > kEocdSearch ? data.size() - kEocdSearch : 0;
  for (size_t i = data.size() - 22 + 1; i-- > from;) {
    if (data[i] == 'P' && data[i + 1] == 'K' && data[i + 2] == 5 &&
        data[i + 3] == 6) {
      return true;
    }
  }
  return false;
}

void CheckMetadata(const nlohmann::json& meta, Header* header,
                   ScanContext& ctx) {
  if (!meta.is_object()) {
    Report(ctx, kRuleMetadataType, Severity::kMedium, 8, "__metadata__",
           fmt::format("__metadata__ is a JSON {}, want an object of strings",
                       meta.type_name()));
    return;
  }
  for (const auto& [key, value] : meta.items()) {
    std::string member = "__metadata__." + Shown(key);
    if (!value.is_string()) {
      Report(
          ctx, kRuleMetadataType, Severity::kMedium, 8, member,
          fmt::format("metadata value of '{}' is a JSON {}, want a string (the "
                      "reference loader rejects the file)",
                      Shown(key), value.type_name()),
          EscapePreview(DumpJson(value), 80));
      continue;
    }
    const std::string& text = value.get_ref<const std::string&>();
    header->metadata[key] = text;
    if (std::string_view url = UrlMarker(text); !url.empty()) {
      Report(ctx, kRuleMetadataUrl, Severity::kInfo, 8, member,
             fmt::format("metadata value contains a {} URL", url), Shown(text));
    }
    if (std::string_view code = CodeMarker(text); !code.empty()) {
      Report(ctx, kRuleMetadataCode, Severity::kMedium, 8, member,
             fmt::format(
                 "metadata value looks like code or a shell command ('{}')",
                 Shown(code)),
             Shown(text));
    }
    if (jinja::LooksLikeTemplate(text)) {
      jinja::ReportTemplate(text, member, 8, ctx);
    }
  }
}

// Validates one tensor entry; returns it with valid=false on any failure.
TensorInfo CheckTensor(const std::string& name, const nlohmann::json& entry,
                       uint64_t buffer_size, ScanContext& ctx) {
  TensorInfo t;
  t.name = name;
  const std::string member = Shown(name);
  auto schema = [&](std::string msg, Severity sev = Severity::kMedium) {
    Report(ctx, kRuleSchema, sev, 8, member, std::move(msg));
  };
  if (!entry.is_object()) {
    schema(fmt::format("tensor entry is a JSON {}, want an object",
                       entry.type_name()));
    return t;
  }
  for (const auto& [k, v] : entry.items()) {
    (void)v;
    if (k != "dtype" && k != "shape" && k != "data_offsets") {
      schema(
          fmt::format("unexpected field '{}' in tensor entry (ignored by the "
                      "reference loader; can carry hidden data)",
                      Shown(k)),
          Severity::kLow);
    }
  }
  auto dtype = entry.find("dtype");
  auto shape = entry.find("shape");
  auto offsets = entry.find("data_offsets");
  if (dtype == entry.end() || shape == entry.end() || offsets == entry.end()) {
    schema("tensor entry lacks dtype, shape or data_offsets");
    return t;
  }
  if (!dtype->is_string()) {
    schema(
        fmt::format("dtype is a JSON {}, want a string", dtype->type_name()));
    return t;
  }
  t.dtype = dtype->get<std::string>();
  if (!shape->is_array() ||
      !std::all_of(shape->begin(), shape->end(), [](const nlohmann::json& d) {
        return d.is_number_unsigned();
      })) {
    schema("shape is not a list of non-negative integers");
    return t;
  }
  if (shape->size() > ctx.limits().max_entries) {
    schema(fmt::format("shape has {} dimensions: {}", shape->size(),
                       LimitMessage("max_entries", ctx.limits().max_entries)));
    return t;
  }
  for (const auto& d : *shape) {
    t.shape.push_back(d.get<uint64_t>());
  }
  if (!offsets->is_array() || offsets->size() != 2 ||
      !(*offsets)[0].is_number_unsigned() ||
      !(*offsets)[1].is_number_unsigned()) {
    schema("data_offsets is not a pair of non-negative integers");
    return t;
  }
  uint64_t declared_begin = (*offsets)[0].get<uint64_t>();
  uint64_t declared_end = (*offsets)[1].get<uint64_t>();
  t.begin = declared_begin;
  t.end = declared_end;
  t.has_range = declared_begin <= declared_end && declared_end <= buffer_size;
  uint32_t bits = DtypeBits(t.dtype);
  if (bits == 0) {
    Report(ctx, kRuleUnknownDtype, Severity::kMedium, 8, member,
           fmt::format("unknown dtype '{}'", Shown(t.dtype)));
  }
  bool ok = bits != 0;
  if (declared_begin > declared_end) {
    Report(ctx, kRuleOutOfBounds, Severity::kHigh, 8, member,
           fmt::format("data_offsets begin {} is after end {}", declared_begin,
                       declared_end));
    return t;
  }
  if (declared_end > buffer_size) {
    Report(
        ctx, kRuleOutOfBounds, Severity::kHigh, 8, member,
        fmt::format("data_offsets end {} is past the data buffer of {} bytes",
                    declared_end, buffer_size));
    ok = false;
  }
  if (bits != 0) {
    uint64_t elements = 1;
    bool overflow = false;
    for (uint64_t d : t.shape) {
      overflow = overflow || !CheckedMul(elements, d, &elements);
    }
    uint64_t total_bits = 0;
    overflow = overflow || !CheckedMul(elements, uint64_t{bits}, &total_bits);
    if (overflow) {
      Report(ctx, kRuleSizeMismatch, Severity::kHigh, 8, member,
             "element count x dtype size overflows 64 bits");
      ok = false;
    } else if (total_bits % 8 != 0) {
      Report(ctx, kRuleSizeMismatch, Severity::kHigh, 8, member,
             fmt::format("{} elements of {}-bit {} do not fill whole bytes",
                         elements, bits, Shown(t.dtype)));
      ok = false;
    } else if (total_bits / 8 != declared_end - declared_begin) {
      Report(ctx, kRuleSizeMismatch, Severity::kHigh, 8, member,
             fmt::format(
                 "shape x dtype is {} bytes but data_offsets span {} bytes",
                 total_bits / 8, declared_end - declared_begin));
      ok = false;
    }
  }
  t.valid = ok;
  return t;
}

// Sorted range checks: overlaps, holes and trailing bytes.
void CheckLayout(const Header& h, ByteSpan data, ScanContext& ctx) {
  std::vector<const TensorInfo*> ranges;
  for (const TensorInfo& t : h.tensors) {
    if (t.has_range) {
      ranges.push_back(&t);
    }
  }
  std::sort(ranges.begin(), ranges.end(),
            [](const TensorInfo* a, const TensorInfo* b) {
              return a->begin != b->begin ? a->begin < b->begin
                                          : a->end < b->end;
            });
  uint64_t covered = 0;
  const TensorInfo* prev = nullptr;
  std::vector<std::pair<uint64_t, uint64_t>> holes;
  for (const TensorInfo* t : ranges) {
    if (t->begin < covered) {
      Report(ctx, kRuleOverlap, Severity::kHigh, h.data_offset + t->begin,
             Shown(t->name),
             fmt::format("tensor bytes [{}, {}) overlap '{}' ending at {}",
                         t->begin, t->end,
                         prev ? Shown(prev->name) : std::string(), covered));
    } else if (t->begin > covered) {
      holes.emplace_back(covered, t->begin);
    }
    if (t->end > covered) {
      covered = t->end;
      prev = t;
    }
  }
  if (covered < h.data_bytes) {
    holes.emplace_back(covered, h.data_bytes);
  }
  for (const auto& [from, to] : holes) {
    bool trailing = to == h.data_bytes;
    std::string name = fmt::format("{}@{}", trailing ? "trailing" : "hole",
                                   h.data_offset + from);
    Report(ctx, kRuleHiddenBytes, Severity::kMedium, h.data_offset + from, "",
           fmt::format(
               "{} bytes [{}, {}) of the data buffer belong to no tensor{}",
               to - from, from, to,
               trailing ? " (trailing data; the reference loader rejects it)"
                        : " (a hole; the reference loader rejects it)"));
    ctx.ScanNested(data.subspan(h.data_offset + from, to - from), name)
        .IgnoreError();
  }
}

}  // namespace

uint32_t DtypeBits(std::string_view dtype) {
  for (const DtypeInfo& d : kDtypes) {
    if (d.name == dtype) {
      return d.bits;
    }
  }
  return 0;
}

Result<Header> AnalyzeHeader(ByteSpan data, ScanContext& ctx) {
  const Limits& limits = ctx.limits();
  ByteReader r(data);
  if (data.size() < 8) {
    return Malformed(0,
                     "safetensors: file of {} bytes is shorter than the 8-byte "
                     "header length",
                     data.size());
  }
  MATS_ASSIGN_OR_RETURN(uint64_t declared_n, r.ReadU64Le());
  // Polyglots: also a zip (EOCD at the end) or a pickle (proto opcode).
  if (HasEocd(data)) {
    Report(
        ctx, kRulePolyglot, Severity::kHigh, 0, "",
        "file is also a zip archive (end-of-central-directory record found): "
        "torch.load and zip tools see different content than safetensors "
        "loaders");
    ctx.ScanNested(data, "zip-polyglot", "zip").IgnoreError();
  }
  if (data[0] == 0x80 && data[1] >= 2 && data[1] <= 5) {
    Report(ctx, kRulePolyglot, Severity::kHigh, 0, "",
           fmt::format("file also starts like a protocol-{} pickle", data[1]));
    ctx.ScanNested(data, "pickle-polyglot", "pickle").IgnoreError();
  }

  uint64_t cap = std::min<uint64_t>(kMaxHeaderBytes, limits.max_json_bytes);
  if (declared_n > cap) {
    Report(ctx, kRuleHeaderFraming, Severity::kMedium, 0, "",
           fmt::format("header length {} exceeds the cap of {} bytes",
                       declared_n, cap));
    return LimitExceededAt(
        0, "safetensors: header length {}: {}", declared_n,
        declared_n > kMaxHeaderBytes
            ? fmt::format("reference cap {} exceeded", kMaxHeaderBytes)
            : LimitMessage("max_json_bytes", limits.max_json_bytes));
  }
  if (declared_n > data.size() - 8) {
    Report(ctx, kRuleHeaderFraming, Severity::kMedium, 0, "",
           fmt::format(
               "header length {} is past the end of the file ({} bytes after "
               "the length)",
               declared_n, data.size() - 8));
    return Malformed(
        0,
        "safetensors: header length {} at offset 0: got {} bytes, want "
        "at least {}",
        declared_n, data.size() - 8, declared_n);
  }
  Header h;
  h.header_bytes = declared_n;
  h.data_offset = 8 + declared_n;
  h.data_bytes = data.size() - h.data_offset;
  MATS_ASSIGN_OR_RETURN(std::string_view text, r.ReadChars(declared_n));
  if (text.empty() || text[0] != '{') {
    Report(ctx, kRuleHeaderFraming, Severity::kMedium, 8, "",
           "header does not start with '{' (the reference loader rejects it)",
           Shown(text.substr(0, 16)));
    return Malformed(8, "safetensors: header at offset 8: got {}, want '{{'",
                     Shown(text.substr(0, 8)));
  }

  JsonOptions opts{.max_depth = limits.max_depth,
                   .what = "safetensors: header"};
  Result<nlohmann::json> doc = ParseJson(text, opts);
  if (!doc.ok() &&
      doc.status().message().find("duplicate key") != std::string::npos) {
    Report(ctx, kRuleDuplicateKey, Severity::kHigh, 8, "",
           doc.status().message() +
               " (JSON parsers disagree on which entry wins: a scanner and a "
               "loader "
               "can see different tensors)");
    opts.reject_duplicate_keys = false;
    doc = ParseJson(text, opts);
  }
  if (!doc.ok()) {
    Report(ctx, kRuleHeaderFraming, Severity::kMedium, 8, "",
           "header is not valid UTF-8 JSON: " + doc.status().message());
    return doc.status().ShiftOffset(8);
  }
  if (!doc->is_object()) {
    return Malformed(8, "safetensors: header is a JSON {}, want an object",
                     doc->type_name());
  }
  if (doc->size() > limits.max_entries) {
    return LimitExceededAt(8, "safetensors: header has {} entries: {}",
                           doc->size(),
                           LimitMessage("max_entries", limits.max_entries));
  }
  // Padding after the JSON: the format allows spaces only.
  size_t last = text.find_last_not_of(' ');
  if (last != std::string_view::npos && text[last] != '}') {
    Report(ctx, kRuleHeaderFraming, Severity::kLow, 8 + last, "",
           "header is padded with characters other than spaces");
  }
  for (const auto& [key, value] : doc->items()) {
    if (key == "__metadata__") {
      CheckMetadata(value, &h, ctx);
      continue;
    }
    h.tensors.push_back(CheckTensor(key, value, h.data_bytes, ctx));
    if (key.empty()) {
      Report(ctx, kRuleSchema, Severity::kLow, 8, "",
             "tensor with an empty name");
    }
  }
  CheckLayout(h, data, ctx);
  return h;
}

Status AnalyzeSafetensors(ByteSpan data, ScanContext& ctx) {
  return AnalyzeHeader(data, ctx).status();
}

namespace {

SniffResult Sniff(ByteSpan data, std::string_view name) {
  if (data.size() >= 10) {
    uint64_t n = LoadU64Le(data);
    if (n >= 2 && n <= data.size() - 8 && data[8] == '{') {
      return SniffResult::kStrong;
    }
  }
  std::string lower = Lower(name);
  if (data.size() >= 8 && lower.size() >= 12 &&
      lower.compare(lower.size() - 12, 12, ".safetensors") == 0) {
    return SniffResult::kWeak;
  }
  return SniffResult::kNo;
}

constexpr std::string_view kAtlasParser[] = {"AML.T0011.000", "AML.T0010.003"};
constexpr std::string_view kAtlasHidden[] = {"AML.T0011.000", "AML.T0010.003",
                                             "AML.T0018.002"};
constexpr uint8_t kIntegrity = static_cast<uint8_t>(Goal::kIntegrity);
constexpr uint8_t kIntegrityAvailability =
    Goal::kIntegrity | Goal::kAvailability;
constexpr std::string_view kSpec =
    "https://github.com/huggingface/safetensors#format";

constexpr RuleInfo kRules[] = {
    {kRuleDuplicateKey, "safetensors header has duplicate keys",
     Severity::kHigh,
     "The JSON header names the same key twice. The format forbids it and JSON "
     "parsers disagree on which entry wins, so a scanner or converter can see "
     "different tensors (or metadata) than the loader that runs the model: a "
     "classic parser differential.",
     "Reject the file or re-export it with a single entry per tensor.",
     kAtlasParser, kIntegrity, kSpec},
    {kRuleHeaderFraming, "safetensors header framing is invalid",
     Severity::kMedium,
     "The 8-byte header length is past the end of the file or over the 100 MB "
     "cap of the reference loader (or max_json_bytes), the header does not "
     "start "
     "with '{', is padded with other than spaces, or is not valid UTF-8 JSON. "
     "Such files target parsers that trust the length or the JSON.",
     "Do not load the file; obtain a correctly written one.", kAtlasParser,
     kIntegrityAvailability, kSpec},
    {kRuleSchema, "safetensors tensor entry has the wrong shape",
     Severity::kMedium,
     "A tensor entry is not an object with a string dtype, a list of "
     "non-negative integer dims and a [begin, end] pair of non-negative "
     "integers, or it carries extra fields (low: ignored by the reference "
     "loader, but a place to hide data).",
     "Re-export the file with a conforming writer.", kAtlasParser, kIntegrity,
     kSpec},
    {kRuleUnknownDtype, "safetensors tensor has an unknown dtype",
     Severity::kMedium,
     "The dtype is none of BOOL, U8, I8, U16, I16, U32, I32, U64, I64, F16, "
     "BF16, "
     "F32, F64, C64, F8_E4M3, F8_E5M2, F8_E8M0, F4, F6_E2M3, F6_E3M2. Loaders "
     "reject it; a size computed from it by another tool may be wrong.",
     "Check the writer; re-export with a supported dtype.", kAtlasParser,
     kIntegrity, kSpec},
    {kRuleSizeMismatch, "safetensors tensor size does not match its byte range",
     Severity::kHigh,
     "prod(shape) x dtype size differs from end - begin, overflows 64 bits, or "
     "leaves a partial byte. Loaders that trust the shape read outside the "
     "tensor's bytes (memory disclosure, crashes).",
     "Do not load the file.", kAtlasParser, kIntegrityAvailability, kSpec},
    {kRuleOutOfBounds, "safetensors tensor offsets outside the data buffer",
     Severity::kHigh,
     "data_offsets end is past the data buffer, or begin is after end. Loaders "
     "without checks read past the mapping.",
     "Do not load the file.", kAtlasParser, kIntegrityAvailability, kSpec},
    {kRuleOverlap, "safetensors tensors overlap", Severity::kHigh,
     "Two tensors share bytes of the data buffer. The reference loader rejects "
     "it; other loaders alias the tensors (writes to one change the other) or "
     "misreport sizes.",
     "Do not load the file.", kAtlasParser, kIntegrity, kSpec},
    {kRuleHiddenBytes, "safetensors data buffer has bytes no tensor covers",
     Severity::kMedium,
     "Part of the data buffer (a hole between tensors, or trailing bytes after "
     "the last tensor) belongs to no tensor. The reference loader rejects such "
     "files; the bytes are a place to hide a payload (a pickle or zip for "
     "another loader). mats scans the uncovered bytes as nested content.",
     "Inspect the uncovered bytes; re-export the file.", kAtlasHidden,
     kIntegrity, kSpec},
    {kRuleMetadataType, "safetensors __metadata__ is not string to string",
     Severity::kMedium,
     "__metadata__ must map strings to strings; the reference loader rejects "
     "anything else, other tools may pass nested values on.",
     "Re-export the file with string metadata.", kAtlasParser, kIntegrity,
     kSpec},
    {kRuleMetadataUrl, "safetensors metadata contains a URL", Severity::kInfo,
     "A __metadata__ value contains a URL. Usually provenance or a licence "
     "link; listed so reviewers can check where it points.",
     "Check the URL if tooling fetches metadata links.", kAtlasParser,
     kIntegrity, kSpec},
    {kRuleMetadataCode, "safetensors metadata contains code-like text",
     Severity::kMedium,
     "A __metadata__ value looks like code or a shell command (import, exec(, "
     "eval(, subprocess, os.system, curl, wget, #!/bin ...). Metadata is free "
     "text; tools that evaluate or template it run it. Jinja templates in "
     "metadata are analysed with the MATS-JINJA rules.",
     "Review the metadata value; strip it before distributing the model.",
     kAtlasHidden, kIntegrity, kSpec},
    {kRulePolyglot, "safetensors file is also a zip or pickle", Severity::kHigh,
     "The file is valid safetensors and also a zip archive (an end-of-central-"
     "directory record in its last 64 KiB) or starts like a pickle. torch.load "
     "and zip tools then load different content than safetensors loaders: a "
     "way "
     "to pass a scanner that only checks the safetensors view. The other view "
     "is "
     "scanned as nested content.",
     "Reject the file; a genuine safetensors export is never a polyglot.",
     kAtlasHidden, Goal::kIntegrity | Goal::kAuthenticity,
     "https://hiddenlayer.com/innovation-hub/silent-sabotage/; "
     "https://github.com/huggingface/safetensors#format"},
};

}  // namespace

const FormatHandler& SafetensorsHandler() {
  static const FormatHandler h{
      "safetensors", "safetensors tensors: header validated, data never read",
      &Sniff, &AnalyzeSafetensors};
  return h;
}

std::span<const RuleInfo> SafetensorsRules() { return kRules; }

}  // namespace mats::safetensors
