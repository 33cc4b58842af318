#include "mats/core/json.h"

#include <gtest/gtest.h>

#include "testing/status_matchers.h"

namespace mats {
namespace {

using ::mats::testing::StatusIs;
using ::testing::HasSubstr;

TEST(JsonTest, ParsesValidDocument) {
  auto j = ParseJson(R"({"a": [1, 2], "b": {"c": "d"}})");
  ASSERT_TRUE(j.ok());
  EXPECT_EQ((*j)["b"]["c"], "d");
}

TEST(JsonTest, RejectsDuplicateKeysAtAnyDepth) {
  EXPECT_THAT(ParseJson(R"({"a": 1, "a": 2})"),
              StatusIs(ErrorCode::kMalformed, HasSubstr("duplicate key \"a\"")));
  EXPECT_THAT(ParseJson(R"({"x": {"a": 1, "a": 2}})"), StatusIs(ErrorCode::kMalformed));
  EXPECT_TRUE(ParseJson(R"({"x": {"a": 1}, "y": {"a": 2}})").ok());
  JsonOptions lax;
  lax.reject_duplicate_keys = false;
  EXPECT_TRUE(ParseJson(R"({"a": 1, "a": 2})", lax).ok());
}

TEST(JsonTest, DepthLimit) {
  std::string deep(300, '[');
  deep += std::string(300, ']');
  EXPECT_THAT(ParseJson(deep), StatusIs(ErrorCode::kLimitExceeded));
  JsonOptions o;
  o.max_depth = 400;
  EXPECT_TRUE(ParseJson(deep, o).ok());
}

TEST(JsonTest, SyntaxErrorHasOffset) {
  auto j = ParseJson(R"({"a": 1,})");
  EXPECT_THAT(j, StatusIs(ErrorCode::kMalformed, HasSubstr("syntax error")));
  ASSERT_TRUE(j.status().offset().has_value());
}

TEST(JsonTest, RejectsInvalidUtf8) {
  EXPECT_THAT(ParseJson("{\"a\": \"\xff\"}"), StatusIs(ErrorCode::kMalformed));
}

TEST(JsonStringOrTest, NeverThrowsOnTheWrongType) {
  auto j = ParseJson(R"({"kind":5,"name":"x","list":[1]})");
  ASSERT_TRUE(j.ok());
  EXPECT_EQ(JsonStringOr(*j, "name"), "x");
  EXPECT_EQ(JsonStringOr(*j, "kind"), "");
  EXPECT_EQ(JsonStringOr(*j, "list", "none"), "none");
  EXPECT_EQ(JsonStringOr(*j, "absent", "none"), "none");
  EXPECT_EQ(JsonStringOr((*j)["list"], "name"), "");  // not an object
}

}  // namespace
}  // namespace mats
