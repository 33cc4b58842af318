// `mats verify key|certificate|sigstore MODEL`: check an OMS signature and that the
// files on disk are exactly the signed ones. Exit 0 verified, 1 failed,
// 2 usage, 3 input unreadable.
#include <memory>
#include <string>

#include "command.h"
#include "mats/core/encoding.h"
#include "mats/core/json.h"
#include "mats/core/mapped_file.h"
#include "mats/sign/signer.h"
#include "mats/sign/x509.h"
#include "sign_common.h"

namespace mats::cli {
namespace {

struct VerifyFlags {
  std::string model;
  std::string signature;
  std::string public_key;
  std::vector<std::string> roots;
  std::vector<std::string> identities;
  std::string subject;
  bool any_identity = false;
  // sigstore
  std::string identity;
  std::string identity_provider;
  std::string trust_config;
  bool refuse_ignore_paths = false;
  bool allow_unknown_fields = false;
  std::string format = "text";
  signing::HashFlags hash;
};

Status RunVerify(const VerifyFlags& f, sign::VerifyMode mode, int& exit_code) {
  sign::VerifyRequest req;
  req.model_path = f.model;
  req.signature_path =
      f.signature.empty() ? signing::DefaultSignaturePath(f.model) : f.signature;
  req.mode = mode;
  req.ignore_paths = f.hash.ignore_paths;
  req.ignore_git_paths = f.hash.ignore_git_paths;
  req.threads = f.hash.threads;
  req.refuse_ignore_paths = f.refuse_ignore_paths;
  req.allow_unknown_fields = f.allow_unknown_fields;
  if (mode == sign::VerifyMode::kKey) {
    MATS_ASSIGN_OR_RETURN(std::string pem, ReadFileToString(f.public_key, 1 << 20));
    MATS_ASSIGN_OR_RETURN(sign::PublicKey k, sign::PublicKey::FromPem(pem));
    req.public_key = std::move(k);
  } else if (mode == sign::VerifyMode::kSigstore) {
    req.keyless.identity = f.identity;
    req.keyless.issuer = f.identity_provider;
    if (!f.trust_config.empty()) {
      MATS_ASSIGN_OR_RETURN(req.trusted_root_json,
                            ReadFileToString(f.trust_config, sign::kMaxTrustedRootBytes));
      req.trusted_root_source = f.trust_config;
    }
  } else {
    for (const std::string& r : f.roots) {
      MATS_ASSIGN_OR_RETURN(std::string text, ReadFileToString(r, 4 << 20));
      MATS_ASSIGN_OR_RETURN(std::vector<Bytes> certs, sign::LoadCertificatesPem(text));
      req.trust_anchors.insert(req.trust_anchors.end(), certs.begin(), certs.end());
    }
    req.identity.identities = f.identities;
    req.identity.subject = f.subject;
    req.identity.any = f.any_identity;
  }
  sign::VerifyReport rep;
  {
    signing::ProgressBar bar(f.hash.no_progress);
    req.progress = bar.Fn();
    MATS_ASSIGN_OR_RETURN(rep, sign::VerifyModel(req));
  }
  MATS_RETURN_IF_ERROR(WriteOutput(
      "", f.format == "json" ? sign::VerifyReportJson(rep) : sign::VerifyReportText(rep)));
  exit_code = rep.verified ? kExitOk : kExitFindings;
  return Status::Ok();
}

struct RecordFlags {
  std::string proof;
  std::string records;
  std::string signature;
  std::string public_key;
  std::vector<std::string> roots;
  std::vector<std::string> identities;
  std::string subject;
  bool any_identity = false;
  std::string identity_provider;  // keyless
  std::string trust_config;       // keyless
  bool allow_unknown_fields = false;
  std::string format = "text";
};

Status RunVerifyRecord(const RecordFlags& f, int& exit_code) {
  sign::VerifyRequest req;
  req.signature_path = f.signature;
  req.allow_unknown_fields = f.allow_unknown_fields;
  if (!f.identity_provider.empty()) {
    if (f.identities.size() != 1 || !f.public_key.empty() || !f.roots.empty())
      return InvalidArgument(
          "verify record: keyless mode takes exactly one --identity with --identity-provider, "
          "and no --public-key or --certificate-chain");
    req.mode = sign::VerifyMode::kSigstore;
    req.keyless.identity = f.identities[0];
    req.keyless.issuer = f.identity_provider;
    if (!f.trust_config.empty()) {
      MATS_ASSIGN_OR_RETURN(req.trusted_root_json,
                            ReadFileToString(f.trust_config, sign::kMaxTrustedRootBytes));
      req.trusted_root_source = f.trust_config;
    }
  } else if (!f.public_key.empty()) {
    req.mode = sign::VerifyMode::kKey;
    MATS_ASSIGN_OR_RETURN(std::string pem, ReadFileToString(f.public_key, 1 << 20));
    MATS_ASSIGN_OR_RETURN(sign::PublicKey k, sign::PublicKey::FromPem(pem));
    req.public_key = std::move(k);
  } else if (!f.roots.empty()) {
    req.mode = sign::VerifyMode::kCertificate;
    for (const std::string& r : f.roots) {
      MATS_ASSIGN_OR_RETURN(std::string text, ReadFileToString(r, 4 << 20));
      MATS_ASSIGN_OR_RETURN(std::vector<Bytes> certs, sign::LoadCertificatesPem(text));
      req.trust_anchors.insert(req.trust_anchors.end(), certs.begin(), certs.end());
    }
    req.identity.identities = f.identities;
    req.identity.subject = f.subject;
    req.identity.any = f.any_identity;
  } else {
    return InvalidArgument(
        "verify record: give --public-key, --certificate-chain, or --identity with "
        "--identity-provider");
  }
  MATS_ASSIGN_OR_RETURN(std::string proof, ReadFileToString(f.proof, 64 << 20));
  MATS_ASSIGN_OR_RETURN(sign::RecordProofResult r,
                        sign::VerifySignedRecordProof(req, f.records, proof));
  std::string out;
  if (f.format == "json") {
    nlohmann::json j = {{"schema", "mats-verify-record/1"}, {"verified", r.verified},
                        {"failure", r.failure},  {"reasons", r.reasons},
                        {"signer", r.signer},    {"path", r.path},
                        {"index", r.index},      {"record", r.record}};
    out = DumpJson(j, 2) + "\n";
  } else if (r.verified) {
    out = fmt::format("VERIFIED: record {} of {} is in the signed dataset\n  signer: {}\n  record: {}\n",
                      r.index, EscapePreview(r.path, 256), r.signer, EscapePreview(r.record, 512));
  } else {
    out = fmt::format("FAILED: {}\n", r.failure);
    for (const std::string& s : r.reasons) out += fmt::format("  reason: {}\n", s);
  }
  MATS_RETURN_IF_ERROR(WriteOutput("", out));
  exit_code = r.verified ? kExitOk : kExitFindings;
  return Status::Ok();
}

void AddCommon(CLI::App* cmd, VerifyFlags& f) {
  cmd->add_option("model", f.model, "model or dataset folder, or a single file")->required();
  cmd->add_option("--signature", f.signature, "signature file (default MODEL/model.sig)");
  cmd->add_option("--format", f.format, "text or json")->check(CLI::IsMember({"text", "json"}));
  cmd->add_flag("--refuse-ignore-paths", f.refuse_ignore_paths,
                "fail when the signer excluded paths that exist in the model");
  cmd->add_flag("--allow-unknown-fields", f.allow_unknown_fields,
                "accept (and report) unknown predicate fields instead of failing");
  signing::AddIgnoreFlags(cmd, f.hash);
}

void RegisterVerify(CLI::App& app, CliContext& ctx) {
  CLI::App* verify =
      app.add_subcommand("verify", "Verify a model or dataset against its OMS signature");
  verify->require_subcommand(1);
  auto kf = std::make_shared<VerifyFlags>();
  CLI::App* key = verify->add_subcommand("key", "Verify with an EC public key");
  AddCommon(key, *kf);
  key->add_option("--public-key,--public_key", kf->public_key, "PEM public key")->required();
  key->callback([kf, &ctx] {
    int code = kExitOk;
    Status s = RunVerify(*kf, sign::VerifyMode::kKey, code);
    ctx.exit_code = s.ok() ? code : ReportError(s);
  });
  auto cf = std::make_shared<VerifyFlags>();
  CLI::App* cert = verify->add_subcommand(
      "certificate", "Verify a certificate-chain signature against trust anchors");
  AddCommon(cert, *cf);
  cert->add_option("--certificate-chain,--certificate_chain", cf->roots,
                   "PEM trust anchors (root certificates)")
      ->required();
  cert->add_option("--identity", cf->identities,
                   "allowed signer: exact SAN (email, URI or DNS); repeatable");
  cert->add_option("--subject", cf->subject, "allowed signer subject (RFC 2253, exact)");
  cert->add_flag("--any-identity", cf->any_identity,
                 "accept any certificate that chains to the anchors (no identity policy)");
  cert->callback([cf, &ctx] {
    int code = kExitOk;
    Status s = RunVerify(*cf, sign::VerifyMode::kCertificate, code);
    ctx.exit_code = s.ok() ? code : ReportError(s);
  });
  auto sf = std::make_shared<VerifyFlags>();
  CLI::App* keyless = verify->add_subcommand(
      "sigstore", "Verify a keyless Sigstore signature offline (Fulcio certificate, Rekor entry)");
  AddCommon(keyless, *sf);
  keyless->add_option("--identity", sf->identity,
                      "expected signer identity: exact SAN of the Fulcio certificate (email or URI)")
      ->required();
  keyless->add_option("--identity-provider,--identity_provider", sf->identity_provider,
                      "expected OIDC issuer, e.g. https://accounts.google.com")
      ->required();
  keyless->add_option("--trust-config,--trust_config", sf->trust_config,
                      "Sigstore trusted root JSON (default: the built-in public-good root)");
  keyless->callback([sf, &ctx] {
    int code = kExitOk;
    Status s = RunVerify(*sf, sign::VerifyMode::kSigstore, code);
    ctx.exit_code = s.ok() ? code : ReportError(s);
  });
  auto rf = std::make_shared<RecordFlags>();
  CLI::App* rec = verify->add_subcommand(
      "record", "Check a record inclusion proof against a signed record manifest (no dataset needed)");
  rec->add_option("proof", rf->proof, "proof from `mats hash record-proof`")->required();
  rec->add_option("--records", rf->records, "the dataset's mats-records.json")->required();
  rec->add_option("--signature", rf->signature, "the dataset's signature")->required();
  rec->add_option("--public-key,--public_key", rf->public_key, "PEM public key (key mode)");
  rec->add_option("--certificate-chain,--certificate_chain", rf->roots, "PEM trust anchors");
  rec->add_option("--identity", rf->identities,
                  "allowed SAN (certificate mode, repeatable; keyless: the one expected SAN)");
  rec->add_option("--identity-provider,--identity_provider", rf->identity_provider,
                  "expected OIDC issuer (keyless mode)");
  rec->add_option("--trust-config,--trust_config", rf->trust_config,
                  "Sigstore trusted root JSON (keyless; default: the built-in public-good root)");
  rec->add_flag("--allow-unknown-fields", rf->allow_unknown_fields,
                "accept (and report) unknown predicate fields instead of failing");
  rec->add_option("--subject", rf->subject, "allowed subject (certificate mode)");
  rec->add_flag("--any-identity", rf->any_identity, "no identity policy (certificate mode)");
  rec->add_option("--format", rf->format, "text or json")->check(CLI::IsMember({"text", "json"}));
  rec->callback([rf, &ctx] {
    int code = kExitOk;
    Status s = RunVerifyRecord(*rf, code);
    ctx.exit_code = s.ok() ? code : ReportError(s);
  });
}

}  // namespace

MATS_REGISTER_COMMAND(RegisterVerify);

}  // namespace mats::cli
