#include "mats/hash/cache.h"

#include "mats/core/encoding.h"
#include "mats/core/json.h"
#include "mats/core/mapped_file.h"

namespace mats::hash {

namespace {
constexpr uint64_t kMaxCacheBytes = 256ull << 20;
constexpr std::string_view kCacheVersion = "mats-hash-cache/1";
}  // namespace

std::string CacheKey::Encode() const {
  return fmt::format("{}|{}|{}|{}|{}|{}|{}", algorithm, start, end, size,
                     mtime_ns, inode, path);
}

HashCache::HashCache(HashCache&& other) noexcept {
  MutexLock lock(&other.mu_);
  MutexLock self(&mu_);  // not shared yet; taken for the thread-safety analysis
  entries_ = std::move(other.entries_);
  hits_ = other.hits_;
}

Result<HashCache> HashCache::Load(const std::string& path) {
  HashCache cache;
  auto text = ReadFileToString(path, kMaxCacheBytes);
  if (!text.ok()) {
    if (text.status().code() == ErrorCode::kNotFound) return cache;
    return text.status();
  }
  MATS_ASSIGN_OR_RETURN(nlohmann::json doc,
                        ParseJson(*text, {.max_depth = 8, .what = "hash cache"}));
  if (!doc.is_object() || !doc.contains("version") || doc["version"] != kCacheVersion ||
      !doc.contains("entries") || !doc["entries"].is_object())
    return Malformed(0, "hash cache: {} is not a {} file", EscapePreview(path),
                     kCacheVersion);
  std::map<std::string, Bytes> entries;
  for (auto& [k, v] : doc["entries"].items()) {
    if (!v.is_string()) return Malformed(0, "hash cache: entry is not a string");
    MATS_ASSIGN_OR_RETURN(Bytes d, HexDecode(v.get<std::string>()));
    if (d.size() != 32 && d.size() != 64)
      return Malformed(0, "hash cache: digest has {} bytes", d.size());
    entries[k] = std::move(d);
  }
  {
    MutexLock lock(&cache.mu_);
    cache.entries_ = std::move(entries);
  }
  return cache;
}

Status HashCache::Save(const std::string& path) const {
  nlohmann::json entries = nlohmann::json::object();
  {
    MutexLock lock(&mu_);
    for (const auto& [k, v] : entries_) entries[k] = HexEncode(v);
  }
  nlohmann::json doc = {{"version", kCacheVersion}, {"entries", entries}};
  return WriteFileAtomic(path, DumpJson(doc, 1));
}

std::optional<Bytes> HashCache::Lookup(const CacheKey& key) const {
  MutexLock lock(&mu_);
  auto it = entries_.find(key.Encode());
  if (it == entries_.end()) return std::nullopt;
  ++hits_;
  return it->second;
}

void HashCache::Insert(const CacheKey& key, const Bytes& digest) {
  MutexLock lock(&mu_);
  entries_[key.Encode()] = digest;
}

size_t HashCache::size() const {
  MutexLock lock(&mu_);
  return entries_.size();
}

uint64_t HashCache::hits() const {
  MutexLock lock(&mu_);
  return hits_;
}

}  // namespace mats::hash
