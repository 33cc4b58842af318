// mats log entries: the canonical, versioned binary encoding of one model
// event (docs/formats/log-entry.md documents it byte by byte).
//
//   LogEntry e;
//   e.type = EventType::kUpload;
//   e.subject = {"acme", "resnet50", "1.2.0"};
//   e.digests.push_back({DigestRole::kArtifact, DigestAlgorithm::kSha256, d});
//   e.actor = "tok_7f3a";            // opaque id from the API token
//   e.timestamp_ms = 1763900000000;
//   MATS_ASSIGN_OR_RETURN(Bytes wire, EncodeEntry(e));
//   MATS_ASSIGN_OR_RETURN(LogEntry back, DecodeEntry(wire));  // back == e
//
// An entry never carries artifact bytes or personal data: only digests, the
// subject name, an opaque actor id and a timestamp. A deletion is a new
// entry of type kDelete; the artifact bytes may then be removed from
// storage while the log keeps the proof that they existed and were deleted.
//
// Decoding is strict and canonical: decode(encode(x)) == x, and any byte
// string that decodes re-encodes to identical bytes (everything else is
// rejected). All functions are thread-safe.
#ifndef MATS_TLOG_ENTRY_H_
#define MATS_TLOG_ENTRY_H_

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "mats/core/bytes.h"
#include "mats/core/result.h"

namespace mats::tlog {

// Domain-separation label and version, the first bytes of every entry
// ("mats-log-entry/v1" followed by one 0x00 byte).
inline constexpr std::string_view kEntryLabel = "mats-log-entry/v1";
inline constexpr size_t kMaxEncodedEntryBytes = 65535;
inline constexpr size_t kMaxSubjectPartBytes = 128;
inline constexpr size_t kMaxActorBytes = 128;

enum class EventType : uint8_t {
  kUpload = 1,
  kUpdate = 2,
  kDelete = 3,
  kSignature = 4,
  kVerdict = 5,
  kKeyRegistration = 6,
};

// What a digest identifies. Wire order of digests is by increasing role.
enum class DigestRole : uint8_t {
  kArtifact = 1,         // OMS root digest of the model/dataset
  kSignatureBundle = 2,  // signature bundle
  kReport = 3,           // scan report
  kPublicKey = 4,        // registered public key
};

enum class DigestAlgorithm : uint8_t {
  kSha256 = 1,  // 32 bytes
  kSha384 = 2,  // 48 bytes
  kSha512 = 3,  // 64 bytes
};

struct Digest {
  DigestRole role = DigestRole::kArtifact;
  DigestAlgorithm algorithm = DigestAlgorithm::kSha256;
  Bytes value;
  friend bool operator==(const Digest&, const Digest&) = default;
};

// namespace/name@version. Charsets: namespace and name
// [A-Za-z0-9][A-Za-z0-9._-]*, version [A-Za-z0-9][A-Za-z0-9._+-]*, each
// 1..kMaxSubjectPartBytes bytes.
struct Subject {
  std::string ns;
  std::string name;
  std::string version;
  friend bool operator==(const Subject&, const Subject&) = default;
};

struct LogEntry {
  EventType type = EventType::kUpload;
  Subject subject;
  std::vector<Digest> digests;  // sorted by role, at most one per role
  // Opaque authenticated actor id, [A-Za-z0-9][A-Za-z0-9._:-]*,
  // 1..kMaxActorBytes. Never a name or e-mail.
  std::string actor;
  uint64_t timestamp_ms = 0;  // unix time in milliseconds
  friend bool operator==(const LogEntry&, const LogEntry&) = default;
};

// Stable lowercase names: "upload", "update", "delete", "signature",
// "verdict", "key-registration"; "artifact", "signature-bundle", "report",
// "public-key"; "sha256", "sha384", "sha512".
std::string_view EventTypeName(EventType t);
std::string_view DigestRoleName(DigestRole r);
std::string_view DigestAlgorithmName(DigestAlgorithm a);
// Inverses; kInvalidArgument for an unknown name.
Result<EventType> ParseEventType(std::string_view name);
Result<DigestRole> ParseDigestRole(std::string_view name);
Result<DigestAlgorithm> ParseDigestAlgorithm(std::string_view name);
// Digest length of an algorithm in bytes.
size_t DigestLength(DigestAlgorithm a);

// Parses "namespace/name@version"; kInvalidArgument if malformed.
Result<Subject> ParseSubject(std::string_view text);
std::string FormatSubject(const Subject& s);

// Checks every field and the cross-field rules: digests sorted by role and
// unique; the role required by the type is present (upload/update:
// artifact; signature: signature-bundle; verdict: report;
// key-registration: public-key; delete: none required). kInvalidArgument
// naming the field.
Status ValidateEntry(const LogEntry& e);

// Canonical bytes; kInvalidArgument if ValidateEntry fails.
Result<Bytes> EncodeEntry(const LogEntry& e);
// Strict decode. kMalformed (with offset) for a wrong label, unknown type,
// role or algorithm, bad lengths, bad charset, unsorted/duplicate digests,
// missing required digest, trailing bytes; kLimitExceeded above
// kMaxEncodedEntryBytes.
Result<LogEntry> DecodeEntry(ByteSpan data);

// JSON view for the API:
// {"version":1,"type":"upload","subject":"ns/name@ver",
//  "digests":[{"role":"artifact","algorithm":"sha256","hex":"..."}],
//  "actor":"...","timestamp_ms":123}
nlohmann::json EntryToJson(const LogEntry& e);
// Inverse (strict: unknown or missing keys, wrong types -> kInvalidArgument;
// the result is validated with ValidateEntry).
Result<LogEntry> EntryFromJson(const nlohmann::json& j);

}  // namespace mats::tlog

#endif  // MATS_TLOG_ENTRY_H_
