#include "mats/core/policy.h"

#include <gtest/gtest.h>

#include "mats/core/json.h"
#include "testing/json_mutations.h"
#include "testing/status_matchers.h"

namespace mats {
namespace {

using ::mats::testing::StatusIs;
using Kind = PolicyDecision::Kind;

Policy MakePolicy() {
  Policy p;
  p.Add({.domain = "pickle", .name = "os", .action = PolicyAction::kDeny,
         .severity = Severity::kCritical});
  p.Add({.domain = "pickle", .name = "torch", .action = PolicyAction::kAllow});
  p.Add({.domain = "pickle", .name = "torch.hub", .action = PolicyAction::kDeny});
  p.Add({.domain = "pickle", .name = "collections.OrderedDict",
         .action = PolicyAction::kAllow, .exact = true});
  return p;
}

TEST(PolicyTest, LongestMatchWins) {
  Policy p = MakePolicy();
  EXPECT_EQ(p.Lookup("pickle", "os.system").kind, Kind::kDenied);
  EXPECT_EQ(p.Lookup("pickle", "os.path.join").entry->severity, Severity::kCritical);
  EXPECT_EQ(p.Lookup("pickle", "torch.FloatStorage").kind, Kind::kAllowed);
  EXPECT_EQ(p.Lookup("pickle", "torch.hub.load").kind, Kind::kDenied);
  EXPECT_EQ(p.Lookup("pickle", "osx.thing").kind, Kind::kUnknown);  // not a dotted child
  EXPECT_EQ(p.Lookup("keras", "os.system").kind, Kind::kUnknown);   // other domain
}

TEST(PolicyTest, ExactEntriesDoNotCoverChildren) {
  Policy p = MakePolicy();
  auto d = p.Lookup("pickle", "collections.OrderedDict");
  EXPECT_EQ(d.kind, Kind::kAllowed);
  EXPECT_TRUE(d.exact_match);
  EXPECT_EQ(p.Lookup("pickle", "collections.OrderedDict.fromkeys").kind, Kind::kUnknown);
}

TEST(PolicyTest, DenyBeatsAllowOfSameName) {
  Policy p;
  p.Add({.domain = "d", .name = "x", .action = PolicyAction::kAllow});
  p.Add({.domain = "d", .name = "x", .action = PolicyAction::kDeny});
  EXPECT_EQ(p.Lookup("d", "x.y").kind, Kind::kDenied);
}

TEST(PolicyTest, LoadJson) {
  Policy p;
  ASSERT_OK(p.LoadJson(R"({"version": 1, "entries": [
      {"domain": "pickle", "name": "mylib.Model", "action": "allow", "exact": true},
      {"domain": "pickle", "name": "evil", "action": "deny", "severity": "medium",
       "reason": "in-house ban"}]})", "test.json"));
  EXPECT_EQ(p.Lookup("pickle", "mylib.Model").kind, Kind::kAllowed);
  auto d = p.Lookup("pickle", "evil.run");
  ASSERT_EQ(d.kind, Kind::kDenied);
  EXPECT_EQ(d.entry->severity, Severity::kMedium);
  EXPECT_EQ(d.entry->source, "test.json");
}

TEST(PolicyTest, LoadJsonRejectsBadFiles) {
  Policy p;
  EXPECT_THAT(p.LoadJson("[]", "t"), StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(p.LoadJson(R"({"version": 2, "entries": []})", "t"),
              StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(p.LoadJson(R"({"version": 1, "entries": [{"domain": "p", "name": "x"}]})", "t"),
              StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(p.LoadJson(R"({"version": 1, "entries": [{"domain": "p", "name": "x",
      "action": "maybe"}]})", "t"), StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(p.LoadJson(R"({"version": 1, "entries": [], "extra": 1})", "t"),
              StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(p.LoadJson(R"({"version": 1, "entries": [{"domain": "p", "name": "x",
      "action": "deny", "severity": "huge"}]})", "t"), StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(p.LoadJson("{", "t"), StatusIs(ErrorCode::kMalformed));
}

TEST(PolicyTest, Flags) {
  Policy p;
  ASSERT_OK(p.AddFromFlag("pickle:mylib.Model", PolicyAction::kAllow));
  ASSERT_OK(p.AddFromFlag("pickle:badlib=critical", PolicyAction::kDeny));
  EXPECT_EQ(p.Lookup("pickle", "mylib.Model").kind, Kind::kAllowed);
  EXPECT_EQ(p.Lookup("pickle", "badlib.x").entry->severity, Severity::kCritical);
  EXPECT_THAT(p.AddFromFlag("nodomain", PolicyAction::kAllow), StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(p.AddFromFlag("pickle:x=high", PolicyAction::kAllow), StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(p.AddFromFlag("pickle:x=bad", PolicyAction::kDeny), StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_EQ(p.Entries().size(), 2u);
}


// Every member of a policy file replaced by a value of each JSON type, or
// removed: kInvalidArgument or a loaded policy, never a throw.
TEST(PolicyTest, LoadJsonWrongTypesAreErrorsNotExceptions) {
  auto doc = ParseJson(R"({"version": 1, "description": "d", "entries": [
      {"domain": "pickle", "name": "mylib.Model", "action": "allow", "exact": true},
      {"domain": "pickle", "name": "evil", "action": "deny", "severity": "medium",
       "category": "c", "reason": "in-house ban"}]})");
  ASSERT_TRUE(doc.ok());
  size_t n = 0;
  ::mats::testing::ForEachJsonMutation(*doc, [&](const std::string& where, const nlohmann::json& j) {
    ++n;
    Policy p;
    Status s;
    EXPECT_NO_THROW(s = p.LoadJson(DumpJson(j), "t")) << where;
    if (!s.ok()) {
      EXPECT_THAT(s, StatusIs(ErrorCode::kInvalidArgument)) << where;
    }
  });
  EXPECT_GT(n, 200u);
}

}  // namespace
}  // namespace mats
