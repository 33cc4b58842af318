// API tokens for the log server's write endpoints, hashed at rest.
//
// A token is "mats_" + base64url(32 random bytes) (256 bits of entropy). The
// server stores only SHA-256(token) in hex, with a name, a set of scopes,
// and derives the opaque actor id recorded in appended entries from the hash. Because the
// tokens are high-entropy random strings, a plain SHA-256 is enough: there is
// nothing to brute-force, and a stolen token file gives no usable token.
//
//   MATS_ASSIGN_OR_RETURN(TokenStore store, TokenStore::Load(path));
//   MATS_ASSIGN_OR_RETURN(std::string token,
//                         store.Add("ci-bot", {Scope::kAppend}));
//   MATS_RETURN_IF_ERROR(store.Save(path));
//   const TokenInfo* who = store.Authenticate(token, Scope::kAppend);
//
// File format (JSON, written atomically):
//   {"version":1,"tokens":[{"name":"ci-bot","sha256":"<64 hex>",
//                            "scopes":["append"]}]}
#ifndef MATS_SERVER_TOKENS_H_
#define MATS_SERVER_TOKENS_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "mats/core/result.h"
#include "mats/core/status.h"

namespace mats::server {

enum class Scope : uint8_t {
  kAppend,  // POST /api/v1/entries
  kAdmin,   // administrative endpoints; implies every other scope
  kRead,    // reads when the server is not public
};

std::string_view ScopeName(Scope scope);
// kInvalidArgument for an unknown name.
Result<Scope> ParseScope(std::string_view name);

struct TokenInfo {
  std::string name;        // [A-Za-z0-9][A-Za-z0-9._-]{0,63}, unique in the store
  std::string sha256_hex;  // SHA-256 of the token, lowercase hex
  std::vector<Scope> scopes;

  bool HasScope(Scope scope) const;
  // Opaque actor id recorded in appended log entries: "tok:" + the first 16
  // hex digits of the token hash (no personal data; the token file maps it
  // back to the name for administrators).
  std::string ActorId() const { return "tok:" + sha256_hex.substr(0, 16); }
};

class TokenStore {
 public:
  TokenStore() = default;

  // Loads `path`; a missing file gives an empty store. kMalformed for a bad
  // file (names the field), kIo for read errors.
  static Result<TokenStore> Load(const std::string& path);
  static Result<TokenStore> Parse(std::string_view json_text);

  // Writes the store to `path` atomically, mode 0600.
  Status Save(const std::string& path) const;
  std::string Serialize() const;

  // Creates a new random token for `name` with `scopes` and returns it (the
  // only time the clear token exists). kInvalidArgument for a bad or
  // duplicate name or empty scopes.
  Result<std::string> Add(std::string_view name, std::vector<Scope> scopes);
  // kNotFound when no token has that name.
  Status Remove(std::string_view name);

  // The token entry whose hash matches `presented` and that has `scope`
  // (kAdmin grants every scope), or nullptr. Constant-time hash comparison.
  // The returned pointer is valid until the store is modified.
  const TokenInfo* Authenticate(std::string_view presented, Scope scope) const;

  const std::vector<TokenInfo>& tokens() const { return tokens_; }

 private:
  std::vector<TokenInfo> tokens_;
};

// Lowercase hex SHA-256 of `data`.
std::string Sha256Hex(std::string_view data);

}  // namespace mats::server

#endif  // MATS_SERVER_TOKENS_H_
