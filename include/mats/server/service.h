// Wiring for `mats serve` and `mats witness`: key files, token file,
// storage backend, log and HTTP server, started and stopped as one unit.
//
//   LogServiceConfig cfg;
//   cfg.data_dir = "/var/lib/mats/log";
//   cfg.origin = "log.example.com/models";   // used when creating the key
//   MATS_ASSIGN_OR_RETURN(auto svc, LogService::Start(cfg));
//   std::printf("listening on port %u\n", svc->port());
//   svc->Wait();
#ifndef MATS_SERVER_SERVICE_H_
#define MATS_SERVER_SERVICE_H_

#include <cstdint>
#include <memory>
#include <string>

#include "mats/core/result.h"
#include "mats/server/log_server.h"
#include "mats/server/tokens.h"
#include "mats/server/witness.h"
#include "mats/tlog/log.h"
#include "mats/tlog/postgres_storage.h"

namespace mats::server {

// Reads an Ed25519 note signer key ("PRIVATE+KEY+...") from `path`. When the
// file does not exist and `create_name` is non-empty, generates a key with
// that name, writes it with mode 0600 (and the verifier key to
// `path` + ".pub") and returns it. kNotFound when missing and not created.
// The returned string is secret.
Result<std::string> LoadOrCreateSignerKey(const std::string& path, const std::string& create_name);

enum class StorageBackend : uint8_t { kSqlite, kPostgres };

struct LogServiceConfig {
  std::string data_dir;     // SQLite log, and default location of key/tokens
  std::string origin;       // name for a newly created key; must match an existing key
  std::string key_file;     // default <data_dir>/log.key
  std::string tokens_file;  // default <data_dir>/tokens.json
  StorageBackend backend = StorageBackend::kSqlite;
  tlog::PostgresStorageOptions postgres;  // conninfo etc. for kPostgres
  tlog::LogOptions log;                   // origin is taken from the key
  LogServerOptions server;                // verifier_key is filled in
};

class LogService {
 public:
  // kInvalidArgument (config, origin/key mismatch), kNotFound (no key and no
  // origin to create one), storage errors, bind errors.
  static Result<std::unique_ptr<LogService>> Start(LogServiceConfig config);
  ~LogService();

  uint16_t port() const { return server_->port(); }
  const std::string& verifier_key() const { return verifier_key_; }
  tlog::Log& log() { return *log_; }
  void Stop() { server_->Stop(); }
  void Wait() { server_->Wait(); }

 private:
  LogService() = default;
  std::string verifier_key_;
  TokenStore tokens_;
  std::unique_ptr<tlog::Log> log_;
  std::unique_ptr<LogServer> server_;
};

std::string DefaultKeyFile(const std::string& data_dir);
std::string DefaultTokensFile(const std::string& data_dir);

}  // namespace mats::server

#endif  // MATS_SERVER_SERVICE_H_
