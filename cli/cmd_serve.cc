// `mats serve`: the transparency-log HTTP server (docs/api/log-api.md), and
// `mats serve token add|list|remove` / `mats serve keygen` to manage it.
#include <pthread.h>

#include <csignal>
#include <filesystem>
#include <cstdio>
#include <string>
#include <vector>

#include "command.h"
#include "mats/server/service.h"
#include "mats/server/tokens.h"
#include "mats/server/witness.h"
#include "mats/tlog/note.h"

namespace mats::cli {
namespace {

struct ServeFlags {
  std::string data_dir;
  std::string origin;
  std::string key_file;
  std::string tokens_file;
  std::string listen = "127.0.0.1:8080";
  std::string storage = "sqlite";
  std::string pg_conninfo;
  std::string pg_schema = "mats_log";
  int64_t pg_lock_wait_ms = 30'000;
  size_t threads = 64;
  size_t max_batch = 8192;
  int64_t batch_delay_us = 0;
  int64_t checkpoint_interval_ms = 100;
  std::vector<std::string> witnesses;  // URL=VKEY
  bool private_read = false;
};

struct TokenFlags {
  std::string data_dir;
  std::string tokens_file;
  std::string name;
  std::vector<std::string> scopes;
};

Result<std::pair<std::string, uint16_t>> ParseListen(const std::string& s) {
  size_t colon = s.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    return InvalidArgument("--listen wants HOST:PORT, got \"{}\"", s);
  }
  std::string host = s.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  std::string port = s.substr(colon + 1);
  if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos ||
      std::stoul(port) > 65535) {
    return InvalidArgument("--listen: bad port \"{}\"", port);
  }
  return std::make_pair(host, static_cast<uint16_t>(std::stoul(port)));
}

int RunServe(const ServeFlags& f) {
  server::LogServiceConfig cfg;
  cfg.data_dir = f.data_dir;
  cfg.origin = f.origin;
  cfg.key_file = f.key_file;
  cfg.tokens_file = f.tokens_file;
  if (f.storage == "postgres") {
    cfg.backend = server::StorageBackend::kPostgres;
    if (f.pg_conninfo.empty()) return ReportError(InvalidArgument("--storage postgres needs --pg"));
    cfg.postgres.conninfo = f.pg_conninfo;
    cfg.postgres.schema = f.pg_schema;
    cfg.postgres.lock_wait = std::chrono::milliseconds(f.pg_lock_wait_ms);
  } else if (f.storage != "sqlite") {
    return ReportError(InvalidArgument("--storage must be sqlite or postgres"));
  }
  auto listen = ParseListen(f.listen);
  if (!listen.ok()) return ReportError(listen.status());
  cfg.server.host = listen->first;
  cfg.server.port = listen->second;
  cfg.server.threads = f.threads;
  cfg.server.public_read = !f.private_read;
  for (const std::string& w : f.witnesses) {
    size_t eq = w.find('=');
    if (eq == std::string::npos) return ReportError(InvalidArgument("--witness wants URL=VKEY"));
    cfg.server.witnesses.push_back({w.substr(0, eq), w.substr(eq + 1)});
  }
  cfg.log.max_batch_entries = f.max_batch;
  cfg.log.max_batch_delay = std::chrono::microseconds(f.batch_delay_us);
  cfg.log.checkpoint_interval = std::chrono::milliseconds(f.checkpoint_interval_ms);

  // Block SIGINT/SIGTERM in every thread; the main thread waits for them.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);

  if (cfg.backend == server::StorageBackend::kPostgres) {
    std::fprintf(stderr, "mats serve: connecting to PostgreSQL and taking the sequencer lock\n");
  }
  auto svc = server::LogService::Start(std::move(cfg));
  if (!svc.ok()) return ReportError(svc.status());
  std::printf("mats serve: listening on http://%s:%u\nmats serve: origin %s\nmats serve: verifier key %s\n",
              listen->first.c_str(), (*svc)->port(), (*svc)->log().origin().c_str(),
              (*svc)->verifier_key().c_str());
  std::fflush(stdout);
  int sig = 0;
  sigwait(&set, &sig);
  std::fprintf(stderr, "mats serve: signal %d, stopping\n", sig);
  (*svc)->Stop();
  return kExitOk;
}

std::string TokensPath(const TokenFlags& f) {
  if (!f.tokens_file.empty()) return f.tokens_file;
  return server::DefaultTokensFile(f.data_dir);
}

int RunTokenAdd(const TokenFlags& f) {
  if (f.data_dir.empty() && f.tokens_file.empty()) {
    return ReportError(InvalidArgument("give --data-dir or --tokens"));
  }
  std::vector<server::Scope> scopes;
  for (const std::string& s : f.scopes) {
    auto scope = server::ParseScope(s);
    if (!scope.ok()) return ReportError(scope.status());
    scopes.push_back(*scope);
  }
  std::string path = TokensPath(f);
  auto store = server::TokenStore::Load(path);
  if (!store.ok()) return ReportError(store.status());
  auto token = store->Add(f.name, scopes);
  if (!token.ok()) return ReportError(token.status());
  Status s = store->Save(path);
  if (!s.ok()) return ReportError(s);
  // The clear token is shown once; only its SHA-256 is stored.
  std::printf("%s\n", token->c_str());
  return kExitOk;
}

int RunTokenList(const TokenFlags& f) {
  auto store = server::TokenStore::Load(TokensPath(f));
  if (!store.ok()) return ReportError(store.status());
  for (const server::TokenInfo& t : store->tokens()) {
    std::string scopes;
    for (server::Scope s : t.scopes) {
      if (!scopes.empty()) scopes += ",";
      scopes += server::ScopeName(s);
    }
    std::printf("%s\t%s\t%s\n", t.name.c_str(), scopes.c_str(), t.ActorId().c_str());
  }
  return kExitOk;
}

int RunTokenRemove(const TokenFlags& f) {
  std::string path = TokensPath(f);
  auto store = server::TokenStore::Load(path);
  if (!store.ok()) return ReportError(store.status());
  Status s = store->Remove(f.name);
  if (s.ok()) s = store->Save(path);
  if (!s.ok()) return ReportError(s);
  return kExitOk;
}

void RegisterServe(CLI::App& app, CliContext& ctx) {
  auto flags = std::make_shared<ServeFlags>();
  CLI::App* serve = app.add_subcommand("serve", "run the transparency-log HTTP server");
  serve->require_subcommand(0, 1);
  serve->add_option("--data-dir", flags->data_dir, "log directory (SQLite log, log.key, tokens.json)");
  serve->add_option("--origin", flags->origin, "log origin (key name); creates log.key if missing");
  serve->add_option("--key", flags->key_file, "signer key file (default <data-dir>/log.key)");
  serve->add_option("--tokens", flags->tokens_file, "token file (default <data-dir>/tokens.json)");
  serve->add_option("--listen", flags->listen, "HOST:PORT (default 127.0.0.1:8080; port 0 = any)");
  serve->add_option("--storage", flags->storage, "sqlite (default) or postgres");
  serve->add_option("--pg", flags->pg_conninfo, "PostgreSQL connection string");
  serve->add_option("--pg-schema", flags->pg_schema, "PostgreSQL schema holding the log");
  serve->add_option("--pg-lock-wait-ms", flags->pg_lock_wait_ms, "wait this long for the sequencer lock");
  serve->add_option("--threads", flags->threads, "connection threads");
  serve->add_option("--max-batch", flags->max_batch, "entries per durable commit");
  serve->add_option("--batch-delay-us", flags->batch_delay_us, "wait for more entries before a commit");
  serve->add_option("--checkpoint-interval-ms", flags->checkpoint_interval_ms,
                    "sign a checkpoint at most this long after an append");
  serve->add_option("--witness", flags->witnesses, "URL=VKEY of a witness to collect cosignatures from");
  serve->add_flag("--private-read", flags->private_read, "require a token with scope read for GETs");
  serve->callback([serve, flags, &ctx] {
    if (serve->get_subcommands().empty()) ctx.exit_code = RunServe(*flags);
  });

  auto kflags = std::make_shared<std::pair<std::string, std::string>>();
  CLI::App* keygen = serve->add_subcommand("keygen", "create a log signing key (prints the verifier key)");
  keygen->add_option("--origin", kflags->first, "log origin = key name")->required();
  keygen->add_option("--key", kflags->second, "key file to create")->required();
  keygen->callback([kflags, &ctx] {
    std::string path = kflags->second;
    std::error_code ec;
    if (std::filesystem::exists(path, ec)) {
      ctx.exit_code = ReportError(InvalidArgument("{} already exists", path));
      return;
    }
    auto k = server::LoadOrCreateSignerKey(path, kflags->first);
    if (!k.ok()) {
      ctx.exit_code = ReportError(k.status());
      return;
    }
    auto signer = tlog::Ed25519NoteSigner::FromSignerKey(*k);
    if (!signer.ok()) {
      ctx.exit_code = ReportError(signer.status());
      return;
    }
    std::printf("%s\n", (*signer)->VerifierKey().c_str());
  });

  CLI::App* routes = serve->add_subcommand("routes", "list the HTTP routes of mats serve and mats witness");
  routes->callback([] {
    for (const server::RouteInfo& r : server::LogServer::Routes()) {
      std::printf("log %.*s %.*s\n", static_cast<int>(r.method.size()), r.method.data(),
                  static_cast<int>(r.openapi_path.size()), r.openapi_path.data());
    }
    for (const server::RouteInfo& r : server::WitnessServer::Routes()) {
      std::printf("witness %.*s %.*s\n", static_cast<int>(r.method.size()), r.method.data(),
                  static_cast<int>(r.openapi_path.size()), r.openapi_path.data());
    }
  });

  auto tflags = std::make_shared<TokenFlags>();
  CLI::App* token = serve->add_subcommand("token", "manage API tokens (stored hashed)");
  token->require_subcommand(1);
  auto common = [tflags](CLI::App* c) {
    c->add_option("--data-dir", tflags->data_dir, "log directory holding tokens.json");
    c->add_option("--tokens", tflags->tokens_file, "token file");
  };
  CLI::App* add = token->add_subcommand("add", "create a token and print it once");
  common(add);
  add->add_option("--name", tflags->name, "token name (unique)")->required();
  add->add_option("--scope", tflags->scopes, "append, read or admin (repeatable)")->required();
  add->callback([tflags, &ctx] { ctx.exit_code = RunTokenAdd(*tflags); });
  CLI::App* list = token->add_subcommand("list", "list token names, scopes and actor ids");
  common(list);
  list->callback([tflags, &ctx] { ctx.exit_code = RunTokenList(*tflags); });
  CLI::App* rm = token->add_subcommand("remove", "revoke a token");
  common(rm);
  rm->add_option("--name", tflags->name, "token name")->required();
  rm->callback([tflags, &ctx] { ctx.exit_code = RunTokenRemove(*tflags); });
}

}  // namespace

MATS_REGISTER_COMMAND(RegisterServe);

}  // namespace mats::cli
