// GoogleTest matchers for Status and Result (tink util/test_matchers.h).
//
//   EXPECT_THAT(ReadHeader(r), IsOk());
//   EXPECT_THAT(ReadHeader(r), StatusIs(ErrorCode::kMalformed));
//   EXPECT_THAT(Parse(x), IsOkAndHolds(Eq(3)));
//   ASSERT_OK_AND_ASSIGN(Header h, ReadHeader(r));
#ifndef MATS_TESTING_STATUS_MATCHERS_H_
#define MATS_TESTING_STATUS_MATCHERS_H_

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "mats/core/result.h"
#include "mats/core/status.h"

namespace mats::testing {

inline const Status& GetStatus(const Status& s) { return s; }
template <typename T>
const Status& GetStatus(const Result<T>& r) {
  return r.status();
}

MATCHER(IsOk, "is ok") {
  const Status& s = ::mats::testing::GetStatus(arg);
  if (!s.ok()) *result_listener << s.ToString();
  return s.ok();
}

MATCHER_P(StatusIs, code,
          std::string("has code ") + std::string(::mats::ErrorCodeName(code))) {
  const Status& s = ::mats::testing::GetStatus(arg);
  *result_listener << s.ToString();
  return s.code() == code;
}

MATCHER_P2(StatusIs, code, message_matcher,
           std::string("has code ") + std::string(::mats::ErrorCodeName(code))) {
  const Status& s = ::mats::testing::GetStatus(arg);
  *result_listener << s.ToString();
  return s.code() == code &&
         ::testing::ExplainMatchResult(message_matcher, s.message(),
                                       result_listener);
}

MATCHER_P(IsOkAndHolds, inner, "is ok and holds a matching value") {
  if (!arg.ok()) {
    *result_listener << arg.status().ToString();
    return false;
  }
  return ::testing::ExplainMatchResult(inner, arg.value(), result_listener);
}

}  // namespace mats::testing

#define MATS_TESTING_CONCAT_INNER_(a, b) a##b
#define MATS_TESTING_CONCAT_(a, b) MATS_TESTING_CONCAT_INNER_(a, b)
#define ASSERT_OK(expr) ASSERT_THAT((expr), ::mats::testing::IsOk())
#define EXPECT_OK(expr) EXPECT_THAT((expr), ::mats::testing::IsOk())
#define ASSERT_OK_AND_ASSIGN(lhs, expr)                                    \
  auto MATS_TESTING_CONCAT_(tmp_result_, __LINE__) = (expr);               \
  ASSERT_TRUE(MATS_TESTING_CONCAT_(tmp_result_, __LINE__).ok())            \
      << MATS_TESTING_CONCAT_(tmp_result_, __LINE__).status().ToString();  \
  lhs = std::move(MATS_TESTING_CONCAT_(tmp_result_, __LINE__)).value()

#endif  // MATS_TESTING_STATUS_MATCHERS_H_
