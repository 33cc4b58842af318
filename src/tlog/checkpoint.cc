#include "mats/tlog/checkpoint.h"

#include <fmt/core.h>

#include <algorithm>

#include "mats/core/encoding.h"

namespace mats::tlog {
namespace {

bool HasControlChar(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return u < 0x20 || u == 0x7F;
  });
}

// Parsing accepts any non-empty printable UTF-8 origin (Go's sumdb uses
// "go.sum database tree"); logs we run must use a key-name-like origin
// (`strict`: no spaces, no '+').
Status CheckOrigin(std::string_view origin, bool strict) {
  if (origin.empty()) return InvalidArgument("checkpoint: empty origin");
  if (!IsValidUtf8(origin) || HasControlChar(origin)) {
    return InvalidArgument("checkpoint: origin {} has a control character or bad utf-8",
                           EscapePreview(origin));
  }
  if (strict && (origin.find(' ') != std::string_view::npos ||
                 origin.find('+') != std::string_view::npos)) {
    return InvalidArgument("checkpoint: origin {} contains a space or '+'", EscapePreview(origin));
  }
  return Status::Ok();
}

Status CheckExtension(std::string_view ext) {
  if (ext.empty() || !IsValidUtf8(ext) || HasControlChar(ext)) {
    return InvalidArgument("checkpoint: extension line {} is empty or not printable utf-8",
                           EscapePreview(ext));
  }
  return Status::Ok();
}

}  // namespace

Status ValidateCheckpoint(const Checkpoint& cp) {
  MATS_RETURN_IF_ERROR(CheckOrigin(cp.origin, /*strict=*/true));
  if (cp.extensions.size() > kMaxCheckpointExtensions) {
    return InvalidArgument("checkpoint: {} extension lines, at most {}", cp.extensions.size(),
                           kMaxCheckpointExtensions);
  }
  for (const std::string& e : cp.extensions) MATS_RETURN_IF_ERROR(CheckExtension(e));
  return Status::Ok();
}

std::string FormatCheckpoint(const Checkpoint& cp) {
  std::string out = fmt::format("{}\n{}\n{}\n", cp.origin, cp.size, Base64Encode(cp.root));
  for (const std::string& e : cp.extensions) {
    out += e;
    out += '\n';
  }
  return out;
}

Result<Checkpoint> ParseCheckpoint(std::string_view text) {
  if (text.size() > kMaxCheckpointBytes) {
    return LimitExceeded("checkpoint: {} bytes, at most {}", text.size(), kMaxCheckpointBytes);
  }
  if (!IsValidUtf8(text)) return Malformed(0, "checkpoint: not valid utf-8");
  if (text.empty() || text.back() != '\n') {
    return Malformed(text.size(), "checkpoint: text does not end with a newline");
  }
  std::vector<std::pair<size_t, std::string_view>> lines;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t eol = text.find('\n', pos);
    lines.emplace_back(pos, text.substr(pos, eol - pos));
    if (lines.size() > 3 + kMaxCheckpointExtensions) {
      return LimitExceededAt(pos, "checkpoint: more than {} extension lines",
                             kMaxCheckpointExtensions);
    }
    pos = eol + 1;
  }
  if (lines.size() < 3) {
    return Malformed(text.size(), "checkpoint: {} lines, want at least 3", lines.size());
  }
  Checkpoint cp;
  auto [origin_off, origin] = lines[0];
  if (Status s = CheckOrigin(origin, /*strict=*/false); !s.ok()) {
    return Malformed(origin_off, "{}", s.message());
  }
  cp.origin = std::string(origin);
  auto [size_off, size_text] = lines[1];
  if (size_text.empty() || size_text.size() > 20 ||
      !std::all_of(size_text.begin(), size_text.end(), [](char c) { return c >= '0' && c <= '9'; }) ||
      (size_text.size() > 1 && size_text[0] == '0')) {
    return Malformed(size_off, "checkpoint: tree size {} is not a canonical decimal",
                     EscapePreview(size_text));
  }
  uint64_t size = 0;
  for (char c : size_text) {
    uint64_t digit = static_cast<uint64_t>(c - '0');
    if (size > (UINT64_MAX - digit) / 10) {
      return Malformed(size_off, "checkpoint: tree size {} overflows uint64",
                       EscapePreview(size_text));
    }
    size = size * 10 + digit;
  }
  cp.size = size;
  auto [root_off, root_text] = lines[2];
  Result<Bytes> root = Base64Decode(root_text);
  if (!root.ok() || root->size() != kHashSize) {
    return Malformed(root_off, "checkpoint: root hash is not padded base64 of 32 bytes");
  }
  std::copy(root->begin(), root->end(), cp.root.begin());
  for (size_t i = 3; i < lines.size(); ++i) {
    auto [off, ext] = lines[i];
    if (Status s = CheckExtension(ext); !s.ok()) return Malformed(off, "{}", s.message());
    cp.extensions.emplace_back(ext);
  }
  return cp;
}

Result<SignedCheckpoint> OpenCheckpoint(std::string_view note, const NoteVerifier& log_verifier,
                                        std::span<const NoteVerifier* const> witnesses,
                                        size_t min_witnesses) {
  std::vector<const NoteVerifier*> all;
  all.push_back(&log_verifier);
  all.insert(all.end(), witnesses.begin(), witnesses.end());
  MATS_ASSIGN_OR_RETURN(OpenedNote opened, OpenNote(note, all));
  bool log_signed = false;
  SignedCheckpoint out;
  for (NoteSignature& s : opened.verified) {
    if (s.name == log_verifier.name() && s.key_id == log_verifier.key_id()) {
      log_signed = true;
    } else {
      out.cosignatures.push_back(std::move(s));
    }
  }
  if (!log_signed) {
    return VerificationFailed("checkpoint: no valid signature by the log key {}+{:08x}",
                              EscapePreview(log_verifier.name()), log_verifier.key_id());
  }
  if (out.cosignatures.size() < min_witnesses) {
    return VerificationFailed("checkpoint: {} valid witness cosignatures, want at least {}",
                              out.cosignatures.size(), min_witnesses);
  }
  MATS_ASSIGN_OR_RETURN(out.checkpoint, ParseCheckpoint(opened.text));
  if (out.checkpoint.origin != log_verifier.name()) {
    return VerificationFailed("checkpoint: origin {} differs from the log key name {}",
                              EscapePreview(out.checkpoint.origin),
                              EscapePreview(log_verifier.name()));
  }
  out.note = std::string(note);
  return out;
}

}  // namespace mats::tlog
