// The adapter between nlohmann-json (which throws) and mats Status values.
#include "mats/core/json.h"

#include <set>
#include <vector>

#include "mats/core/encoding.h"
#include "mats/core/limits.h"

namespace mats {
namespace {

struct DuplicateKey {
  std::string key;
};
struct TooDeep {};

}  // namespace

Result<nlohmann::json> ParseJson(std::string_view text,
                                 const JsonOptions& options) {
  if (!IsValidUtf8(text)) {
    return Malformed(0, "{}: invalid utf-8", options.what);
  }
  std::vector<std::set<std::string>> keys;
  auto callback = [&](int depth, nlohmann::json::parse_event_t event,
                      nlohmann::json& parsed) -> bool {
    using E = nlohmann::json::parse_event_t;
    if (static_cast<uint32_t>(depth) > options.max_depth) throw TooDeep{};
    switch (event) {
      case E::object_start:
        if (options.reject_duplicate_keys) keys.emplace_back();
        break;
      case E::object_end:
        if (options.reject_duplicate_keys && !keys.empty()) keys.pop_back();
        break;
      case E::key:
        if (options.reject_duplicate_keys && !keys.empty()) {
          const auto& k = parsed.get_ref<const std::string&>();
          if (!keys.back().insert(k).second) throw DuplicateKey{k};
        }
        break;
      default:
        break;
    }
    return true;
  };
  try {
    return nlohmann::json::parse(text.begin(), text.end(), callback,
                                 /*allow_exceptions=*/true,
                                 /*ignore_comments=*/false);
  } catch (const DuplicateKey& e) {
    return Malformed(0, "{}: duplicate key \"{}\"", options.what,
                     EscapePreview(e.key, 64));
  } catch (const TooDeep&) {
    return LimitExceeded("{}: {}", options.what,
                         LimitMessage("max_depth", options.max_depth));
  } catch (const nlohmann::json::parse_error& e) {
    uint64_t at = e.byte > 0 ? e.byte - 1 : 0;
    // e.what() includes nlohmann's id prefix; keep its explanation.
    std::string what = e.what();
    size_t pos = what.find("syntax error");
    if (pos != std::string::npos) what = what.substr(pos);
    return Malformed(at, "{}: {}", options.what, EscapePreview(what, 160));
  } catch (const std::exception& e) {
    return Malformed(0, "{}: {}", options.what, EscapePreview(e.what(), 160));
  }
}

std::string DumpJson(const nlohmann::json& value, int indent) {
  return value.dump(indent, ' ', /*ensure_ascii=*/false,
                    nlohmann::json::error_handler_t::replace);
}

std::string_view JsonStringOr(const nlohmann::json& obj, std::string_view key,
                              std::string_view fallback) {
  if (!obj.is_object()) return fallback;
  auto it = obj.find(key);
  if (it == obj.end() || !it->is_string()) return fallback;
  return it->get_ref<const std::string&>();
}

}  // namespace mats
