// tar and 7z through libarchive's reader, from memory, with limits.
#include <algorithm>
#include <array>
#include <string>
#include <vector>

#include "archive/libarchive_util.h"
#include "mats/archive/archive.h"
#include "mats/archive/decompress.h"
#include "mats/core/encoding.h"
#include "mats/pytorch/layout.h"

namespace mats::archive {
namespace {

enum class Kind : uint8_t { kTar, k7z };

std::string_view KindName(Kind k) { return k == Kind::kTar ? "tar" : "7z"; }

uint64_t HeaderPosition(struct archive* a) {
  la_int64_t pos = archive_read_header_position(a);
  return pos < 0 ? 0 : static_cast<uint64_t>(pos);
}

// Reads the current entry's data, at most `cap` bytes (kLimitExceeded past).
Result<Bytes> ReadEntryData(struct archive* a, uint64_t cap,
                            std::string_view limit_name, uint64_t limit_value,
                            std::string_view what) {
  Bytes out;
  std::array<uint8_t, 64 * 1024> buf{};
  while (true) {
    la_ssize_t n = archive_read_data(a, buf.data(), buf.size());
    if (n < 0) {
      return Malformed(HeaderPosition(a), "{}: member data: {}", what,
                       EscapePreview(internal::ArchiveErrorString(a)));
    }
    if (n == 0) break;
    if (static_cast<uint64_t>(n) > cap - std::min<uint64_t>(cap, out.size())) {
      return LimitExceeded("{}: member larger than {}", what,
                           LimitMessage(limit_name, limit_value));
    }
    out.insert(out.end(), buf.data(), buf.data() + n);
  }
  return out;
}

Status AnalyzeWithLibarchive(ByteSpan data, ScanContext& ctx, Kind kind) {
  std::string_view what = KindName(kind);
  const Limits& limits = ctx.limits();
  internal::ArchiveReadPtr a = internal::NewArchiveReader();
  if (!a) return Internal("{}: archive_read_new failed", what);
  int rc = kind == Kind::kTar ? archive_read_support_format_tar(a.get())
                              : archive_read_support_format_7zip(a.get());
  if (rc != ARCHIVE_OK) {
    return Unsupported("{}: {}", what, internal::ArchiveErrorString(a.get()));
  }
  if (archive_read_open_memory(a.get(), data.data(), data.size()) != ARCHIVE_OK) {
    return Malformed(0, "{}: {}", what,
                     EscapePreview(internal::ArchiveErrorString(a.get())));
  }
  std::vector<std::string> names;
  uint64_t entries = 0;
  uint64_t total_out = 0;
  Status result;
  while (true) {
    struct archive_entry* e = nullptr;
    rc = archive_read_next_header(a.get(), &e);
    if (rc == ARCHIVE_EOF) break;
    if (rc == ARCHIVE_FATAL || rc == ARCHIVE_FAILED || e == nullptr) {
      result = Malformed(HeaderPosition(a.get()), "{}: bad header after {} members: {}",
                         what, entries,
                         EscapePreview(internal::ArchiveErrorString(a.get())));
      break;
    }
    if (++entries > limits.max_entries) {
      result = LimitExceeded("{}: too many members: {}", what,
                             LimitMessage("max_entries", limits.max_entries));
      break;
    }
    uint64_t offset = HeaderPosition(a.get());
    const char* path = archive_entry_pathname(e);
    std::string name = path != nullptr ? std::string(path) : std::string();
    if (name.size() > 4096) name.resize(4096);
    ReportMemberName(ctx, what, name, offset);
    if (names.size() < 4096) names.push_back(name);

    const char* hardlink = archive_entry_hardlink(e);
    mode_t type = archive_entry_filetype(e);
    if (hardlink != nullptr || type == AE_IFLNK) {
      const char* target = hardlink != nullptr ? hardlink : archive_entry_symlink(e);
      std::string t = target != nullptr ? target : "";
      NameIssue ti = CheckMemberName(t);
      bool escapes = ti == NameIssue::kTraversal || ti == NameIssue::kAbsolute ||
                     ti == NameIssue::kDriveLetter;
      ctx.Report({.rule_id = std::string(kRuleLinkMember),
                  .severity = escapes ? Severity::kHigh : Severity::kMedium,
                  .member = {},
                  .offset = offset,
                  .message = fmt::format("{} {} link '{}' -> '{}'{}", what,
                                         hardlink != nullptr ? "hard" : "symbolic",
                                         EscapePreview(name), EscapePreview(t),
                                         escapes ? " (target outside the archive)" : ""),
                  .evidence = EscapePreview(t, 128)});
      continue;
    }
    if (type == AE_IFCHR || type == AE_IFBLK || type == AE_IFIFO ||
        type == AE_IFSOCK) {
      std::string_view kind_text = type == AE_IFCHR   ? "character device"
                                   : type == AE_IFBLK ? "block device"
                                   : type == AE_IFIFO ? "FIFO"
                                                      : "socket";
      ctx.Report({.rule_id = std::string(kRuleDeviceMember),
                  .severity = Severity::kMedium,
                  .member = {},
                  .offset = offset,
                  .message = fmt::format("{} member '{}' is a {}", what,
                                         EscapePreview(name), kind_text),
                  .evidence = {}});
      continue;
    }
    if (type == AE_IFDIR) continue;

    // Regular file: read it (bounded) and scan it by content.
    uint64_t budget_left = limits.max_uncompressed_bytes - std::min(
        limits.max_uncompressed_bytes, total_out);
    uint64_t cap = std::min(limits.max_inflate_bytes, budget_left);
    bool per_member = limits.max_inflate_bytes <= budget_left;
    std::string member_label = name.empty() ? fmt::format("#{}", entries) : name;
    Result<Bytes> body = ReadEntryData(
        a.get(), cap, per_member ? "max_inflate_bytes" : "max_uncompressed_bytes",
        per_member ? limits.max_inflate_bytes : limits.max_uncompressed_bytes, what);
    if (!body.ok()) {
      if (body.status().code() == ErrorCode::kLimitExceeded) {
        ReportDecompressionBomb(ctx, member_label, 0, body.status());
        ctx.ReportError(member_label, body.status());
        if (!per_member) {
          result = body.status();
          break;
        }
        continue;
      }
      result = body.status();
      break;
    }
    total_out += body->size();
    if (kind == Kind::k7z && limits.max_compression_ratio != 0 &&
        total_out > kRatioFloorBytes &&
        total_out / std::max<uint64_t>(data.size(), 1) >= limits.max_compression_ratio) {
      Status s = LimitExceeded("7z: compression ratio above {}",
                               LimitMessage("max_compression_ratio",
                                            limits.max_compression_ratio));
      ReportDecompressionBomb(ctx, member_label, 0, s);
      result = s;
      break;
    }
    ctx.ScanNested(*body, member_label).IgnoreError();  // recorded by ctx
  }
  if (kind == Kind::kTar && pytorch::IsLegacyTorchTar(names)) {
    ctx.RefineFormat("pytorch-tar");
    ctx.Report({.rule_id = std::string(pytorch::kRuleLegacyTar),
                .severity = Severity::kInfo,
                .member = {},
                .offset = 0,
                .message = "legacy PyTorch tar checkpoint (sys_info, pickle, "
                           "storages, tensors); its pickle members were scanned",
                .evidence = {}});
  }
  return result;
}

}  // namespace

Status AnalyzeTar(ByteSpan data, ScanContext& ctx) {
  return AnalyzeWithLibarchive(data, ctx, Kind::kTar);
}

Status AnalyzeSevenZip(ByteSpan data, ScanContext& ctx) {
  return AnalyzeWithLibarchive(data, ctx, Kind::k7z);
}

}  // namespace mats::archive
