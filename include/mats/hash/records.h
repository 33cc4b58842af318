// Record-level manifests for line- or record-oriented dataset files (JSONL,
// CSV): an RFC 6962 Merkle tree over the records of each file, so a
// verifier can say exactly which records changed, were added or removed,
// and a single record's membership can be proven. Format and binding to the
// OMS signature: docs/formats/record-manifest.md.
//
//   MATS_ASSIGN_OR_RETURN(RecordFile f, HashRecordFile(dir, "train.jsonl", RecordFormat::kJsonl));
//   RecordManifest m;  m.files.push_back(f);
//   WriteFileAtomic(dir + "/" + std::string(kRecordManifestName), SerializeRecordManifest(m));
//   RecordDiff d = DiffRecords(signed_file, f);
#ifndef MATS_HASH_RECORDS_H_
#define MATS_HASH_RECORDS_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mats/core/bytes.h"
#include "mats/core/result.h"

namespace mats::hash {

// Stored at the dataset root, so the OMS manifest signs it like any file.
inline constexpr std::string_view kRecordManifestName = "mats-records.json";
inline constexpr std::string_view kRecordManifestVersion = "mats-record-manifest/1";
// Records per file (leaf hashes are kept in memory: 32 bytes each).
inline constexpr uint64_t kMaxRecords = 50'000'000;
// Size of a record manifest accepted by the parser.
inline constexpr uint64_t kMaxRecordManifestBytes = 3ull << 30;

enum class RecordFormat : uint8_t { kJsonl, kCsv };
std::string_view RecordFormatName(RecordFormat f);
Result<RecordFormat> ParseRecordFormat(std::string_view name);
// By extension: .jsonl/.ndjson → kJsonl, .csv → kCsv; kUnsupported else.
Result<RecordFormat> RecordFormatForPath(std::string_view path);

// Byte ranges [offset, offset+len) of the records. JSONL: one record per
// '\n'-terminated line (the '\n' is not part of it; a last line without
// '\n' is a record; nothing after a final '\n'). CSV: the same, except that
// '\n' inside a double-quoted field does not end the record (RFC 4180
// quoting, "" escapes). kLimitExceeded past max_records.
Result<std::vector<std::pair<uint64_t, uint64_t>>> SplitRecords(ByteSpan data, RecordFormat f,
                                                                uint64_t max_records = kMaxRecords);

struct RecordFile {
  std::string path;  // dataset-relative
  RecordFormat format = RecordFormat::kJsonl;
  uint64_t bytes = 0;
  std::vector<Bytes> leaves;  // LeafHash(record) per record
  Bytes root;                 // MerkleRoot(leaves)
};

// Reads root/rel and builds its record tree. rel must be a valid
// dataset-relative path (no "..").
Result<RecordFile> HashRecordFile(const std::string& root, const std::string& rel,
                                  RecordFormat f);

struct RecordManifest {
  std::vector<RecordFile> files;  // sorted by path
  const RecordFile* Find(std::string_view path) const;
};

std::string SerializeRecordManifest(const RecordManifest& m);
// Strict: version, known fields, valid paths, unique, leaf blob length =
// 32 × records, root = MerkleRoot(leaves). kMalformed / kLimitExceeded.
Result<RecordManifest> ParseRecordManifest(std::string_view text);

struct RecordDiff {
  std::string path;
  uint64_t signed_records = 0;
  uint64_t actual_records = 0;
  // 0-based indices (changed/removed: in the signed file; added: in the
  // actual file). A record replaced in place is "changed" (same index in
  // both); others are matched by content, so moved records are not
  // reported.
  std::vector<uint64_t> changed;
  std::vector<uint64_t> added;
  std::vector<uint64_t> removed;
  bool empty() const { return changed.empty() && added.empty() && removed.empty(); }
};
RecordDiff DiffRecords(const RecordFile& signed_file, const RecordFile& actual);

// Inclusion proof of one record, as JSON: {"version","path","index","records",
// "record_base64","leaf_hash","proof":[hex...],"root"}.
Result<std::string> MakeRecordProof(const std::string& dataset_root, const RecordFile& f,
                                    uint64_t index);

// Checks a proof against the (authenticated) record manifest: the file is
// listed, records and root match, the record hashes to the leaf and the
// audit path leads to the root. kVerificationFailed names the mismatch,
// kMalformed for a bad proof document. On success returns the record bytes.
Result<std::string> VerifyRecordProof(std::string_view proof_json, const RecordManifest& m);

}  // namespace mats::hash

#endif  // MATS_HASH_RECORDS_H_
