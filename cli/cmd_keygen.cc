// `mats keygen`: an ECDSA key pair for `mats sign key`.
#include <sys/stat.h>

#include <memory>
#include <string>

#include "command.h"
#include "mats/core/json.h"
#include "mats/core/mapped_file.h"
#include "mats/sign/keys.h"

namespace mats::cli {
namespace {

struct KeygenFlags {
  std::string curve = "P-256";
  std::string private_key = "signing-key.pem";
  std::string public_key = "signing-key.pub.pem";
  std::string password_file;
  std::string format = "text";
};

Status RunKeygen(const KeygenFlags& f) {
  MATS_ASSIGN_OR_RETURN(sign::Curve c, sign::ParseCurve(f.curve));
  sign::SecretBytes password;
  if (!f.password_file.empty()) {
    MATS_ASSIGN_OR_RETURN(sign::SecretBytes p, sign::SecretBytes::ReadFile(f.password_file));
    std::string_view v = p.view();
    while (!v.empty() && (v.back() == '\n' || v.back() == '\r')) v.remove_suffix(1);
    if (v.empty())
      return InvalidArgument("keygen: --password-file \"{}\" holds no passphrase; refusing to "
                             "write an unencrypted key",
                             f.password_file);
    password = sign::SecretBytes(v);
  }
  MATS_ASSIGN_OR_RETURN(sign::PrivateKey key, sign::PrivateKey::Generate(c));
  MATS_ASSIGN_OR_RETURN(sign::SecretBytes pem, key.ToPem(password));
  mode_t old = umask(077);
  Status s = WriteFileAtomic(f.private_key, pem.view());
  umask(old);
  MATS_RETURN_IF_ERROR(s);
  sign::PublicKey pub = key.public_key();
  MATS_RETURN_IF_ERROR(WriteFileAtomic(f.public_key, pub.Pem()));
  if (f.format == "json")
    return WriteOutput("", DumpJson(nlohmann::json{{"schema", "mats-keygen/1"},
                                                   {"curve", sign::CurveName(c)},
                                                   {"private_key", f.private_key},
                                                   {"public_key", f.public_key},
                                                   {"encrypted", !password.empty()},
                                                   {"hint", pub.Hint()}},
                                    2) +
                               "\n");
  return WriteOutput("", fmt::format("{} key written to {} (public key {}, hint {})\n",
                                     sign::CurveName(c), f.private_key, f.public_key,
                                     pub.Hint()));
}

void RegisterKeygen(CLI::App& app, CliContext& ctx) {
  auto f = std::make_shared<KeygenFlags>();
  CLI::App* cmd = app.add_subcommand("keygen", "Generate an ECDSA signing key pair");
  cmd->add_option("--curve", f->curve, "P-256 (default), P-384 or P-521");
  cmd->add_option("--private-key", f->private_key, "private key output (PKCS#8 PEM, mode 0600)");
  cmd->add_option("--public-key", f->public_key, "public key output (PEM)");
  cmd->add_option("--password-file", f->password_file,
                  "encrypt the private key with the passphrase in this file");
  cmd->add_option("--format", f->format, "text or json")->check(CLI::IsMember({"text", "json"}));
  cmd->callback([f, &ctx] {
    Status s = RunKeygen(*f);
    ctx.exit_code = s.ok() ? kExitOk : ReportError(s);
  });
}

}  // namespace

MATS_REGISTER_COMMAND(RegisterKeygen);

}  // namespace mats::cli
