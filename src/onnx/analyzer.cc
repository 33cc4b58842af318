// ONNX rules, sniffing and the format handler.
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <set>
#include <string>

#include "mats/core/checked_math.h"
#include "mats/core/encoding.h"
#include "mats/onnx/onnx.h"
#include "mats/protobuf/wire.h"

namespace mats::onnx {
namespace {

using protobuf::WireField;
using protobuf::WireReader;
using protobuf::WireType;

constexpr std::string_view kPolicyDomain = "onnx-domain";

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

bool IsAsciiAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// ---------------------------------------------------------------------------
// Sniffing

SniffResult Sniff(ByteSpan data, std::string_view name) {
  const bool name_hint = Lower(name).ends_with(".onnx");
  WireReader r(data, 0, 8);
  WireField f;
  bool ir_version = false;
  bool graph_or_opset = false;
  bool first = true;
  for (int i = 0; i < 64; ++i) {
    Result<bool> more = r.Next(&f);
    if (!more.ok()) return name_hint ? SniffResult::kWeak : SniffResult::kNo;
    if (!*more) break;
    WireType want;
    switch (f.number) {
      case 1: case 5: want = WireType::kVarint; break;
      case 2: case 3: case 4: case 6: case 7: case 8: case 14: case 20: case 25:
        want = WireType::kLen;
        break;
      default:
        return name_hint ? SniffResult::kWeak : SniffResult::kNo;
    }
    if (f.type != want) return name_hint ? SniffResult::kWeak : SniffResult::kNo;
    if (f.number == 1) {
      if (!first || f.value == 0 || f.value > 64) {
        return name_hint ? SniffResult::kWeak : SniffResult::kNo;
      }
      ir_version = true;
    }
    if (f.number == 7 || f.number == 8) graph_or_opset = true;
    first = false;
  }
  if (ir_version && graph_or_opset) return SniffResult::kStrong;
  return name_hint ? SniffResult::kWeak : SniffResult::kNo;
}

// ---------------------------------------------------------------------------
// External data

struct ExternalRef {
  std::string_view location;
  bool has_location = false;
  std::string_view offset_text;
  std::string_view length_text;
  bool has_offset = false;
  bool has_length = false;
};

ExternalRef GetExternalRef(const OnnxTensor& t) {
  ExternalRef e;
  for (const auto& [k, v] : t.external_data) {
    if (k == "location") {
      e.location = v;
      e.has_location = true;
    } else if (k == "offset") {
      e.offset_text = v;
      e.has_offset = true;
    } else if (k == "length") {
      e.length_text = v;
      e.has_length = true;
    }
  }
  return e;
}

bool ParseDecimal(std::string_view s, uint64_t* out) {
  if (s.empty() || s.size() > 20) return false;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    if (!CheckedMul<uint64_t>(v, 10, &v) ||
        !CheckedAdd<uint64_t>(v, static_cast<uint64_t>(c - '0'), &v)) {
      return false;
    }
  }
  *out = v;
  return true;
}

// Expected byte size of a fixed-size tensor; nullopt when unknown.
// `problem` is set when dims are invalid.
std::optional<uint64_t> ExpectedBytes(const OnnxTensor& t, std::string* problem,
                                      uint64_t* elements) {
  uint64_t n = 1;
  for (int64_t d : t.dims) {
    if (d < 0) {
      *problem = fmt::format("negative dimension {}", d);
      return std::nullopt;
    }
    if (!CheckedMul<uint64_t>(n, static_cast<uint64_t>(d), &n)) {
      *problem = "element count overflows 64 bits";
      return std::nullopt;
    }
  }
  *elements = n;
  const uint32_t bits = OnnxElementBits(t.data_type);
  if (bits == 0) return std::nullopt;
  uint64_t total_bits = 0;
  if (!CheckedMul<uint64_t>(n, bits, &total_bits)) {
    *problem = "byte size overflows 64 bits";
    return std::nullopt;
  }
  return total_bits / 8 + (total_bits % 8 != 0 ? 1 : 0);
}

std::string DimsText(const OnnxTensor& t) {
  std::string s = "[";
  for (size_t i = 0; i < t.dims.size(); ++i) {
    if (i != 0) s += ",";
    s += std::to_string(t.dims[i]);
  }
  return s + "]";
}

class Evaluator {
 public:
  Evaluator(const OnnxModel& m, ScanContext& ctx) : m_(m), ctx_(ctx) {}

  void Run() {
    Domains();
    Libraries();
    for (const OnnxTensor& t : m_.tensors) TensorRules(t);
  }

 private:
  void Report(std::string_view rule, Severity sev, uint64_t offset,
              std::string message, std::string evidence = {}) {
    ctx_.Report({.rule_id = std::string(rule), .severity = sev, .member = {},
                 .offset = offset, .message = std::move(message),
                 .evidence = std::move(evidence)});
  }

  void Domains() {
    std::set<std::string_view> local_domains;
    std::set<std::pair<std::string_view, std::string_view>> local_functions;
    for (const auto& [domain, name] : m_.functions) {
      local_domains.insert(domain);
      local_functions.insert({domain, name});
    }
    // domain -> (first offset, op types)
    std::map<std::string, std::pair<uint64_t, std::set<std::string>>> used;
    for (const auto& [key, use] : m_.ops) {
      const auto& [domain, op] = key;
      if (local_functions.count({domain, op}) != 0) continue;
      auto [it, inserted] = used.try_emplace(domain, use.first_offset,
                                             std::set<std::string>{});
      it->second.first = std::min(it->second.first, use.first_offset);
      if (it->second.second.size() < 16) it->second.second.insert(op);
    }
    for (const OnnxModel::Opset& o : m_.opsets) {
      if (local_domains.count(o.domain) != 0) continue;
      used.try_emplace(std::string(o.domain), o.offset, std::set<std::string>{});
    }
    for (const auto& [domain, info] : used) {
      const std::string name = domain.empty() ? std::string("ai.onnx") : domain;
      PolicyDecision d = ctx_.policy().Lookup(kPolicyDomain, name);
      if (d.kind == PolicyDecision::Kind::kAllowed) continue;
      Severity sev = Severity::kMedium;
      std::string why = "operator domain not in the ONNX standard; its operators "
                        "need a custom-op library in the runtime";
      if (d.kind == PolicyDecision::Kind::kDenied && d.entry != nullptr) {
        sev = d.entry->severity;
        if (!d.entry->reason.empty()) why = d.entry->reason;
      }
      std::string ops;
      for (const std::string& op : info.second) {
        if (!ops.empty()) ops += ", ";
        ops += EscapePreview(op, 64);
      }
      Report(kRuleCustomDomain, sev, info.first,
             fmt::format("non-standard operator domain \"{}\": {}",
                         EscapePreview(domain, 64), why),
             ops.empty() ? "declared in opset_import" : "ops: " + ops);
    }
  }

  void Libraries() {
    for (const auto& [k, v] : m_.metadata_props) {
      if (LooksLikeSharedLibrary(k) || LooksLikeSharedLibrary(v)) {
        Report(kRuleCustomLibrary, Severity::kMedium, 0,
               fmt::format("metadata_props entry \"{}\" names a native library",
                           EscapePreview(k, 64)),
               EscapePreview(v, 128));
      }
    }
    for (const OnnxModel::StringHint& h : m_.library_hints) {
      Report(kRuleCustomLibrary, Severity::kMedium, h.offset,
             fmt::format("attribute \"{}\" names a native library",
                         EscapePreview(h.key, 64)),
             EscapePreview(h.value, 128));
    }
  }

  void TensorRules(const OnnxTensor& t) {
    std::string problem;
    uint64_t elements = 0;
    std::optional<uint64_t> expected = ExpectedBytes(t, &problem, &elements);
    const std::string tname = EscapePreview(t.name, 64);
    if (!problem.empty()) {
      Report(kRuleSizeMismatch, Severity::kMedium, t.offset,
             fmt::format("tensor \"{}\" has invalid dims {}: {}", tname,
                         DimsText(t), problem));
    }
    const bool external = t.data_location == 1 || !t.external_data.empty();
    if (external) {
      External(t, expected);
      return;
    }
    if (t.has_segment || !problem.empty()) return;
    if (t.has_raw_data && expected.has_value() && t.raw_data_size != *expected) {
      Report(kRuleSizeMismatch, Severity::kMedium, t.offset,
             fmt::format("tensor \"{}\" (data_type {}, dims {}) declares {} bytes "
                         "but raw_data holds {}",
                         tname, t.data_type, DimsText(t), *expected, t.raw_data_size));
      return;
    }
    if (!t.has_raw_data && t.typed_fields == 1) {
      uint64_t want = elements;
      if (t.data_type == 14 || t.data_type == 15) {
        if (!CheckedMul<uint64_t>(elements, 2, &want)) return;
      } else if (OnnxElementBits(t.data_type) == 4) {
        want = elements / 2 + elements % 2;
      }
      if (t.typed_values != want && (OnnxElementBits(t.data_type) != 0 ||
                                     t.data_type == 8)) {
        Report(kRuleSizeMismatch, Severity::kMedium, t.offset,
               fmt::format("tensor \"{}\" (data_type {}, dims {}) declares {} "
                           "values but holds {}",
                           tname, t.data_type, DimsText(t), want, t.typed_values));
      }
    }
  }

  struct DiskInfo {
    bool usable = false;
    uint64_t size = 0;
  };

  void External(const OnnxTensor& t, std::optional<uint64_t> expected) {
    const ExternalRef e = GetExternalRef(t);
    const std::string tname = EscapePreview(t.name, 64);
    std::string_view reason = e.has_location ? UnsafeLocationReason(e.location)
                                             : std::string_view("no location key");
    if (!reason.empty()) {
      Report(kRuleUnsafeLocation, Severity::kHigh, t.offset,
             fmt::format("tensor \"{}\" takes its data from an unsafe external "
                         "location ({})",
                         tname, reason),
             fmt::format("location=\"{}\"", EscapePreview(e.location, 128)));
      return;
    }
    uint64_t offset = 0;
    uint64_t length = 0;
    if (e.has_offset && !ParseDecimal(e.offset_text, &offset)) {
      Report(kRuleExternalFile, Severity::kMedium, t.offset,
             fmt::format("tensor \"{}\": external_data offset is not a decimal "
                         "number", tname),
             fmt::format("offset=\"{}\"", EscapePreview(e.offset_text, 64)));
      return;
    }
    if (e.has_length && !ParseDecimal(e.length_text, &length)) {
      Report(kRuleExternalFile, Severity::kMedium, t.offset,
             fmt::format("tensor \"{}\": external_data length is not a decimal "
                         "number", tname),
             fmt::format("length=\"{}\"", EscapePreview(e.length_text, 64)));
      return;
    }
    if (e.has_length && expected.has_value() && length != *expected) {
      Report(kRuleSizeMismatch, Severity::kMedium, t.offset,
             fmt::format("tensor \"{}\" (data_type {}, dims {}) declares {} bytes "
                         "but its external_data length is {}",
                         tname, t.data_type, DimsText(t), *expected, length));
    }
    if (ctx_.file_path().empty()) return;
    const DiskInfo& disk = Disk(e.location, t.offset);
    if (!disk.usable) return;
    const uint64_t need = e.has_length ? length : expected.value_or(0);
    if (!RangeInside(offset, need, disk.size)) {
      Report(kRuleExternalFile, Severity::kMedium, t.offset,
             fmt::format("tensor \"{}\": external range offset {} length {} lies "
                         "outside \"{}\" ({} bytes)",
                         tname, offset, need, EscapePreview(e.location, 64),
                         disk.size));
    }
  }

  // Checks one location on disk once; later tensors reuse the answer.
  const DiskInfo& Disk(std::string_view location, uint64_t offset) {
    auto it = disk_.find(std::string(location));
    if (it != disk_.end()) return it->second;
    DiskInfo info = CheckDisk(location, offset);
    return disk_.emplace(std::string(location), info).first->second;
  }

  static bool Inside(const std::filesystem::path& real_dir,
                     const std::filesystem::path& real_file) {
    const std::string d = real_dir.string();
    const std::string f = real_file.string();
    return f.size() > d.size() && f.compare(0, d.size(), d) == 0 &&
           (d.back() == '/' || f[d.size()] == '/');
  }

  DiskInfo CheckDisk(std::string_view location, uint64_t offset) {
    namespace fs = std::filesystem;
    const std::string shown = EscapePreview(location, 64);
    fs::path dir = fs::path(ctx_.file_path()).parent_path();
    if (dir.empty()) dir = ".";
    // Components below the model folder ("." and empty ones dropped).
    std::vector<std::string> comps;
    size_t start = 0;
    while (start <= location.size()) {
      size_t slash = location.find('/', start);
      if (slash == std::string_view::npos) slash = location.size();
      std::string_view comp = location.substr(start, slash - start);
      start = slash + 1;
      if (!comp.empty() && comp != ".") comps.emplace_back(comp);
    }
    if (comps.empty()) {
      Report(kRuleUnsafeLocation, Severity::kHigh, offset,
             fmt::format("external data location \"{}\" names the model folder "
                         "itself", shown));
      return {};
    }
    fs::path full = dir;
    for (const std::string& c : comps) full /= c;
    // 1. Containment after canonicalisation (follows links, metadata only).
    std::error_code ec1;
    std::error_code ec2;
    const fs::path real_dir = fs::canonical(dir, ec1);
    const fs::path real_file = fs::canonical(full, ec2);
    if (!ec1 && !ec2 && !Inside(real_dir, real_file)) {
      Report(kRuleOutsideFolder, Severity::kHigh, offset,
             fmt::format("external data \"{}\" resolves outside the model folder",
                         shown),
             fmt::format("resolved \"{}\"", EscapePreview(real_file.string(), 128)));
      return {};
    }
    // 2. lstat every component: links (even inside the folder), missing
    //    parts, non-directories.
    fs::path cur = dir;
    struct stat st {};
    for (size_t i = 0; i < comps.size(); ++i) {
      cur /= comps[i];
      if (::lstat(cur.c_str(), &st) != 0) {
        const int err = errno;
        Report(kRuleExternalFile, err == ENOENT ? Severity::kLow : Severity::kMedium,
               offset,
               fmt::format("external data \"{}\" cannot be examined: {} ({})", shown,
                           err == ENOENT ? "missing" : "lstat failed",
                           EscapePreview(cur.string(), 128)));
        return {};
      }
      if (S_ISLNK(st.st_mode)) {
        std::error_code ec;
        fs::path target = fs::read_symlink(cur, ec);
        Report(kRuleSymlink, Severity::kHigh, offset,
               fmt::format("external data \"{}\" is reached through a symbolic "
                           "link (\"{}\")",
                           shown, EscapePreview(comps[i], 64)),
               fmt::format("link target \"{}\"",
                           EscapePreview(ec ? std::string("?") : target.string(), 128)));
        return {};
      }
      if (i + 1 < comps.size() && !S_ISDIR(st.st_mode)) {
        Report(kRuleExternalFile, Severity::kMedium, offset,
               fmt::format("external data \"{}\": component \"{}\" is not a "
                           "directory", shown, EscapePreview(comps[i], 64)));
        return {};
      }
    }
    if (!S_ISREG(st.st_mode)) {
      Report(kRuleExternalFile, Severity::kMedium, offset,
             fmt::format("external data \"{}\" is not a regular file", shown));
      return {};
    }
    if (st.st_nlink > 1) {
      Report(kRuleHardlink, Severity::kHigh, offset,
             fmt::format("external data \"{}\" has {} hard links; it may be "
                         "another file outside the model folder",
                         shown, static_cast<uint64_t>(st.st_nlink)));
      return {};
    }
    if (ec1 || ec2) {
      Report(kRuleExternalFile, Severity::kMedium, offset,
             fmt::format("external data \"{}\" cannot be canonicalised", shown));
      return {};
    }
    return {true, static_cast<uint64_t>(st.st_size)};
  }

  const OnnxModel& m_;
  ScanContext& ctx_;
  std::map<std::string, DiskInfo> disk_;
};

// ---------------------------------------------------------------------------
// Rules and policy

constexpr std::string_view kAtlasTraversal[] = {"AML.T0011.000", "AML.T0010.003",
                                                "AML.T0025"};
constexpr std::string_view kAtlasCustomOp[] = {"AML.T0011.000", "AML.T0010.003",
                                               "AML.T0018.002"};
constexpr std::string_view kAtlasMalformed[] = {"AML.T0011.000", "AML.T0010.003"};

constexpr RuleInfo kRules[] = {
    {kRuleUnsafeLocation, "ONNX external data location escapes the model folder",
     Severity::kHigh,
     "A tensor's external_data `location` is absolute, has a drive letter, "
     "backslashes, a `..` component, a URI scheme, a NUL byte, or is empty. ONNX "
     "loaders join it to the model folder and read (or, when saving, write) that "
     "file, so a crafted model can read arbitrary files into its weights and leak "
     "them through inference outputs.",
     "Do not load the model. External data must be a plain relative file name "
     "inside the model folder; re-export the model with onnx >= 1.21.",
     kAtlasTraversal, Goal::kConfidentiality | Goal::kIntegrity,
     "CVE-2022-25882; CVE-2024-27318; GHSA-whh8-fjgc-qp73; CVE-2025-51480; "
     "https://github.com/onnx/onnx/blob/main/docs/ExternalData.md"},
    {kRuleOutsideFolder, "ONNX external data resolves outside the model folder",
     Severity::kHigh,
     "After canonicalisation the external-data file lies outside the folder "
     "holding the model, so loading the model reads a file the model's publisher "
     "does not control.",
     "Do not load the model; keep external data files inside the model folder.",
     kAtlasTraversal, Goal::kConfidentiality | Goal::kIntegrity,
     "CVE-2024-27318; https://github.com/onnx/onnx/blob/main/docs/ExternalData.md"},
    {kRuleSymlink, "ONNX external data reached through a symbolic link",
     Severity::kHigh,
     "The external-data path, or one of its parent folders, is a symbolic link. "
     "Links shipped with a model (archives, git checkouts) can point anywhere on "
     "the loading machine; onnx < 1.21 followed them.",
     "Replace links with the real files, or reject the model. Note that "
     "Hugging Face cache snapshots use symlinks: scan the downloaded blobs with "
     "--local-dir downloads instead.",
     kAtlasTraversal, Goal::kConfidentiality | Goal::kIntegrity,
     "CVE-2026-27489; GHSA-3r9x-f23j-gc73; CVE-2026-34447; GHSA-p433-9wv8-28xj"},
    {kRuleHardlink, "ONNX external data file has several hard links",
     Severity::kHigh,
     "The external-data file has a link count above one: it may be a hard link "
     "to a sensitive file elsewhere on the same file system, which no path check "
     "can see.",
     "Copy the data into a fresh file, or reject the model.", kAtlasTraversal,
     Goal::kConfidentiality | Goal::kIntegrity,
     "CVE-2026-34446; GHSA-cmw6-hcpp-c6jp"},
    {kRuleExternalFile, "ONNX external data missing or out of range",
     Severity::kMedium,
     "An external-data file is missing, is not a regular file, has an "
     "offset/length that is not a number, or the declared range lies outside "
     "the file. The model cannot be loaded as published, and out-of-range reads "
     "have crashed runtimes.",
     "Obtain the complete model; check that the external files match the model.",
     kAtlasMalformed, Goal::kIntegrity | Goal::kAvailability,
     "https://github.com/onnx/onnx/blob/main/docs/ExternalData.md"},
    {kRuleCustomDomain, "ONNX operator from a non-standard domain",
     Severity::kMedium,
     "A node or opset_import uses an operator domain other than the ONNX standard "
     "ones (\"\"/ai.onnx, ai.onnx.ml, ai.onnx.preview.training). Such operators "
     "are implemented by custom-op libraries (native code loaded into the "
     "runtime) or runtime extensions, e.g. onnxruntime-extensions' PyOp, which "
     "calls Python.",
     "Know which library implements the domain before loading; allow trusted "
     "domains with --allow onnx-domain:<domain>.",
     kAtlasCustomOp, Goal::kIntegrity | Goal::kConfidentiality,
     "https://onnxruntime.ai/docs/reference/operators/add-custom-op.html"},
    {kRuleCustomLibrary, "ONNX model names a native library", Severity::kMedium,
     "A metadata_props entry or a node attribute holds a shared-library file "
     "name (.so, .dll, .dylib, .pyd), a hint that loading the model requires "
     "registering a custom-op library, i.e. running native code shipped beside "
     "the model.",
     "Do not load libraries that come with a model; build custom ops from "
     "reviewed source.",
     kAtlasCustomOp, Goal::kIntegrity | Goal::kConfidentiality,
     "https://onnxruntime.ai/docs/reference/operators/add-custom-op.html"},
    {kRuleSizeMismatch, "ONNX tensor size inconsistent with its data",
     Severity::kMedium,
     "A tensor's dims × element size disagrees with the bytes or values it "
     "carries (raw_data, typed fields, or external_data length), or its dims are "
     "negative or overflow. Runtimes that trust the declared shape read out of "
     "bounds; scanners that trust it skip data.",
     "Re-export the model; do not load it with runtimes older than the fix for "
     "your runtime's tensor validation.",
     kAtlasMalformed, Goal::kIntegrity | Goal::kAvailability,
     "https://github.com/onnx/onnx/blob/main/onnx/onnx.proto"},
};

const PolicyEntry kPolicy[] = {
    {.domain = "onnx-domain", .name = "ai.onnx", .action = PolicyAction::kAllow,
     .exact = true, .category = "onnx standard", .reason = "default ONNX domain"},
    {.domain = "onnx-domain", .name = "ai.onnx.ml", .action = PolicyAction::kAllow,
     .exact = true, .category = "onnx standard", .reason = "ONNX-ML domain"},
    {.domain = "onnx-domain", .name = "ai.onnx.preview.training",
     .action = PolicyAction::kAllow, .exact = true, .category = "onnx standard",
     .reason = "ONNX training preview domain"},
    {.domain = "onnx-domain", .name = "com.microsoft", .action = PolicyAction::kDeny,
     .severity = Severity::kLow, .category = "runtime contrib ops",
     .reason = "onnxruntime contrib operators (built into onnxruntime, no "
               "external library; not portable to other runtimes)"},
    {.domain = "onnx-domain", .name = "ai.onnx.contrib", .action = PolicyAction::kDeny,
     .severity = Severity::kMedium, .category = "runtime extensions",
     .reason = "onnxruntime-extensions operators: need the extensions library, "
               "and PyOp runs Python callbacks"},
};

Status Analyze(ByteSpan data, ScanContext& ctx) { return AnalyzeOnnx(data, ctx); }

}  // namespace

std::string_view UnsafeLocationReason(std::string_view location) {
  if (location.empty()) return "empty location";
  if (location.find('\0') != std::string_view::npos) return "NUL byte";
  if (location.find('\\') != std::string_view::npos) return "backslash";
  if (location.front() == '/') return "absolute path";
  if (location.size() >= 2 && IsAsciiAlpha(location[0]) && location[1] == ':') {
    return "drive letter";
  }
  // URI scheme: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":"
  if (IsAsciiAlpha(location[0])) {
    size_t i = 1;
    while (i < location.size() &&
           (IsAsciiAlpha(location[i]) || (location[i] >= '0' && location[i] <= '9') ||
            location[i] == '+' || location[i] == '-' || location[i] == '.')) {
      ++i;
    }
    if (i < location.size() && location[i] == ':') return "URI scheme";
  }
  size_t start = 0;
  while (start <= location.size()) {
    size_t slash = location.find('/', start);
    if (slash == std::string_view::npos) slash = location.size();
    if (location.substr(start, slash - start) == "..") return "\"..\" component";
    start = slash + 1;
  }
  return {};
}

bool LooksLikeSharedLibrary(std::string_view s) {
  if (s.size() < 4 || s.size() > 4096) return false;
  if (s.find('\n') != std::string_view::npos || s.find(' ') != std::string_view::npos) {
    return false;
  }
  const std::string l = Lower(s);
  if (l.ends_with(".so") || l.ends_with(".dll") || l.ends_with(".dylib") ||
      l.ends_with(".pyd")) {
    return l.size() > 4;
  }
  // libfoo.so.1.2
  size_t pos = l.rfind(".so.");
  if (pos == std::string::npos || pos == 0) return false;
  for (size_t i = pos + 4; i < l.size(); ++i) {
    if (!(l[i] == '.' || (l[i] >= '0' && l[i] <= '9'))) return false;
  }
  return pos + 4 < l.size();
}

SniffResult SniffOnnx(ByteSpan data, std::string_view name) { return Sniff(data, name); }

Status AnalyzeOnnx(ByteSpan data, ScanContext& ctx) {
  OnnxModel model;
  Status st = ParseOnnx(data, ctx.limits(), &model);
  Evaluator(model, ctx).Run();
  return st;
}

const FormatHandler& OnnxHandler() {
  static const FormatHandler h{"onnx", "ONNX model (onnx.ModelProto protobuf)",
                               &SniffOnnx, &Analyze};
  return h;
}

std::span<const RuleInfo> OnnxRules() { return kRules; }
std::span<const PolicyEntry> OnnxPolicyEntries() { return kPolicy; }

}  // namespace mats::onnx
