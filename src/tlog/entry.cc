#include "mats/tlog/entry.h"

#include <fmt/core.h>

#include <algorithm>

#include "mats/core/byte_reader.h"
#include "mats/core/encoding.h"

namespace mats::tlog {
namespace {

bool IsAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// First byte alphanumeric, the rest alphanumeric or in `extra`.
bool CharsetOk(std::string_view s, std::string_view extra, size_t max) {
  if (s.empty() || s.size() > max || !IsAlnum(s[0])) return false;
  return std::all_of(s.begin(), s.end(), [&](char c) {
    return IsAlnum(c) || extra.find(c) != std::string_view::npos;
  });
}

constexpr std::string_view kNameExtra = "._-";
constexpr std::string_view kVersionExtra = "._+-";
constexpr std::string_view kActorExtra = "._:-";

Status CheckSubjectPart(std::string_view what, std::string_view v, std::string_view extra) {
  if (!CharsetOk(v, extra, kMaxSubjectPartBytes)) {
    return InvalidArgument("log entry: subject {} {} must be 1..{} bytes of [A-Za-z0-9{}] starting "
                           "with a letter or digit",
                           what, EscapePreview(v), kMaxSubjectPartBytes, extra);
  }
  return Status::Ok();
}

bool KnownType(uint8_t t) { return t >= 1 && t <= 6; }
bool KnownRole(uint8_t r) { return r >= 1 && r <= 4; }
bool KnownAlgorithm(uint8_t a) { return a >= 1 && a <= 3; }

// The role an event type must carry, or 0.
uint8_t RequiredRole(EventType t) {
  switch (t) {
    case EventType::kUpload:
    case EventType::kUpdate:
      return static_cast<uint8_t>(DigestRole::kArtifact);
    case EventType::kSignature:
      return static_cast<uint8_t>(DigestRole::kSignatureBundle);
    case EventType::kVerdict:
      return static_cast<uint8_t>(DigestRole::kReport);
    case EventType::kKeyRegistration:
      return static_cast<uint8_t>(DigestRole::kPublicKey);
    case EventType::kDelete:
      return 0;
  }
  return 0;
}

void PutString(Bytes& out, std::string_view s) {
  out.push_back(static_cast<uint8_t>(s.size()));
  out.insert(out.end(), s.begin(), s.end());
}

}  // namespace

std::string_view EventTypeName(EventType t) {
  switch (t) {
    case EventType::kUpload: return "upload";
    case EventType::kUpdate: return "update";
    case EventType::kDelete: return "delete";
    case EventType::kSignature: return "signature";
    case EventType::kVerdict: return "verdict";
    case EventType::kKeyRegistration: return "key-registration";
  }
  return "unknown";
}

std::string_view DigestRoleName(DigestRole r) {
  switch (r) {
    case DigestRole::kArtifact: return "artifact";
    case DigestRole::kSignatureBundle: return "signature-bundle";
    case DigestRole::kReport: return "report";
    case DigestRole::kPublicKey: return "public-key";
  }
  return "unknown";
}

std::string_view DigestAlgorithmName(DigestAlgorithm a) {
  switch (a) {
    case DigestAlgorithm::kSha256: return "sha256";
    case DigestAlgorithm::kSha384: return "sha384";
    case DigestAlgorithm::kSha512: return "sha512";
  }
  return "unknown";
}

size_t DigestLength(DigestAlgorithm a) {
  switch (a) {
    case DigestAlgorithm::kSha256: return 32;
    case DigestAlgorithm::kSha384: return 48;
    case DigestAlgorithm::kSha512: return 64;
  }
  return 0;
}

Result<EventType> ParseEventType(std::string_view name) {
  for (uint8_t i = 1; i <= 6; ++i) {
    if (EventTypeName(static_cast<EventType>(i)) == name) return static_cast<EventType>(i);
  }
  return InvalidArgument("log entry: unknown event type {}", EscapePreview(name));
}

Result<DigestRole> ParseDigestRole(std::string_view name) {
  for (uint8_t i = 1; i <= 4; ++i) {
    if (DigestRoleName(static_cast<DigestRole>(i)) == name) return static_cast<DigestRole>(i);
  }
  return InvalidArgument("log entry: unknown digest role {}", EscapePreview(name));
}

Result<DigestAlgorithm> ParseDigestAlgorithm(std::string_view name) {
  for (uint8_t i = 1; i <= 3; ++i) {
    if (DigestAlgorithmName(static_cast<DigestAlgorithm>(i)) == name) {
      return static_cast<DigestAlgorithm>(i);
    }
  }
  return InvalidArgument("log entry: unknown digest algorithm {}", EscapePreview(name));
}

Result<Subject> ParseSubject(std::string_view text) {
  size_t slash = text.find('/');
  size_t at = text.rfind('@');
  if (slash == std::string_view::npos || at == std::string_view::npos || at < slash) {
    return InvalidArgument("log entry: subject {} is not namespace/name@version",
                           EscapePreview(text));
  }
  Subject s{std::string(text.substr(0, slash)), std::string(text.substr(slash + 1, at - slash - 1)),
            std::string(text.substr(at + 1))};
  MATS_RETURN_IF_ERROR(CheckSubjectPart("namespace", s.ns, kNameExtra));
  MATS_RETURN_IF_ERROR(CheckSubjectPart("name", s.name, kNameExtra));
  MATS_RETURN_IF_ERROR(CheckSubjectPart("version", s.version, kVersionExtra));
  return s;
}

std::string FormatSubject(const Subject& s) {
  return fmt::format("{}/{}@{}", s.ns, s.name, s.version);
}

Status ValidateEntry(const LogEntry& e) {
  if (!KnownType(static_cast<uint8_t>(e.type))) {
    return InvalidArgument("log entry: unknown event type {}", static_cast<int>(e.type));
  }
  MATS_RETURN_IF_ERROR(CheckSubjectPart("namespace", e.subject.ns, kNameExtra));
  MATS_RETURN_IF_ERROR(CheckSubjectPart("name", e.subject.name, kNameExtra));
  MATS_RETURN_IF_ERROR(CheckSubjectPart("version", e.subject.version, kVersionExtra));
  if (!CharsetOk(e.actor, kActorExtra, kMaxActorBytes)) {
    return InvalidArgument("log entry: actor {} must be 1..{} bytes of [A-Za-z0-9._:-] starting "
                           "with a letter or digit",
                           EscapePreview(e.actor), kMaxActorBytes);
  }
  uint8_t last_role = 0;
  bool has_required = RequiredRole(e.type) == 0;
  for (const Digest& d : e.digests) {
    auto role = static_cast<uint8_t>(d.role);
    auto alg = static_cast<uint8_t>(d.algorithm);
    if (!KnownRole(role)) return InvalidArgument("log entry: unknown digest role {}", role);
    if (!KnownAlgorithm(alg)) return InvalidArgument("log entry: unknown digest algorithm {}", alg);
    if (role <= last_role) {
      return InvalidArgument("log entry: digests must be sorted by role, one per role");
    }
    last_role = role;
    if (d.value.size() != DigestLength(d.algorithm)) {
      return InvalidArgument("log entry: {} digest of {} bytes, want {}",
                             DigestAlgorithmName(d.algorithm), d.value.size(),
                             DigestLength(d.algorithm));
    }
    if (role == RequiredRole(e.type)) has_required = true;
  }
  if (!has_required) {
    return InvalidArgument("log entry: a {} event needs a {} digest", EventTypeName(e.type),
                           DigestRoleName(static_cast<DigestRole>(RequiredRole(e.type))));
  }
  return Status::Ok();
}

Result<Bytes> EncodeEntry(const LogEntry& e) {
  MATS_RETURN_IF_ERROR(ValidateEntry(e));
  Bytes out;
  out.reserve(128);
  out.insert(out.end(), kEntryLabel.begin(), kEntryLabel.end());
  out.push_back(0x00);
  out.push_back(static_cast<uint8_t>(e.type));
  for (int i = 7; i >= 0; --i) out.push_back(static_cast<uint8_t>(e.timestamp_ms >> (8 * i)));
  PutString(out, e.subject.ns);
  PutString(out, e.subject.name);
  PutString(out, e.subject.version);
  PutString(out, e.actor);
  out.push_back(static_cast<uint8_t>(e.digests.size()));
  for (const Digest& d : e.digests) {
    out.push_back(static_cast<uint8_t>(d.role));
    out.push_back(static_cast<uint8_t>(d.algorithm));
    out.insert(out.end(), d.value.begin(), d.value.end());
  }
  return out;
}

Result<LogEntry> DecodeEntry(ByteSpan data) {
  if (data.size() > kMaxEncodedEntryBytes) {
    return LimitExceeded("log entry: {} bytes, at most {}", data.size(), kMaxEncodedEntryBytes);
  }
  ByteReader r(data);
  MATS_ASSIGN_OR_RETURN(std::string_view label, r.ReadChars(kEntryLabel.size()));
  if (label != kEntryLabel) {
    return Malformed(0, "log entry: label {}, want {}", EscapePreview(label), kEntryLabel);
  }
  MATS_ASSIGN_OR_RETURN(uint8_t sep, r.ReadU8());
  if (sep != 0) return Malformed(r.offset() - 1, "log entry: label terminator {:#04x}, want 0x00", sep);
  LogEntry e;
  MATS_ASSIGN_OR_RETURN(uint8_t declared_type, r.ReadU8());
  if (!KnownType(declared_type)) {
    return Malformed(r.offset() - 1, "log entry: unknown event type {}", declared_type);
  }
  e.type = static_cast<EventType>(declared_type);
  MATS_ASSIGN_OR_RETURN(e.timestamp_ms, r.ReadU64Be());
  struct Field {
    std::string* out;
    std::string_view what;
    std::string_view extra;
    size_t max;
  };
  const Field fields[] = {
      {&e.subject.ns, "namespace", kNameExtra, kMaxSubjectPartBytes},
      {&e.subject.name, "name", kNameExtra, kMaxSubjectPartBytes},
      {&e.subject.version, "version", kVersionExtra, kMaxSubjectPartBytes},
      {&e.actor, "actor", kActorExtra, kMaxActorBytes},
  };
  for (const Field& f : fields) {
    uint64_t at = r.offset();
    MATS_ASSIGN_OR_RETURN(uint8_t declared_len, r.ReadU8());
    if (declared_len == 0 || declared_len > f.max) {
      return Malformed(at, "log entry: {} length {}, want 1..{}", f.what, declared_len, f.max);
    }
    MATS_ASSIGN_OR_RETURN(std::string_view v, r.ReadChars(declared_len));
    if (!CharsetOk(v, f.extra, f.max)) {
      return Malformed(at + 1, "log entry: {} {} has characters outside [A-Za-z0-9{}]", f.what,
                       EscapePreview(v), f.extra);
    }
    *f.out = std::string(v);
  }
  uint64_t count_at = r.offset();
  MATS_ASSIGN_OR_RETURN(uint8_t declared_count, r.ReadU8());
  if (declared_count > 4) {
    return Malformed(count_at, "log entry: {} digests, at most 4", declared_count);
  }
  uint8_t last_role = 0;
  for (uint8_t i = 0; i < declared_count; ++i) {
    uint64_t at = r.offset();
    MATS_ASSIGN_OR_RETURN(uint8_t role, r.ReadU8());
    MATS_ASSIGN_OR_RETURN(uint8_t alg, r.ReadU8());
    if (!KnownRole(role)) return Malformed(at, "log entry: unknown digest role {}", role);
    if (!KnownAlgorithm(alg)) return Malformed(at + 1, "log entry: unknown digest algorithm {}", alg);
    if (role <= last_role) {
      return Malformed(at, "log entry: digest role {} after {}: want increasing roles", role,
                       last_role);
    }
    last_role = role;
    Digest d;
    d.role = static_cast<DigestRole>(role);
    d.algorithm = static_cast<DigestAlgorithm>(alg);
    MATS_ASSIGN_OR_RETURN(ByteSpan v, r.ReadBytes(DigestLength(d.algorithm)));
    d.value.assign(v.begin(), v.end());
    e.digests.push_back(std::move(d));
  }
  if (!r.empty()) {
    return Malformed(r.offset(), "log entry: {} trailing bytes", r.remaining());
  }
  if (Status s = ValidateEntry(e); !s.ok()) return Malformed(r.offset(), "{}", s.message());
  return e;
}

nlohmann::json EntryToJson(const LogEntry& e) {
  nlohmann::json digests = nlohmann::json::array();
  for (const Digest& d : e.digests) {
    digests.push_back({{"role", std::string(DigestRoleName(d.role))},
                       {"algorithm", std::string(DigestAlgorithmName(d.algorithm))},
                       {"hex", HexEncode(d.value)}});
  }
  return nlohmann::json{{"version", 1},
                        {"type", std::string(EventTypeName(e.type))},
                        {"subject", FormatSubject(e.subject)},
                        {"digests", std::move(digests)},
                        {"actor", e.actor},
                        {"timestamp_ms", e.timestamp_ms}};
}

Result<LogEntry> EntryFromJson(const nlohmann::json& j) {
  if (!j.is_object()) return InvalidArgument("log entry json: not an object");
  static constexpr std::string_view kKeys[] = {"version", "type",  "subject",
                                               "digests", "actor", "timestamp_ms"};
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (std::find(std::begin(kKeys), std::end(kKeys), it.key()) == std::end(kKeys)) {
      return InvalidArgument("log entry json: unknown key {}", EscapePreview(it.key()));
    }
  }
  for (std::string_view k : kKeys) {
    if (!j.contains(std::string(k))) return InvalidArgument("log entry json: missing key {}", k);
  }
  auto non_negative = [](const nlohmann::json& v) {
    return v.is_number_unsigned() || (v.is_number_integer() && v.get<int64_t>() >= 0);
  };
  const auto& version = j["version"];
  if (!non_negative(version) || version.get<uint64_t>() != 1) {
    return InvalidArgument("log entry json: version must be 1");
  }
  if (!j["type"].is_string() || !j["subject"].is_string() || !j["actor"].is_string() ||
      !non_negative(j["timestamp_ms"]) || !j["digests"].is_array()) {
    return InvalidArgument("log entry json: wrong value type");
  }
  LogEntry e;
  MATS_ASSIGN_OR_RETURN(e.type, ParseEventType(j["type"].get<std::string>()));
  MATS_ASSIGN_OR_RETURN(e.subject, ParseSubject(j["subject"].get<std::string>()));
  e.actor = j["actor"].get<std::string>();
  e.timestamp_ms = j["timestamp_ms"].get<uint64_t>();
  if (j["digests"].size() > 4) return InvalidArgument("log entry json: more than 4 digests");
  for (const auto& dj : j["digests"]) {
    if (!dj.is_object() || dj.size() != 3 || !dj.contains("role") || !dj.contains("algorithm") ||
        !dj.contains("hex") || !dj["role"].is_string() || !dj["algorithm"].is_string() ||
        !dj["hex"].is_string()) {
      return InvalidArgument("log entry json: a digest needs exactly role, algorithm and hex");
    }
    Digest d;
    MATS_ASSIGN_OR_RETURN(d.role, ParseDigestRole(dj["role"].get<std::string>()));
    MATS_ASSIGN_OR_RETURN(d.algorithm, ParseDigestAlgorithm(dj["algorithm"].get<std::string>()));
    std::string hex = dj["hex"].get<std::string>();
    if (std::any_of(hex.begin(), hex.end(), [](char c) { return c >= 'A' && c <= 'F'; })) {
      return InvalidArgument("log entry json: digest hex must be lowercase");
    }
    Result<Bytes> v = HexDecode(hex);
    if (!v.ok()) return InvalidArgument("log entry json: digest hex: {}", v.status().message());
    d.value = std::move(v).value();
    e.digests.push_back(std::move(d));
  }
  MATS_RETURN_IF_ERROR(ValidateEntry(e));
  return e;
}

}  // namespace mats::tlog
