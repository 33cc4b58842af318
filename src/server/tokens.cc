#include "mats/server/tokens.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "mats/core/encoding.h"
#include "mats/core/json.h"
#include "mats/core/mapped_file.h"

namespace mats::server {

namespace {

constexpr uint64_t kMaxTokenFileBytes = 4 << 20;
constexpr size_t kMaxTokens = 10'000;
constexpr size_t kMaxPresentedToken = 256;

bool ValidName(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  auto alnum = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  };
  if (!alnum(name[0])) return false;
  return std::all_of(name.begin(), name.end(), [&](char c) {
    return alnum(c) || c == '.' || c == '_' || c == '-';
  });
}

bool ValidHex64(std::string_view s) {
  if (s.size() != 64) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
  });
}

}  // namespace

std::string_view ScopeName(Scope scope) {
  switch (scope) {
    case Scope::kAppend: return "append";
    case Scope::kAdmin: return "admin";
    case Scope::kRead: return "read";
  }
  return "unknown";
}

Result<Scope> ParseScope(std::string_view name) {
  for (Scope s : {Scope::kAppend, Scope::kAdmin, Scope::kRead}) {
    if (ScopeName(s) == name) return s;
  }
  return InvalidArgument("tokens: unknown scope \"{}\" (want append, admin or read)",
                         EscapePreview(name));
}

bool TokenInfo::HasScope(Scope scope) const {
  return std::any_of(scopes.begin(), scopes.end(), [scope](Scope s) {
    return s == scope || s == Scope::kAdmin;
  });
}

std::string Sha256Hex(std::string_view data) {
  std::array<uint8_t, 32> digest{};
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), digest.data(), &len, EVP_sha256(),
             nullptr);
  return HexEncode(ByteSpan(digest.data(), digest.size()));
}

Result<TokenStore> TokenStore::Parse(std::string_view json_text) {
  MATS_ASSIGN_OR_RETURN(nlohmann::json doc,
                        ParseJson(json_text, JsonOptions{.max_depth = 8,
                                                         .what = "tokens"}));
  if (!doc.is_object() || !doc.contains("version") ||
      !doc["version"].is_number_unsigned() || doc["version"] != 1) {
    return Malformed(0, "tokens: want an object with \"version\": 1");
  }
  if (!doc.contains("tokens") || !doc["tokens"].is_array()) {
    return Malformed(0, "tokens: missing \"tokens\" array");
  }
  if (doc["tokens"].size() > kMaxTokens) {
    return LimitExceeded("tokens: more than {} tokens", kMaxTokens);
  }
  TokenStore store;
  size_t i = 0;
  for (const nlohmann::json& t : doc["tokens"]) {
    if (!t.is_object() || !t.contains("name") || !t["name"].is_string() ||
        !t.contains("sha256") || !t["sha256"].is_string() ||
        !t.contains("scopes") || !t["scopes"].is_array()) {
      return Malformed(0, "tokens: entry {} needs name, sha256 and scopes", i);
    }
    TokenInfo info;
    info.name = t["name"].get<std::string>();
    info.sha256_hex = t["sha256"].get<std::string>();
    if (!ValidName(info.name)) {
      return Malformed(0, "tokens: entry {}: bad name \"{}\"", i,
                       EscapePreview(info.name));
    }
    if (!ValidHex64(info.sha256_hex)) {
      return Malformed(0, "tokens: entry {}: sha256 is not 64 lowercase hex digits", i);
    }
    for (const nlohmann::json& s : t["scopes"]) {
      if (!s.is_string()) return Malformed(0, "tokens: entry {}: scope is not a string", i);
      Result<Scope> scope = ParseScope(s.get<std::string>());
      if (!scope.ok()) {
        return Malformed(0, "tokens: entry {}: {}", i, scope.status().message());
      }
      info.scopes.push_back(*scope);
    }
    if (info.scopes.empty()) return Malformed(0, "tokens: entry {}: no scopes", i);
    for (const TokenInfo& other : store.tokens_) {
      if (other.name == info.name) {
        return Malformed(0, "tokens: duplicate name \"{}\"", info.name);
      }
    }
    store.tokens_.push_back(std::move(info));
    ++i;
  }
  return store;
}

Result<TokenStore> TokenStore::Load(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 && errno == ENOENT) return TokenStore();
  MATS_ASSIGN_OR_RETURN(std::string text, ReadFileToString(path, kMaxTokenFileBytes));
  Result<TokenStore> store = Parse(text);
  if (!store.ok()) return store.status().WithContext(path);
  return store;
}

std::string TokenStore::Serialize() const {
  nlohmann::json arr = nlohmann::json::array();
  for (const TokenInfo& t : tokens_) {
    nlohmann::json scopes = nlohmann::json::array();
    for (Scope s : t.scopes) scopes.push_back(std::string(ScopeName(s)));
    arr.push_back({{"name", t.name}, {"sha256", t.sha256_hex}, {"scopes", scopes}});
  }
  nlohmann::json doc = {{"version", 1}, {"tokens", arr}};
  return DumpJson(doc, 2) + "\n";
}

Status TokenStore::Save(const std::string& path) const {
  std::error_code ec;
  std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (!parent.empty() && !std::filesystem::exists(parent, ec)) {
    std::filesystem::create_directories(parent, ec);
    if (ec) return IoError("tokens: cannot create {}: {}", parent.string(), ec.message());
  }
  MATS_RETURN_IF_ERROR(WriteFileAtomic(path, Serialize()));
  if (::chmod(path.c_str(), 0600) != 0) return ErrnoError(errno, "chmod " + path);
  return Status::Ok();
}

Result<std::string> TokenStore::Add(std::string_view name, std::vector<Scope> scopes) {
  if (!ValidName(name)) {
    return InvalidArgument("tokens: bad name \"{}\" (want 1-64 of [A-Za-z0-9._-], starting alphanumeric)",
                           EscapePreview(name));
  }
  if (scopes.empty()) return InvalidArgument("tokens: a token needs at least one scope");
  for (const TokenInfo& t : tokens_) {
    if (t.name == name) return InvalidArgument("tokens: name \"{}\" already exists", name);
  }
  std::array<uint8_t, 32> raw{};
  if (RAND_bytes(raw.data(), static_cast<int>(raw.size())) != 1) {
    return Internal("tokens: RAND_bytes failed");
  }
  std::string token = "mats_" + Base64UrlEncode(ByteSpan(raw.data(), raw.size()));
  OPENSSL_cleanse(raw.data(), raw.size());
  std::sort(scopes.begin(), scopes.end());
  scopes.erase(std::unique(scopes.begin(), scopes.end()), scopes.end());
  tokens_.push_back(TokenInfo{std::string(name), Sha256Hex(token), std::move(scopes)});
  return token;
}

Status TokenStore::Remove(std::string_view name) {
  auto it = std::find_if(tokens_.begin(), tokens_.end(),
                         [&](const TokenInfo& t) { return t.name == name; });
  if (it == tokens_.end()) return NotFound("tokens: no token named \"{}\"", EscapePreview(name));
  tokens_.erase(it);
  return Status::Ok();
}

const TokenInfo* TokenStore::Authenticate(std::string_view presented, Scope scope) const {
  if (presented.empty() || presented.size() > kMaxPresentedToken) return nullptr;
  std::string digest = Sha256Hex(presented);
  const TokenInfo* found = nullptr;
  for (const TokenInfo& t : tokens_) {
    // Compare every entry in constant time; do not stop at the first match.
    if (CRYPTO_memcmp(t.sha256_hex.data(), digest.data(), digest.size()) == 0) {
      found = &t;
    }
  }
  if (found == nullptr || !found->HasScope(scope)) return nullptr;
  return found;
}

}  // namespace mats::server
