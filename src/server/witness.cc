#include "mats/server/witness.h"

#include <nlohmann/json.hpp>

#include "mats/core/encoding.h"
#include "mats/core/json.h"
#include "mats/core/mapped_file.h"
#include "mats/server/log_server.h"
#include "mats/tlog/checkpoint.h"
#include "server/http_server.h"

namespace mats::server {

namespace {

constexpr size_t kMaxProofLines = 63;
constexpr size_t kMaxBodyBytes = tlog::kMaxNoteBytes + 8 * 1024;
constexpr uint64_t kMaxStateBytes = 16 << 20;

WitnessAnswer Answer(int status, std::string body) {
  WitnessAnswer a;
  a.status = status;
  a.body = std::move(body);
  if (!a.body.empty() && a.body.back() != '\n') a.body += '\n';
  return a;
}

}  // namespace

struct Witness::LogEntryState {
  std::string origin;
  uint64_t size = 0;
  tlog::Hash root{};
  std::string note;  // last cosigned checkpoint note
};

Result<std::unique_ptr<Witness>> Witness::Create(std::unique_ptr<tlog::CosignatureSigner> signer,
                                                 const std::vector<std::string>& log_keys,
                                                 std::string state_path) {
  if (signer == nullptr) return InvalidArgument("witness: no signer");
  if (log_keys.empty()) return InvalidArgument("witness: no log keys configured");
  auto w = std::unique_ptr<Witness>(new Witness());
  w->signer_ = std::move(signer);
  w->state_path_ = std::move(state_path);
  for (const std::string& k : log_keys) {
    Result<std::unique_ptr<tlog::Ed25519NoteVerifier>> v =
        tlog::Ed25519NoteVerifier::FromVerifierKey(k);
    if (!v.ok()) return InvalidArgument("witness: bad log key: {}", v.status().message());
    for (const auto& other : w->logs_) {
      if (other->name() == (*v)->name()) {
        return InvalidArgument("witness: two keys for origin \"{}\"", (*v)->name());
      }
    }
    w->logs_.push_back(std::move(*v));
  }
  Result<std::string> text = ReadFileToString(w->state_path_, kMaxStateBytes);
  if (text.ok()) {
    MATS_ASSIGN_OR_RETURN(nlohmann::json doc,
                          ParseJson(*text, JsonOptions{.max_depth = 8, .what = "witness state"}));
    if (!doc.is_object() || !doc.contains("version") || doc["version"] != 1 ||
        !doc.contains("logs") || !doc["logs"].is_array()) {
      return Malformed(0, "witness state: {}: want {{\"version\":1,\"logs\":[...]}}", w->state_path_);
    }
    for (const nlohmann::json& l : doc["logs"]) {
      if (!l.is_object() || !l.contains("origin") || !l["origin"].is_string() ||
          !l.contains("size") || !l["size"].is_number_unsigned() || !l.contains("root") ||
          !l["root"].is_string() || !l.contains("note") || !l["note"].is_string()) {
        return Malformed(0, "witness state: {}: bad log record", w->state_path_);
      }
      LogEntryState s;
      s.origin = l["origin"].get<std::string>();
      s.size = l["size"].get<uint64_t>();
      Result<Bytes> root = HexDecode(l["root"].get<std::string>());
      if (!root.ok() || root->size() != tlog::kHashSize) {
        return Malformed(0, "witness state: {}: bad root", w->state_path_);
      }
      s.root = *tlog::HashFromBytes(*root);
      s.note = l["note"].get<std::string>();
      w->state_.push_back(std::move(s));
    }
  } else if (text.status().code() != ErrorCode::kNotFound) {
    return text.status();
  }
  return w;
}

Witness::~Witness() = default;

std::string Witness::VerifierKey() const { return signer_->VerifierKey(); }

uint64_t Witness::CosignedSize(std::string_view origin) {
  std::lock_guard<std::mutex> lock(mu_);
  for (const LogEntryState& s : state_) {
    if (s.origin == origin) return s.size;
  }
  return 0;
}

Status Witness::SaveLocked() {
  nlohmann::json logs = nlohmann::json::array();
  for (const LogEntryState& s : state_) {
    logs.push_back(
        {{"origin", s.origin}, {"size", s.size}, {"root", tlog::HashHex(s.root)}, {"note", s.note}});
  }
  nlohmann::json doc = {{"version", 1}, {"logs", logs}};
  return WriteFileAtomic(state_path_, DumpJson(doc, 2) + "\n");
}

WitnessAnswer Witness::AddCheckpoint(std::string_view body) {
  if (body.size() > kMaxBodyBytes) return Answer(400, "request body too large");
  // "old <size>\n"
  size_t nl = body.find('\n');
  if (nl == std::string_view::npos || !body.starts_with("old ")) {
    return Answer(400, "body must start with \"old <size>\\n\"");
  }
  Result<uint64_t> old = ParseDecimalU64(body.substr(4, nl - 4), "old size");
  if (!old.ok()) return Answer(400, old.status().message());
  body.remove_prefix(nl + 1);
  // Proof lines up to a blank line.
  std::vector<tlog::Hash> proof;
  for (;;) {
    nl = body.find('\n');
    if (nl == std::string_view::npos) return Answer(400, "missing blank line before the checkpoint");
    std::string_view line = body.substr(0, nl);
    body.remove_prefix(nl + 1);
    if (line.empty()) break;
    if (proof.size() == kMaxProofLines) {
      return Answer(400, fmt::format("more than {} consistency proof lines", kMaxProofLines));
    }
    Result<Bytes> raw = Base64Decode(line);
    if (!raw.ok() || raw->size() != tlog::kHashSize) {
      return Answer(400, fmt::format("proof line {} is not a base64 32-byte hash", proof.size() + 1));
    }
    proof.push_back(*tlog::HashFromBytes(*raw));
  }
  std::string_view note = body;
  Result<tlog::ParsedNote> parsed = tlog::ParseNote(note);
  if (!parsed.ok()) return Answer(400, "malformed checkpoint note: " + parsed.status().ToString());
  Result<tlog::Checkpoint> unverified = tlog::ParseCheckpoint(parsed->text);
  if (!unverified.ok()) return Answer(400, "malformed checkpoint: " + unverified.status().ToString());
  const tlog::Ed25519NoteVerifier* verifier = nullptr;
  for (const auto& v : logs_) {
    if (v->name() == unverified->origin) verifier = v.get();
  }
  if (verifier == nullptr) {
    return Answer(404, fmt::format("unknown log origin \"{}\"", EscapePreview(unverified->origin)));
  }
  Result<tlog::SignedCheckpoint> cp = tlog::OpenCheckpoint(note, *verifier, {}, 0);
  if (!cp.ok()) return Answer(403, "no valid log signature: " + cp.status().message());
  const tlog::Checkpoint& c = cp->checkpoint;
  if (*old > c.size) {
    return Answer(400, fmt::format("old size {} is larger than the checkpoint size {}", *old, c.size));
  }

  std::lock_guard<std::mutex> lock(mu_);
  LogEntryState* st = nullptr;
  for (LogEntryState& s : state_) {
    if (s.origin == c.origin) st = &s;
  }
  uint64_t known = st != nullptr ? st->size : 0;
  if (*old != known) {
    WitnessAnswer a = Answer(409, fmt::format("{}", known));
    a.content_type = "text/x.tlog.size";
    return a;
  }
  if (*old == 0) {
    if (!proof.empty()) return Answer(422, "old size is 0 but a consistency proof was sent");
    if (st != nullptr && c.size == 0 && !tlog::HashEqual(st->root, c.root)) {
      return Answer(409, "same size with a different root");
    }
  } else if (*old == c.size) {
    if (!proof.empty()) return Answer(422, "same size but a consistency proof was sent");
    if (!tlog::HashEqual(st->root, c.root)) {
      return Answer(409, "checkpoint has the cosigned size but a different root (fork)");
    }
  } else {
    Status s = tlog::VerifyConsistency(*old, c.size, proof, st->root, c.root);
    if (!s.ok()) return Answer(422, "consistency proof does not verify: " + s.message());
  }
  // Sign first (no state change if signing fails), then persist, then answer.
  Result<Bytes> sig = signer_->Sign(parsed->text);
  if (!sig.ok()) return Answer(500, "cannot sign");
  LogEntryState updated{c.origin, c.size, c.root, std::string(note)};
  LogEntryState before;
  bool had = st != nullptr;
  if (had) {
    before = *st;
    *st = updated;
  } else {
    state_.push_back(updated);
  }
  if (Status s = SaveLocked(); !s.ok()) {
    if (had) {
      *st = before;
    } else {
      state_.pop_back();
    }
    return Answer(500, "cannot persist witness state");
  }
  WitnessAnswer a;
  a.status = 200;
  a.body = tlog::FormatSignatureLine(
      tlog::NoteSignature{signer_->name(), signer_->key_id(), std::move(*sig)});
  return a;
}

// ---- HTTP ----

class WitnessServer::Impl {
 public:
  Impl(Witness& w, const WitnessServerOptions& o) : witness_(w), core_(o.threads, kMaxBodyBytes) {}
  Status Init(const WitnessServerOptions& o) {
    core_.http().Post("/add-checkpoint",
                      internal::Fenced([this](const httplib::Request& req, httplib::Response& res) {
                        WitnessAnswer a = witness_.AddCheckpoint(req.body);
                        internal::SendText(res, a.status, a.body, a.content_type);
                      }));
    return core_.Start(o.host, o.port).status();
  }
  internal::HttpServerCore& core() { return core_; }

 private:
  Witness& witness_;
  internal::HttpServerCore core_;
};

Result<std::unique_ptr<WitnessServer>> WitnessServer::Start(Witness& witness,
                                                            const WitnessServerOptions& options) {
  auto impl = std::make_unique<Impl>(witness, options);
  MATS_RETURN_IF_ERROR(impl->Init(options));
  return std::unique_ptr<WitnessServer>(new WitnessServer(std::move(impl)));
}

WitnessServer::WitnessServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
WitnessServer::~WitnessServer() { Stop(); }
uint16_t WitnessServer::port() const { return impl_->core().port(); }
void WitnessServer::Stop() { impl_->core().Stop(); }
void WitnessServer::Wait() { impl_->core().Wait(); }
std::span<const RouteInfo> WitnessServer::Routes() {
  static constexpr RouteInfo kWitnessRoutes[] = {{"POST", "/add-checkpoint"}};
  return kWitnessRoutes;
}

}  // namespace mats::server
