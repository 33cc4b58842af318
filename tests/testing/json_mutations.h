// Type-confusion mutations of a JSON document, for robustness tests of
// parsers of untrusted JSON: every node (the root, every member, every array
// element) replaced in turn by a value of each JSON type, and every object
// member removed. nlohmann-json's get<T>()/value()/at() throw on a member of
// another type or a missing one; a parser that calls them without checking
// fails these tests with an uncaught exception instead of returning a Status.
//
//   ForEachJsonMutation(valid_doc, [&](const std::string& where, const json& doc) {
//     SCOPED_TRACE(where);
//     EXPECT_NO_THROW(ParseThing(DumpJson(doc)));
//   });
#ifndef MATS_TESTING_JSON_MUTATIONS_H_
#define MATS_TESTING_JSON_MUTATIONS_H_

#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <utility>
#include <vector>

namespace mats::testing {

// One value of every JSON type, plus the numbers that are easy to mishandle
// (negative, above INT64_MAX, huge and fractional floats).
inline std::vector<nlohmann::json> JsonReplacements() {
  using nlohmann::json;
  return {json(nullptr),
          json(false),
          json(0),
          json(-1),
          json(std::numeric_limits<uint64_t>::max()),
          json(1e300),
          json(0.5),
          json(""),
          json("A"),
          json::array(),
          json::array({nullptr}),
          json::object(),
          json::object({{"", nullptr}})};
}

// Calls fn(description, mutated document) for every mutation of `doc`.
// Visits at most `max_nodes` nodes (breadth first, explicit queue).
inline void ForEachJsonMutation(
    const nlohmann::json& doc,
    const std::function<void(const std::string&, const nlohmann::json&)>& fn,
    size_t max_nodes = 4000) {
  using nlohmann::json;
  std::vector<json::json_pointer> nodes;
  std::vector<std::pair<json::json_pointer, const json*>> queue{{json::json_pointer(), &doc}};
  for (size_t i = 0; i < queue.size() && nodes.size() < max_nodes; ++i) {
    auto [ptr, node] = queue[i];
    nodes.push_back(ptr);
    if (node->is_object()) {
      for (auto it = node->begin(); it != node->end(); ++it) queue.push_back({ptr / it.key(), &*it});
    } else if (node->is_array()) {
      for (size_t k = 0; k < node->size(); ++k) queue.push_back({ptr / k, &(*node)[k]});
    }
  }
  const std::vector<json> replacements = JsonReplacements();
  for (const json::json_pointer& ptr : nodes) {
    const std::string where = ptr.to_string().empty() ? "(root)" : ptr.to_string();
    for (const json& r : replacements) {
      json copy = doc;
      copy[ptr] = r;
      fn(where + " = " + r.dump(), copy);
    }
    if (!ptr.empty() && doc[ptr.parent_pointer()].is_object()) {
      json copy = doc;
      copy[ptr.parent_pointer()].erase(ptr.back());
      fn(where + " removed", copy);
    }
  }
}

}  // namespace mats::testing

#endif  // MATS_TESTING_JSON_MUTATIONS_H_
