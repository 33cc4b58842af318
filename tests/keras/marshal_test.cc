#include "mats/keras/marshal.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "mats/core/mapped_file.h"
#include "testing/status_matchers.h"

namespace mats::keras {
namespace {

using ::mats::testing::StatusIs;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

Bytes Fixture(const std::string& name) {
  auto text = ReadFileToString(std::string(MATS_SOURCE_DIR) +
                               "/tests/fixtures/keras/" + name, 1 << 20);
  EXPECT_TRUE(text.ok()) << name;
  return Bytes(text->begin(), text->end());
}

// A hand-built CPython 3.8 code object: 6 ints, code, consts, names, ...
Bytes Code38(const std::string& name_entry) {
  Bytes b;
  auto i32 = [&](uint32_t v) {
    for (int i = 0; i < 4; ++i) b.push_back(static_cast<uint8_t>(v >> (8 * i)));
  };
  auto shortstr = [&](char type, const std::string& s) {
    b.push_back(static_cast<uint8_t>(type));
    b.push_back(static_cast<uint8_t>(s.size()));
    b.insert(b.end(), s.begin(), s.end());
  };
  b.push_back('c');
  for (int i = 0; i < 6; ++i) i32(0);
  b.push_back('s');  // co_code
  i32(2);
  b.push_back(0x64);
  b.push_back(0x00);
  b.push_back(')');  // consts
  b.push_back(1);
  shortstr('z', "echo MATS-TEST-MARKER");
  b.push_back(')');  // names
  b.push_back(2);
  b.push_back('z' | 0x80);  // flagged: becomes ref 0
  b.push_back(2);
  b.push_back('o');
  b.push_back('s');
  shortstr('z', name_entry);
  b.push_back(')');  // varnames
  b.push_back(1);
  b.push_back('r');  // ref to "os"
  i32(0);
  b.push_back(')');  // freevars
  b.push_back(0);
  b.push_back(')');  // cellvars
  b.push_back(0);
  shortstr('z', "<f>");       // filename
  shortstr('z', "<lambda>");  // name
  i32(1);                     // firstlineno
  b.push_back('s');           // lnotab
  i32(0);
  return b;
}

TEST(MarshalTest, ReadsPython311LambdaNames) {
  Bytes b = Fixture("lambda_os_system.marshal");
  ASSERT_OK_AND_ASSIGN(CodeSummary s, SummarizeMarshalCode(b, Limits{}));
  EXPECT_EQ(s.layout, "3.11+");
  EXPECT_EQ(s.code_objects, 1u);
  EXPECT_THAT(s.names, Contains("__import__"));
  EXPECT_THAT(s.names, Contains("system"));
  EXPECT_THAT(s.string_constants, Contains("os"));
  EXPECT_THAT(s.string_constants, Contains("echo MATS-TEST-MARKER"));
  EXPECT_THAT(s.code_names, Contains("<lambda>"));
  EXPECT_THAT(DangerousNames(s), Contains("system"));
  EXPECT_THAT(DangerousNames(s), Contains("os"));
}

TEST(MarshalTest, BenignLambdaHasNoDangerousNames) {
  Bytes b = Fixture("lambda_benign.marshal");
  ASSERT_OK_AND_ASSIGN(CodeSummary s, SummarizeMarshalCode(b, Limits{}));
  EXPECT_THAT(DangerousNames(s), IsEmpty());
}

TEST(MarshalTest, ReadsHandBuilt38LayoutWithRefs) {
  Bytes b = Code38("system");
  ASSERT_OK_AND_ASSIGN(CodeSummary s, SummarizeMarshalCode(b, Limits{}));
  EXPECT_EQ(s.layout, "3.8-3.10");
  EXPECT_THAT(s.names, Contains("os"));
  EXPECT_THAT(s.names, Contains("system"));
  EXPECT_THAT(s.string_constants, Contains("echo MATS-TEST-MARKER"));
}

TEST(MarshalTest, RejectsNonCodeTopLevel) {
  Bytes b = {'N'};
  EXPECT_THAT(SummarizeMarshalCode(b, Limits{}),
              StatusIs(ErrorCode::kMalformed, HasSubstr("top-level")));
}

TEST(MarshalTest, RejectsEmptyInput) {
  EXPECT_THAT(SummarizeMarshalCode(ByteSpan{}, Limits{}),
              StatusIs(ErrorCode::kMalformed));
}

TEST(MarshalTest, EveryTruncationIsAnError) {
  Bytes b = Fixture("lambda_os_system.marshal");
  for (size_t n = 0; n < b.size(); ++n) {
    EXPECT_FALSE(SummarizeMarshalCode(ByteSpan(b.data(), n), Limits{}).ok())
        << n << " " << SummarizeMarshalCode(ByteSpan(b.data(), n), Limits{}).ok();
  }
}

TEST(MarshalTest, TrailingBytesAreAnError) {
  Bytes b = Fixture("lambda_os_system.marshal");
  b.push_back('N');
  EXPECT_THAT(SummarizeMarshalCode(b, Limits{}),
              StatusIs(ErrorCode::kMalformed, HasSubstr("layout")));
}

TEST(MarshalTest, UnknownTypeCode) {
  Bytes b = Code38("x");
  b[b.size() - 5] = '!';  // lnotab type
  EXPECT_THAT(SummarizeMarshalCode(b, Limits{}),
              StatusIs(ErrorCode::kMalformed));
}

TEST(MarshalTest, BadReferenceIndex) {
  Bytes b = Code38("x");
  // The 'r' index (0) becomes 7.
  for (size_t i = 0; i + 1 < b.size(); ++i) {
    if (b[i] == 'r' && b[i + 1] == 0) {
      b[i + 1] = 7;
      break;
    }
  }
  EXPECT_THAT(SummarizeMarshalCode(b, Limits{}),
              StatusIs(ErrorCode::kMalformed, HasSubstr("reference")));
}

TEST(MarshalTest, CodeFieldMustBeBytes) {
  Bytes b = Code38("x");
  b[1 + 24] = 'N';  // co_code type
  EXPECT_THAT(SummarizeMarshalCode(b, Limits{}),
              StatusIs(ErrorCode::kMalformed));
}

TEST(MarshalTest, NegativeAndHugeCounts) {
  Bytes neg = {'c', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
               0, 's', 0xff, 0xff, 0xff, 0xff};
  EXPECT_THAT(SummarizeMarshalCode(neg, Limits{}),
              StatusIs(ErrorCode::kMalformed));
  Bytes huge = {'c', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                0, 0, 's', 0xff, 0xff, 0xff, 0x7f};
  EXPECT_THAT(SummarizeMarshalCode(huge, Limits{}),
              StatusIs(ErrorCode::kMalformed));
}

TEST(MarshalTest, DepthLimit) {
  Bytes b = Code38("x");
  Limits limits;
  limits.max_depth = 2;  // root + code, then consts tuple does not fit
  EXPECT_THAT(SummarizeMarshalCode(b, limits),
              StatusIs(ErrorCode::kLimitExceeded, HasSubstr("max_depth")));
  limits.max_depth = 3;
  EXPECT_OK(SummarizeMarshalCode(b, limits).status());
}

TEST(MarshalTest, EntryLimit) {
  Bytes b = Code38("x");
  Limits limits;
  limits.max_entries = 5;
  EXPECT_THAT(SummarizeMarshalCode(b, limits),
              StatusIs(ErrorCode::kLimitExceeded, HasSubstr("max_entries")));
}

TEST(MarshalTest, StringLimit) {
  Bytes b = Code38("x");
  Limits limits;
  limits.max_string_bytes = 8;  // "echo MATS-TEST-MARKER" is longer
  EXPECT_THAT(SummarizeMarshalCode(b, limits),
              StatusIs(ErrorCode::kLimitExceeded, HasSubstr("max_string_bytes")));
  limits.max_string_bytes = 21;
  EXPECT_OK(SummarizeMarshalCode(b, limits).status());
}

TEST(MarshalTest, SkipsScalarTypes) {
  // 3.8 code whose consts tuple holds every scalar type.
  Bytes b = Code38("x");
  Bytes scalars = {'N', 'F', 'T', 'S', '.', 'i', 1, 0, 0, 0,
                   'I', 1, 0, 0, 0, 0, 0, 0, 0, 'g', 0, 0, 0, 0, 0, 0, 0, 0,
                   'f', 1, '1', 'x', 1, '1', 1, '2',
                   'y', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                   'l', 0xfe, 0xff, 0xff, 0xff, 1, 0, 2, 0,
                   '{', 'z', 1, 'k', 'N', '0',
                   '[', 1, 0, 0, 0, 'N', '<', 0, 0, 0, 0, '>', 0, 0, 0, 0,
                   ':', 'N', 'N', 'N', 'u', 1, 0, 0, 0, 'a', 't', 0, 0, 0, 0,
                   'A', 0, 0, 0, 0, 'Z', 0};
  // consts tuple: ')' count at offset 1+24+1+4+2 = 32.
  size_t consts = 32;
  ASSERT_EQ(b[consts], ')');
  b[consts + 1] = 22;
  b.insert(b.begin() + static_cast<std::ptrdiff_t>(consts + 2), scalars.begin(),
           scalars.end());
  ASSERT_OK_AND_ASSIGN(CodeSummary s, SummarizeMarshalCode(b, Limits{}));
  EXPECT_THAT(s.string_constants, Contains("echo MATS-TEST-MARKER"));
}

}  // namespace
}  // namespace mats::keras
