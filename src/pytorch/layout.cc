#include "mats/pytorch/layout.h"

#include <algorithm>

#include "mats/core/encoding.h"

namespace mats::pytorch {
namespace {

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() &&
         s.substr(s.size() - suffix.size()) == suffix;
}
bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

// "archive/" for "archive/data.pkl"; "" when the name has no directory.
std::string_view TopDir(std::string_view name) {
  size_t slash = name.find('/');
  if (slash == std::string_view::npos) return {};
  return name.substr(0, slash + 1);
}

void AddListed(std::vector<std::string>& list, uint64_t& count,
               std::string_view name) {
  ++count;
  if (list.size() < kMaxListed) list.emplace_back(name);
}

std::string JoinListed(const std::vector<std::string>& names, uint64_t count) {
  std::string out;
  for (const std::string& n : names) {
    if (!out.empty()) out += ", ";
    out += EscapePreview(n, 96);
  }
  if (count > names.size()) {
    out += fmt::format(" (+{} more)", count - names.size());
  }
  return out;
}

}  // namespace

ZipLayout ClassifyZipLayout(std::span<const std::string> names) {
  ZipLayout layout;
  if (names.empty()) return layout;
  // TorchServe .mar: MAR-INF/MANIFEST.json at the root.
  for (const std::string& n : names) {
    if (n == "MAR-INF/MANIFEST.json") {
      layout.kind = ZipLayoutKind::kMar;
      for (const std::string& m : names) {
        if (EndsWith(m, ".py")) AddListed(layout.code_files, layout.code_file_count, m);
      }
      return layout;
    }
  }
  // torch.export: "<dir>/archive_format" (2.6+) or serialized_exported_program.
  for (const std::string& n : names) {
    if (EndsWith(n, "/archive_format") || n == "archive_format" ||
        n.find("serialized_exported_program") != std::string::npos) {
      layout.kind = ZipLayoutKind::kPt2;
      return layout;
    }
  }
  // PyTorch / TorchScript: a "<dir>/data.pkl" member names the record prefix.
  std::string_view prefix;
  bool has_data_pkl = false;
  for (const std::string& n : names) {
    std::string_view dir = TopDir(n);
    if (!dir.empty() && n.size() == dir.size() + 8 && EndsWith(n, "data.pkl")) {
      prefix = dir;
      has_data_pkl = true;
      break;
    }
  }
  if (has_data_pkl) {
    bool constants = false;
    bool code = false;
    std::string constants_name = std::string(prefix) + "constants.pkl";
    std::string code_dir = std::string(prefix) + "code/";
    for (const std::string& n : names) {
      if (n == constants_name) constants = true;
      if (StartsWith(n, code_dir)) code = true;
    }
    layout.prefix = std::string(prefix);
    layout.kind = (constants || code) ? ZipLayoutKind::kTorchScript
                                      : ZipLayoutKind::kPytorch;
    for (const std::string& n : names) {
      if (!StartsWith(n, layout.prefix)) {
        AddListed(layout.outside_prefix, layout.outside_prefix_count, n);
      } else if (StartsWith(n, code_dir) && n.size() > code_dir.size() &&
                 n.back() != '/') {
        AddListed(layout.code_files, layout.code_file_count, n);
      }
    }
    return layout;
  }
  // np.savez: every member is <name>.npy.
  if (std::all_of(names.begin(), names.end(),
                  [](const std::string& n) { return EndsWith(n, ".npy"); })) {
    layout.kind = ZipLayoutKind::kNpz;
  }
  return layout;
}

std::string_view LayoutFormatId(ZipLayoutKind kind) {
  switch (kind) {
    case ZipLayoutKind::kGeneric:
      return "zip";
    case ZipLayoutKind::kPytorch:
      return "pytorch-zip";
    case ZipLayoutKind::kTorchScript:
      return "torchscript";
    case ZipLayoutKind::kNpz:
      return "numpy-npz";
    case ZipLayoutKind::kPt2:
      return "pt2";
    case ZipLayoutKind::kMar:
      return "torchserve-mar";
  }
  return "zip";
}

bool IsTensorStorageMember(const ZipLayout& layout, std::string_view name) {
  if (layout.kind != ZipLayoutKind::kPytorch &&
      layout.kind != ZipLayoutKind::kTorchScript) {
    return false;
  }
  std::string_view p = layout.prefix;
  if (!StartsWith(name, p)) return false;
  name.remove_prefix(p.size());
  if (!StartsWith(name, "data/")) return false;
  name.remove_prefix(5);
  if (name.empty() || name.size() > 64) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
           (c >= 'A' && c <= 'Z') || c == '_' || c == '-' || c == '.';
  });
}

std::string_view SniffStoragePayload(std::span<const uint8_t> head) {
  if (head.size() >= 2 && head[0] == 0x80 && head[1] >= 2 && head[1] <= 5) {
    return "pickle";
  }
  if (head.size() >= 4 && head[0] == 'P' && head[1] == 'K' &&
      ((head[2] == 3 && head[3] == 4) || (head[2] == 5 && head[3] == 6))) {
    return "zip";
  }
  static constexpr uint8_t k7z[] = {0x37, 0x7A, 0xBC, 0xAF, 0x27, 0x1C};
  if (head.size() >= 6 && std::equal(std::begin(k7z), std::end(k7z), head.begin())) {
    return "7z";
  }
  return {};
}

void ReportZipLayout(const ZipLayout& layout, ScanContext& ctx) {
  if (layout.kind == ZipLayoutKind::kTorchScript) {
    ctx.Report({.rule_id = std::string(kRuleTorchScript),
                .severity = Severity::kMedium,
                .member = {},
                .offset = 0,
                .message = fmt::format(
                    "TorchScript archive: {} code file(s) run when the model "
                    "is loaded, and torch.load(weights_only=True) does not "
                    "protect against them",
                    layout.code_file_count),
                .evidence = JoinListed(layout.code_files, layout.code_file_count)});
  }
  if (layout.kind == ZipLayoutKind::kMar && layout.code_file_count != 0) {
    ctx.Report({.rule_id = std::string(kRuleMarHandlerCode),
                .severity = Severity::kMedium,
                .member = {},
                .offset = 0,
                .message = fmt::format(
                    "TorchServe model archive ships {} Python file(s) that "
                    "TorchServe imports and runs",
                    layout.code_file_count),
                .evidence = JoinListed(layout.code_files, layout.code_file_count)});
  }
  if ((layout.kind == ZipLayoutKind::kPytorch ||
       layout.kind == ZipLayoutKind::kTorchScript) &&
      layout.outside_prefix_count != 0) {
    ctx.Report({.rule_id = std::string(kRuleOutsidePrefix),
                .severity = Severity::kLow,
                .member = {},
                .offset = 0,
                .message = fmt::format(
                    "{} member(s) outside the record directory '{}' that "
                    "torch.load ignores but other tools may read",
                    layout.outside_prefix_count, EscapePreview(layout.prefix)),
                .evidence = JoinListed(layout.outside_prefix,
                                       layout.outside_prefix_count)});
  }
}

bool IsLegacyTorchTar(std::span<const std::string> names) {
  bool sys_info = false, pickle = false, storages = false, tensors = false;
  for (const std::string& n : names) {
    std::string_view v = n;
    if (StartsWith(v, "./")) v.remove_prefix(2);
    if (v == "sys_info") sys_info = true;
    if (v == "pickle") pickle = true;
    if (v == "storages") storages = true;
    if (v == "tensors") tensors = true;
  }
  return sys_info && pickle && storages && tensors;
}

}  // namespace mats::pytorch
