#include "mats/core/policy.h"

#include "mats/core/encoding.h"
#include "mats/core/json.h"
#include "mats/core/limits.h"
#include "mats/core/mapped_file.h"

namespace mats {
namespace {

std::string Key(std::string_view domain, std::string_view name) {
  std::string k(domain);
  k.push_back('\0');
  k.append(name);
  return k;
}

}  // namespace

void Policy::Add(PolicyEntry entry) {
  auto& list = entries_[Key(entry.domain, entry.name)];
  for (auto& e : list) {
    if (e.action == entry.action) {
      e = std::move(entry);
      return;
    }
  }
  list.push_back(std::move(entry));
}

void Policy::AddAll(std::span<const PolicyEntry> entries) {
  for (const auto& e : entries) Add(e);
}

PolicyDecision Policy::Lookup(std::string_view domain,
                              std::string_view name) const {
  // Try the full name, then each dotted parent, longest first.
  std::string_view candidate = name;
  bool exact = true;
  for (;;) {
    auto it = entries_.find(Key(domain, candidate));
    if (it != entries_.end()) {
      const PolicyEntry* best = nullptr;
      for (const auto& e : it->second) {
        if (e.exact && !exact) continue;
        if (best == nullptr || e.action == PolicyAction::kDeny) best = &e;
      }
      if (best != nullptr) {
        PolicyDecision d;
        d.kind = best->action == PolicyAction::kDeny
                     ? PolicyDecision::Kind::kDenied
                     : PolicyDecision::Kind::kAllowed;
        d.entry = best;
        d.exact_match = exact;
        return d;
      }
    }
    size_t dot = candidate.rfind('.');
    if (dot == std::string_view::npos) break;
    candidate = candidate.substr(0, dot);
    exact = false;
  }
  return {};
}

Status Policy::LoadFile(const std::string& path) {
  MATS_ASSIGN_OR_RETURN(std::string text, ReadFileToString(path, 16u << 20));
  return LoadJson(text, path);
}

Status Policy::LoadJson(std::string_view text, std::string_view source) {
  JsonOptions opts;
  opts.what = "policy";
  MATS_ASSIGN_OR_RETURN(nlohmann::json doc, ParseJson(text, opts));
  std::string src(source);
  if (!doc.is_object()) return InvalidArgument("policy {}: top level must be an object", src);
  if (!doc.contains("version") || !doc["version"].is_number_integer() ||
      doc["version"].get<int64_t>() != 1) {
    return InvalidArgument("policy {}: \"version\" must be 1", src);
  }
  for (auto it = doc.begin(); it != doc.end(); ++it) {
    if (it.key() != "version" && it.key() != "entries" && it.key() != "description") {
      return InvalidArgument("policy {}: unknown field \"{}\"", src,
                             EscapePreview(it.key(), 64));
    }
  }
  if (!doc.contains("entries") || !doc["entries"].is_array()) {
    return InvalidArgument("policy {}: \"entries\" must be an array", src);
  }
  std::vector<PolicyEntry> parsed;
  size_t index = 0;
  for (const auto& item : doc["entries"]) {
    auto bad = [&](std::string_view why) {
      return InvalidArgument("policy {}: entry {}: {}", src, index, why);
    };
    if (!item.is_object()) return bad("must be an object");
    PolicyEntry e;
    e.source = src;
    for (auto f = item.begin(); f != item.end(); ++f) {
      const std::string& k = f.key();
      if (k == "exact") {
        if (!f->is_boolean()) return bad("\"exact\" must be a boolean");
        e.exact = f->get<bool>();
        continue;
      }
      if (!f->is_string()) return bad(fmt::format("\"{}\" must be a string", EscapePreview(k, 32)));
      const std::string& v = f->get_ref<const std::string&>();
      if (k == "domain") e.domain = v;
      else if (k == "name") e.name = v;
      else if (k == "category") e.category = v;
      else if (k == "reason") e.reason = v;
      else if (k == "action") {
        if (v == "allow") e.action = PolicyAction::kAllow;
        else if (v == "deny") e.action = PolicyAction::kDeny;
        else return bad("\"action\" must be \"allow\" or \"deny\"");
      } else if (k == "severity") {
        auto s = ParseSeverity(v);
        if (!s.ok()) return bad(s.status().message());
        e.severity = *s;
      } else {
        return bad(fmt::format("unknown field \"{}\"", EscapePreview(k, 32)));
      }
    }
    if (e.domain.empty() || e.name.empty()) return bad("\"domain\" and \"name\" are required");
    if (!item.contains("action")) return bad("\"action\" is required");
    parsed.push_back(std::move(e));
    ++index;
  }
  for (auto& e : parsed) Add(std::move(e));
  return Status::Ok();
}

Status Policy::AddFromFlag(std::string_view value, PolicyAction action) {
  size_t colon = value.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == value.size()) {
    return InvalidArgument("'{}': want domain:name[=severity], e.g. pickle:mylib.Model",
                           EscapePreview(value, 64));
  }
  PolicyEntry e;
  e.domain = std::string(value.substr(0, colon));
  std::string_view rest = value.substr(colon + 1);
  size_t eq = rest.find('=');
  if (eq != std::string_view::npos) {
    if (action != PolicyAction::kDeny) {
      return InvalidArgument("'{}': a severity is only meaningful with --deny",
                             EscapePreview(value, 64));
    }
    MATS_ASSIGN_OR_RETURN(e.severity, ParseSeverity(rest.substr(eq + 1)));
    rest = rest.substr(0, eq);
  }
  if (rest.empty()) return InvalidArgument("'{}': empty name", EscapePreview(value, 64));
  e.name = std::string(rest);
  e.action = action;
  e.source = "cli";
  e.reason = action == PolicyAction::kAllow ? "allowed on the command line"
                                            : "denied on the command line";
  Add(std::move(e));
  return Status::Ok();
}

std::vector<const PolicyEntry*> Policy::Entries() const {
  std::vector<const PolicyEntry*> out;
  for (const auto& [key, list] : entries_) {
    for (const auto& e : list) out.push_back(&e);
  }
  return out;
}

}  // namespace mats
