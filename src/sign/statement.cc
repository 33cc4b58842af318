// In-toto Statement v1 with the OMS predicate: building and strict parsing.
#include <openssl/crypto.h>

#include <cmath>
#include <set>

#include "mats/core/encoding.h"
#include "mats/core/json.h"
#include "mats/sign/bundle.h"

namespace mats::sign {

using hash::HashAlgorithm;
using hash::Manifest;
using hash::Method;
using hash::Resource;
using nlohmann::json;

std::string BuildStatement(const Manifest& m) {
  json ser = {{"method", hash::MethodName(m.method)},
              {"hash_type", hash::HashAlgorithmName(m.algorithm)},
              {"allow_symlinks", m.allow_symlinks}};
  if (m.method == Method::kShards) ser["shard_size"] = m.shard_size;
  ser["ignore_paths"] = m.ignore_paths;
  std::string alg = hash::ResourceAlgorithm(m.method, m.algorithm, m.shard_size);
  json res = json::array();
  for (const Resource& r : m.resources)
    res.push_back({{"name", r.Name()}, {"algorithm", alg}, {"digest", HexEncode(r.digest)}});
  json st = {
      {"_type", kStatementType},
      {"subject",
       json::array({{{"name", m.model_name},
                     {"digest", {{"sha256", HexEncode(hash::RootDigest(m.resources))}}}}})},
      {"predicateType", kPredicateType},
      {"predicate", {{"serialization", ser}, {"resources", res}}}};
  return DumpJson(st);
}

namespace {

Result<const json*> Field(const json& obj, std::string_view key, std::string_view where) {
  auto it = obj.find(key);
  if (it == obj.end()) return Malformed(0, "statement: {} lacks \"{}\"", where, key);
  return &*it;
}

Result<std::string> StringField(const json& obj, std::string_view key, std::string_view where) {
  MATS_ASSIGN_OR_RETURN(const json* v, Field(obj, key, where));
  if (!v->is_string()) return Malformed(0, "statement: {}.{} is not a string", where, key);
  return v->get<std::string>();
}

Result<uint64_t> ShardSize(const json& v) {
  uint64_t out = 0;
  if (v.is_number_unsigned()) {
    out = v.get<uint64_t>();
  } else if (v.is_number_float()) {
    double d = v.get<double>();
    if (!(d >= 0) || d > 1e15 || std::floor(d) != d)
      return Malformed(0, "statement: shard_size {} is not an integer", d);
    out = static_cast<uint64_t>(d);
  } else {
    return Malformed(0, "statement: shard_size is not a positive number");
  }
  if (out < hash::kMinShardSize || out > hash::kMaxShardSize)
    return Malformed(0, "statement: shard_size {} outside [{}, {}]", out, hash::kMinShardSize,
                     hash::kMaxShardSize);
  return out;
}

Result<Bytes> Digest(const json& v, size_t want, std::string_view what) {
  if (!v.is_string()) return Malformed(0, "statement: digest of {} is not a string", what);
  const std::string& s = v.get_ref<const std::string&>();
  auto d = HexDecode(s);
  if (!d.ok() || d->size() != want)
    return Malformed(0, "statement: digest of {} is not {} bytes of hex", what, want);
  return std::move(d).value();
}

Result<SignedStatement> ParseLegacy(const json& st, const Limits& limits) {
  SignedStatement out;
  out.legacy = true;
  out.manifest.method = Method::kFiles;
  out.warnings.push_back(
      "legacy predicate https://model_signing/Digests/v0.1 (model_signing 0.2): one subject per "
      "file, no serialization parameters");
  const json& subjects = st["subject"];
  if (subjects.size() > limits.max_files)
    return LimitExceeded("statement: {}", LimitMessage("max_files", limits.max_files));
  std::set<std::string> seen;
  for (const json& s : subjects) {
    if (!s.is_object()) return Malformed(0, "statement: subject is not an object");
    MATS_ASSIGN_OR_RETURN(std::string name, StringField(s, "name", "subject"));
    MATS_ASSIGN_OR_RETURN(const json* dig, Field(s, "digest", "subject"));
    if (!dig->is_object() || !dig->contains("sha256"))
      return Malformed(0, "statement: subject digest lacks sha256");
    MATS_ASSIGN_OR_RETURN(Resource r, hash::ParseResourceName(name, false));
    MATS_ASSIGN_OR_RETURN(r.digest, Digest((*dig)["sha256"], 32, EscapePreview(name)));
    if (!seen.insert(name).second)
      return Malformed(0, "statement: duplicate subject \"{}\"", EscapePreview(name));
    out.manifest.resources.push_back(std::move(r));
  }
  out.root_digest = hash::RootDigest(out.manifest.resources);
  return out;
}

}  // namespace

Result<SignedStatement> ParseStatement(ByteSpan payload, const Limits& limits) {
  if (payload.size() > limits.max_json_bytes)
    return LimitExceeded("statement: {}", LimitMessage("max_json_bytes", limits.max_json_bytes));
  MATS_ASSIGN_OR_RETURN(json st, ParseJson(AsChars(payload), {.max_depth = 16, .what = "statement"}));
  if (!st.is_object()) return Malformed(0, "statement: not a JSON object");
  MATS_ASSIGN_OR_RETURN(std::string type, StringField(st, "_type", "statement"));
  if (type != kStatementType)
    return Unsupported("statement: _type \"{}\" is not {}", EscapePreview(type), kStatementType);
  MATS_ASSIGN_OR_RETURN(std::string ptype, StringField(st, "predicateType", "statement"));
  MATS_ASSIGN_OR_RETURN(const json* subjects, Field(st, "subject", "statement"));
  if (!subjects->is_array() || subjects->empty())
    return Malformed(0, "statement: subject is not a non-empty array");
  if (ptype == kLegacyPredicateType) return ParseLegacy(st, limits);
  if (ptype != kPredicateType)
    return Unsupported("statement: predicateType \"{}\" is not {}", EscapePreview(ptype),
                       kPredicateType);

  SignedStatement out;
  if (subjects->size() != 1)
    return Malformed(0, "statement: {} subjects, want exactly 1", subjects->size());
  const json& subj = (*subjects)[0];
  if (!subj.is_object()) return Malformed(0, "statement: subject is not an object");
  if (subj.contains("name") && subj["name"].is_string())
    out.subject_name = subj["name"].get<std::string>();
  MATS_ASSIGN_OR_RETURN(const json* sdig, Field(subj, "digest", "subject"));
  if (!sdig->is_object() || !sdig->contains("sha256"))
    return Malformed(0, "statement: subject digest lacks sha256");
  MATS_ASSIGN_OR_RETURN(out.root_digest, Digest((*sdig)["sha256"], 32, "subject"));

  MATS_ASSIGN_OR_RETURN(const json* pred, Field(st, "predicate", "statement"));
  if (!pred->is_object()) return Malformed(0, "statement: predicate is not an object");
  for (auto& [k, v] : pred->items())
    if (k != "serialization" && k != "resources")
      out.unknown_fields.push_back("predicate." + EscapePreview(k));
  MATS_ASSIGN_OR_RETURN(const json* ser, Field(*pred, "serialization", "predicate"));
  if (!ser->is_object()) return Malformed(0, "statement: serialization is not an object");
  for (auto& [k, v] : ser->items())
    if (k != "method" && k != "hash_type" && k != "allow_symlinks" && k != "shard_size" &&
        k != "ignore_paths")
      out.unknown_fields.push_back("predicate.serialization." + EscapePreview(k));

  Manifest& m = out.manifest;
  m.model_name = out.subject_name;
  MATS_ASSIGN_OR_RETURN(std::string method, StringField(*ser, "method", "serialization"));
  MATS_ASSIGN_OR_RETURN(m.method, hash::ParseMethod(method));
  MATS_ASSIGN_OR_RETURN(std::string htype, StringField(*ser, "hash_type", "serialization"));
  MATS_ASSIGN_OR_RETURN(m.algorithm, hash::ParseHashAlgorithm(htype));
  MATS_ASSIGN_OR_RETURN(const json* sym, Field(*ser, "allow_symlinks", "serialization"));
  if (!sym->is_boolean()) return Malformed(0, "statement: allow_symlinks is not a boolean");
  m.allow_symlinks = sym->get<bool>();
  if (m.method == Method::kShards) {
    MATS_ASSIGN_OR_RETURN(const json* ss, Field(*ser, "shard_size", "serialization"));
    MATS_ASSIGN_OR_RETURN(m.shard_size, ShardSize(*ss));
  }
  if (ser->contains("ignore_paths")) {
    out.ignore_paths_present = true;
    const json& ig = (*ser)["ignore_paths"];
    if (!ig.is_array()) return Malformed(0, "statement: ignore_paths is not an array");
    if (ig.size() > 10'000) return LimitExceeded("statement: more than 10000 ignore_paths");
    for (const json& p : ig) {
      if (!p.is_string()) return Malformed(0, "statement: ignore_paths entry is not a string");
      m.ignore_paths.push_back(p.get<std::string>());
    }
  }

  MATS_ASSIGN_OR_RETURN(const json* res, Field(*pred, "resources", "predicate"));
  if (!res->is_array()) return Malformed(0, "statement: resources is not an array");
  if (res->size() > limits.max_files)
    return LimitExceeded("statement: {} resources: {}", res->size(),
                         LimitMessage("max_files", limits.max_files));
  std::string want_alg = hash::ResourceAlgorithm(m.method, m.algorithm, m.shard_size);
  size_t dlen = hash::DigestSize(m.algorithm);
  bool sharded = m.method == Method::kShards;
  std::set<std::string> names;
  bool warned_alg = false, warned_colon = false, unknown_res = false;
  for (const json& e : *res) {
    if (!e.is_object()) return Malformed(0, "statement: resource is not an object");
    for (auto& [k, v] : e.items())
      if (k != "name" && k != "algorithm" && k != "digest" && !unknown_res) {
        unknown_res = true;
        out.unknown_fields.push_back("predicate.resources[]." + EscapePreview(k));
      }
    MATS_ASSIGN_OR_RETURN(std::string name, StringField(e, "name", "resource"));
    MATS_ASSIGN_OR_RETURN(std::string alg, StringField(e, "algorithm", "resource"));
    if (alg != want_alg) {
      if (sharded && alg == htype) {
        if (!warned_alg)
          out.warnings.push_back("shard resources use algorithm \"" + htype +
                                 "\" without -sharded-N (spec draft form)");
        warned_alg = true;
      } else {
        return Malformed(0, "statement: resource \"{}\" has algorithm \"{}\", want \"{}\"",
                         EscapePreview(name), EscapePreview(alg), want_alg);
      }
    }
    MATS_ASSIGN_OR_RETURN(Resource r, hash::ParseResourceName(name, sharded));
    if (sharded) {
      if (r.end - r.start > m.shard_size || r.start % m.shard_size != 0)
        return Malformed(0, "statement: shard \"{}\" does not match shard_size {}",
                         EscapePreview(name), m.shard_size);
      if (r.path.find(':') != std::string::npos && !warned_colon) {
        warned_colon = true;
        out.warnings.push_back("':' in a shard file name: the reference verifier cannot parse it");
      }
    }
    MATS_ASSIGN_OR_RETURN(r.digest, Digest(e.contains("digest") ? e["digest"] : json(), dlen,
                                           EscapePreview(name)));
    if (!names.insert(r.Name()).second)
      return Malformed(0, "statement: duplicate resource \"{}\"", EscapePreview(name));
    m.resources.push_back(std::move(r));
  }
  Bytes root = hash::RootDigest(m.resources);
  if (CRYPTO_memcmp(root.data(), out.root_digest.data(), 32) != 0)
    return VerificationFailed(
        "statement: subject digest {} does not match the root digest {} of the listed resources",
        HexEncode(out.root_digest), HexEncode(root));
  return out;
}

}  // namespace mats::sign
