#include "mats/core/byte_reader.h"

#include <gtest/gtest.h>

#include "testing/status_matchers.h"

namespace mats {
namespace {

using ::mats::testing::IsOkAndHolds;
using ::mats::testing::StatusIs;
using ::testing::Eq;
using ::testing::HasSubstr;

TEST(ByteReaderTest, ReadsIntegersWithExplicitEndianness) {
  const uint8_t data[] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
                          0x01, 0x02, 0x03, 0x04};
  ByteReader r(data);
  EXPECT_THAT(r.ReadU64Le(), IsOkAndHolds(Eq(0x0807060504030201ull)));
  EXPECT_THAT(r.ReadU32Be(), IsOkAndHolds(Eq(0x01020304u)));
  EXPECT_TRUE(r.empty());
}

TEST(ByteReaderTest, TruncatedReadNamesOffset) {
  const uint8_t data[] = {1, 2, 3};
  ByteReader r(data, 100);
  ASSERT_TRUE(r.Skip(1).ok());
  auto v = r.ReadU32Le();
  EXPECT_THAT(v, StatusIs(ErrorCode::kMalformed, HasSubstr("need 4 bytes, 2 left")));
  EXPECT_EQ(v.status().offset(), 101u);
  EXPECT_EQ(r.position(), 1u);  // cursor unchanged on failure
}

TEST(ByteReaderTest, ReadStringEnforcesLimitBeforeReading) {
  uint8_t data[16] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
  ByteReader r(data);
  EXPECT_THAT(r.ReadString(1 << 20), StatusIs(ErrorCode::kLimitExceeded));
  uint8_t ok[] = {2, 0, 0, 0, 0, 0, 0, 0, 'h', 'i'};
  ByteReader r2(ok);
  EXPECT_THAT(r2.ReadString(2), IsOkAndHolds(Eq("hi")));
  ByteReader r3(ok);
  EXPECT_THAT(r3.ReadString(1), StatusIs(ErrorCode::kLimitExceeded));
}

TEST(ByteReaderTest, ReadLine) {
  std::string_view s = "abc\nde";
  ByteReader r(AsBytes(s));
  EXPECT_THAT(r.ReadLine(10), IsOkAndHolds(Eq("abc")));
  EXPECT_THAT(r.ReadLine(10), StatusIs(ErrorCode::kMalformed));
  ByteReader r2(AsBytes(s));
  EXPECT_THAT(r2.ReadLine(2), StatusIs(ErrorCode::kLimitExceeded));
  ByteReader r3(AsBytes(s));
  EXPECT_THAT(r3.ReadLine(3), IsOkAndHolds(Eq("abc")));
}

TEST(ByteReaderTest, SliceKeepsAbsoluteOffsets) {
  const uint8_t data[] = {0, 1, 2, 3, 4, 5, 6, 7};
  ByteReader r(data, 10);
  auto s = r.Slice(2, 4);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->offset(), 12u);
  EXPECT_THAT(s->ReadU8(), IsOkAndHolds(Eq(2)));
  EXPECT_THAT(r.Slice(6, 3), StatusIs(ErrorCode::kMalformed));
  EXPECT_THAT(r.Slice(UINT64_MAX, 2), StatusIs(ErrorCode::kMalformed));
  EXPECT_THAT(r.Slice(2, UINT64_MAX), StatusIs(ErrorCode::kMalformed));
  EXPECT_TRUE(r.Slice(8, 0).ok());
}

TEST(ByteReaderTest, SeekSkipAndExpectEnd) {
  const uint8_t data[] = {0, 1, 2};
  ByteReader r(data);
  EXPECT_THAT(r.Skip(4), StatusIs(ErrorCode::kMalformed));
  EXPECT_THAT(r.Seek(4), StatusIs(ErrorCode::kMalformed));
  EXPECT_TRUE(r.Seek(3).ok());
  EXPECT_TRUE(r.ExpectEnd().ok());
  EXPECT_TRUE(r.Seek(1).ok());
  EXPECT_THAT(r.ExpectEnd(), StatusIs(ErrorCode::kMalformed, HasSubstr("2 trailing")));
  EXPECT_THAT(r.PeekU8(), IsOkAndHolds(Eq(1)));
}

TEST(ByteReaderTest, SignedAndFloat) {
  const uint8_t data[] = {0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x80, 0x3f};
  ByteReader r(data);
  EXPECT_THAT(r.ReadI32Le(), IsOkAndHolds(Eq(-1)));
  EXPECT_THAT(r.ReadF32Le(), IsOkAndHolds(Eq(1.0f)));
}

}  // namespace
}  // namespace mats
