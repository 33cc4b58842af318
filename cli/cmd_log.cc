// `mats log get|proof|verify|append`: a client of a mats (C2SP tlog-tiles)
// transparency log that trusts nothing the server says unless it verifies
// against the signed checkpoint (docs/api/log-api.md).
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "command.h"
#include "mats/core/encoding.h"
#include "mats/core/json.h"
#include "mats/core/mapped_file.h"
#include "mats/server/log_client.h"

namespace mats::cli {
namespace {

constexpr uint64_t kMaxSmallFile = 1 << 20;

struct LogFlags {
  std::string url;
  std::string log_key;
  std::string log_key_file;
  std::vector<std::string> witness_keys;
  size_t min_witnesses = 0;
  int64_t timeout_ms = 30'000;
  std::string output;
  bool json = false;
  // proof
  std::optional<uint64_t> index;
  std::string leaf_hash;
  std::optional<uint64_t> old_size;
  std::string old_root;
  std::string old_checkpoint;
  // verify
  std::string state_file;
  bool audit = false;
  uint64_t start = 0;
  uint64_t end = 0;
  // append
  std::string token;
  std::string token_file;
  std::string event_file;
};

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

Result<std::unique_ptr<server::LogClient>> MakeClient(const LogFlags& f) {
  if (f.url.empty()) return InvalidArgument("--url is required");
  server::LogTrust trust;
  trust.log_key = f.log_key;
  if (trust.log_key.empty() && !f.log_key_file.empty()) {
    MATS_ASSIGN_OR_RETURN(std::string k, ReadFileToString(f.log_key_file, kMaxSmallFile));
    trust.log_key = Trim(k);
  }
  if (trust.log_key.empty()) return InvalidArgument("--log-key or --log-key-file is required");
  trust.witness_keys = f.witness_keys;
  trust.min_witnesses = f.min_witnesses;
  return server::LogClient::Create(f.url, trust, std::chrono::milliseconds(f.timeout_ms));
}

nlohmann::json CheckpointJson(const tlog::SignedCheckpoint& cp) {
  nlohmann::json cos = nlohmann::json::array();
  for (const tlog::NoteSignature& s : cp.cosignatures) cos.push_back(s.name);
  return {{"origin", cp.checkpoint.origin},
          {"tree_size", cp.checkpoint.size},
          {"root_hash", tlog::HashHex(cp.checkpoint.root)},
          {"verified_cosignatures", cos}};
}

nlohmann::json Hashes(const std::vector<tlog::Hash>& hs) {
  nlohmann::json a = nlohmann::json::array();
  for (const tlog::Hash& h : hs) a.push_back(tlog::HashHex(h));
  return a;
}

int RunGet(const LogFlags& f) {
  auto client = MakeClient(f);
  if (!client.ok()) return ReportError(client.status());
  auto cp = (*client)->GetCheckpoint();
  if (!cp.ok()) return ReportError(cp.status());
  std::string out = f.json ? DumpJson(CheckpointJson(*cp), 2) + "\n" : cp->note;
  Status s = WriteOutput(f.output, out);
  if (!s.ok()) return ReportError(s);
  if (!f.json) {
    std::fprintf(stderr, "verified: %s size %llu, %zu witness cosignature(s)\n", cp->checkpoint.origin.c_str(),
                 static_cast<unsigned long long>(cp->checkpoint.size), cp->cosignatures.size());
  }
  return kExitOk;
}

int RunProof(const LogFlags& f) {
  auto client = MakeClient(f);
  if (!client.ok()) return ReportError(client.status());
  auto cp = (*client)->GetCheckpoint();
  if (!cp.ok()) return ReportError(cp.status());
  int modes = (f.index.has_value() ? 1 : 0) + (f.leaf_hash.empty() ? 0 : 1) +
              (f.old_size.has_value() || !f.old_checkpoint.empty() ? 1 : 0);
  if (modes != 1) {
    return ReportError(InvalidArgument(
        "give exactly one of --index, --leaf-hash, or --old-size/--old-root or --old-checkpoint"));
  }
  nlohmann::json out = {{"checkpoint", CheckpointJson(*cp)}};
  if (f.index.has_value() || !f.leaf_hash.empty()) {
    Result<server::InclusionResult> r = Status();
    if (f.index.has_value()) {
      r = (*client)->ProveIndex(*f.index, *cp);
    } else {
      auto raw = HexDecode(f.leaf_hash);
      if (!raw.ok() || raw->size() != tlog::kHashSize) {
        return ReportError(InvalidArgument("--leaf-hash wants 64 hex digits"));
      }
      r = (*client)->ProveLeafHash(*tlog::HashFromBytes(*raw), *cp);
    }
    if (!r.ok()) return ReportError(r.status());
    out["inclusion"] = {{"index", r->index},
                        {"tree_size", r->tree_size},
                        {"leaf_hash", tlog::HashHex(r->leaf_hash)},
                        {"proof", Hashes(r->proof)},
                        {"verified", true}};
    if (!r->entry.empty()) out["inclusion"]["entry"] = Base64Encode(r->entry);
  } else {
    uint64_t old_size = 0;
    tlog::Hash old_root{};
    if (!f.old_checkpoint.empty()) {
      auto note = ReadFileToString(f.old_checkpoint, kMaxSmallFile);
      if (!note.ok()) return ReportError(note.status());
      auto old = (*client)->OpenCheckpoint(*note);
      if (!old.ok()) return ReportError(old.status());
      old_size = old->checkpoint.size;
      old_root = old->checkpoint.root;
    } else {
      old_size = *f.old_size;
      auto raw = HexDecode(f.old_root);
      if (!raw.ok() || raw->size() != tlog::kHashSize) {
        return ReportError(InvalidArgument("--old-root wants 64 hex digits"));
      }
      old_root = *tlog::HashFromBytes(*raw);
    }
    auto p = (*client)->ProveConsistency(old_size, old_root, *cp);
    if (!p.ok()) return ReportError(p.status());
    out["consistency"] = {{"first", old_size},
                          {"second", cp->checkpoint.size},
                          {"proof", Hashes(*p)},
                          {"verified", true}};
  }
  Status s = WriteOutput(f.output, DumpJson(out, 2) + "\n");
  return s.ok() ? kExitOk : ReportError(s);
}

std::string DefaultStateFile() {
  const char* home = std::getenv("HOME");
  return std::string(home != nullptr ? home : ".") + "/.mats/log-state.json";
}

int RunVerify(const LogFlags& f) {
  auto client = MakeClient(f);
  if (!client.ok()) return ReportError(client.status());
  std::string state_path = f.state_file.empty() ? DefaultStateFile() : f.state_file;
  auto state = server::ClientState::Load(state_path);
  if (!state.ok()) return ReportError(state.status());
  auto check = (*client)->VerifyWithState(*state);
  if (!check.ok()) return ReportError(check.status());
  nlohmann::json out = {{"checkpoint", CheckpointJson(check->current)}};
  if (check->previous.has_value()) {
    out["consistent_with"] = {{"tree_size", check->previous->size},
                              {"root_hash", tlog::HashHex(check->previous->root)}};
  } else {
    out["consistent_with"] = nullptr;
  }
  int code = kExitOk;
  if (f.audit) {
    auto report = (*client)->Audit(check->current, f.start, f.end);
    if (!report.ok()) return ReportError(report.status());
    nlohmann::json a = {{"start", f.start},
                        {"end", f.end == 0 ? check->current.checkpoint.size : f.end},
                        {"entries_checked", report->entries_checked},
                        {"tiles_checked", report->tiles_checked},
                        {"ok", report->status.ok()}};
    if (!report->status.ok()) {
      a["problem"] = report->status.ToString();
      if (report->first_bad_entry) a["first_bad_entry"] = *report->first_bad_entry;
      if (report->first_bad_tile) a["first_bad_tile"] = tlog::TilePath(*report->first_bad_tile);
      std::fprintf(stderr, "mats: audit failed: %s\n", report->status.ToString().c_str());
      code = kExitFindings;
    }
    out["audit"] = a;
  }
  // Remember the new checkpoint only when everything verified.
  if (code == kExitOk) {
    Status s = state->Save(state_path);
    if (!s.ok()) return ReportError(s);
  }
  Status s = WriteOutput(f.output, DumpJson(out, 2) + "\n");
  if (!s.ok()) return ReportError(s);
  return code;
}

int RunAppend(const LogFlags& f) {
  std::string token = f.token;
  if (token.empty() && !f.token_file.empty()) {
    auto t = ReadFileToString(f.token_file, kMaxSmallFile);
    if (!t.ok()) return ReportError(t.status());
    token = Trim(*t);
  }
  if (token.empty()) {
    const char* env = std::getenv("MATS_LOG_TOKEN");
    if (env != nullptr) token = env;
  }
  if (token.empty()) return ReportError(InvalidArgument("give --token-file or set MATS_LOG_TOKEN"));
  std::string body;
  if (f.event_file.empty() || f.event_file == "-") {
    body.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  } else {
    auto b = ReadFileToString(f.event_file, kMaxSmallFile);
    if (!b.ok()) return ReportError(b.status());
    body = std::move(*b);
  }
  if (f.url.empty()) return ReportError(InvalidArgument("--url is required"));
  // Appending needs no trust anchor (the answer is checked later by proofs).
  auto client = server::LogClient::Create(f.url, server::LogTrust{},
                                          std::chrono::milliseconds(f.timeout_ms));
  if (!client.ok()) return ReportError(client.status());
  auto r = (*client)->Append(token, body);
  if (!r.ok()) return ReportError(r.status());
  Status s = WriteOutput(f.output, DumpJson(nlohmann::json{{"index", r->first},
                                                           {"leaf_hash", tlog::HashHex(r->second)}}) + "\n");
  return s.ok() ? kExitOk : ReportError(s);
}

void AddCommon(CLI::App* c, LogFlags& f) {
  c->add_option("--url", f.url, "log base URL, e.g. http://127.0.0.1:8080")->required();
  c->add_option("--log-key", f.log_key, "log verifier key (name+id+base64)");
  c->add_option("--log-key-file", f.log_key_file, "file holding the log verifier key");
  c->add_option("--witness-key", f.witness_keys, "witness cosignature verifier key (repeatable)");
  c->add_option("--min-witnesses", f.min_witnesses, "cosignatures required from --witness-key");
  c->add_option("--timeout-ms", f.timeout_ms, "HTTP timeout");
  c->add_option("-o,--output", f.output, "write the result here (default stdout)");
}

void RegisterLog(CLI::App& app, CliContext& ctx) {
  auto f = std::make_shared<LogFlags>();
  CLI::App* log = app.add_subcommand("log", "verify a transparency log: checkpoints, proofs, audits");
  log->require_subcommand(1);

  CLI::App* get = log->add_subcommand("get", "fetch and verify the signed checkpoint");
  AddCommon(get, *f);
  get->add_flag("--json", f->json, "print a JSON summary instead of the note");
  get->callback([f, &ctx] { ctx.exit_code = RunGet(*f); });

  CLI::App* proof = log->add_subcommand("proof", "prove inclusion or consistency against the checkpoint");
  AddCommon(proof, *f);
  proof->add_option("--index", f->index, "prove inclusion of entry INDEX");
  proof->add_option("--leaf-hash", f->leaf_hash, "prove inclusion of this leaf hash (hex)");
  proof->add_option("--old-size", f->old_size, "prove consistency from this size...");
  proof->add_option("--old-root", f->old_root, "...with this root (hex)");
  proof->add_option("--old-checkpoint", f->old_checkpoint, "prove consistency from this signed checkpoint file");
  proof->callback([f, &ctx] { ctx.exit_code = RunProof(*f); });

  CLI::App* verify = log->add_subcommand(
      "verify", "check consistency with the last checkpoint seen (state file) and optionally audit");
  AddCommon(verify, *f);
  verify->add_option("--state", f->state_file, "state file (default ~/.mats/log-state.json)");
  verify->add_flag("--audit", f->audit, "recompute the log (or --start/--end range) from its entries");
  verify->add_option("--start", f->start, "first entry of the audit range");
  verify->add_option("--end", f->end, "end (exclusive) of the audit range; 0 = tree size");
  verify->callback([f, &ctx] { ctx.exit_code = RunVerify(*f); });

  CLI::App* append = log->add_subcommand("append", "append a JSON event with an API token");
  append->add_option("--url", f->url, "log base URL")->required();
  append->add_option("--token-file", f->token_file, "file holding the API token (or MATS_LOG_TOKEN)");
  append->add_option("--event", f->event_file, "JSON event file (default stdin)");
  append->add_option("-o,--output", f->output, "write the result here (default stdout)");
  append->add_option("--timeout-ms", f->timeout_ms, "HTTP timeout");
  append->callback([f, &ctx] { ctx.exit_code = RunAppend(*f); });
}

}  // namespace

MATS_REGISTER_COMMAND(RegisterLog);

}  // namespace mats::cli
