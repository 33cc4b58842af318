#include "mats/server/log_server.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "mats/core/encoding.h"
#include "mats/core/json.h"
#include "mats/core/log.h"
#include "mats/tlog/entry.h"
#include "server/http_client.h"
#include "server/http_server.h"

namespace mats::server {

namespace {

using internal::SendJson;
using internal::SendJsonError;
using internal::SendText;

constexpr std::array<RouteInfo, 10> kRoutes = {{
    {"GET", "/checkpoint"},
    {"GET", "/tile/{level}/{index}"},
    {"GET", "/tile/{level}/{index}.p/{width}"},
    {"GET", "/tile/entries/{index}"},
    {"GET", "/tile/entries/{index}.p/{width}"},
    {"GET", "/api/v1/log"},
    {"GET", "/api/v1/entries/{index}"},
    {"POST", "/api/v1/entries"},
    {"GET", "/api/v1/proof/inclusion"},
    {"GET", "/api/v1/proof/consistency"},
}};

// Largest accepted request body: a JSON event is well under this; an
// encoded entry is at most 65,535 bytes.
constexpr size_t kMaxBodyBytes = 256 * 1024;
constexpr size_t kMaxCosignatureResponse = 64 * 1024;

nlohmann::json HashList(const std::vector<tlog::Hash>& hashes) {
  nlohmann::json arr = nlohmann::json::array();
  for (const tlog::Hash& h : hashes) arr.push_back(tlog::HashHex(h));
  return arr;
}

// Only the listed query parameters, each at most once.
Status CheckParams(const httplib::Request& req, std::initializer_list<std::string_view> allowed) {
  for (const auto& [key, value] : req.params) {
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      return InvalidArgument("unknown query parameter \"{}\"", EscapePreview(key));
    }
    if (req.get_param_value_count(key) != 1) {
      return InvalidArgument("query parameter \"{}\" given more than once", EscapePreview(key));
    }
  }
  return Status::Ok();
}

Result<std::optional<uint64_t>> OptionalU64Param(const httplib::Request& req,
                                                 const std::string& name) {
  if (!req.has_param(name.c_str())) return std::optional<uint64_t>();
  MATS_ASSIGN_OR_RETURN(uint64_t v, ParseDecimalU64(req.get_param_value(name.c_str()), name));
  return std::optional<uint64_t>(v);
}

}  // namespace

class LogServer::Impl {
 public:
  Impl(tlog::Log& log, const TokenStore& tokens, LogServerOptions options)
      : log_(log), tokens_(tokens), options_(std::move(options)),
        core_(options_.threads, kMaxBodyBytes) {}

  ~Impl() { Stop(); }

  Status Init() {
    for (const WitnessEndpoint& w : options_.witnesses) {
      WitnessState ws;
      Result<std::unique_ptr<tlog::CosignatureVerifier>> v =
          tlog::CosignatureVerifier::FromVerifierKey(w.verifier_key);
      if (!v.ok()) return InvalidArgument("serve: bad witness key: {}", v.status().message());
      ws.verifier = std::move(*v);
      Result<std::unique_ptr<HttpClient>> c = HttpClient::Create(w.url, std::chrono::seconds(10));
      if (!c.ok()) return c.status();
      ws.http = std::move(*c);
      witnesses_.push_back(std::move(ws));
    }
    Routes();
    MATS_ASSIGN_OR_RETURN(uint16_t port, core_.Start(options_.host, options_.port));
    (void)port;
    if (!witnesses_.empty()) {
      witness_thread_ = std::thread([this] { WitnessLoop(); });
    }
    return Status::Ok();
  }

  void Stop() {
    {
      std::lock_guard<std::mutex> lock(stop_mu_);
      stopping_ = true;
      stop_cv_.notify_all();
    }
    if (witness_thread_.joinable()) witness_thread_.join();
    core_.Stop();
  }

  void Wait() { core_.Wait(); }
  uint16_t port() const { return core_.port(); }

 private:
  struct WitnessState {
    std::unique_ptr<tlog::CosignatureVerifier> verifier;
    std::unique_ptr<HttpClient> http;
    uint64_t size = 0;  // last size this witness cosigned (0 = unknown/none)
  };

  // ---- routing ----
  void Routes() {
    httplib::Server& s = core_.http();
    s.Get("/checkpoint", internal::Fenced([this](const auto& q, auto& r) { Checkpoint(q, r); }));
    s.Get("/tile/(.*)", internal::Fenced([this](const auto& q, auto& r) { Tile(q, r); }));
    s.Get("/api/v1/log", internal::Fenced([this](const auto& q, auto& r) { LogInfo(q, r); }));
    s.Get("/api/v1/entries/([^/]*)",
          internal::Fenced([this](const auto& q, auto& r) { GetEntry(q, r); }));
    s.Post("/api/v1/entries", internal::Fenced([this](const auto& q, auto& r) { Append(q, r); }));
    s.Get("/api/v1/proof/inclusion",
          internal::Fenced([this](const auto& q, auto& r) { Inclusion(q, r); }));
    s.Get("/api/v1/proof/consistency",
          internal::Fenced([this](const auto& q, auto& r) { Consistency(q, r); }));
  }

  // Read access check; answers and returns false when refused.
  bool CanRead(const httplib::Request& req, httplib::Response& res) {
    if (options_.public_read) return true;
    return Authorized(req, res, Scope::kRead) != nullptr;
  }

  const TokenInfo* Authorized(const httplib::Request& req, httplib::Response& res, Scope scope) {
    std::string auth = req.get_header_value("Authorization");
    constexpr std::string_view kBearer = "Bearer ";
    if (auth.empty()) {
      res.set_header("WWW-Authenticate", "Bearer");
      SendJsonError(res, 401, "missing Authorization: Bearer <token>");
      return nullptr;
    }
    if (!std::string_view(auth).starts_with(kBearer)) {
      res.set_header("WWW-Authenticate", "Bearer");
      SendJsonError(res, 401, "Authorization must be \"Bearer <token>\"");
      return nullptr;
    }
    std::string_view token = std::string_view(auth).substr(kBearer.size());
    if (const TokenInfo* t = tokens_.Authenticate(token, scope)) return t;
    // Distinguish an unknown token (401) from a known one lacking the scope (403).
    for (Scope other : {Scope::kAppend, Scope::kRead, Scope::kAdmin}) {
      if (tokens_.Authenticate(token, other) != nullptr) {
        SendJsonError(res, 403, fmt::format("token lacks scope \"{}\"", ScopeName(scope)));
        return nullptr;
      }
    }
    res.set_header("WWW-Authenticate", "Bearer error=\"invalid_token\"");
    SendJsonError(res, 401, "invalid token");
    return nullptr;
  }

  // ---- C2SP read paths ----
  std::string ServedCheckpoint() {
    tlog::StoredCheckpoint cp = log_.LatestCheckpoint();
    std::lock_guard<std::mutex> lock(cosigned_mu_);
    if (!cosigned_note_.empty() && cosigned_size_ == cp.size &&
        tlog::HashEqual(cosigned_root_, cp.root)) {
      return cosigned_note_;
    }
    return cp.note;
  }

  void Checkpoint(const httplib::Request& req, httplib::Response& res) {
    if (!CanRead(req, res)) return;
    res.set_header("Cache-Control", std::string(internal::kNoCache));
    SendText(res, 200, ServedCheckpoint());
  }

  void Tile(const httplib::Request& req, httplib::Response& res) {
    if (!CanRead(req, res)) return;
    if (!req.params.empty()) {
      SendText(res, 400, "tile paths take no query parameters\n");
      return;
    }
    // req.path is already percent-decoded, so "%2e%2e" arrives as ".." and is
    // rejected by the canonical-path parser like any other non-canonical form.
    std::string_view path = req.path;
    path.remove_prefix(1);
    Result<tlog::TileId> id = tlog::ParseTilePath(path);
    if (!id.ok()) {
      SendText(res, 400, fmt::format("bad tile path: {}\n", id.status().message()));
      return;
    }
    Result<Bytes> tile = log_.ReadTile(*id);
    if (!tile.ok()) {
      int status = internal::HttpStatusFor(tile.status());
      SendText(res, status == 400 ? 404 : status,
               fmt::format("{}: {}\n", tlog::TilePath(*id), tile.status().message()));
      return;
    }
    res.set_header("Cache-Control", std::string(internal::kImmutableCache));
    res.status = 200;
    res.set_content(std::string(tile->begin(), tile->end()), "application/octet-stream");
  }

  // ---- JSON endpoints ----
  void LogInfo(const httplib::Request& req, httplib::Response& res) {
    if (!CanRead(req, res)) return;
    if (Status s = CheckParams(req, {}); !s.ok()) return SendJsonError(res, 400, s.message());
    tlog::StoredCheckpoint cp = log_.LatestCheckpoint();
    nlohmann::json witnesses = nlohmann::json::array();
    for (const WitnessEndpoint& w : options_.witnesses) witnesses.push_back(w.verifier_key);
    res.set_header("Cache-Control", std::string(internal::kNoCache));
    SendJson(res, 200,
             {{"origin", log_.origin()},
              {"verifier_key", options_.verifier_key},
              {"tree_size", cp.size},
              {"root_hash", tlog::HashHex(cp.root)},
              {"witnesses", witnesses}});
  }

  void GetEntry(const httplib::Request& req, httplib::Response& res) {
    if (!CanRead(req, res)) return;
    if (Status s = CheckParams(req, {}); !s.ok()) return SendJsonError(res, 400, s.message());
    Result<uint64_t> index = ParseDecimalU64(req.matches[1].str(), "index");
    if (!index.ok()) return SendJsonError(res, 400, index.status().message());
    Result<Bytes> entry = log_.ReadEntry(*index);
    if (!entry.ok()) {
      return SendJsonError(res, internal::HttpStatusFor(entry.status()), entry.status().message());
    }
    nlohmann::json body = {{"index", *index},
                           {"leaf_hash", tlog::HashHex(tlog::Hasher::HashLeaf(*entry))},
                           {"entry", Base64Encode(*entry)}};
    Result<tlog::LogEntry> decoded = tlog::DecodeEntry(*entry);
    body["event"] = decoded.ok() ? tlog::EntryToJson(*decoded) : nlohmann::json(nullptr);
    res.set_header("Cache-Control", std::string(internal::kImmutableCache));
    SendJson(res, 200, body);
  }

  void Append(const httplib::Request& req, httplib::Response& res) {
    const TokenInfo* who = Authorized(req, res, Scope::kAppend);
    if (who == nullptr) return;
    if (Status s = CheckParams(req, {}); !s.ok()) return SendJsonError(res, 400, s.message());
    std::string ctype = req.get_header_value("Content-Type");
    std::string_view base = ctype;
    base = base.substr(0, base.find(';'));
    Bytes wire;
    if (base == "application/json") {
      if (req.body.size() > kMaxBodyBytes) return SendJsonError(res, 413, "request body too large");
      Result<nlohmann::json> doc =
          ParseJson(req.body, JsonOptions{.max_depth = 8, .what = "append body"});
      if (!doc.ok()) return SendJsonError(res, 400, doc.status().ToString());
      if (!doc->is_object()) return SendJsonError(res, 400, "append body must be a JSON object");
      if (doc->contains("actor") || doc->contains("timestamp_ms")) {
        return SendJsonError(res, 400,
                             "\"actor\" and \"timestamp_ms\" are set by the server, not the client");
      }
      if (!doc->contains("version")) (*doc)["version"] = 1u;
      (*doc)["actor"] = who->ActorId();
      (*doc)["timestamp_ms"] = static_cast<uint64_t>(
          std::chrono::duration_cast<std::chrono::milliseconds>(
              std::chrono::system_clock::now().time_since_epoch())
              .count());
      Result<tlog::LogEntry> entry = tlog::EntryFromJson(*doc);
      if (!entry.ok()) return SendJsonError(res, 400, entry.status().message());
      Result<Bytes> enc = tlog::EncodeEntry(*entry);
      if (!enc.ok()) return SendJsonError(res, 400, enc.status().message());
      wire = std::move(*enc);
    } else if (base == "application/octet-stream") {
      if (req.body.size() > tlog::kMaxEncodedEntryBytes) {
        return SendJsonError(res, 413,
                             fmt::format("entry of {} bytes exceeds the limit of {} bytes",
                                         req.body.size(), tlog::kMaxEncodedEntryBytes));
      }
      wire.assign(req.body.begin(), req.body.end());
      Result<tlog::LogEntry> entry = tlog::DecodeEntry(wire);
      if (!entry.ok()) return SendJsonError(res, 400, entry.status().ToString());
      if (entry->actor != who->ActorId()) {
        return SendJsonError(res, 403, fmt::format("entry actor must be the token's actor id \"{}\"",
                                                   who->ActorId()));
      }
    } else {
      return SendJsonError(res, 415, "Content-Type must be application/json or application/octet-stream");
    }
    if (wire.size() > tlog::kMaxEncodedEntryBytes) {
      return SendJsonError(res, 413, fmt::format("entry of {} bytes exceeds the limit of {} bytes",
                                                 wire.size(), tlog::kMaxEncodedEntryBytes));
    }
    tlog::Hash leaf = tlog::Hasher::HashLeaf(wire);
    std::future<Result<uint64_t>> fut = log_.AppendAsync(std::move(wire));
    if (fut.wait_for(options_.append_timeout) != std::future_status::ready) {
      // The entry may still be committed later; the client must not assume either way.
      return SendJsonError(res, 503, "append timed out waiting for a durable commit");
    }
    Result<uint64_t> index = fut.get();
    if (!index.ok()) {
      int status = internal::HttpStatusFor(index.status());
      return SendJsonError(res, status, index.status().ToString());
    }
    SendJson(res, 201, {{"index", *index}, {"leaf_hash", tlog::HashHex(leaf)}});
  }

  void Inclusion(const httplib::Request& req, httplib::Response& res) {
    if (!CanRead(req, res)) return;
    if (Status s = CheckParams(req, {"index", "leaf_hash", "tree_size"}); !s.ok()) {
      return SendJsonError(res, 400, s.message());
    }
    Result<std::optional<uint64_t>> index = OptionalU64Param(req, "index");
    if (!index.ok()) return SendJsonError(res, 400, index.status().message());
    Result<std::optional<uint64_t>> size = OptionalU64Param(req, "tree_size");
    if (!size.ok()) return SendJsonError(res, 400, size.status().message());
    bool by_hash = req.has_param("leaf_hash");
    if (index->has_value() == by_hash) {
      return SendJsonError(res, 400, "give exactly one of index and leaf_hash");
    }
    tlog::StoredCheckpoint cp = log_.LatestCheckpoint();
    uint64_t tree_size = size->value_or(cp.size);
    if (tree_size > cp.size) {
      return SendJsonError(res, 400, fmt::format("tree_size {} is larger than the latest checkpoint {}",
                                                 tree_size, cp.size));
    }
    uint64_t idx = 0;
    tlog::Hash leaf{};
    std::vector<tlog::Hash> proof;
    if (by_hash) {
      Result<Bytes> raw = HexDecode(req.get_param_value("leaf_hash"));
      if (!raw.ok() || raw->size() != tlog::kHashSize) {
        return SendJsonError(res, 400, "leaf_hash must be 64 hex digits");
      }
      leaf = *tlog::HashFromBytes(*raw);
      auto found = log_.InclusionProofByLeafHash(leaf, tree_size);
      if (!found.ok()) {
        return SendJsonError(res, internal::HttpStatusFor(found.status()), found.status().message());
      }
      idx = found->first;
      proof = std::move(found->second);
    } else {
      idx = **index;
      if (idx >= tree_size) {
        return SendJsonError(res, 400, fmt::format("index {} is not below tree_size {}", idx, tree_size));
      }
      Result<Bytes> entry = log_.ReadEntry(idx);
      if (!entry.ok()) {
        return SendJsonError(res, internal::HttpStatusFor(entry.status()), entry.status().message());
      }
      leaf = tlog::Hasher::HashLeaf(*entry);
      Result<std::vector<tlog::Hash>> p = log_.InclusionProof(idx, tree_size);
      if (!p.ok()) return SendJsonError(res, internal::HttpStatusFor(p.status()), p.status().message());
      proof = std::move(*p);
    }
    Result<tlog::Hash> root = log_.RootAt(tree_size);
    if (!root.ok()) return SendJsonError(res, internal::HttpStatusFor(root.status()), root.status().message());
    SendJson(res, 200,
             {{"index", idx},
              {"tree_size", tree_size},
              {"leaf_hash", tlog::HashHex(leaf)},
              {"root_hash", tlog::HashHex(*root)},
              {"proof", HashList(proof)}});
  }

  void Consistency(const httplib::Request& req, httplib::Response& res) {
    if (!CanRead(req, res)) return;
    if (Status s = CheckParams(req, {"first", "second"}); !s.ok()) {
      return SendJsonError(res, 400, s.message());
    }
    Result<std::optional<uint64_t>> first = OptionalU64Param(req, "first");
    if (!first.ok()) return SendJsonError(res, 400, first.status().message());
    if (!first->has_value()) return SendJsonError(res, 400, "missing query parameter \"first\"");
    Result<std::optional<uint64_t>> second = OptionalU64Param(req, "second");
    if (!second.ok()) return SendJsonError(res, 400, second.status().message());
    tlog::StoredCheckpoint cp = log_.LatestCheckpoint();
    uint64_t s2 = second->value_or(cp.size);
    uint64_t s1 = **first;
    if (s2 > cp.size) {
      return SendJsonError(res, 400, fmt::format("second {} is larger than the latest checkpoint {}", s2, cp.size));
    }
    if (s1 > s2) return SendJsonError(res, 400, fmt::format("first {} is larger than second {}", s1, s2));
    Result<std::vector<tlog::Hash>> proof = log_.ConsistencyProof(s1, s2);
    if (!proof.ok()) {
      return SendJsonError(res, internal::HttpStatusFor(proof.status()), proof.status().message());
    }
    Result<tlog::Hash> r1 = log_.RootAt(s1);
    Result<tlog::Hash> r2 = log_.RootAt(s2);
    if (!r1.ok() || !r2.ok()) return SendJsonError(res, 503, "cannot compute roots");
    SendJson(res, 200,
             {{"first", s1},
              {"second", s2},
              {"first_root_hash", tlog::HashHex(*r1)},
              {"second_root_hash", tlog::HashHex(*r2)},
              {"proof", HashList(*proof)}});
  }

  // ---- witness cosignatures ----
  void WitnessLoop() {
    uint64_t done_size = UINT64_MAX;
    tlog::Hash done_root{};
    for (;;) {
      {
        std::unique_lock<std::mutex> lock(stop_mu_);
        stop_cv_.wait_for(lock, options_.witness_interval, [this] { return stopping_; });
        if (stopping_) return;
      }
      tlog::StoredCheckpoint cp = log_.LatestCheckpoint();
      if (cp.size == done_size && tlog::HashEqual(cp.root, done_root)) continue;
      Result<tlog::ParsedNote> parsed = tlog::ParseNote(cp.note);
      if (!parsed.ok()) continue;
      std::vector<tlog::NoteSignature> sigs;
      for (WitnessState& w : witnesses_) {
        Result<tlog::NoteSignature> sig = RequestCosignature(w, cp, parsed->text);
        if (sig.ok()) {
          sigs.push_back(std::move(*sig));
        } else {
          MATS_LOG_WARN("serve: witness {}: {}", w.http->base_url(), sig.status().ToString());
        }
      }
      if (sigs.size() != witnesses_.size()) continue;  // retry next round
      Result<std::string> note = tlog::AddSignatures(cp.note, sigs);
      if (!note.ok()) continue;
      {
        std::lock_guard<std::mutex> lock(cosigned_mu_);
        cosigned_note_ = std::move(*note);
        cosigned_size_ = cp.size;
        cosigned_root_ = cp.root;
      }
      done_size = cp.size;
      done_root = cp.root;
    }
  }

  Result<tlog::NoteSignature> RequestCosignature(WitnessState& w, const tlog::StoredCheckpoint& cp,
                                                 const std::string& text) {
    for (int attempt = 0; attempt < 2; ++attempt) {
      uint64_t old = std::min(w.size, cp.size);
      std::string body = fmt::format("old {}\n", old);
      if (old != 0 && old != cp.size) {
        MATS_ASSIGN_OR_RETURN(std::vector<tlog::Hash> proof, log_.ConsistencyProof(old, cp.size));
        for (const tlog::Hash& h : proof) body += Base64Encode(ByteSpan(h.data(), h.size())) + "\n";
      }
      body += "\n" + cp.note;
      MATS_ASSIGN_OR_RETURN(HttpResponse r, w.http->Post("/add-checkpoint", body, "text/plain"));
      if (r.status == 409 && r.content_type.starts_with("text/x.tlog.size")) {
        std::string_view b = r.body;
        if (!b.empty() && b.back() == '\n') b.remove_suffix(1);
        MATS_ASSIGN_OR_RETURN(w.size, ParseDecimalU64(b, "witness size"));
        continue;
      }
      if (r.status != 200) {
        return IoError("witness answered {}: {}", r.status, EscapePreview(r.body));
      }
      if (r.body.size() > kMaxCosignatureResponse) return LimitExceeded("witness response too large");
      // Parse the returned signature lines with the note parser.
      MATS_ASSIGN_OR_RETURN(tlog::ParsedNote lines, tlog::ParseNote("x\n\n" + r.body));
      for (const tlog::NoteSignature& s : lines.signatures) {
        if (s.name != w.verifier->name() || s.key_id != w.verifier->key_id()) continue;
        MATS_RETURN_IF_ERROR(w.verifier->Verify(text, s.signature));
        w.size = cp.size;
        return s;
      }
      return VerificationFailed("witness returned no cosignature by its key");
    }
    return VerificationFailed("witness state keeps changing");
  }

  tlog::Log& log_;
  const TokenStore& tokens_;
  LogServerOptions options_;
  internal::HttpServerCore core_;
  std::vector<WitnessState> witnesses_;
  std::thread witness_thread_;
  std::mutex stop_mu_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;
  std::mutex cosigned_mu_;
  std::string cosigned_note_;
  uint64_t cosigned_size_ = 0;
  tlog::Hash cosigned_root_{};
};

Result<std::unique_ptr<LogServer>> LogServer::Start(tlog::Log& log, const TokenStore& tokens,
                                                    LogServerOptions options) {
  if (options.threads == 0 || options.threads > 4096) {
    return InvalidArgument("serve: threads must be 1..4096");
  }
  auto impl = std::make_unique<Impl>(log, tokens, std::move(options));
  MATS_RETURN_IF_ERROR(impl->Init());
  return std::unique_ptr<LogServer>(new LogServer(std::move(impl)));
}

LogServer::LogServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
LogServer::~LogServer() = default;
uint16_t LogServer::port() const { return impl_->port(); }
void LogServer::Stop() { impl_->Stop(); }
void LogServer::Wait() { impl_->Wait(); }
std::span<const RouteInfo> LogServer::Routes() { return kRoutes; }

}  // namespace mats::server
