// C2SP tlog-checkpoint (v1.0.0): the signed body of a transparency log's
// tree head.
//
//   Checkpoint cp{.origin = "example.com/log", .size = 5, .root = root};
//   std::string text = FormatCheckpoint(cp);
//   MATS_ASSIGN_OR_RETURN(Checkpoint back, ParseCheckpoint(text));
//
//   // Open a signed checkpoint note with the log's verifier:
//   MATS_ASSIGN_OR_RETURN(SignedCheckpoint sc,
//                         OpenCheckpoint(note, log_verifier, {}));
//
// Text layout:
//   <origin>\n        non-empty, valid UTF-8, no control chars (logs run by
//                     mats also use no spaces and no '+': ValidateCheckpoint)
//   <size>\n          ASCII decimal uint64, no leading zeros ("0" if empty)
//   <root>\n          standard padded base64 of the 32-byte root hash
//   [<extension>\n]*  non-empty lines, kept verbatim
#ifndef MATS_TLOG_CHECKPOINT_H_
#define MATS_TLOG_CHECKPOINT_H_

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "mats/core/result.h"
#include "mats/tlog/merkle.h"
#include "mats/tlog/note.h"

namespace mats::tlog {

inline constexpr size_t kMaxCheckpointBytes = 64 * 1024;
inline constexpr size_t kMaxCheckpointExtensions = 64;

struct Checkpoint {
  std::string origin;
  uint64_t size = 0;
  Hash root{};
  std::vector<std::string> extensions;  // without '\n'

  friend bool operator==(const Checkpoint&, const Checkpoint&) = default;
};

// Checkpoint text. REQUIRES: ValidateCheckpoint(cp).ok().
std::string FormatCheckpoint(const Checkpoint& cp);
// kInvalidArgument if the origin (non-empty, printable UTF-8, no space, no
// '+') or an extension line is not valid.
Status ValidateCheckpoint(const Checkpoint& cp);

// Strict parse of checkpoint text (the note text, not the whole note).
// kMalformed with offset for: missing lines, empty or non-printable origin
// (spaces are accepted here, as in "go.sum database tree"), size with leading
// zeros / non-digits / overflow, root not 32 bytes of padded base64, empty
// extension line, missing final '\n', invalid UTF-8 or control characters;
// kLimitExceeded past kMaxCheckpointBytes or kMaxCheckpointExtensions.
Result<Checkpoint> ParseCheckpoint(std::string_view text);

// A verified checkpoint note.
struct SignedCheckpoint {
  Checkpoint checkpoint;
  std::string note;  // the whole signed note as given
  // Cosignatures that verified against `witnesses` (possibly empty).
  std::vector<NoteSignature> cosignatures;
};

// Verifies `note` with the log key `log_verifier` (its signature must be
// present and valid) and parses the checkpoint, whose origin must equal
// the verifier's key name. Signatures from `witnesses` are verified too;
// at least `min_witnesses` of them must be valid. Unknown signatures are
// ignored. kVerificationFailed (bad/missing signature, origin mismatch,
// too few cosignatures), kMalformed (note or checkpoint text).
Result<SignedCheckpoint> OpenCheckpoint(
    std::string_view note, const NoteVerifier& log_verifier,
    std::span<const NoteVerifier* const> witnesses, size_t min_witnesses = 0);

}  // namespace mats::tlog

#endif  // MATS_TLOG_CHECKPOINT_H_
