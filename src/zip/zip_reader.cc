#include "mats/zip/zip_reader.h"

#include <algorithm>
#include <map>
#include <optional>
#include <unordered_map>
#include <unordered_set>

#include "mats/core/byte_reader.h"
#include "mats/core/checked_math.h"
#include "mats/core/encoding.h"

namespace mats::zip {
namespace {

constexpr uint64_t kEocdSize = 22;
constexpr uint64_t kZip64LocatorSize = 20;
constexpr uint64_t kZip64EocdMinSize = 56;
constexpr uint64_t kCentralHeaderSize = 46;
constexpr uint64_t kLocalHeaderSize = 30;
constexpr uint64_t kMaxComment = 0xFFFF;
constexpr size_t kMaxAnomaliesPerKind = 64;

std::string Shown(std::string_view s) { return EscapePreview(s, 64); }

bool SigAt(ByteSpan data, uint64_t off, uint32_t sig) {
  return RangeInside(off, 4, data.size()) && LoadU32Le(data.subspan(off, 4)) == sig;
}

// Next "PK\3\4" at or after `from` and before `stop`, or `stop`.
uint64_t FindLocalSig(ByteSpan data, uint64_t from, uint64_t stop) {
  static constexpr uint8_t kSig[] = {'P', 'K', 3, 4};
  if (from >= stop) return stop;
  auto begin = data.begin() + static_cast<std::ptrdiff_t>(from);
  auto end = data.begin() + static_cast<std::ptrdiff_t>(stop);
  auto it = std::search(begin, end, std::begin(kSig), std::end(kSig));
  if (it == end) return stop;
  return static_cast<uint64_t>(it - data.begin());
}

class AnomalySink {
 public:
  explicit AnomalySink(std::vector<ZipAnomaly>* out) : out_(out) {}
  void Add(AnomalyKind kind, uint64_t offset, std::string member,
           std::string detail) {
    size_t& n = counts_[static_cast<size_t>(kind)];
    if (n++ >= kMaxAnomaliesPerKind) return;
    out_->push_back({kind, offset, std::move(member), std::move(detail)});
  }

 private:
  std::vector<ZipAnomaly>* out_;
  size_t counts_[16] = {};
};

struct Zip64Fields {
  bool need_usize = false, need_csize = false, need_offset = false, need_disk = false;
};

// Applies the zip64 extended-information extra field (id 0x0001) to the
// saturated fields. `extra` is a reader over the extra area.
Status ApplyZip64Extra(ByteReader extra, const Zip64Fields& need,
                       uint64_t* usize, uint64_t* csize, uint64_t* offset,
                       bool* used) {
  while (extra.remaining() >= 4) {
    MATS_ASSIGN_OR_RETURN(uint16_t id, extra.ReadU16Le());
    MATS_ASSIGN_OR_RETURN(uint16_t declared_len, extra.ReadU16Le());
    if (declared_len > extra.remaining()) {
      return Malformed(extra.offset(),
                       "zip: extra field 0x{:04x} length {} exceeds the {} "
                       "bytes left",
                       id, declared_len, extra.remaining());
    }
    MATS_ASSIGN_OR_RETURN(ByteReader field, extra.Slice(extra.position(), declared_len));
    MATS_RETURN_IF_ERROR(extra.Skip(declared_len));
    if (id != 0x0001) continue;
    *used = true;
    if (need.need_usize) {
      if (field.remaining() < 8)
        return Malformed(field.offset(), "zip: zip64 extra field lacks the uncompressed size");
      MATS_ASSIGN_OR_RETURN(*usize, field.ReadU64Le());
    }
    if (need.need_csize) {
      if (field.remaining() < 8)
        return Malformed(field.offset(), "zip: zip64 extra field lacks the compressed size");
      MATS_ASSIGN_OR_RETURN(*csize, field.ReadU64Le());
    }
    if (need.need_offset && offset != nullptr) {
      if (field.remaining() < 8)
        return Malformed(field.offset(), "zip: zip64 extra field lacks the header offset");
      MATS_ASSIGN_OR_RETURN(*offset, field.ReadU64Le());
    }
    return Status::Ok();
  }
  if (need.need_usize || need.need_csize || need.need_offset) {
    return Malformed(extra.offset(),
                     "zip: sizes or offset are 0xffffffff but no zip64 extra field follows");
  }
  return Status::Ok();
}

struct LocalHeader {
  uint64_t offset = 0;
  uint16_t flags = 0;
  uint16_t method = 0;
  uint32_t crc = 0;
  uint64_t csize = 0;
  uint64_t usize = 0;
  bool zip64 = false;
  std::string name;
  uint64_t data_offset = 0;
};

Result<LocalHeader> ParseLocalHeader(ByteSpan data, uint64_t off) {
  if (!RangeInside(off, kLocalHeaderSize, data.size())) {
    return Malformed(off, "zip: local header at offset {} runs past the end", off);
  }
  ByteReader r(data);
  MATS_RETURN_IF_ERROR(r.Seek(off));
  LocalHeader h;
  h.offset = off;
  MATS_ASSIGN_OR_RETURN(uint32_t sig, r.ReadU32Le());
  if (sig != kLocalSig) {
    return Malformed(off, "zip: bad local header signature at offset {}: got {:#010x}", off, sig);
  }
  MATS_RETURN_IF_ERROR(r.Skip(2));  // version needed
  MATS_ASSIGN_OR_RETURN(h.flags, r.ReadU16Le());
  MATS_ASSIGN_OR_RETURN(h.method, r.ReadU16Le());
  MATS_RETURN_IF_ERROR(r.Skip(4));  // time, date
  MATS_ASSIGN_OR_RETURN(h.crc, r.ReadU32Le());
  MATS_ASSIGN_OR_RETURN(uint32_t csize32, r.ReadU32Le());
  MATS_ASSIGN_OR_RETURN(uint32_t usize32, r.ReadU32Le());
  MATS_ASSIGN_OR_RETURN(uint16_t name_len, r.ReadU16Le());
  MATS_ASSIGN_OR_RETURN(uint16_t extra_len, r.ReadU16Le());
  MATS_ASSIGN_OR_RETURN(std::string_view name, r.ReadChars(name_len));
  h.name = std::string(name);
  MATS_ASSIGN_OR_RETURN(ByteReader extra, r.Slice(r.position(), extra_len));
  MATS_RETURN_IF_ERROR(r.Skip(extra_len));
  h.csize = csize32;
  h.usize = usize32;
  Zip64Fields need{.need_usize = usize32 == 0xFFFFFFFFu,
                   .need_csize = csize32 == 0xFFFFFFFFu};
  MATS_RETURN_IF_ERROR(
      ApplyZip64Extra(extra, need, &h.usize, &h.csize, nullptr, &h.zip64));
  h.data_offset = r.position();
  return h;
}

// End of the data descriptor that follows `data_end`, recognised by its
// compressed-size field matching `csize` (4-byte sizes, or 8-byte sizes for
// zip64 entries), with or without the optional signature. Returns data_end
// when no descriptor matches.
uint64_t SkipDescriptor(ByteSpan data, uint64_t data_end, uint64_t csize) {
  for (uint64_t sig_len : {uint64_t{4}, uint64_t{0}}) {
    if (sig_len == 4 && !SigAt(data, data_end, kDescriptorSig)) continue;
    uint64_t at = data_end + sig_len + 4;  // after signature and crc
    if (csize <= 0xFFFFFFFFu && RangeInside(at, 8, data.size()) &&
        LoadU32Le(data.subspan(at, 4)) == csize) {
      return at + 8;
    }
    if (RangeInside(at, 16, data.size()) && LoadU64Le(data.subspan(at, 8)) == csize) {
      return at + 16;
    }
  }
  return data_end;
}

struct Eocd {
  uint64_t offset = 0;
  uint64_t entries = 0;
  uint64_t cd_size = 0;
  uint64_t cd_offset = 0;
  uint64_t end = 0;        // end of the record including the comment
  uint64_t cd_end_limit = 0;  // where the central directory must end
  bool zip64 = false;
  std::string comment;
};

// Finds the last EOCD record whose comment fits in the file.
std::optional<uint64_t> FindEocd(ByteSpan data) {
  if (data.size() < kEocdSize) return std::nullopt;
  uint64_t last = data.size() - kEocdSize;
  uint64_t first = last > kMaxComment ? last - kMaxComment : 0;
  for (uint64_t off = last + 1; off-- > first;) {
    if (!SigAt(data, off, kEocdSig)) continue;
    uint16_t comment_len = LoadU16Le(data.subspan(off + 20, 2));
    if (RangeInside(off + kEocdSize, comment_len, data.size())) return off;
  }
  return std::nullopt;
}

Result<Eocd> ParseEocd(ByteSpan data, uint64_t off, AnomalySink& sink) {
  ByteReader r(data);
  MATS_RETURN_IF_ERROR(r.Seek(off + 4));
  Eocd e;
  e.offset = off;
  MATS_ASSIGN_OR_RETURN(uint16_t disk, r.ReadU16Le());
  MATS_ASSIGN_OR_RETURN(uint16_t cd_disk, r.ReadU16Le());
  MATS_ASSIGN_OR_RETURN(uint16_t entries_disk, r.ReadU16Le());
  MATS_ASSIGN_OR_RETURN(uint16_t entries_total, r.ReadU16Le());
  MATS_ASSIGN_OR_RETURN(uint32_t cd_size, r.ReadU32Le());
  MATS_ASSIGN_OR_RETURN(uint32_t cd_offset, r.ReadU32Le());
  MATS_ASSIGN_OR_RETURN(uint16_t comment_len, r.ReadU16Le());
  MATS_ASSIGN_OR_RETURN(std::string_view comment, r.ReadChars(comment_len));
  e.comment = std::string(comment);
  e.end = r.position();
  e.entries = entries_total;
  e.cd_size = cd_size;
  e.cd_offset = cd_offset;
  e.cd_end_limit = off;
  bool saturated = disk == 0xFFFF || cd_disk == 0xFFFF || entries_disk == 0xFFFF ||
                   entries_total == 0xFFFF || cd_size == 0xFFFFFFFFu ||
                   cd_offset == 0xFFFFFFFFu;
  bool has_locator = off >= kZip64LocatorSize && SigAt(data, off - kZip64LocatorSize, kZip64LocatorSig);
  if (has_locator) {
    uint64_t loc = off - kZip64LocatorSize;
    MATS_RETURN_IF_ERROR(r.Seek(loc + 4));
    MATS_ASSIGN_OR_RETURN(uint32_t loc_disk, r.ReadU32Le());
    MATS_ASSIGN_OR_RETURN(uint64_t declared_rec_off, r.ReadU64Le());
    MATS_ASSIGN_OR_RETURN(uint32_t total_disks, r.ReadU32Le());
    if (loc_disk != 0 || total_disks > 1) {
      return Unsupported("zip: multi-disk zip64 archive (disk {}, {} disks)", loc_disk, total_disks);
    }
    if (declared_rec_off > loc || loc - declared_rec_off < kZip64EocdMinSize) {
      return Malformed(loc + 8,
                       "zip: zip64 locator points at offset {}, outside [0, {}]",
                       declared_rec_off, loc >= kZip64EocdMinSize ? loc - kZip64EocdMinSize : 0);
    }
    uint64_t rec = declared_rec_off;
    if (!SigAt(data, rec, kZip64EocdSig)) {
      return Malformed(rec, "zip: bad zip64 end of central directory signature at offset {}", rec);
    }
    MATS_RETURN_IF_ERROR(r.Seek(rec + 4));
    MATS_ASSIGN_OR_RETURN(uint64_t declared_rec_size, r.ReadU64Le());
    if (declared_rec_size < kZip64EocdMinSize - 12 ||
        declared_rec_size > loc - rec - 12) {
      return Malformed(rec + 4, "zip: zip64 end of central directory size {} does not fit before the locator",
                       declared_rec_size);
    }
    MATS_RETURN_IF_ERROR(r.Skip(4));  // versions
    MATS_ASSIGN_OR_RETURN(uint32_t disk64, r.ReadU32Le());
    MATS_ASSIGN_OR_RETURN(uint32_t cd_disk64, r.ReadU32Le());
    if (disk64 != 0 || cd_disk64 != 0) {
      return Unsupported("zip: multi-disk zip64 archive (disk {})", disk64);
    }
    MATS_RETURN_IF_ERROR(r.Skip(8));  // entries on this disk
    MATS_ASSIGN_OR_RETURN(e.entries, r.ReadU64Le());
    MATS_ASSIGN_OR_RETURN(e.cd_size, r.ReadU64Le());
    MATS_ASSIGN_OR_RETURN(e.cd_offset, r.ReadU64Le());
    e.zip64 = true;
    e.cd_end_limit = rec;
    uint64_t rec_end = rec + 12 + declared_rec_size;
    if (rec_end != loc) {
      sink.Add(AnomalyKind::kGapData, rec_end, {},
               fmt::format("{} bytes between the zip64 end of central directory record and its locator",
                           loc - rec_end));
    }
  } else if (saturated) {
    if (disk != 0 && disk != 0xFFFF) {
      return Unsupported("zip: multi-disk archive (disk {})", disk);
    }
    return Malformed(off, "zip: end of central directory has zip64 markers but no zip64 locator");
  } else if (disk != 0 || cd_disk != 0) {
    return Unsupported("zip: multi-disk archive (disk {}, central directory on disk {})", disk, cd_disk);
  }
  return e;
}

}  // namespace

Result<ZipListing> ReadZip(ByteSpan data, const Limits& limits) {
  ZipListing z;
  AnomalySink sink(&z.anomalies);
  std::optional<uint64_t> eocd_off = FindEocd(data);
  bool starts_local = SigAt(data, 0, kLocalSig);
  if (!eocd_off && !starts_local) {
    return Malformed(data.size(), "zip: no end of central directory record in the last {} bytes",
                     std::min<uint64_t>(data.size(), kEocdSize + kMaxComment));
  }

  // --- central directory ---
  std::vector<ZipEntry> central;
  uint64_t region0_end = data.size();  // end of the area holding local entries
  uint64_t shift = 0;
  uint64_t trailing_start = data.size();
  if (eocd_off) {
    MATS_ASSIGN_OR_RETURN(Eocd e, ParseEocd(data, *eocd_off, sink));
    z.has_central_directory = true;
    z.zip64 = e.zip64;
    z.eocd_offset = e.offset;
    z.comment = e.comment;
    trailing_start = e.end;
    if (e.cd_size > e.cd_end_limit || e.cd_offset > e.cd_end_limit - e.cd_size) {
      return Malformed(e.offset, "zip: central directory [{}, +{}) does not end before offset {}",
                       e.cd_offset, e.cd_size, e.cd_end_limit);
    }
    // Readers such as Python's zipfile accept data prepended to the whole
    // archive and shift every offset by its length; miniz (torch) does not.
    uint64_t cd_start = e.cd_offset;
    uint64_t slack = e.cd_end_limit - e.cd_size - e.cd_offset;
    if (slack != 0 && !(e.cd_size == 0 || SigAt(data, cd_start, kCentralSig)) &&
        (e.cd_size == 0 || SigAt(data, cd_start + slack, kCentralSig))) {
      shift = slack;
      cd_start += slack;
      sink.Add(AnomalyKind::kPrependedData, 0, {},
               fmt::format("central directory offsets are shifted by {} prepended bytes", shift));
    } else if (slack != 0) {
      sink.Add(AnomalyKind::kGapData, cd_start + e.cd_size, {},
               fmt::format("{} bytes between the central directory and its end record", slack));
    }
    z.central_directory_offset = cd_start;
    z.central_directory_size = e.cd_size;
    region0_end = cd_start;

    if (e.entries > limits.max_entries) {
      return LimitExceededAt(e.offset, "zip: {} central directory entries: {}", e.entries,
                             LimitMessage("max_entries", limits.max_entries));
    }
    if (e.entries > e.cd_size / kCentralHeaderSize) {
      return Malformed(e.offset, "zip: {} entries cannot fit in a {}-byte central directory",
                       e.entries, e.cd_size);
    }
    MATS_ASSIGN_OR_RETURN(ByteReader r, ByteReader(data).Slice(cd_start, e.cd_size));
    central.reserve(e.entries);
    for (uint64_t i = 0; i < e.entries; ++i) {
      uint64_t hdr = r.offset();
      MATS_ASSIGN_OR_RETURN(uint32_t sig, r.ReadU32Le());
      if (sig != kCentralSig) {
        return Malformed(hdr, "zip: bad central directory signature for entry {}: got {:#010x}", i, sig);
      }
      ZipEntry ent;
      ent.in_central = true;
      MATS_RETURN_IF_ERROR(r.Skip(4));  // versions
      MATS_ASSIGN_OR_RETURN(ent.flags, r.ReadU16Le());
      MATS_ASSIGN_OR_RETURN(ent.method, r.ReadU16Le());
      MATS_RETURN_IF_ERROR(r.Skip(4));  // time, date
      MATS_ASSIGN_OR_RETURN(ent.crc32, r.ReadU32Le());
      MATS_ASSIGN_OR_RETURN(uint32_t csize32, r.ReadU32Le());
      MATS_ASSIGN_OR_RETURN(uint32_t usize32, r.ReadU32Le());
      MATS_ASSIGN_OR_RETURN(uint16_t name_len, r.ReadU16Le());
      MATS_ASSIGN_OR_RETURN(uint16_t extra_len, r.ReadU16Le());
      MATS_ASSIGN_OR_RETURN(uint16_t comment_len, r.ReadU16Le());
      MATS_ASSIGN_OR_RETURN(uint16_t disk, r.ReadU16Le());
      MATS_RETURN_IF_ERROR(r.Skip(6));  // attributes
      MATS_ASSIGN_OR_RETURN(uint32_t offset32, r.ReadU32Le());
      MATS_ASSIGN_OR_RETURN(std::string_view name, r.ReadChars(name_len));
      ent.name = std::string(name);
      MATS_ASSIGN_OR_RETURN(ByteReader extra, r.Slice(r.position(), extra_len));
      MATS_RETURN_IF_ERROR(r.Skip(extra_len));
      MATS_RETURN_IF_ERROR(r.Skip(comment_len));
      ent.compressed_size = csize32;
      ent.uncompressed_size = usize32;
      uint64_t local_off = offset32;
      Zip64Fields need{.need_usize = usize32 == 0xFFFFFFFFu,
                       .need_csize = csize32 == 0xFFFFFFFFu,
                       .need_offset = offset32 == 0xFFFFFFFFu,
                       .need_disk = disk == 0xFFFF};
      bool used = false;
      MATS_RETURN_IF_ERROR(ApplyZip64Extra(extra, need, &ent.uncompressed_size,
                                           &ent.compressed_size, &local_off, &used));
      if (disk != 0 && disk != 0xFFFF) {
        return Unsupported("zip: entry {} lives on disk {}", i, disk);
      }
      if (!CheckedAdd(local_off, shift, &ent.local_header_offset)) {
        return Malformed(hdr, "zip: local header offset overflows");
      }
      central.push_back(std::move(ent));
    }
    if (!r.empty()) {
      sink.Add(AnomalyKind::kCountMismatch, r.offset(), {},
               fmt::format("{} bytes left in the central directory after the {} entries its end record declares",
                           r.remaining(), e.entries));
    }
  } else {
    sink.Add(AnomalyKind::kNoCentralDirectory, data.size(), {},
             "no end of central directory record; members were found by walking local headers");
  }

  // --- linear walk of local headers ---
  std::map<uint64_t, size_t> central_by_offset;
  for (size_t i = 0; i < central.size(); ++i) {
    central_by_offset.emplace(central[i].local_header_offset, i);
  }
  std::vector<ZipEntry> walked;
  std::vector<LocalHeader> walked_headers;  // parallel to `walked`
  uint64_t local_count = 0;
  auto walk = [&](uint64_t start, uint64_t stop, bool trailing_region) -> Status {
    uint64_t pos = start;
    bool seen_header = false;
    while (pos < stop) {
      uint64_t next = pos;
      if (!SigAt(data, pos, kLocalSig)) next = FindLocalSig(data, pos, stop);
      if (next > pos) {
        bool prepended = !trailing_region && !seen_header && start == 0;
        AnomalyKind kind = trailing_region ? AnomalyKind::kTrailingData
                           : prepended     ? AnomalyKind::kPrependedData
                                           : AnomalyKind::kGapData;
        if (!(prepended && shift != 0)) {  // a shift was reported already
          sink.Add(kind, pos, {},
                   fmt::format("{} bytes {} at offset {}", next - pos,
                               kind == AnomalyKind::kPrependedData ? "before the first local header"
                               : kind == AnomalyKind::kTrailingData ? "after the end of central directory record"
                                                                    : "between entries",
                               pos));
        }
        pos = next;
        if (pos >= stop) break;
      }
      Result<LocalHeader> h = ParseLocalHeader(data, pos);
      if (!h.ok()) {
        // A signature inside other bytes; keep searching after it.
        uint64_t again = FindLocalSig(data, pos + 1, stop);
        sink.Add(trailing_region ? AnomalyKind::kTrailingData : AnomalyKind::kGapData, pos, {},
                 fmt::format("{} unparseable bytes starting with a local header signature at offset {}",
                             again - pos, pos));
        pos = again;
        continue;
      }
      seen_header = true;
      if (++local_count > limits.max_entries) {
        return LimitExceededAt(pos, "zip: local headers: {}", LimitMessage("max_entries", limits.max_entries));
      }
      ZipEntry ent;
      ent.name = h->name;
      ent.local_name = h->name;
      ent.local_valid = true;
      ent.flags = h->flags;
      ent.local_flags = h->flags;
      ent.method = h->method;
      ent.crc32 = h->crc;
      ent.compressed_size = h->csize;
      ent.uncompressed_size = h->usize;
      ent.local_header_offset = pos;
      ent.data_offset = h->data_offset;
      auto c = central_by_offset.find(pos);
      uint64_t csize = h->csize;
      bool known = true;
      if (c != central_by_offset.end()) {
        csize = central[c->second].compressed_size;
      } else if ((h->flags & kFlagDataDescriptor) != 0 && h->csize == 0) {
        // Unknown size: deflate streams end by themselves; stored data ends
        // at a descriptor whose size field matches.
        known = false;
        if (h->method == kMethodDeflate) {
          archive::DecompressLimits dl = archive::DecompressLimits::From(limits);
          Result<uint64_t> len = archive::InflatedStreamLength(
              data.subspan(h->data_offset, stop - std::min(stop, h->data_offset)),
              archive::InflateMode::kRaw, dl);
          if (len.ok()) {
            csize = *len;
            known = true;
          }
        } else {
          uint64_t p = h->data_offset;
          while (p + 16 <= stop) {
            auto first = data.begin() + static_cast<std::ptrdiff_t>(p);
            auto last = data.begin() + static_cast<std::ptrdiff_t>(stop);
            static constexpr uint8_t kDd[] = {'P', 'K', 7, 8};
            auto it = std::search(first, last, std::begin(kDd), std::end(kDd));
            if (it == last) break;
            uint64_t at = static_cast<uint64_t>(it - data.begin());
            if (RangeInside(at, 16, data.size()) &&
                LoadU32Le(data.subspan(at + 8, 4)) == at - h->data_offset) {
              csize = at - h->data_offset;
              known = true;
              break;
            }
            p = at + 1;
          }
        }
      }
      ent.compressed_size = csize;
      ent.size_known = known;
      uint64_t data_end = 0;
      if (!known || !CheckedAdd(h->data_offset, csize, &data_end) || data_end > stop) {
        // The data runs past the region: stop the walk here.
        ent.size_known = known && data_end <= data.size();
        ent.end_offset = std::min<uint64_t>(stop, data.size());
        walked.push_back(std::move(ent));
        walked_headers.push_back(*h);
        if (!known) {
          uint64_t again = FindLocalSig(data, h->data_offset, stop);
          pos = again;
          continue;
        }
        break;
      }
      ent.end_offset = (h->flags & kFlagDataDescriptor) != 0
                           ? SkipDescriptor(data, data_end, csize)
                           : data_end;
      if (ent.end_offset > stop) ent.end_offset = data_end;
      pos = ent.end_offset;
      walked.push_back(std::move(ent));
      walked_headers.push_back(*h);
    }
    return Status::Ok();
  };
  MATS_RETURN_IF_ERROR(walk(0, region0_end, false));
  if (z.has_central_directory && trailing_start < data.size()) {
    MATS_RETURN_IF_ERROR(walk(trailing_start, data.size(), true));
  }

  // --- merge ---
  std::unordered_map<uint64_t, size_t> walked_by_offset;
  for (size_t i = 0; i < walked.size(); ++i) walked_by_offset.emplace(walked[i].local_header_offset, i);
  std::vector<bool> walked_used(walked.size(), false);
  for (ZipEntry& ent : central) {
    auto w = walked_by_offset.find(ent.local_header_offset);
    std::optional<LocalHeader> lh;
    if (w != walked_by_offset.end()) {
      walked_used[w->second] = true;
      lh = walked_headers[w->second];
    } else {
      Result<LocalHeader> h = ParseLocalHeader(data, ent.local_header_offset);
      if (h.ok()) lh = std::move(h).value();
    }
    if (!lh) {
      sink.Add(AnomalyKind::kCentralWithoutLocal, ent.local_header_offset, ent.name,
               fmt::format("no valid local header at offset {}", ent.local_header_offset));
      continue;
    }
    ent.local_valid = true;
    ent.local_name = lh->name;
    ent.local_flags = lh->flags;
    ent.data_offset = lh->data_offset;
    uint64_t data_end = 0;
    if (!CheckedAdd(ent.data_offset, ent.compressed_size, &data_end)) data_end = UINT64_MAX;
    ent.end_offset = (ent.flags & kFlagDataDescriptor) != 0 && data_end <= data.size()
                         ? SkipDescriptor(data, data_end, ent.compressed_size)
                         : data_end;
    if (lh->name != ent.name) {
      sink.Add(AnomalyKind::kNameMismatch, ent.local_header_offset, ent.name,
               fmt::format("local header names '{}', central directory names '{}'",
                           Shown(lh->name), Shown(ent.name)));
    }
    std::string diffs;
    if (lh->method != ent.method) diffs += fmt::format(" method {}/{}", lh->method, ent.method);
    if ((lh->flags & ~kFlagDataDescriptor & 0x0FFF) != (ent.flags & ~kFlagDataDescriptor & 0x0FFF) ||
        (lh->flags & kFlagDataDescriptor) != (ent.flags & kFlagDataDescriptor)) {
      diffs += fmt::format(" flags {:#06x}/{:#06x}", lh->flags, ent.flags);
    }
    if ((lh->flags & kFlagDataDescriptor) == 0) {
      if (lh->crc != ent.crc32) diffs += fmt::format(" crc {:#010x}/{:#010x}", lh->crc, ent.crc32);
      if (lh->csize != ent.compressed_size)
        diffs += fmt::format(" compressed size {}/{}", lh->csize, ent.compressed_size);
      if (lh->usize != ent.uncompressed_size)
        diffs += fmt::format(" size {}/{}", lh->usize, ent.uncompressed_size);
    }
    if (!diffs.empty()) {
      sink.Add(AnomalyKind::kFieldMismatch, ent.local_header_offset, ent.name,
               "local/central differ:" + diffs);
    }
  }
  for (size_t i = 0; i < walked.size(); ++i) {
    if (walked_used[i]) continue;
    if (z.has_central_directory) {
      sink.Add(AnomalyKind::kLocalOnly, walked[i].local_header_offset, walked[i].name,
               fmt::format("local entry '{}' at offset {} is not in the central directory",
                           Shown(walked[i].name), walked[i].local_header_offset));
    }
    central.push_back(std::move(walked[i]));
  }
  z.entries = std::move(central);

  // --- per-entry checks: flags, duplicates, overlaps ---
  std::unordered_set<std::string_view> seen;
  std::unordered_set<std::string_view> dup_reported;
  uint64_t descriptors = 0;
  struct Range {
    uint64_t start, end;
    size_t index;
  };
  std::vector<Range> ranges;
  for (size_t i = 0; i < z.entries.size(); ++i) {
    const ZipEntry& ent = z.entries[i];
    if (!seen.insert(ent.name).second && dup_reported.insert(ent.name).second) {
      sink.Add(AnomalyKind::kDuplicateName, ent.local_header_offset, ent.name,
               fmt::format("member name '{}' appears more than once", Shown(ent.name)));
    }
    uint16_t f = static_cast<uint16_t>(ent.flags | ent.local_flags);
    uint16_t bad = f & (kFlagEncrypted | kFlagPatched | kFlagStrongEncryption);
    if (bad != 0) {
      std::string what;
      if ((bad & kFlagEncrypted) != 0) what += " encrypted(0x1)";
      if ((bad & kFlagPatched) != 0) what += " patched-data(0x20)";
      if ((bad & kFlagStrongEncryption) != 0) what += " strong-encryption(0x40)";
      sink.Add(AnomalyKind::kFlagBits, ent.local_header_offset, ent.name,
               fmt::format("flag bits{}", what));
    }
    if ((f & kFlagDataDescriptor) != 0) ++descriptors;
    if (ent.local_valid && ent.size_known && ent.end_offset <= data.size()) {
      ranges.push_back({ent.local_header_offset, ent.end_offset, i});
    }
  }
  if (descriptors != 0) {
    sink.Add(AnomalyKind::kDataDescriptor, 0, {},
             fmt::format("{} member(s) use data descriptors (sizes and CRC after the data)", descriptors));
  }
  std::sort(ranges.begin(), ranges.end(),
            [](const Range& a, const Range& b) { return a.start < b.start; });
  uint64_t max_end = 0;
  size_t max_index = 0;
  for (size_t i = 0; i < ranges.size(); ++i) {
    if (i != 0 && ranges[i].start < max_end) {
      sink.Add(AnomalyKind::kOverlap, ranges[i].start, z.entries[ranges[i].index].name,
               fmt::format("entry '{}' at offset {} overlaps entry '{}' ending at {}",
                           Shown(z.entries[ranges[i].index].name), ranges[i].start,
                           Shown(z.entries[max_index].name), max_end));
    }
    if (ranges[i].end > max_end) {
      max_end = ranges[i].end;
      max_index = ranges[i].index;
    }
  }
  if (z.has_central_directory) {
    uint64_t cd_start = z.central_directory_offset;
    uint64_t cd_end = cd_start + z.central_directory_size;  // checked above
    for (const Range& r : ranges) {
      if (r.start < cd_end && r.end > cd_start) {
        sink.Add(AnomalyKind::kOverlap, r.start, z.entries[r.index].name,
                 fmt::format("entry '{}' at offset {} overlaps the central directory [{}, {})",
                             Shown(z.entries[r.index].name), r.start, cd_start, cd_end));
      }
    }
  }
  return z;
}

Result<MemberData> ReadMemberData(ByteSpan data, const ZipEntry& entry,
                                  const archive::DecompressLimits& limits) {
  if (!entry.local_valid) {
    return Malformed(entry.local_header_offset, "zip: member '{}' has no valid local header",
                     Shown(entry.name));
  }
  if (!entry.size_known) {
    return Malformed(entry.data_offset, "zip: end of member '{}' not found", Shown(entry.name));
  }
  if (!RangeInside(entry.data_offset, entry.compressed_size, data.size())) {
    return Malformed(entry.data_offset,
                     "zip: data of member '{}' [{}, +{}) runs past the end of the file ({} bytes)",
                     Shown(entry.name), entry.data_offset, entry.compressed_size, data.size());
  }
  ByteSpan raw = data.subspan(entry.data_offset, entry.compressed_size);
  if (entry.method == kMethodStored) {
    if (raw.size() > limits.max_output) {
      return LimitExceeded("zip: stored member '{}' exceeds {}", Shown(entry.name),
                           LimitMessage(limits.output_limit_name, limits.output_limit_value));
    }
    return MemberData::View(raw);
  }
  if (!IsDecodableMethod(entry.method)) {
    return UnsupportedAt(entry.local_header_offset,
                         "zip: member '{}' uses compression method {}", Shown(entry.name),
                         entry.method);
  }
  auto located = [&](const Status& s) {
    return Status(s.code(), "zip: member '" + Shown(entry.name) + "': " + s.message(),
                  s.offset() ? std::optional<uint64_t>(*s.offset() + entry.data_offset)
                             : std::nullopt);
  };
  if (entry.method == kMethodDeflate) {
    Result<archive::Inflated> inf = archive::Inflate(raw, archive::InflateMode::kRaw, limits);
    if (!inf.ok()) return located(inf.status());
    return MemberData::Owned(std::move(inf->data));
  }
  auto decode = [&]() -> Result<Bytes> {
    if (entry.method != kMethodLzma) {
      archive::StreamFilter f = entry.method == kMethodBzip2  ? archive::StreamFilter::kBzip2
                                : entry.method == kMethodZstd ? archive::StreamFilter::kZstd
                                                              : archive::StreamFilter::kXz;
      return archive::DecompressStream(raw, f, limits);
    }
    // APPNOTE 5.8.8: LZMA SDK version (2), properties size (2), properties,
    // then raw LZMA. Rewritten as an .lzma ("LZMA alone") stream: the 5
    // property bytes and the uncompressed size, unknown (all ones) when
    // flag bit 1 says an end-of-stream marker terminates the data.
    if (raw.size() < 4) return Malformed(0, "LZMA header truncated");
    uint16_t props = static_cast<uint16_t>(raw[2] | (raw[3] << 8));
    if (props != 5 || raw.size() < 9) return Malformed(2, "LZMA properties of {} bytes, want 5", props);
    Bytes alone(raw.begin() + 4, raw.begin() + 9);
    uint64_t size = (entry.flags & 0x2) != 0 ? ~uint64_t{0} : entry.uncompressed_size;
    for (int i = 0; i < 8; ++i) alone.push_back(static_cast<uint8_t>(size >> (8 * i)));
    alone.insert(alone.end(), raw.begin() + 9, raw.end());
    Result<Bytes> r = archive::DecompressStream(alone, archive::StreamFilter::kLzma, limits);
    // Offsets into the rewritten stream (13-byte header) back to the
    // member's own bytes (9-byte header).
    if (!r.ok() && r.status().offset() && *r.status().offset() >= 4)
      return Status(r.status().code(), r.status().message(), *r.status().offset() - 4);
    return r;
  };
  Result<Bytes> out = decode();
  if (!out.ok()) return located(out.status());
  return MemberData::Owned(std::move(out).value());
}

bool IsDecodableMethod(uint16_t method) {
  return method == kMethodStored || method == kMethodDeflate || method == kMethodBzip2 ||
         method == kMethodLzma || method == kMethodZstd || method == kMethodXz;
}

Bytes ReadMemberPrefix(ByteSpan data, const ZipEntry& entry, size_t n) {
  if (!entry.local_valid || !RangeInside(entry.data_offset, entry.compressed_size, data.size())) {
    return {};
  }
  ByteSpan raw = data.subspan(entry.data_offset, entry.compressed_size);
  if (entry.method == kMethodStored) {
    ByteSpan head = raw.first(std::min<size_t>(n, raw.size()));
    return Bytes(head.begin(), head.end());
  }
  if (entry.method == kMethodDeflate) {
    return archive::InflatePrefix(raw.first(std::min<size_t>(raw.size(), 64 * 1024)),
                                  archive::InflateMode::kRaw, n);
  }
  return {};
}

}  // namespace mats::zip
