// Client for a C2SP tlog-tiles log served by `mats serve` (or any log that
// serves the same paths): fetch and verify checkpoints, prove inclusion and
// consistency against the signed root, detect forks and rollbacks against a
// locally remembered checkpoint, and audit the log by recomputing it from its
// entries.
//
//   LogTrust trust{.log_key = "example.com/log+1234abcd+AXt..."};
//   MATS_ASSIGN_OR_RETURN(auto client, LogClient::Create("http://127.0.0.1:8080", trust));
//   MATS_ASSIGN_OR_RETURN(tlog::SignedCheckpoint cp, client->GetCheckpoint());
//   MATS_ASSIGN_OR_RETURN(InclusionResult r, client->ProveIndex(7, cp));
//
// Nothing the server returns is trusted on its own: every hash used by a
// caller has been checked against the signed checkpoint root.
#ifndef MATS_SERVER_LOG_CLIENT_H_
#define MATS_SERVER_LOG_CLIENT_H_

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mats/core/bytes.h"
#include "mats/core/result.h"
#include "mats/tlog/audit.h"
#include "mats/tlog/checkpoint.h"
#include "mats/tlog/merkle.h"
#include "mats/tlog/note.h"
#include "mats/tlog/tiles.h"

namespace mats::server {

class HttpClient;

struct LogTrust {
  std::string log_key;                    // log verifier key (name+id+base64);
                                          // may be empty for Append only
  std::vector<std::string> witness_keys;  // cosignature verifier keys
  size_t min_witnesses = 0;               // cosignatures required
};

struct InclusionResult {
  uint64_t index = 0;
  uint64_t tree_size = 0;
  tlog::Hash leaf_hash{};
  std::vector<tlog::Hash> proof;
  Bytes entry;  // the entry bytes (empty when proven by leaf hash only)
};

// The last verified checkpoint per log origin, remembered in a JSON file.
struct RememberedCheckpoint {
  std::string origin;
  uint64_t size = 0;
  tlog::Hash root{};
  std::string note;  // the signed note, kept as evidence
};

class ClientState {
 public:
  // A missing file is an empty state. kMalformed for a corrupt file.
  static Result<ClientState> Load(const std::string& path);
  Status Save(const std::string& path) const;  // atomic
  const RememberedCheckpoint* Find(std::string_view origin) const;
  void Remember(RememberedCheckpoint cp);

 private:
  std::vector<RememberedCheckpoint> logs_;
};

// Outcome of LogClient::VerifyWithState.
struct StateCheck {
  std::optional<RememberedCheckpoint> previous;  // nullopt: first contact
  tlog::SignedCheckpoint current;
};

class LogClient {
 public:
  // kInvalidArgument for a bad URL or key.
  static Result<std::unique_ptr<LogClient>> Create(
      std::string_view base_url, const LogTrust& trust,
      std::chrono::milliseconds timeout = std::chrono::seconds(30));
  ~LogClient();

  // Fetches /checkpoint and verifies the log signature and the required
  // witness cosignatures. kVerificationFailed, kMalformed, kIo.
  Result<tlog::SignedCheckpoint> GetCheckpoint();
  // Verifies a checkpoint note held locally (same checks).
  Result<tlog::SignedCheckpoint> OpenCheckpoint(std::string_view note) const;

  // Inclusion of entry `index`: fetches its entry bundle and the tiles, builds
  // the proof from the tiles and verifies it against cp's signed root.
  Result<InclusionResult> ProveIndex(uint64_t index, const tlog::SignedCheckpoint& cp);
  // Inclusion of a leaf hash: asks the server's JSON API for its index and
  // proof, and verifies the proof against cp's signed root.
  Result<InclusionResult> ProveLeafHash(const tlog::Hash& leaf_hash,
                                        const tlog::SignedCheckpoint& cp);
  // Consistency of the tree (old_size, old_root) with cp, proof built from
  // tiles. kVerificationFailed when inconsistent (fork or rewrite).
  Result<std::vector<tlog::Hash>> ProveConsistency(
      uint64_t old_size, const tlog::Hash& old_root, const tlog::SignedCheckpoint& cp);

  // Fetches and verifies the checkpoint, then checks that it is consistent
  // with the one remembered in `state` for the same origin (a smaller size is
  // a rollback, a different root at the same size or a failed proof is a
  // fork: kVerificationFailed). On success `state` remembers the new one;
  // the caller saves it.
  Result<StateCheck> VerifyWithState(ClientState& state);

  // Recomputes entries [start, end) of cp (end = 0 means cp.size) from the
  // entries served by the log with tlog::AuditLog over HTTP tiles: entry
  // hashes against level-0 tiles, every tile against the level below, the
  // root against the signed root. A problem is in report.status (with the
  // first bad entry/tile); an error Result means the audit could not run.
  Result<tlog::AuditReport> Audit(const tlog::SignedCheckpoint& cp, uint64_t start,
                                  uint64_t end, bool decode_entries = true);

  // POSTs a JSON event (docs/api/log-api.md) with a bearer token and returns
  // the durable index and leaf hash. kInvalidArgument for a 4xx answer
  // (message from the server), kIo otherwise.
  Result<std::pair<uint64_t, tlog::Hash>> Append(std::string_view token,
                                                 const std::string& event_json);

  // Raw tile access (for tools and tests).
  Result<Bytes> ReadTile(const tlog::TileId& id);

 private:
  LogClient() = default;
  std::unique_ptr<HttpClient> http_;
  std::unique_ptr<tlog::Ed25519NoteVerifier> log_verifier_;
  std::vector<std::unique_ptr<tlog::CosignatureVerifier>> witnesses_;
  size_t min_witnesses_ = 0;
};

}  // namespace mats::server

#endif  // MATS_SERVER_LOG_CLIENT_H_
