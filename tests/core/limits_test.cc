#include "mats/core/limits.h"

#include <gtest/gtest.h>

#include "testing/status_matchers.h"

namespace mats {
namespace {

using ::mats::testing::StatusIs;

TEST(LimitsTest, SetByName) {
  Limits l;
  ASSERT_TRUE(l.Set("max_depth", 12).ok());
  EXPECT_EQ(l.max_depth, 12u);
  ASSERT_TRUE(l.SetFromString("max_inflate_bytes=3m").ok());
  EXPECT_EQ(l.max_inflate_bytes, 3ull << 20);
  EXPECT_THAT(l.Set("no_such_limit", 1), StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(l.Set("max_depth", 1ull << 40), StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(l.SetFromString("max_depth"), StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(l.SetFromString("max_depth=-1"), StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(l.SetFromString("max_entries=99999999999999999999t"),
              StatusIs(ErrorCode::kInvalidArgument));
}

TEST(LimitsTest, EveryFieldIsListedAndSettable) {
  Limits l;
  for (const LimitField& f : LimitFields()) {
    ASSERT_TRUE(l.Set(f.name, 7).ok()) << f.name;
    EXPECT_EQ(f.get(l), 7u) << f.name;
    EXPECT_FALSE(f.protects.empty());
  }
  EXPECT_EQ(LimitFields().size(), 14u);
}

}  // namespace
}  // namespace mats
