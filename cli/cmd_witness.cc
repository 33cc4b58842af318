// `mats witness`: a C2SP tlog-witness that cosigns checkpoints of configured
// logs after checking consistency (docs/witness.md); `mats witness keygen`.
#include <pthread.h>

#include <csignal>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "command.h"
#include "mats/core/mapped_file.h"
#include "mats/server/service.h"
#include "mats/server/witness.h"
#include "mats/tlog/note.h"

namespace mats::cli {
namespace {

struct WitnessFlags {
  std::string key_file;
  std::vector<std::string> log_keys;
  std::string state_file;
  std::string host = "127.0.0.1";
  uint16_t port = 8081;
};

int RunWitness(const WitnessFlags& f) {
  auto skey = server::LoadOrCreateSignerKey(f.key_file, "");
  if (!skey.ok()) return ReportError(skey.status());
  auto signer = tlog::CosignatureSigner::FromSignerKey(*skey);
  if (!signer.ok()) return ReportError(signer.status());
  std::string vkey = (*signer)->VerifierKey();
  auto w = server::Witness::Create(std::move(*signer), f.log_keys, f.state_file);
  if (!w.ok()) return ReportError(w.status());
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  server::WitnessServerOptions opts;
  opts.host = f.host;
  opts.port = f.port;
  auto srv = server::WitnessServer::Start(**w, opts);
  if (!srv.ok()) return ReportError(srv.status());
  std::printf("mats witness: listening on http://%s:%u\nmats witness: cosignature key %s\n", f.host.c_str(),
              (*srv)->port(), vkey.c_str());
  std::fflush(stdout);
  int sig = 0;
  sigwait(&set, &sig);
  (*srv)->Stop();
  return kExitOk;
}

void RegisterWitness(CLI::App& app, CliContext& ctx) {
  auto flags = std::make_shared<WitnessFlags>();
  CLI::App* cmd = app.add_subcommand("witness", "run a C2SP tlog-witness (POST /add-checkpoint)");
  cmd->require_subcommand(0, 1);
  cmd->add_option("--key", flags->key_file, "witness signer key file (mats witness keygen)");
  cmd->add_option("--log-key", flags->log_keys, "verifier key of a log to witness (repeatable)");
  cmd->add_option("--state", flags->state_file, "state file (last cosigned checkpoint per log)");
  cmd->add_option("--host", flags->host, "listen address (default 127.0.0.1)");
  cmd->add_option("--port", flags->port, "listen port (0 = any)");
  cmd->callback([cmd, flags, &ctx] {
    if (!cmd->get_subcommands().empty()) return;
    if (flags->key_file.empty() || flags->log_keys.empty() || flags->state_file.empty()) {
      ctx.exit_code = ReportError(InvalidArgument("mats witness needs --key, --log-key and --state"));
      return;
    }
    ctx.exit_code = RunWitness(*flags);
  });

  auto kflags = std::make_shared<std::pair<std::string, std::string>>();
  CLI::App* keygen = cmd->add_subcommand("keygen", "create a witness key (prints the cosignature verifier key)");
  keygen->add_option("--name", kflags->first, "witness name")->required();
  keygen->add_option("--key", kflags->second, "key file to create")->required();
  keygen->callback([kflags, &ctx] {
    std::error_code ec;
    if (std::filesystem::exists(kflags->second, ec)) {
      ctx.exit_code = ReportError(InvalidArgument("{} already exists", kflags->second));
      return;
    }
    auto k = server::LoadOrCreateSignerKey(kflags->second, kflags->first);
    if (!k.ok()) {
      ctx.exit_code = ReportError(k.status());
      return;
    }
    auto signer = tlog::CosignatureSigner::FromSignerKey(*k);
    if (!signer.ok()) {
      ctx.exit_code = ReportError(signer.status());
      return;
    }
    // The .pub file holds the cosignature (type 0x04) verifier key.
    Status s = WriteFileAtomic(kflags->second + ".pub", (*signer)->VerifierKey() + "\n");
    if (!s.ok()) {
      ctx.exit_code = ReportError(s);
      return;
    }
    std::printf("%s\n", (*signer)->VerifierKey().c_str());
  });
}

}  // namespace

MATS_REGISTER_COMMAND(RegisterWitness);

}  // namespace mats::cli
