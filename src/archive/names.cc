#include <algorithm>
#include <array>

#include "mats/archive/archive.h"
#include "mats/core/encoding.h"

namespace mats::archive {

std::string_view NameIssueText(NameIssue issue) {
  switch (issue) {
    case NameIssue::kNone:
      return "ok";
    case NameIssue::kTraversal:
      return "contains a '..' component (path traversal)";
    case NameIssue::kAbsolute:
      return "is an absolute path";
    case NameIssue::kDriveLetter:
      return "starts with a drive letter";
    case NameIssue::kBackslash:
      return "uses '\\' separators";
    case NameIssue::kControlChar:
      return "contains NUL or control characters";
    case NameIssue::kEmpty:
      return "is empty";
  }
  return "ok";
}

NameIssue CheckMemberName(std::string_view name) {
  if (name.empty()) return NameIssue::kEmpty;
  bool backslash = false;
  bool control = false;
  for (char c : name) {
    auto u = static_cast<unsigned char>(c);
    if (c == '\\') backslash = true;
    if (u < 0x20 || u == 0x7F) control = true;
  }
  // Split on both separators: Windows loaders treat '\' as one.
  size_t start = 0;
  while (start <= name.size()) {
    size_t end = name.find_first_of("/\\", start);
    if (end == std::string_view::npos) end = name.size();
    if (name.substr(start, end - start) == "..") return NameIssue::kTraversal;
    start = end + 1;
  }
  if (name[0] == '/' || name[0] == '\\') return NameIssue::kAbsolute;
  if (name.size() >= 2 && name[1] == ':' &&
      ((name[0] >= 'A' && name[0] <= 'Z') || (name[0] >= 'a' && name[0] <= 'z'))) {
    return NameIssue::kDriveLetter;
  }
  if (control) return NameIssue::kControlChar;
  if (backslash) return NameIssue::kBackslash;
  return NameIssue::kNone;
}

void ReportMemberName(ScanContext& ctx, std::string_view container,
                      std::string_view name, uint64_t offset) {
  NameIssue issue = CheckMemberName(name);
  if (issue == NameIssue::kNone) return;
  bool unsafe = issue == NameIssue::kTraversal || issue == NameIssue::kAbsolute ||
                issue == NameIssue::kDriveLetter;
  ctx.Report({.rule_id = std::string(unsafe ? kRuleUnsafePath : kRuleOddName),
              .severity = unsafe ? Severity::kHigh : Severity::kMedium,
              .member = {},
              .offset = offset,
              .message = fmt::format("{} member name {}", container,
                                     NameIssueText(issue)),
              .evidence = EscapePreview(name, 128)});
}

void ReportDecompressionBomb(ScanContext& ctx, std::string_view member,
                             uint64_t offset, const Status& limit_status) {
  ctx.Report({.rule_id = std::string(kRuleDecompressionBomb),
              .severity = Severity::kMedium,
              .member = std::string(member),
              .offset = offset,
              .message = "decompression stopped at a limit: " +
                         limit_status.message(),
              .evidence = {}});
}

std::string StripCompressionSuffix(std::string_view name) {
  size_t slash = name.find_last_of('/');
  if (slash != std::string_view::npos) name.remove_prefix(slash + 1);
  struct Suffix {
    std::string_view from;
    std::string_view to;
  };
  static constexpr std::array<Suffix, 12> kSuffixes = {{
      {".tgz", ".tar"},
      {".tbz2", ".tar"},
      {".txz", ".tar"},
      {".gz", ""},
      {".bz2", ""},
      {".xz", ""},
      {".lzma", ""},
      {".zst", ""},
      {".lz4", ""},
      {".z", ""},
      {".Z", ""},
      {".zlib", ""},
  }};
  for (const Suffix& s : kSuffixes) {
    if (name.size() > s.from.size() &&
        name.substr(name.size() - s.from.size()) == s.from) {
      std::string out(name.substr(0, name.size() - s.from.size()));
      out += s.to;
      return out;
    }
  }
  return std::string(name);
}

}  // namespace mats::archive
