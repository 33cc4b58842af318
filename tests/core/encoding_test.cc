#include "mats/core/encoding.h"

#include <gtest/gtest.h>

#include "testing/status_matchers.h"

namespace mats {
namespace {

using ::mats::testing::StatusIs;

TEST(EncodingTest, HexRoundTrip) {
  const uint8_t d[] = {0x00, 0xab, 0xff};
  EXPECT_EQ(HexEncode(d), "00abff");
  auto back = HexDecode("00ABff");
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, Bytes(d, d + 3));
  EXPECT_THAT(HexDecode("abc"), StatusIs(ErrorCode::kMalformed));
  EXPECT_THAT(HexDecode("zz"), StatusIs(ErrorCode::kMalformed));
}

TEST(EncodingTest, Base64Rfc4648Vectors) {
  const std::pair<std::string_view, std::string_view> vectors[] = {
      {"", ""}, {"f", "Zg=="}, {"fo", "Zm8="}, {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"}};
  for (auto [plain, enc] : vectors) {
    EXPECT_EQ(Base64Encode(AsBytes(plain)), enc);
    auto dec = Base64Decode(enc);
    ASSERT_TRUE(dec.ok()) << enc;
    EXPECT_EQ(AsChars(*dec), plain);
  }
}

TEST(EncodingTest, Base64RejectsBadInput) {
  EXPECT_THAT(Base64Decode("Zm9"), StatusIs(ErrorCode::kMalformed));
  EXPECT_THAT(Base64Decode("Zm9v!A=="), StatusIs(ErrorCode::kMalformed));
  EXPECT_THAT(Base64Decode("Zh=="), StatusIs(ErrorCode::kMalformed));  // non-canonical
  EXPECT_TRUE(Base64Decode("Zm8", /*allow_unpadded=*/true).ok());
  EXPECT_THAT(Base64Decode("Z", true), StatusIs(ErrorCode::kMalformed));
}

TEST(EncodingTest, Base64Url) {
  const uint8_t d[] = {0xfb, 0xff};
  EXPECT_EQ(Base64UrlEncode(d), "-_8");
  auto back = Base64UrlDecode("-_8");
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, Bytes(d, d + 2));
}

TEST(EncodingTest, EscapePreview) {
  EXPECT_EQ(EscapePreview("a'b\n\x01"), "a\\'b\\n\\x01");
  EXPECT_EQ(EscapePreview("abcdef", 3), "abc...");
}

TEST(EncodingTest, Utf8Validation) {
  EXPECT_TRUE(IsValidUtf8("h\xc3\xa9llo"));
  EXPECT_FALSE(IsValidUtf8("\xc0\xaf"));        // overlong
  EXPECT_FALSE(IsValidUtf8("\xed\xa0\x80"));    // surrogate
  EXPECT_FALSE(IsValidUtf8("\xe2\x82"));        // truncated
}

}  // namespace
}  // namespace mats
