// `mats sign key|certificate MODEL`: write an OMS signature (Sigstore bundle
// v0.3 with a DSSE in-toto statement), mirroring the reference
// `model_signing sign` command line.
#include <memory>
#include <string>

#include "command.h"
#include "mats/core/encoding.h"
#include "mats/core/json.h"
#include "mats/core/mapped_file.h"
#include "mats/hash/cache.h"
#include "mats/sign/signer.h"
#include "mats/sign/x509.h"
#include "sign_common.h"

namespace mats::cli {
namespace {

struct SignFlags {
  std::string model;
  std::string signature;
  std::string private_key;
  std::string password;
  std::string password_file;
  std::string signing_certificate;
  std::vector<std::string> certificate_chain;
  std::string format = "text";
  std::string cache;
  signing::HashFlags hash;
};

Result<sign::SecretBytes> Password(const SignFlags& f) {
  if (!f.password_file.empty()) {
    MATS_ASSIGN_OR_RETURN(sign::SecretBytes p, sign::SecretBytes::ReadFile(f.password_file));
    std::string_view v = p.view();
    while (!v.empty() && (v.back() == '\n' || v.back() == '\r')) v.remove_suffix(1);
    return sign::SecretBytes(v);
  }
  return sign::SecretBytes(f.password);
}

Status RunSign(const SignFlags& f, bool certificate) {
  sign::SignRequest req;
  req.model_path = f.model;
  req.signature_path =
      f.signature.empty() ? signing::DefaultSignaturePath(f.model) : f.signature;
  MATS_ASSIGN_OR_RETURN(req.hashing, signing::ToHashOptions(f.hash));
  MATS_ASSIGN_OR_RETURN(sign::SecretBytes pem, sign::SecretBytes::ReadFile(f.private_key));
  MATS_ASSIGN_OR_RETURN(sign::SecretBytes password, Password(f));
  MATS_ASSIGN_OR_RETURN(sign::PrivateKey key, sign::PrivateKey::FromPem(pem, password));
  std::vector<Bytes> chain;
  if (certificate) {
    MATS_ASSIGN_OR_RETURN(std::string leaf_pem,
                          ReadFileToString(f.signing_certificate, 1 << 20));
    MATS_ASSIGN_OR_RETURN(std::vector<Bytes> leaf, sign::LoadCertificatesPem(leaf_pem));
    chain.push_back(leaf[0]);
    for (const std::string& c : f.certificate_chain) {
      MATS_ASSIGN_OR_RETURN(std::string text, ReadFileToString(c, 1 << 20));
      MATS_ASSIGN_OR_RETURN(std::vector<Bytes> certs, sign::LoadCertificatesPem(text));
      chain.insert(chain.end(), certs.begin(), certs.end());
    }
  }
  std::unique_ptr<hash::HashCache> cache;
  if (!f.cache.empty()) {
    MATS_RETURN_IF_ERROR(signing::CheckCacheOutsideModel(req.model_path, f.cache));
    MATS_ASSIGN_OR_RETURN(hash::HashCache c, hash::HashCache::Load(f.cache));
    cache = std::make_unique<hash::HashCache>(std::move(c));
    req.hashing.cache = cache.get();
  }
  sign::SignResult res;
  {
    signing::ProgressBar bar(f.hash.no_progress);
    req.hashing.progress = bar.Fn();
    MATS_ASSIGN_OR_RETURN(res, sign::SignModel(req, key, chain));
  }
  if (cache) MATS_RETURN_IF_ERROR(cache->Save(f.cache));
  MATS_RETURN_IF_ERROR(WriteFileAtomic(req.signature_path, res.bundle_json));
  std::string root = HexEncode(hash::RootDigest(res.manifest.resources));
  if (f.format == "json") {
    nlohmann::json j = {{"schema", "mats-sign/1"},
                        {"signature", req.signature_path},
                        {"model_name", res.manifest.model_name},
                        {"root_digest", root},
                        {"resources", res.manifest.resources.size()},
                        {"bytes", res.manifest.total_bytes},
                        {"method", hash::MethodName(res.manifest.method)},
                        {"hash_type", hash::HashAlgorithmName(res.manifest.algorithm)},
                        {"signer", certificate ? "certificate" : "key " + key.public_key().Hint()}};
    return WriteOutput("", DumpJson(j, 2) + "\n");
  }
  return WriteOutput("", fmt::format("signed {} -> {}\n  root digest {} ({} resources, {} bytes, "
                                     "{} {})\n",
                                     f.model, req.signature_path, root,
                                     res.manifest.resources.size(), res.manifest.total_bytes,
                                     hash::MethodName(res.manifest.method),
                                     hash::HashAlgorithmName(res.manifest.algorithm)));
}

void AddCommon(CLI::App* cmd, SignFlags& f) {
  cmd->add_option("model", f.model, "model or dataset folder, or a single file")->required();
  cmd->add_option("--signature", f.signature, "output (default MODEL/model.sig)");
  cmd->add_option("--private-key,--private_key", f.private_key, "PEM EC private key")
      ->required();
  cmd->add_option("--password", f.password,
                  "passphrase of an encrypted key (prefer --password-file)");
  cmd->add_option("--password-file", f.password_file, "file holding the key passphrase");
  cmd->add_option("--format", f.format, "text or json")->check(CLI::IsMember({"text", "json"}));
  cmd->add_option("--cache", f.cache,
                  "incremental hash cache for re-signing after small edits");
  signing::AddHashFlags(cmd, f.hash);
}

void RegisterSign(CLI::App& app, CliContext& ctx) {
  CLI::App* sign = app.add_subcommand("sign", "Sign a model or dataset (OpenSSF Model Signing)");
  sign->require_subcommand(1);
  auto kf = std::make_shared<SignFlags>();
  CLI::App* key = sign->add_subcommand("key", "Sign with an EC private key (P-256/384/521)");
  AddCommon(key, *kf);
  key->callback([kf, &ctx] {
    Status s = RunSign(*kf, false);
    ctx.exit_code = s.ok() ? kExitOk : ReportError(s);
  });
  auto cf = std::make_shared<SignFlags>();
  CLI::App* cert = sign->add_subcommand(
      "certificate", "Sign with a certificate's key; embeds the chain (leaf first)");
  AddCommon(cert, *cf);
  cert->add_option("--signing-certificate,--signing_certificate", cf->signing_certificate,
                   "PEM leaf certificate of the private key")
      ->required();
  cert->add_option("--certificate-chain,--certificate_chain", cf->certificate_chain,
                   "PEM intermediates to embed (leaf's issuer first)");
  cert->callback([cf, &ctx] {
    Status s = RunSign(*cf, true);
    ctx.exit_code = s.ok() ? kExitOk : ReportError(s);
  });
}

}  // namespace

MATS_REGISTER_COMMAND(RegisterSign);

}  // namespace mats::cli
