#include "mats/server/service.h"

#include <sys/stat.h>

#include <filesystem>

#include "mats/core/mapped_file.h"
#include "mats/tlog/note.h"
#include "mats/tlog/sqlite_storage.h"

namespace mats::server {

namespace {
constexpr uint64_t kMaxKeyFileBytes = 4096;

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}
}  // namespace

std::string DefaultKeyFile(const std::string& data_dir) { return data_dir + "/log.key"; }
std::string DefaultTokensFile(const std::string& data_dir) { return data_dir + "/tokens.json"; }

Result<std::string> LoadOrCreateSignerKey(const std::string& path, const std::string& create_name) {
  Result<std::string> text = ReadFileToString(path, kMaxKeyFileBytes);
  if (text.ok()) return Trim(std::move(*text));
  if (text.status().code() != ErrorCode::kNotFound) return text.status();
  if (create_name.empty()) {
    return NotFound("key file {} does not exist (give a name/origin to create one)", path);
  }
  MATS_ASSIGN_OR_RETURN(tlog::GeneratedKey key, tlog::GenerateEd25519Key(create_name));
  std::error_code ec;
  std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  MATS_RETURN_IF_ERROR(WriteFileAtomic(path, key.signer_key + "\n"));
  if (::chmod(path.c_str(), 0600) != 0) return ErrnoError(errno, "chmod " + path);
  MATS_RETURN_IF_ERROR(WriteFileAtomic(path + ".pub", key.verifier_key + "\n"));
  return key.signer_key;
}

LogService::~LogService() {
  if (server_ != nullptr) server_->Stop();
  server_.reset();
  log_.reset();
}

Result<std::unique_ptr<LogService>> LogService::Start(LogServiceConfig config) {
  if (config.data_dir.empty() && (config.key_file.empty() || config.backend == StorageBackend::kSqlite)) {
    return InvalidArgument("serve: --data-dir is required");
  }
  if (config.key_file.empty()) config.key_file = DefaultKeyFile(config.data_dir);
  if (config.tokens_file.empty()) config.tokens_file = DefaultTokensFile(config.data_dir);
  auto svc = std::unique_ptr<LogService>(new LogService());
  MATS_ASSIGN_OR_RETURN(svc->tokens_, TokenStore::Load(config.tokens_file));
  MATS_ASSIGN_OR_RETURN(std::string skey, LoadOrCreateSignerKey(config.key_file, config.origin));
  MATS_ASSIGN_OR_RETURN(std::unique_ptr<tlog::Ed25519NoteSigner> signer,
                        tlog::Ed25519NoteSigner::FromSignerKey(skey));
  if (!config.origin.empty() && config.origin != signer->name()) {
    return InvalidArgument("serve: --origin \"{}\" differs from the key's name \"{}\" in {}",
                           config.origin, signer->name(), config.key_file);
  }
  svc->verifier_key_ = signer->VerifierKey();
  std::unique_ptr<tlog::LogStorage> storage;
  if (config.backend == StorageBackend::kPostgres) {
    MATS_ASSIGN_OR_RETURN(storage, tlog::OpenPostgresStorage(config.postgres));
  } else {
    MATS_ASSIGN_OR_RETURN(storage, tlog::OpenSqliteStorage(config.data_dir, {}));
  }
  config.log.origin = signer->name();
  MATS_ASSIGN_OR_RETURN(svc->log_, tlog::Log::Open(std::move(storage), std::move(signer), config.log));
  config.server.verifier_key = svc->verifier_key_;
  MATS_ASSIGN_OR_RETURN(svc->server_, LogServer::Start(*svc->log_, svc->tokens_, config.server));
  return svc;
}

}  // namespace mats::server
