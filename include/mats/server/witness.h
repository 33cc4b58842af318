// A C2SP tlog-witness (v1.0.0) that cosigns checkpoints of configured logs
// with a tlog-cosignature v1 (Ed25519) key, only after verifying the log's
// signature and a consistency proof from the last checkpoint it cosigned.
//
//   MATS_ASSIGN_OR_RETURN(auto signer, tlog::CosignatureSigner::FromSignerKey(k));
//   MATS_ASSIGN_OR_RETURN(auto w, Witness::Create(std::move(signer),
//                                                 {log_vkey}, "witness-state.json"));
//   WitnessAnswer a = w->AddCheckpoint(request_body);   // POST /add-checkpoint
//   MATS_ASSIGN_OR_RETURN(auto srv, WitnessServer::Start(*w, {}));
//
// Answers (docs/witness.md): 200 cosignature line(s); 400 malformed body or
// old > new; 403 no valid signature by the log key; 404 unknown origin; 409
// old != last cosigned size (body "<size>\n", Content-Type text/x.tlog.size)
// or same size with another root; 422 bad consistency proof or a non-empty
// proof with old = 0. The check and the state update form one atomic
// compare-and-swap (a mutex, and the state file is replaced atomically
// before the cosignature is returned).
#ifndef MATS_SERVER_WITNESS_H_
#define MATS_SERVER_WITNESS_H_

#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "mats/core/result.h"
#include "mats/server/log_server.h"
#include "mats/tlog/merkle.h"
#include "mats/tlog/note.h"

namespace mats::server {

struct WitnessAnswer {
  int status = 200;
  std::string body;
  std::string content_type = "text/plain; charset=utf-8";
};

class Witness {
 public:
  // `log_keys`: verifier keys of the logs to witness (origin = key name).
  // `state_path`: JSON state file (created if missing). kInvalidArgument for
  // bad keys or duplicate origins, kMalformed for a corrupt state file.
  static Result<std::unique_ptr<Witness>> Create(std::unique_ptr<tlog::CosignatureSigner> signer,
                                                 const std::vector<std::string>& log_keys,
                                                 std::string state_path);
  ~Witness();

  // Handles one add-checkpoint request body. Thread-safe.
  WitnessAnswer AddCheckpoint(std::string_view body);

  // Last cosigned size of `origin` (0 if none).
  uint64_t CosignedSize(std::string_view origin);
  std::string VerifierKey() const;

 private:
  struct LogEntryState;
  Witness() = default;
  Status SaveLocked();
  std::unique_ptr<tlog::CosignatureSigner> signer_;
  std::vector<std::unique_ptr<tlog::Ed25519NoteVerifier>> logs_;
  std::string state_path_;
  std::mutex mu_;
  std::vector<LogEntryState> state_;  // guarded by mu_
};

struct WitnessServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 0;
  size_t threads = 8;
};

// HTTP front of a Witness: POST /add-checkpoint.
class WitnessServer {
 public:
  static Result<std::unique_ptr<WitnessServer>> Start(Witness& witness,
                                                      const WitnessServerOptions& options);
  ~WitnessServer();
  uint16_t port() const;
  void Stop();
  void Wait();
  // Every route the witness serves (same shape as LogServer::Routes()).
  static std::span<const RouteInfo> Routes();

  class Impl;

 private:
  explicit WitnessServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace mats::server

#endif  // MATS_SERVER_WITNESS_H_
