#include "mats/server/log_client.h"

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "mats/core/encoding.h"
#include "mats/core/json.h"
#include "mats/core/mapped_file.h"
#include "server/http_client.h"

namespace mats::server {

namespace {

constexpr uint64_t kMaxStateBytes = 16 << 20;

// TileReader over HTTP; 404 -> kNotFound.
class HttpTileReader : public tlog::TileReader {
 public:
  explicit HttpTileReader(HttpClient& http) : http_(http) {}
  Result<Bytes> ReadTile(const tlog::TileId& id) override {
    std::string path = "/" + tlog::TilePath(id);
    MATS_ASSIGN_OR_RETURN(HttpResponse r, http_.Get(path));
    if (r.status == 404) return NotFound("log client: {} not found", path);
    if (r.status != 200) {
      return IoError("log client: GET {}: status {}: {}", path, r.status,
                     EscapePreview(r.body));
    }
    if (id.kind == tlog::TileKind::kHash &&
        r.body.size() != static_cast<size_t>(id.width) * tlog::kHashSize) {
      return Malformed(0, "log client: {}: {} bytes, want {}", path, r.body.size(),
                       static_cast<size_t>(id.width) * tlog::kHashSize);
    }
    return Bytes(r.body.begin(), r.body.end());
  }

 private:
  HttpClient& http_;
};

Result<tlog::Hash> ParseHexHash(std::string_view hex, std::string_view what) {
  Result<Bytes> raw = HexDecode(hex);
  if (!raw.ok() || raw->size() != tlog::kHashSize) {
    return Malformed(0, "log client: {} is not a 32-byte hex hash", what);
  }
  return *tlog::HashFromBytes(*raw);
}

uint32_t WidthAt(uint64_t tile_index, uint64_t count_at_level) {
  uint64_t start = tile_index * tlog::kTileWidth;
  return static_cast<uint32_t>(std::min<uint64_t>(tlog::kTileWidth, count_at_level - start));
}

}  // namespace

// ---- ClientState ----

Result<ClientState> ClientState::Load(const std::string& path) {
  ClientState state;
  Result<std::string> text = ReadFileToString(path, kMaxStateBytes);
  if (!text.ok()) {
    if (text.status().code() == ErrorCode::kNotFound) return state;
    return text.status();
  }
  MATS_ASSIGN_OR_RETURN(nlohmann::json doc,
                        ParseJson(*text, JsonOptions{.max_depth = 8, .what = "log state"}));
  if (!doc.is_object() || !doc.contains("version") || doc["version"] != 1 ||
      !doc.contains("logs") || !doc["logs"].is_array()) {
    return Malformed(0, "log state: {}: want {{\"version\":1,\"logs\":[...]}}", path);
  }
  for (const nlohmann::json& l : doc["logs"]) {
    if (!l.is_object() || !l.contains("origin") || !l["origin"].is_string() ||
        !l.contains("size") || !l["size"].is_number_unsigned() ||
        !l.contains("root") || !l["root"].is_string() || !l.contains("note") ||
        !l["note"].is_string()) {
      return Malformed(0, "log state: {}: bad log record", path);
    }
    RememberedCheckpoint cp;
    cp.origin = l["origin"].get<std::string>();
    cp.size = l["size"].get<uint64_t>();
    MATS_ASSIGN_OR_RETURN(cp.root, ParseHexHash(l["root"].get<std::string>(), "log state root"));
    cp.note = l["note"].get<std::string>();
    state.logs_.push_back(std::move(cp));
  }
  return state;
}

Status ClientState::Save(const std::string& path) const {
  nlohmann::json logs = nlohmann::json::array();
  for (const RememberedCheckpoint& cp : logs_) {
    logs.push_back({{"origin", cp.origin},
                    {"size", cp.size},
                    {"root", tlog::HashHex(cp.root)},
                    {"note", cp.note}});
  }
  nlohmann::json doc = {{"version", 1}, {"logs", logs}};
  std::error_code ec;
  std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (!parent.empty() && !std::filesystem::exists(parent, ec)) {
    std::filesystem::create_directories(parent, ec);
    if (ec) return IoError("log state: cannot create {}: {}", parent.string(), ec.message());
  }
  return WriteFileAtomic(path, DumpJson(doc, 2) + "\n");
}

const RememberedCheckpoint* ClientState::Find(std::string_view origin) const {
  for (const RememberedCheckpoint& cp : logs_) {
    if (cp.origin == origin) return &cp;
  }
  return nullptr;
}

void ClientState::Remember(RememberedCheckpoint cp) {
  for (RememberedCheckpoint& old : logs_) {
    if (old.origin == cp.origin) {
      old = std::move(cp);
      return;
    }
  }
  logs_.push_back(std::move(cp));
}

// ---- LogClient ----

Result<std::unique_ptr<LogClient>> LogClient::Create(std::string_view base_url,
                                                     const LogTrust& trust,
                                                     std::chrono::milliseconds timeout) {
  auto c = std::unique_ptr<LogClient>(new LogClient());
  MATS_ASSIGN_OR_RETURN(c->http_, HttpClient::Create(base_url, timeout));
  if (!trust.log_key.empty()) {
    Result<std::unique_ptr<tlog::Ed25519NoteVerifier>> v =
        tlog::Ed25519NoteVerifier::FromVerifierKey(trust.log_key);
    if (!v.ok()) return InvalidArgument("log client: bad log key: {}", v.status().message());
    c->log_verifier_ = std::move(*v);
  }
  for (const std::string& k : trust.witness_keys) {
    Result<std::unique_ptr<tlog::CosignatureVerifier>> w =
        tlog::CosignatureVerifier::FromVerifierKey(k);
    if (!w.ok()) return InvalidArgument("log client: bad witness key: {}", w.status().message());
    c->witnesses_.push_back(std::move(*w));
  }
  if (trust.min_witnesses > c->witnesses_.size()) {
    return InvalidArgument("log client: --min-witnesses {} but only {} witness keys",
                           trust.min_witnesses, c->witnesses_.size());
  }
  c->min_witnesses_ = trust.min_witnesses;
  return c;
}

LogClient::~LogClient() = default;

Result<tlog::SignedCheckpoint> LogClient::OpenCheckpoint(std::string_view note) const {
  if (log_verifier_ == nullptr) return InvalidArgument("log client: no log key configured");
  std::vector<const tlog::NoteVerifier*> ws;
  for (const auto& w : witnesses_) ws.push_back(w.get());
  return tlog::OpenCheckpoint(note, *log_verifier_, ws, min_witnesses_);
}

Result<tlog::SignedCheckpoint> LogClient::GetCheckpoint() {
  MATS_ASSIGN_OR_RETURN(HttpResponse r, http_->Get("/checkpoint"));
  if (r.status != 200) {
    return IoError("log client: GET /checkpoint: status {}: {}", r.status, EscapePreview(r.body));
  }
  if (r.body.size() > tlog::kMaxNoteBytes) {
    return LimitExceeded("log client: checkpoint larger than {} bytes", tlog::kMaxNoteBytes);
  }
  return OpenCheckpoint(r.body);
}

Result<Bytes> LogClient::ReadTile(const tlog::TileId& id) {
  HttpTileReader reader(*http_);
  return reader.ReadTile(id);
}

Result<InclusionResult> LogClient::ProveIndex(uint64_t index, const tlog::SignedCheckpoint& cp) {
  const uint64_t size = cp.checkpoint.size;
  if (index >= size) {
    return InvalidArgument("log client: index {} is not in the tree of size {}", index, size);
  }
  HttpTileReader reader(*http_);
  uint64_t bundle = index / tlog::kTileWidth;
  uint32_t width = WidthAt(bundle, size);
  MATS_ASSIGN_OR_RETURN(Bytes raw, reader.ReadTile(tlog::TileId::Entries(bundle, width)));
  MATS_ASSIGN_OR_RETURN(std::vector<ByteSpan> entries, tlog::ParseEntryBundle(raw, width));
  ByteSpan entry = entries[index % tlog::kTileWidth];
  InclusionResult out;
  out.index = index;
  out.tree_size = size;
  out.entry.assign(entry.begin(), entry.end());
  out.leaf_hash = tlog::Hasher::HashLeaf(entry);
  tlog::TileHashReader hashes(reader, size);
  MATS_ASSIGN_OR_RETURN(out.proof, tlog::ProveInclusion(index, size, hashes));
  MATS_RETURN_IF_ERROR(
      tlog::VerifyInclusion(index, size, out.leaf_hash, out.proof, cp.checkpoint.root));
  return out;
}

Result<InclusionResult> LogClient::ProveLeafHash(const tlog::Hash& leaf_hash,
                                                 const tlog::SignedCheckpoint& cp) {
  const uint64_t size = cp.checkpoint.size;
  std::string path = fmt::format("/api/v1/proof/inclusion?leaf_hash={}&tree_size={}",
                                 tlog::HashHex(leaf_hash), size);
  MATS_ASSIGN_OR_RETURN(HttpResponse r, http_->Get(path));
  if (r.status == 404) {
    return NotFound("log client: leaf hash {} is not in the log at size {}",
                    tlog::HashHex(leaf_hash), size);
  }
  if (r.status != 200) {
    return IoError("log client: GET {}: status {}: {}", path, r.status, EscapePreview(r.body));
  }
  MATS_ASSIGN_OR_RETURN(nlohmann::json doc,
                        ParseJson(r.body, JsonOptions{.max_depth = 4, .what = "inclusion proof"}));
  if (!doc.is_object() || !doc.contains("index") || !doc["index"].is_number_unsigned() ||
      !doc.contains("proof") || !doc["proof"].is_array() ||
      doc["proof"].size() > tlog::kMaxProofHashes) {
    return Malformed(0, "log client: inclusion proof response lacks index/proof");
  }
  InclusionResult out;
  out.index = doc["index"].get<uint64_t>();
  out.tree_size = size;
  out.leaf_hash = leaf_hash;
  for (const nlohmann::json& h : doc["proof"]) {
    if (!h.is_string()) return Malformed(0, "log client: proof hash is not a string");
    MATS_ASSIGN_OR_RETURN(tlog::Hash hash, ParseHexHash(h.get<std::string>(), "proof hash"));
    out.proof.push_back(hash);
  }
  MATS_RETURN_IF_ERROR(
      tlog::VerifyInclusion(out.index, size, leaf_hash, out.proof, cp.checkpoint.root));
  return out;
}

Result<std::vector<tlog::Hash>> LogClient::ProveConsistency(uint64_t old_size,
                                                            const tlog::Hash& old_root,
                                                            const tlog::SignedCheckpoint& cp) {
  const uint64_t size = cp.checkpoint.size;
  if (old_size > size) {
    return VerificationFailed("log client: rollback: log is at size {}, smaller than {} seen before",
                              size, old_size);
  }
  std::vector<tlog::Hash> proof;
  if (old_size != 0 && old_size != size) {
    HttpTileReader reader(*http_);
    tlog::TileHashReader hashes(reader, size);
    MATS_ASSIGN_OR_RETURN(proof, tlog::ProveConsistency(old_size, size, hashes));
  }
  Status s = tlog::VerifyConsistency(old_size, size, proof, old_root, cp.checkpoint.root);
  if (!s.ok()) {
    return VerificationFailed("log client: fork: checkpoint at size {} is not consistent with size {} seen before: {}",
                              size, old_size, s.message());
  }
  return proof;
}

Result<StateCheck> LogClient::VerifyWithState(ClientState& state) {
  MATS_ASSIGN_OR_RETURN(tlog::SignedCheckpoint cp, GetCheckpoint());
  StateCheck out;
  const RememberedCheckpoint* prev = state.Find(cp.checkpoint.origin);
  if (prev != nullptr) {
    out.previous = *prev;
    MATS_RETURN_IF_ERROR(ProveConsistency(prev->size, prev->root, cp).status());
  }
  if (prev == nullptr || cp.checkpoint.size >= prev->size) {
    state.Remember(RememberedCheckpoint{cp.checkpoint.origin, cp.checkpoint.size,
                                        cp.checkpoint.root, cp.note});
  }
  out.current = std::move(cp);
  return out;
}

Result<std::pair<uint64_t, tlog::Hash>> LogClient::Append(std::string_view token,
                                                          const std::string& event_json) {
  MATS_ASSIGN_OR_RETURN(HttpResponse r,
                        http_->Post("/api/v1/entries", event_json, "application/json",
                                    {{"Authorization", "Bearer " + std::string(token)}}));
  if (r.status >= 400 && r.status < 500) {
    return InvalidArgument("log client: append refused ({}): {}", r.status, EscapePreview(r.body, 512));
  }
  if (r.status != 201) {
    return IoError("log client: append failed ({}): {}", r.status, EscapePreview(r.body, 512));
  }
  MATS_ASSIGN_OR_RETURN(nlohmann::json doc,
                        ParseJson(r.body, JsonOptions{.max_depth = 4, .what = "append response"}));
  if (!doc.is_object() || !doc.contains("index") || !doc["index"].is_number_unsigned() ||
      !doc.contains("leaf_hash") || !doc["leaf_hash"].is_string()) {
    return Malformed(0, "log client: append response lacks index/leaf_hash");
  }
  MATS_ASSIGN_OR_RETURN(tlog::Hash leaf, ParseHexHash(doc["leaf_hash"].get<std::string>(), "leaf_hash"));
  return std::make_pair(doc["index"].get<uint64_t>(), leaf);
}

Result<tlog::AuditReport> LogClient::Audit(const tlog::SignedCheckpoint& cp, uint64_t start,
                                           uint64_t end, bool decode_entries) {
  const uint64_t size = cp.checkpoint.size;
  if (end == 0) end = size;
  if (end > size || start > end) {
    return InvalidArgument("log client: audit range [{}, {}) is not inside the tree of size {}",
                           start, end, size);
  }
  HttpTileReader reader(*http_);
  tlog::AuditOptions opts;
  opts.begin = start;
  opts.end = end;
  opts.decode_entries = decode_entries;
  return tlog::AuditLog(reader, cp.checkpoint, opts);
}

}  // namespace mats::server
