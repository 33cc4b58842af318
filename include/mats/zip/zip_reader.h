// ZipReader — mats' own zip parser (PKWARE APPNOTE 6.3.10), built to see
// every way two zip readers can disagree about one file.
//
// ReadZip() parses the end-of-central-directory record (with the zip64
// locator and record and zip64 extra fields), the central directory, and
// also walks every local file header linearly from offset 0. The listing is
// the union of both views; every divergence becomes a ZipAnomaly (duplicate
// names, local/central name or field mismatches, flag bits 0x1/0x20/0x40,
// prepended, in-between or trailing data, local entries missing from the
// central directory, central entries without a local header, overlapping
// entries, data descriptors, missing central directory).
//
//   MATS_ASSIGN_OR_RETURN(ZipListing z, ReadZip(bytes, limits));
//   for (const ZipEntry& e : z.entries) {
//     MATS_ASSIGN_OR_RETURN(MemberData d, ReadMemberData(bytes, e, dlimits));
//     ... d.bytes() ...
//   }
//
// Nothing is extracted; names are untrusted data. Views returned by
// ReadMemberData point into `data` (stored members) or into the MemberData.
// Thread-compatible, no global state.
#ifndef MATS_ZIP_ZIP_READER_H_
#define MATS_ZIP_ZIP_READER_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "mats/archive/decompress.h"
#include "mats/core/bytes.h"
#include "mats/core/limits.h"
#include "mats/core/result.h"

namespace mats::zip {

inline constexpr uint32_t kLocalSig = 0x04034b50;
inline constexpr uint32_t kCentralSig = 0x02014b50;
inline constexpr uint32_t kEocdSig = 0x06054b50;
inline constexpr uint32_t kZip64EocdSig = 0x06064b50;
inline constexpr uint32_t kZip64LocatorSig = 0x07064b50;
inline constexpr uint32_t kDescriptorSig = 0x08074b50;

inline constexpr uint16_t kFlagEncrypted = 0x0001;
inline constexpr uint16_t kFlagDataDescriptor = 0x0008;
inline constexpr uint16_t kFlagPatched = 0x0020;
inline constexpr uint16_t kFlagStrongEncryption = 0x0040;

inline constexpr uint16_t kMethodStored = 0;
inline constexpr uint16_t kMethodDeflate = 8;
inline constexpr uint16_t kMethodBzip2 = 12;
inline constexpr uint16_t kMethodLzma = 14;
inline constexpr uint16_t kMethodZstd = 93;
inline constexpr uint16_t kMethodXz = 95;

// True for the methods ReadMemberData decodes: stored, deflate, bzip2,
// LZMA, zstd and xz.
bool IsDecodableMethod(uint16_t method);

struct ZipEntry {
  std::string name;        // central-directory name, or the local name for
                           // local-only entries
  std::string local_name;  // name in the local header ("" if none parsed)
  bool in_central = false;
  bool local_valid = false;  // a local header parsed at local_header_offset
  bool size_known = true;    // false: local-only entry whose end was not found
  uint16_t flags = 0;        // central flags (local flags if local-only)
  uint16_t local_flags = 0;
  uint16_t method = 0;
  uint32_t crc32 = 0;
  uint64_t compressed_size = 0;
  uint64_t uncompressed_size = 0;
  uint64_t local_header_offset = 0;  // absolute, in the buffer
  uint64_t data_offset = 0;          // absolute start of the member data
  uint64_t end_offset = 0;           // end of data and data descriptor

  bool is_directory() const {
    return !name.empty() && name.back() == '/' && compressed_size == 0;
  }
};

enum class AnomalyKind : uint8_t {
  kDuplicateName,
  kNameMismatch,        // local vs central name (CVE-2025-1944)
  kFlagBits,            // 0x1 / 0x20 / 0x40 (CVE-2025-1945)
  kPrependedData,       // bytes before the first local header
  kGapData,             // bytes between entries / before the EOCD
  kTrailingData,        // bytes after the EOCD record
  kLocalOnly,           // local entry absent from the central directory
  kCentralWithoutLocal, // central entry with no valid local header
  kOverlap,             // two entries share bytes
  kFieldMismatch,       // method, crc, sizes or flags differ local/central
  kNoCentralDirectory,  // no EOCD: only the local walk was possible
  kDataDescriptor,      // members use data descriptors (flag 0x8)
  kCountMismatch,       // EOCD entry count differs from what the CD holds
};

struct ZipAnomaly {
  AnomalyKind kind;
  uint64_t offset = 0;
  std::string member;
  std::string detail;  // escaped, for messages
};

struct ZipListing {
  // Central-directory entries in directory order, then local-only entries
  // in file order.
  std::vector<ZipEntry> entries;
  std::vector<ZipAnomaly> anomalies;
  bool has_central_directory = false;
  bool zip64 = false;
  uint64_t eocd_offset = 0;
  uint64_t central_directory_offset = 0;  // absolute (after any shift)
  uint64_t central_directory_size = 0;
  std::string comment;
};

// Parses `data`. Errors: kMalformed (no EOCD and no local header at offset
// 0, truncated or inconsistent EOCD / zip64 records, central directory
// outside the file or cut short), kLimitExceeded (max_entries), kUnsupported
// (multi-disk archives).
Result<ZipListing> ReadZip(ByteSpan data, const Limits& limits);

// A member's bytes: a view into the zip for stored members, owned for
// inflated ones.
class MemberData {
 public:
  static MemberData View(ByteSpan v) { return MemberData(v, {}, false); }
  static MemberData Owned(Bytes b) { return MemberData({}, std::move(b), true); }
  ByteSpan bytes() const { return owned_flag_ ? ByteSpan(owned_) : view_; }
  // Bytes produced by decompression (0 for stored members).
  uint64_t inflated_size() const { return owned_flag_ ? owned_.size() : 0; }

 private:
  MemberData(ByteSpan v, Bytes b, bool owned)
      : view_(v), owned_(std::move(b)), owned_flag_(owned) {}
  ByteSpan view_;
  Bytes owned_;
  bool owned_flag_ = false;
};

// Reads (and inflates) one member. Errors: kMalformed (data outside the
// file, corrupt deflate), kUnsupported (method other than stored/deflate),
// kLimitExceeded (from `limits`).
Result<MemberData> ReadMemberData(ByteSpan data, const ZipEntry& entry,
                                  const archive::DecompressLimits& limits);

// The first `n` bytes of a member without reading the rest (stored: a view;
// deflate: inflated prefix). Empty on any problem.
Bytes ReadMemberPrefix(ByteSpan data, const ZipEntry& entry, size_t n);

}  // namespace mats::zip

#endif  // MATS_ZIP_ZIP_READER_H_
