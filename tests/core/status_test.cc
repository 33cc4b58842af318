#include "mats/core/status.h"

#include <gtest/gtest.h>

#include "mats/core/finding.h"
#include "mats/core/result.h"
#include "testing/status_matchers.h"

namespace mats {
namespace {

using ::mats::testing::StatusIs;

Result<int> Half(int v) {
  if (v % 2 != 0) return InvalidArgument("odd value {}", v);
  return v / 2;
}

Result<int> Quarter(int v) {
  MATS_ASSIGN_OR_RETURN(int h, Half(v));
  MATS_ASSIGN_OR_RETURN(int q, Half(h));
  return q;
}

Status CheckEven(int v) {
  MATS_RETURN_IF_ERROR(Half(v).status());
  return Status::Ok();
}

TEST(StatusTest, MacrosPropagate) {
  EXPECT_EQ(*Quarter(8), 2);
  EXPECT_THAT(Quarter(6), StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_TRUE(CheckEven(2).ok());
  EXPECT_FALSE(CheckEven(3).ok());
}

TEST(StatusTest, ToStringHasCodeAndOffset) {
  Status s = Malformed(12, "gguf: bad magic {:#010x}", 0x1234u);
  EXPECT_EQ(s.ToString(), "malformed: gguf: bad magic 0x00001234 (offset 12)");
  EXPECT_EQ(s.ShiftOffset(100).offset(), 112u);
  EXPECT_EQ(s.WithContext("a.zip").message(), "a.zip: gguf: bad magic 0x00001234");
}

TEST(StatusTest, ResultFromOkStatusIsInternal) {
  Result<int> r{Status::Ok()};
  EXPECT_THAT(r, StatusIs(ErrorCode::kInternal));
}

TEST(SeverityTest, ParseAndName) {
  for (auto s : {Severity::kInfo, Severity::kLow, Severity::kMedium,
                 Severity::kHigh, Severity::kCritical}) {
    auto p = ParseSeverity(SeverityName(s));
    ASSERT_TRUE(p.ok());
    EXPECT_EQ(*p, s);
  }
  EXPECT_THAT(ParseSeverity("severe"), StatusIs(ErrorCode::kInvalidArgument));
}

}  // namespace
}  // namespace mats
