#include "mats/hash/records.h"

#include <openssl/crypto.h>

#include <algorithm>
#include <map>
#include <set>

#include "mats/core/encoding.h"
#include "mats/core/json.h"
#include "mats/core/mapped_file.h"
#include "mats/hash/manifest.h"
#include "mats/hash/merkle.h"

namespace mats::hash {

using nlohmann::json;

std::string_view RecordFormatName(RecordFormat f) {
  return f == RecordFormat::kJsonl ? "jsonl" : "csv";
}

Result<RecordFormat> ParseRecordFormat(std::string_view name) {
  if (name == "jsonl") return RecordFormat::kJsonl;
  if (name == "csv") return RecordFormat::kCsv;
  return Unsupported("records: unknown record format \"{}\"", EscapePreview(name));
}

Result<RecordFormat> RecordFormatForPath(std::string_view path) {
  if (path.ends_with(".jsonl") || path.ends_with(".ndjson")) return RecordFormat::kJsonl;
  if (path.ends_with(".csv")) return RecordFormat::kCsv;
  return Unsupported("records: \"{}\" is not .jsonl, .ndjson or .csv", EscapePreview(path));
}

Result<std::vector<std::pair<uint64_t, uint64_t>>> SplitRecords(ByteSpan data, RecordFormat f,
                                                                uint64_t max_records) {
  std::vector<std::pair<uint64_t, uint64_t>> out;
  uint64_t start = 0;
  bool in_quotes = false;
  for (uint64_t i = 0; i < data.size(); ++i) {
    uint8_t c = data[i];
    if (f == RecordFormat::kCsv && c == '"') {
      in_quotes = !in_quotes;
    } else if (c == '\n' && !in_quotes) {
      if (out.size() >= max_records)
        return LimitExceededAt(i, "records: more than {} records", max_records);
      out.emplace_back(start, i - start);
      start = i + 1;
    }
  }
  if (start < data.size()) {
    if (out.size() >= max_records)
      return LimitExceeded("records: more than {} records", max_records);
    out.emplace_back(start, data.size() - start);
  }
  return out;
}

Result<RecordFile> HashRecordFile(const std::string& root, const std::string& rel,
                                  RecordFormat f) {
  MATS_RETURN_IF_ERROR(ValidateRelativePath(rel, false));
  RecordFile out;
  out.path = rel;
  out.format = f;
  std::string full = root + "/" + rel;
  auto file = MappedFile::Open(full);
  if (!file.ok()) return file.status();
  ByteSpan data = file->bytes();
  out.bytes = data.size();
  MATS_ASSIGN_OR_RETURN(auto ranges, SplitRecords(data, f));
  out.leaves.reserve(ranges.size());
  for (auto [off, len] : ranges) out.leaves.push_back(LeafHash(data.subspan(off, len)));
  out.root = MerkleRoot(out.leaves);
  return out;
}

const RecordFile* RecordManifest::Find(std::string_view path) const {
  for (const RecordFile& f : files)
    if (f.path == path) return &f;
  return nullptr;
}

std::string SerializeRecordManifest(const RecordManifest& m) {
  std::vector<const RecordFile*> sorted;
  for (const RecordFile& f : m.files) sorted.push_back(&f);
  std::sort(sorted.begin(), sorted.end(),
            [](auto* a, auto* b) { return ComparePaths(a->path, b->path) < 0; });
  json files = json::array();
  for (const RecordFile* f : sorted) {
    Bytes blob;
    blob.reserve(f->leaves.size() * kMerkleHashSize);
    for (const Bytes& l : f->leaves) blob.insert(blob.end(), l.begin(), l.end());
    files.push_back({{"path", f->path},
                     {"format", RecordFormatName(f->format)},
                     {"bytes", f->bytes},
                     {"records", f->leaves.size()},
                     {"root", HexEncode(f->root)},
                     {"leaves", Base64Encode(blob)}});
  }
  json doc = {{"version", kRecordManifestVersion},
              {"hash", "sha256"},
              {"tree", "rfc6962"},
              {"files", files}};
  return DumpJson(doc, 1) + "\n";
}

Result<RecordManifest> ParseRecordManifest(std::string_view text) {
  if (text.size() > kMaxRecordManifestBytes)
    return LimitExceeded("records: manifest has {} bytes, at most {}", text.size(),
                         kMaxRecordManifestBytes);
  MATS_ASSIGN_OR_RETURN(json doc, ParseJson(text, {.max_depth = 8, .what = "records"}));
  if (!doc.is_object()) return Malformed(0, "records: manifest is not a JSON object");
  for (auto& [k, v] : doc.items())
    if (k != "version" && k != "hash" && k != "tree" && k != "files")
      return Malformed(0, "records: unknown field \"{}\"", EscapePreview(k));
  if (!doc.contains("version") || doc["version"] != kRecordManifestVersion)
    return Unsupported("records: version is not {}", kRecordManifestVersion);
  if (!doc.contains("hash") || doc["hash"] != "sha256" || !doc.contains("tree") ||
      doc["tree"] != "rfc6962")
    return Unsupported("records: want hash sha256 and tree rfc6962");
  if (!doc.contains("files") || !doc["files"].is_array())
    return Malformed(0, "records: files is not an array");
  RecordManifest m;
  std::set<std::string> seen;
  for (const json& e : doc["files"]) {
    if (!e.is_object()) return Malformed(0, "records: file entry is not an object");
    for (auto& [k, v] : e.items())
      if (k != "path" && k != "format" && k != "bytes" && k != "records" && k != "root" &&
          k != "leaves")
        return Malformed(0, "records: unknown file field \"{}\"", EscapePreview(k));
    if (!e.contains("path") || !e["path"].is_string() || !e.contains("format") ||
        !e["format"].is_string() || !e.contains("records") || !e["records"].is_number_unsigned() ||
        !e.contains("bytes") || !e["bytes"].is_number_unsigned() || !e.contains("root") ||
        !e["root"].is_string() || !e.contains("leaves") || !e["leaves"].is_string())
      return Malformed(0, "records: file entry lacks path/format/bytes/records/root/leaves");
    RecordFile f;
    f.path = e["path"].get<std::string>();
    MATS_RETURN_IF_ERROR(ValidateRelativePath(f.path, false));
    if (!seen.insert(f.path).second)
      return Malformed(0, "records: duplicate file \"{}\"", EscapePreview(f.path));
    MATS_ASSIGN_OR_RETURN(f.format, ParseRecordFormat(e["format"].get<std::string>()));
    f.bytes = e["bytes"].get<uint64_t>();
    uint64_t declared_records = e["records"].get<uint64_t>();
    if (declared_records > kMaxRecords)
      return LimitExceeded("records: {} records in \"{}\", at most {}", declared_records,
                           EscapePreview(f.path), kMaxRecords);
    const std::string& b64 = e["leaves"].get_ref<const std::string&>();
    // base64 length must match before decoding anything.
    uint64_t want_b64 = (declared_records * kMerkleHashSize + 2) / 3 * 4;
    if (b64.size() != want_b64)
      return Malformed(0, "records: leaves of \"{}\" have {} base64 chars, want {}",
                       EscapePreview(f.path), b64.size(), want_b64);
    MATS_ASSIGN_OR_RETURN(Bytes blob, Base64Decode(b64));
    if (blob.size() != declared_records * kMerkleHashSize)
      return Malformed(0, "records: leaves of \"{}\" are not {} hashes", EscapePreview(f.path),
                       declared_records);
    f.leaves.reserve(declared_records);
    for (uint64_t i = 0; i < declared_records; ++i)
      f.leaves.emplace_back(blob.begin() + static_cast<ptrdiff_t>(i * kMerkleHashSize),
                            blob.begin() + static_cast<ptrdiff_t>((i + 1) * kMerkleHashSize));
    auto root = HexDecode(e["root"].get<std::string>());
    if (!root.ok() || root->size() != kMerkleHashSize)
      return Malformed(0, "records: root of \"{}\" is not 32 bytes of hex", EscapePreview(f.path));
    f.root = MerkleRoot(f.leaves);
    if (CRYPTO_memcmp(f.root.data(), root->data(), kMerkleHashSize) != 0)
      return Malformed(0, "records: root of \"{}\" does not match its leaves",
                       EscapePreview(f.path));
    m.files.push_back(std::move(f));
  }
  return m;
}

RecordDiff DiffRecords(const RecordFile& s, const RecordFile& a) {
  RecordDiff d;
  d.path = s.path;
  d.signed_records = s.leaves.size();
  d.actual_records = a.leaves.size();
  // Same index, same content: unchanged. Otherwise match by content.
  std::map<Bytes, std::vector<uint64_t>> pool;  // content -> signed indices
  std::vector<bool> s_matched(s.leaves.size()), a_matched(a.leaves.size());
  size_t common = std::min(s.leaves.size(), a.leaves.size());
  for (size_t i = 0; i < common; ++i)
    if (s.leaves[i] == a.leaves[i]) s_matched[i] = a_matched[i] = true;
  for (size_t i = s.leaves.size(); i-- > 0;)
    if (!s_matched[i]) pool[s.leaves[i]].push_back(i);
  for (size_t i = 0; i < a.leaves.size(); ++i) {
    if (a_matched[i]) continue;
    auto it = pool.find(a.leaves[i]);
    if (it != pool.end() && !it->second.empty()) {
      s_matched[it->second.back()] = true;
      it->second.pop_back();
      a_matched[i] = true;
    }
  }
  std::set<uint64_t> removed, added;
  for (size_t i = 0; i < s.leaves.size(); ++i)
    if (!s_matched[i]) removed.insert(i);
  for (size_t i = 0; i < a.leaves.size(); ++i)
    if (!a_matched[i]) added.insert(i);
  for (uint64_t i : std::set<uint64_t>(removed)) {
    if (added.count(i)) {
      d.changed.push_back(i);
      removed.erase(i);
      added.erase(i);
    }
  }
  d.removed.assign(removed.begin(), removed.end());
  d.added.assign(added.begin(), added.end());
  return d;
}

Result<std::string> MakeRecordProof(const std::string& dataset_root, const RecordFile& f,
                                    uint64_t index) {
  if (index >= f.leaves.size())
    return InvalidArgument("records: index {} out of range: \"{}\" has {} records", index,
                           EscapePreview(f.path), f.leaves.size());
  MATS_RETURN_IF_ERROR(ValidateRelativePath(f.path, false));
  MATS_ASSIGN_OR_RETURN(MappedFile file, MappedFile::Open(dataset_root + "/" + f.path));
  MATS_ASSIGN_OR_RETURN(auto ranges, SplitRecords(file.bytes(), f.format));
  if (ranges.size() != f.leaves.size())
    return VerificationFailed("records: \"{}\" now has {} records, the manifest {}",
                              EscapePreview(f.path), ranges.size(), f.leaves.size());
  ByteSpan rec = file.bytes().subspan(ranges[index].first, ranges[index].second);
  Bytes leaf = LeafHash(rec);
  if (leaf != f.leaves[index])
    return VerificationFailed("records: record {} of \"{}\" changed since the manifest was made",
                              index, EscapePreview(f.path));
  MATS_ASSIGN_OR_RETURN(std::vector<Bytes> proof, InclusionProof(f.leaves, index));
  json p = json::array();
  for (const Bytes& h : proof) p.push_back(HexEncode(h));
  json doc = {{"version", "mats-record-proof/1"},
              {"path", f.path},
              {"index", index},
              {"records", f.leaves.size()},
              {"record_base64", Base64Encode(rec)},
              {"leaf_hash", HexEncode(leaf)},
              {"proof", p},
              {"root", HexEncode(f.root)}};
  return DumpJson(doc, 2) + "\n";
}

Result<std::string> VerifyRecordProof(std::string_view proof_json, const RecordManifest& m) {
  MATS_ASSIGN_OR_RETURN(json doc, ParseJson(proof_json, {.max_depth = 4, .what = "record proof"}));
  if (!doc.is_object() || JsonStringOr(doc, "version") != "mats-record-proof/1")
    return Malformed(0, "record proof: not a mats-record-proof/1 document");
  if (!doc.contains("path") || !doc["path"].is_string() || !doc.contains("index") ||
      !doc["index"].is_number_unsigned() || !doc.contains("records") ||
      !doc["records"].is_number_unsigned() || !doc.contains("record_base64") ||
      !doc["record_base64"].is_string() || !doc.contains("proof") || !doc["proof"].is_array() ||
      !doc.contains("root") || !doc["root"].is_string())
    return Malformed(0, "record proof: missing or mistyped field");
  std::string path = doc["path"].get<std::string>();
  const RecordFile* f = m.Find(path);
  if (f == nullptr)
    return VerificationFailed("record proof: \"{}\" is not in the signed record manifest",
                              EscapePreview(path));
  uint64_t index = doc["index"].get<uint64_t>();
  uint64_t size = doc["records"].get<uint64_t>();
  if (size != f->leaves.size())
    return VerificationFailed("record proof: tree size {} but the signed file has {} records",
                              size, f->leaves.size());
  auto root = HexDecode(doc["root"].get<std::string>());
  if (!root.ok() || *root != f->root)
    return VerificationFailed("record proof: root differs from the signed root of \"{}\"",
                              EscapePreview(path));
  if (doc["proof"].size() > 64) return Malformed(0, "record proof: more than 64 hashes");
  std::vector<Bytes> proof;
  for (const json& h : doc["proof"]) {
    if (!h.is_string()) return Malformed(0, "record proof: hash is not a string");
    auto b = HexDecode(h.get<std::string>());
    if (!b.ok()) return Malformed(0, "record proof: hash is not hex");
    proof.push_back(std::move(b).value());
  }
  MATS_ASSIGN_OR_RETURN(Bytes rec, Base64Decode(doc["record_base64"].get<std::string>()));
  MATS_RETURN_IF_ERROR(VerifyInclusion(index, size, LeafHash(rec), proof, f->root));
  return std::string(rec.begin(), rec.end());
}

}  // namespace mats::hash
