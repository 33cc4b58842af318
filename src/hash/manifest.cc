#include "mats/hash/manifest.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <algorithm>
#include <charconv>
#include <map>
#include <memory>

#include "mats/core/encoding.h"
#include "mats/core/json.h"

namespace mats::hash {

std::string_view HashAlgorithmName(HashAlgorithm a) {
  return a == HashAlgorithm::kSha256 ? "sha256" : "blake2b";
}

Result<HashAlgorithm> ParseHashAlgorithm(std::string_view name) {
  if (name == "sha256") return HashAlgorithm::kSha256;
  if (name == "blake2b") return HashAlgorithm::kBlake2b;
  return Unsupported("hash: unsupported hash_type \"{}\": want sha256 or blake2b",
                     EscapePreview(name));
}

size_t DigestSize(HashAlgorithm a) {
  return a == HashAlgorithm::kSha256 ? 32 : 64;
}

std::string_view MethodName(Method m) {
  return m == Method::kFiles ? "files" : "shards";
}

Result<Method> ParseMethod(std::string_view name) {
  if (name == "files") return Method::kFiles;
  if (name == "shards") return Method::kShards;
  return Unsupported("hash: unsupported serialization method \"{}\": want files or shards",
                     EscapePreview(name));
}

std::string Resource::Name() const {
  if (!sharded) return path;
  return fmt::format("{}:{}:{}", path, start, end);
}

Status ValidateRelativePath(std::string_view path, bool allow_dot) {
  if (path.empty()) return Malformed(0, "hash: empty resource path");
  if (allow_dot && path == ".") return Status::Ok();
  if (path.find('\0') != std::string_view::npos)
    return Malformed(0, "hash: NUL in path \"{}\"", EscapePreview(path));
  if (!IsValidUtf8(path))
    return Malformed(0, "hash: path \"{}\" is not valid UTF-8", EscapePreview(path));
  if (path.front() == '/')
    return Malformed(0, "hash: absolute path \"{}\" escapes the model folder",
                     EscapePreview(path));
  size_t pos = 0;
  while (pos <= path.size()) {
    size_t slash = path.find('/', pos);
    if (slash == std::string_view::npos) slash = path.size();
    std::string_view comp = path.substr(pos, slash - pos);
    if (comp.empty() || comp == ".")
      return Malformed(0, "hash: path \"{}\" is not normalised", EscapePreview(path));
    if (comp == "..")
      return Malformed(0, "hash: path \"{}\" escapes the model folder",
                       EscapePreview(path));
    pos = slash + 1;
  }
  return Status::Ok();
}

namespace {
Result<uint64_t> ParseU64(std::string_view s, std::string_view whole) {
  uint64_t v = 0;
  if (s.empty() || s.size() > 20 || (s.size() > 1 && s[0] == '0'))
    return Malformed(0, "hash: bad shard bounds in \"{}\"", EscapePreview(whole));
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size())
    return Malformed(0, "hash: bad shard bounds in \"{}\"", EscapePreview(whole));
  return v;
}
}  // namespace

Result<Resource> ParseResourceName(std::string_view name, bool sharded) {
  Resource r;
  if (!sharded) {
    MATS_RETURN_IF_ERROR(ValidateRelativePath(name, /*allow_dot=*/true));
    r.path = std::string(name);
    return r;
  }
  size_t c2 = name.rfind(':');
  if (c2 == std::string_view::npos || c2 == 0)
    return Malformed(0, "hash: shard name \"{}\" lacks :start:end", EscapePreview(name));
  size_t c1 = name.rfind(':', c2 - 1);
  if (c1 == std::string_view::npos)
    return Malformed(0, "hash: shard name \"{}\" lacks :start:end", EscapePreview(name));
  MATS_ASSIGN_OR_RETURN(r.start, ParseU64(name.substr(c1 + 1, c2 - c1 - 1), name));
  MATS_ASSIGN_OR_RETURN(r.end, ParseU64(name.substr(c2 + 1), name));
  if (r.end <= r.start)
    return Malformed(0, "hash: shard \"{}\" is empty or reversed", EscapePreview(name));
  std::string_view path = name.substr(0, c1);
  MATS_RETURN_IF_ERROR(ValidateRelativePath(path, /*allow_dot=*/true));
  r.path = std::string(path);
  r.sharded = true;
  return r;
}

int ComparePaths(std::string_view a, std::string_view b) {
  size_t i = 0, j = 0;
  for (;;) {
    bool a_end = i > a.size(), b_end = j > b.size();
    if (a_end || b_end) return a_end == b_end ? 0 : (a_end ? -1 : 1);
    size_t ai = a.find('/', i);
    if (ai == std::string_view::npos) ai = a.size();
    size_t bj = b.find('/', j);
    if (bj == std::string_view::npos) bj = b.size();
    std::string_view ca = a.substr(i, ai - i), cb = b.substr(j, bj - j);
    // std::string_view compares chars; compare as unsigned bytes.
    size_t n = std::min(ca.size(), cb.size());
    for (size_t k = 0; k < n; ++k) {
      auto x = static_cast<unsigned char>(ca[k]);
      auto y = static_cast<unsigned char>(cb[k]);
      if (x != y) return x < y ? -1 : 1;
    }
    if (ca.size() != cb.size()) return ca.size() < cb.size() ? -1 : 1;
    i = ai + 1;
    j = bj + 1;
  }
}

bool CanonicalLess(const Resource& a, const Resource& b) {
  int c = ComparePaths(a.path, b.path);
  if (c != 0) return c < 0;
  if (a.start != b.start) return a.start < b.start;
  return a.end < b.end;
}

void SortCanonical(std::vector<Resource>& resources) {
  std::sort(resources.begin(), resources.end(), CanonicalLess);
}

std::string ResourceAlgorithm(Method m, HashAlgorithm a, uint64_t shard_size) {
  if (m == Method::kFiles) return std::string(HashAlgorithmName(a));
  return fmt::format("{}-sharded-{}", HashAlgorithmName(a), shard_size);
}

Bytes RootDigest(const std::vector<Resource>& resources) {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(),
                                                               EVP_MD_CTX_free);
  Bytes out(32);
  unsigned int len = 0;
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1) std::abort();
  for (const Resource& r : resources)
    EVP_DigestUpdate(ctx.get(), r.digest.data(), r.digest.size());
  EVP_DigestFinal_ex(ctx.get(), out.data(), &len);
  return out;
}

ManifestDiff CompareManifests(const std::vector<Resource>& expected,
                              const std::vector<Resource>& actual) {
  ManifestDiff diff;
  std::map<std::string, const Resource*> act;
  for (const Resource& r : actual) act.emplace(r.Name(), &r);
  std::vector<Resource> missing, extra;
  std::vector<std::pair<Resource, Bytes>> changed;
  std::map<std::string, bool> seen;
  for (const Resource& e : expected) {
    std::string name = e.Name();
    seen[name] = true;
    auto it = act.find(name);
    if (it == act.end()) {
      missing.push_back(e);
      continue;
    }
    const Bytes& a = it->second->digest;
    if (a.size() != e.digest.size() ||
        CRYPTO_memcmp(a.data(), e.digest.data(), a.size()) != 0) {
      changed.emplace_back(e, a);
    }
  }
  for (const Resource& a : actual)
    if (!seen.count(a.Name())) extra.push_back(a);
  SortCanonical(missing);
  SortCanonical(extra);
  std::sort(changed.begin(), changed.end(),
            [](const auto& x, const auto& y) { return CanonicalLess(x.first, y.first); });
  for (auto& r : missing) diff.missing.push_back(r.Name());
  for (auto& r : extra) diff.extra.push_back(r.Name());
  for (auto& [r, a] : changed) diff.changed.push_back({r.Name(), r.digest, a});
  return diff;
}

std::string ManifestToJson(const Manifest& m, int indent) {
  nlohmann::json ser = {{"method", MethodName(m.method)},
                        {"hash_type", HashAlgorithmName(m.algorithm)},
                        {"allow_symlinks", m.allow_symlinks},
                        {"ignore_paths", m.ignore_paths}};
  if (m.method == Method::kShards) ser["shard_size"] = m.shard_size;
  nlohmann::json res = nlohmann::json::array();
  std::string alg = ResourceAlgorithm(m.method, m.algorithm, m.shard_size);
  for (const Resource& r : m.resources)
    res.push_back({{"name", r.Name()}, {"algorithm", alg}, {"digest", HexEncode(r.digest)}});
  nlohmann::json j = {{"model_name", m.model_name},
                      {"serialization", ser},
                      {"root_digest", HexEncode(RootDigest(m.resources))},
                      {"total_bytes", m.total_bytes},
                      {"resources", res}};
  return DumpJson(j, indent);
}

}  // namespace mats::hash
