#include "mats/protobuf/wire.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "protobuf/proto_builder.h"
#include "testing/status_matchers.h"

namespace mats::protobuf {
namespace {

using ::mats::testing::PbBytes;
using ::mats::testing::PbFixed32;
using ::mats::testing::PbFixed64;
using ::mats::testing::PbRawVarint;
using ::mats::testing::PbTag;
using ::mats::testing::PbVarint;
using ::testing::HasSubstr;

std::vector<WireField> ReadAll(const std::string& s, Status* status,
                               uint32_t max_group_depth = 256) {
  WireReader r(AsBytes(s), 100, max_group_depth);
  std::vector<WireField> out;
  WireField f;
  while (true) {
    Result<bool> more = r.Next(&f);
    if (!more.ok()) {
      *status = more.status();
      return out;
    }
    if (!*more) break;
    out.push_back(f);
  }
  *status = Status::Ok();
  return out;
}

TEST(WireTest, ReadsEveryWireType) {
  const std::string s = PbVarint(1, 300) + PbBytes(2, "abc") + PbFixed32(3, 0x01020304) +
                        PbFixed64(4, 0x0102030405060708ull);
  Status st;
  auto fields = ReadAll(s, &st);
  ASSERT_TRUE(st.ok()) << st.ToString();
  ASSERT_EQ(fields.size(), 4u);
  EXPECT_EQ(fields[0].number, 1u);
  EXPECT_EQ(fields[0].value, 300u);
  EXPECT_EQ(fields[0].offset, 100u);
  EXPECT_EQ(fields[1].chars(), "abc");
  EXPECT_EQ(fields[1].value_offset, 100u + 3 + 2);
  EXPECT_EQ(fields[2].value, 0x01020304u);
  EXPECT_EQ(fields[3].value, 0x0102030405060708ull);
}

TEST(WireTest, TenByteVarintMaxValue) {
  std::string v = PbRawVarint(~0ull);
  ASSERT_EQ(v.size(), 10u);
  uint64_t pos = 0;
  EXPECT_THAT(DecodeVarint(AsBytes(v), &pos, 0), testing::IsOkAndHolds(~0ull));
}

TEST(WireTest, RejectsVarintOverflowing64Bits) {
  std::string v(9, '\xFF');
  v.push_back('\x02');
  uint64_t pos = 0;
  EXPECT_THAT(DecodeVarint(AsBytes(v), &pos, 0), testing::StatusIs(ErrorCode::kMalformed));
}

TEST(WireTest, RejectsVarintLongerThanTenBytes) {
  std::string v(10, '\x80');
  v.push_back('\x00');
  uint64_t pos = 0;
  auto r = DecodeVarint(AsBytes(v), &pos, 0);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kMalformed);
}

TEST(WireTest, RejectsTruncatedVarint) {
  std::string v = "\x80\x80";
  uint64_t pos = 0;
  auto r = DecodeVarint(AsBytes(v), &pos, 7);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("truncated varint at offset 7"));
}

TEST(WireTest, RejectsFieldNumberZero) {
  Status st;
  ReadAll(PbTag(0, 0) + PbRawVarint(1), &st);
  EXPECT_EQ(st.code(), ErrorCode::kMalformed);
  EXPECT_THAT(st.message(), HasSubstr("invalid field number 0"));
}

TEST(WireTest, RejectsFieldNumberTooLarge) {
  Status st;
  ReadAll(PbRawVarint((static_cast<uint64_t>(kMaxFieldNumber) + 1) << 3) + PbRawVarint(1),
          &st);
  EXPECT_EQ(st.code(), ErrorCode::kMalformed);
}

TEST(WireTest, AcceptsLargestFieldNumber) {
  Status st;
  auto f = ReadAll(PbVarint(kMaxFieldNumber, 5), &st);
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(f[0].number, kMaxFieldNumber);
}

TEST(WireTest, RejectsWireTypes6And7) {
  for (uint32_t wt : {6u, 7u}) {
    Status st;
    ReadAll(PbTag(1, wt) + "\x01", &st);
    EXPECT_EQ(st.code(), ErrorCode::kMalformed);
    EXPECT_THAT(st.message(), HasSubstr("invalid wire type"));
  }
}

TEST(WireTest, RejectsLengthPastEnd) {
  Status st;
  ReadAll(PbTag(2, 2) + PbRawVarint(10) + "abc", &st);
  EXPECT_EQ(st.code(), ErrorCode::kMalformed);
  EXPECT_THAT(st.message(), HasSubstr("only 3 bytes left"));
  EXPECT_EQ(st.offset(), 100u);
}

TEST(WireTest, RejectsHugeLength) {
  Status st;
  ReadAll(PbTag(2, 2) + PbRawVarint(~0ull) + "abc", &st);
  EXPECT_EQ(st.code(), ErrorCode::kMalformed);
}

TEST(WireTest, RejectsTruncatedFixedFields) {
  Status st;
  ReadAll(PbTag(1, 5) + "\x01\x02", &st);
  EXPECT_THAT(st.message(), HasSubstr("truncated fixed32"));
  ReadAll(PbTag(1, 1) + "\x01\x02\x03\x04", &st);
  EXPECT_THAT(st.message(), HasSubstr("truncated fixed64"));
}

TEST(WireTest, SkipsGroups) {
  const std::string s = PbTag(5, 3) + PbVarint(1, 2) + PbBytes(2, "x") + PbFixed32(3, 1) +
                        PbFixed64(4, 1) + PbTag(6, 3) + PbTag(6, 4) + PbTag(5, 4) +
                        PbVarint(9, 1);
  Status st;
  auto f = ReadAll(s, &st);
  ASSERT_TRUE(st.ok()) << st.ToString();
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].number, 9u);
}

TEST(WireTest, RejectsUnclosedGroup) {
  Status st;
  ReadAll(PbTag(5, 3) + PbVarint(1, 2), &st);
  EXPECT_THAT(st.message(), HasSubstr("is not closed"));
}

TEST(WireTest, RejectsMismatchedEndGroup) {
  Status st;
  ReadAll(PbTag(5, 3) + PbTag(6, 4), &st);
  EXPECT_THAT(st.message(), HasSubstr("does not match"));
}

TEST(WireTest, RejectsStrayEndGroup) {
  Status st;
  ReadAll(PbTag(5, 4), &st);
  EXPECT_THAT(st.message(), HasSubstr("without a matching start-group"));
}

TEST(WireTest, GroupErrorsInsideGroupBody) {
  Status st;
  ReadAll(PbTag(5, 3) + PbTag(1, 2) + PbRawVarint(50) + "x", &st);
  EXPECT_THAT(st.message(), HasSubstr("only 1 bytes left"));
  ReadAll(PbTag(5, 3) + PbTag(1, 1) + "x", &st);
  EXPECT_THAT(st.message(), HasSubstr("truncated fixed field"));
  ReadAll(PbTag(5, 3) + PbTag(1, 0) + "\x80", &st);
  EXPECT_THAT(st.message(), HasSubstr("truncated varint"));
}

TEST(WireTest, GroupDepthLimitAtAndPastBoundary) {
  auto nested = [](int n) {
    std::string s;
    for (int i = 0; i < n; ++i) s += PbTag(1, 3);
    for (int i = 0; i < n; ++i) s += PbTag(1, 4);
    return s;
  };
  Status st;
  ReadAll(nested(4), &st, 4);
  EXPECT_TRUE(st.ok()) << st.ToString();
  ReadAll(nested(5), &st, 4);
  EXPECT_EQ(st.code(), ErrorCode::kLimitExceeded);
  EXPECT_THAT(st.message(), HasSubstr("limit max_depth=4 exceeded"));
}

TEST(WireTest, PackedVarints) {
  WireField f;
  const std::string payload = PbRawVarint(1) + PbRawVarint(300) + PbRawVarint(~0ull);
  const std::string s = PbBytes(1, payload);
  WireReader r(AsBytes(s));
  ASSERT_TRUE(*r.Next(&f));
  std::vector<uint64_t> v;
  ASSERT_TRUE(AppendVarints(f, 10, &v).ok());
  EXPECT_THAT(v, ::testing::ElementsAre(1u, 300u, ~0ull));
  EXPECT_THAT(CountPackedVarints(f), testing::IsOkAndHolds(3u));
  std::vector<uint64_t> w;
  EXPECT_THAT(AppendVarints(f, 2, &w), testing::StatusIs(ErrorCode::kLimitExceeded));
}

TEST(WireTest, PackedVarintErrors) {
  const std::string s = PbBytes(1, "\x80") + PbFixed32(2, 1) + PbVarint(3, 7);
  WireReader r(AsBytes(s));
  WireField f;
  ASSERT_TRUE(*r.Next(&f));
  std::vector<uint64_t> v;
  EXPECT_THAT(AppendVarints(f, 10, &v), testing::StatusIs(ErrorCode::kMalformed));
  EXPECT_THAT(CountPackedVarints(f), testing::StatusIs(ErrorCode::kMalformed));
  ASSERT_TRUE(*r.Next(&f));
  EXPECT_THAT(AppendVarints(f, 10, &v), testing::StatusIs(ErrorCode::kMalformed));
  EXPECT_THAT(CountPackedVarints(f), testing::StatusIs(ErrorCode::kMalformed));
  ASSERT_TRUE(*r.Next(&f));
  EXPECT_TRUE(AppendVarints(f, 10, &v).ok());
  EXPECT_THAT(AppendVarints(f, 1, &v), testing::StatusIs(ErrorCode::kLimitExceeded));
  EXPECT_THAT(CountPackedVarints(f), testing::IsOkAndHolds(1u));
}

TEST(WireTest, FieldStringChecksTypeAndLimit) {
  const std::string s = PbBytes(1, "hello") + PbVarint(2, 1);
  WireReader r(AsBytes(s));
  WireField f;
  ASSERT_TRUE(*r.Next(&f));
  Limits limits;
  EXPECT_THAT(FieldString(f, limits, "t"), testing::IsOkAndHolds("hello"));
  limits.max_string_bytes = 5;
  EXPECT_TRUE(FieldString(f, limits, "t").ok());
  limits.max_string_bytes = 4;
  EXPECT_THAT(FieldString(f, limits, "t"), testing::StatusIs(ErrorCode::kLimitExceeded));
  ASSERT_TRUE(*r.Next(&f));
  EXPECT_THAT(FieldString(f, limits, "t"), testing::StatusIs(ErrorCode::kMalformed));
  EXPECT_FALSE(IsUtf8String(f));
}

TEST(WireTest, ZigZag) {
  EXPECT_EQ(ZigZagDecode64(0), 0);
  EXPECT_EQ(ZigZagDecode64(1), -1);
  EXPECT_EQ(ZigZagDecode64(2), 1);
  EXPECT_EQ(ZigZagDecode64(~0ull), INT64_MIN);
  EXPECT_EQ(ZigZagDecode32(3), -2);
}

TEST(WireTest, EmptyMessageHasNoFields) {
  Status st;
  EXPECT_TRUE(ReadAll("", &st).empty());
  EXPECT_TRUE(st.ok());
  EXPECT_TRUE(CheckMessageSize(ByteSpan(), "x").ok());
}

}  // namespace
}  // namespace mats::protobuf
