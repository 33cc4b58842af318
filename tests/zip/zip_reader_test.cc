#include "mats/zip/zip_reader.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>

#include "testing/status_matchers.h"
#include "zip/zip_test_util.h"

namespace mats::zip {
namespace {

using ::mats::testing::BuildZip;
using ::mats::testing::LoadFixture;
using ::mats::testing::PutU16;
using ::mats::testing::PutU32;
using ::mats::testing::PutU64;
using ::mats::testing::SetU16;
using ::mats::testing::SetU32;
using ::mats::testing::StatusIs;
using ::mats::testing::TestMember;
using ::mats::testing::ToBytes;
using ::testing::HasSubstr;

bool HasAnomaly(const ZipListing& z, AnomalyKind k) {
  return std::any_of(z.anomalies.begin(), z.anomalies.end(),
                     [k](const ZipAnomaly& a) { return a.kind == k; });
}

Bytes Simple() {
  return BuildZip({{"a.txt", ToBytes("hello"), 0, 0}, {"b.bin", ToBytes("world world world"), 8, 0}});
}

TEST(ZipReaderTest, ReadsWellFormedZip) {
  Bytes z = Simple();
  ASSERT_OK_AND_ASSIGN(ZipListing l, ReadZip(z, Limits{}));
  ASSERT_EQ(l.entries.size(), 2u);
  EXPECT_TRUE(l.anomalies.empty());
  EXPECT_TRUE(l.has_central_directory);
  EXPECT_EQ(l.entries[0].name, "a.txt");
  EXPECT_TRUE(l.entries[0].in_central);
  EXPECT_TRUE(l.entries[0].local_valid);
  archive::DecompressLimits dl = archive::DecompressLimits::From(Limits{});
  ASSERT_OK_AND_ASSIGN(MemberData a, ReadMemberData(z, l.entries[0], dl));
  EXPECT_EQ(AsChars(a.bytes()), "hello");
  ASSERT_OK_AND_ASSIGN(MemberData b, ReadMemberData(z, l.entries[1], dl));
  EXPECT_EQ(AsChars(b.bytes()), "world world world");
  EXPECT_EQ(b.inflated_size(), 17u);
  EXPECT_EQ(ReadMemberPrefix(z, l.entries[1], 5), ToBytes("world"));
}

TEST(ZipReaderTest, EmptyArchive) {
  Bytes z = BuildZip({});
  ASSERT_OK_AND_ASSIGN(ZipListing l, ReadZip(z, Limits{}));
  EXPECT_TRUE(l.entries.empty());
  EXPECT_TRUE(l.anomalies.empty());
}

TEST(ZipReaderTest, RejectsNoEocdAndNoLocalHeader) {
  Bytes junk = ToBytes("this is not a zip at all, not even close");
  EXPECT_THAT(ReadZip(junk, Limits{}).status(), StatusIs(ErrorCode::kMalformed));
  EXPECT_THAT(ReadZip(ByteSpan(), Limits{}).status(), StatusIs(ErrorCode::kMalformed));
}

TEST(ZipReaderTest, TruncatedEocdFallsBackToLocalWalk) {
  Bytes z = Simple();
  z.resize(z.size() - 5);
  ASSERT_OK_AND_ASSIGN(ZipListing l, ReadZip(z, Limits{}));
  EXPECT_FALSE(l.has_central_directory);
  EXPECT_TRUE(HasAnomaly(l, AnomalyKind::kNoCentralDirectory));
  ASSERT_GE(l.entries.size(), 2u);
  EXPECT_EQ(l.entries[0].name, "a.txt");
}

TEST(ZipReaderTest, CommentLongerThanFileIsNotAnEocd) {
  size_t eocd = 0;
  Bytes z = BuildZip({{"a.txt", ToBytes("x"), 0, 0}}, &eocd);
  SetU16(z, eocd + 20, 500);
  ASSERT_OK_AND_ASSIGN(ZipListing l, ReadZip(z, Limits{}));
  EXPECT_FALSE(l.has_central_directory);
}

TEST(ZipReaderTest, CommentShorterThanTailIsTrailingData) {
  size_t eocd = 0;
  Bytes z = BuildZip({{"a.txt", ToBytes("x"), 0, 0}}, &eocd, "comment");
  SetU16(z, eocd + 20, 3);
  ASSERT_OK_AND_ASSIGN(ZipListing l, ReadZip(z, Limits{}));
  EXPECT_TRUE(l.has_central_directory);
  EXPECT_EQ(l.comment, "com");
  EXPECT_TRUE(HasAnomaly(l, AnomalyKind::kTrailingData));
}

TEST(ZipReaderTest, RejectsCentralDirectoryOutsideFile) {
  size_t eocd = 0;
  Bytes z = BuildZip({{"a.txt", ToBytes("x"), 0, 0}}, &eocd);
  SetU32(z, eocd + 16, 0x7FFFFFF0);
  EXPECT_THAT(ReadZip(z, Limits{}).status(), StatusIs(ErrorCode::kMalformed));
  Bytes z2 = BuildZip({{"a.txt", ToBytes("x"), 0, 0}}, &eocd);
  SetU32(z2, eocd + 12, 0xFFFFFF00);
  EXPECT_THAT(ReadZip(z2, Limits{}).status(), StatusIs(ErrorCode::kMalformed));
}

TEST(ZipReaderTest, RejectsEntryCountThatCannotFit) {
  size_t eocd = 0;
  Bytes z = BuildZip({{"a.txt", ToBytes("x"), 0, 0}}, &eocd);
  SetU16(z, eocd + 8, 5);
  SetU16(z, eocd + 10, 5);
  EXPECT_THAT(ReadZip(z, Limits{}).status(),
              StatusIs(ErrorCode::kMalformed, HasSubstr("cannot fit")));
}

TEST(ZipReaderTest, ExtraCentralBytesAreACountMismatch) {
  size_t eocd = 0;
  Bytes z = BuildZip({{"a.txt", ToBytes("x"), 0, 0}, {"b.txt", ToBytes("y"), 0, 0}}, &eocd);
  SetU16(z, eocd + 8, 1);
  SetU16(z, eocd + 10, 1);
  ASSERT_OK_AND_ASSIGN(ZipListing l, ReadZip(z, Limits{}));
  EXPECT_TRUE(HasAnomaly(l, AnomalyKind::kCountMismatch));
  // b.txt is still found by the local walk.
  EXPECT_TRUE(HasAnomaly(l, AnomalyKind::kLocalOnly));
}

TEST(ZipReaderTest, RejectsBadCentralSignature) {
  size_t eocd = 0;
  Bytes z = BuildZip({{"a.txt", ToBytes("x"), 0, 0}}, &eocd);
  uint32_t cd = LoadU32Le(ByteSpan(z).subspan(eocd + 16, 4));
  z[cd] = 'X';
  EXPECT_THAT(ReadZip(z, Limits{}).status(),
              StatusIs(ErrorCode::kMalformed, HasSubstr("central directory signature")));
}

TEST(ZipReaderTest, RejectsTruncatedCentralEntry) {
  size_t eocd = 0;
  Bytes z = BuildZip({{"a.txt", ToBytes("x"), 0, 0}}, &eocd);
  uint32_t cd = LoadU32Le(ByteSpan(z).subspan(eocd + 16, 4));
  SetU16(z, cd + 28, 200);  // name length past the directory
  EXPECT_THAT(ReadZip(z, Limits{}).status(), StatusIs(ErrorCode::kMalformed));
}

TEST(ZipReaderTest, RejectsMultiDisk) {
  size_t eocd = 0;
  Bytes z = BuildZip({{"a.txt", ToBytes("x"), 0, 0}}, &eocd);
  SetU16(z, eocd + 4, 1);
  EXPECT_THAT(ReadZip(z, Limits{}).status(), StatusIs(ErrorCode::kUnsupported));
  Bytes z2 = BuildZip({{"a.txt", ToBytes("x"), 0, 0}}, &eocd);
  uint32_t cd = LoadU32Le(ByteSpan(z2).subspan(eocd + 16, 4));
  SetU16(z2, cd + 34, 2);  // entry's disk number
  EXPECT_THAT(ReadZip(z2, Limits{}).status(), StatusIs(ErrorCode::kUnsupported));
}

TEST(ZipReaderTest, RejectsZip64MarkersWithoutLocator) {
  size_t eocd = 0;
  Bytes z = BuildZip({{"a.txt", ToBytes("x"), 0, 0}}, &eocd);
  SetU32(z, eocd + 16, 0xFFFFFFFF);
  EXPECT_THAT(ReadZip(z, Limits{}).status(),
              StatusIs(ErrorCode::kMalformed, HasSubstr("no zip64 locator")));
}

TEST(ZipReaderTest, MaxEntriesAtAndPastBoundary) {
  Bytes z = Simple();
  Limits at;
  at.max_entries = 2;
  EXPECT_OK(ReadZip(z, at).status());
  Limits past;
  past.max_entries = 1;
  EXPECT_THAT(ReadZip(z, past).status(),
              StatusIs(ErrorCode::kLimitExceeded, HasSubstr("max_entries=1")));
  // Without a central directory the local walk enforces it too.
  Bytes no_cd = z;
  no_cd.resize(no_cd.size() - 5);
  EXPECT_THAT(ReadZip(no_cd, past).status(), StatusIs(ErrorCode::kLimitExceeded));
}

// ---- zip64 ----

TEST(ZipReaderTest, ReadsZip64Fixture) {
  Bytes z = LoadFixture("zip/zip64.zip");
  ASSERT_FALSE(z.empty());
  ASSERT_OK_AND_ASSIGN(ZipListing l, ReadZip(z, Limits{}));
  EXPECT_TRUE(l.zip64);
  ASSERT_EQ(l.entries.size(), 1u);
  EXPECT_EQ(l.entries[0].name, "data.pkl");
  EXPECT_EQ(l.entries[0].compressed_size, l.entries[0].uncompressed_size);
  EXPECT_LT(l.entries[0].compressed_size, 100u);
  EXPECT_TRUE(l.anomalies.empty());
  ASSERT_OK(ReadMemberData(z, l.entries[0], archive::DecompressLimits::From(Limits{})).status());
}

class Zip64Mutation : public ::testing::Test {
 protected:
  void SetUp() override {
    z_ = LoadFixture("zip/zip64.zip");
    ASSERT_GT(z_.size(), 100u);
    eocd_ = z_.size() - 22;
    locator_ = eocd_ - 20;
    record_ = LoadU64Le(ByteSpan(z_).subspan(locator_ + 8, 8));
  }
  Bytes z_;
  size_t eocd_ = 0, locator_ = 0;
  uint64_t record_ = 0;
};

TEST_F(Zip64Mutation, LocatorPointingOutside) {
  for (int i = 0; i < 8; ++i) z_[locator_ + 8 + static_cast<size_t>(i)] = 0xFF;
  EXPECT_THAT(ReadZip(z_, Limits{}).status(), StatusIs(ErrorCode::kMalformed, HasSubstr("locator")));
}

TEST_F(Zip64Mutation, BadRecordSignature) {
  z_[record_] = 'X';
  EXPECT_THAT(ReadZip(z_, Limits{}).status(), StatusIs(ErrorCode::kMalformed, HasSubstr("signature")));
}

TEST_F(Zip64Mutation, RecordSizeOverflow) {
  for (int i = 0; i < 8; ++i) z_[record_ + 4 + static_cast<size_t>(i)] = 0xFF;
  EXPECT_THAT(ReadZip(z_, Limits{}).status(), StatusIs(ErrorCode::kMalformed, HasSubstr("size")));
}

TEST_F(Zip64Mutation, MultiDiskLocator) {
  SetU32(z_, locator_ + 16, 3);
  EXPECT_THAT(ReadZip(z_, Limits{}).status(), StatusIs(ErrorCode::kUnsupported));
}

TEST_F(Zip64Mutation, MultiDiskRecord) {
  SetU32(z_, record_ + 16, 1);
  EXPECT_THAT(ReadZip(z_, Limits{}).status(), StatusIs(ErrorCode::kUnsupported));
}

TEST_F(Zip64Mutation, CentralDirectoryOffsetOverflow) {
  for (int i = 0; i < 8; ++i) z_[record_ + 48 + static_cast<size_t>(i)] = 0xFF;
  EXPECT_THAT(ReadZip(z_, Limits{}).status(), StatusIs(ErrorCode::kMalformed));
}

TEST_F(Zip64Mutation, HugeEntryCount) {
  for (int i = 0; i < 8; ++i) z_[record_ + 32 + static_cast<size_t>(i)] = 0xFF;
  EXPECT_THAT(ReadZip(z_, Limits{}).status(), StatusIs(ErrorCode::kLimitExceeded));
}

TEST_F(Zip64Mutation, MissingZip64ExtraField) {
  uint64_t cd = LoadU64Le(ByteSpan(z_).subspan(record_ + 48, 8));
  SetU16(z_, cd + 30, 0);  // extra length 0: the saturated fields have no source
  EXPECT_THAT(ReadZip(z_, Limits{}).status(), StatusIs(ErrorCode::kMalformed));
}

TEST_F(Zip64Mutation, ShortZip64ExtraField) {
  uint64_t cd = LoadU64Le(ByteSpan(z_).subspan(record_ + 48, 8));
  size_t name_len = LoadU16Le(ByteSpan(z_).subspan(cd + 28, 2));
  SetU16(z_, cd + 46 + name_len + 2, 8);  // zip64 field claims only 8 bytes
  EXPECT_THAT(ReadZip(z_, Limits{}).status(), StatusIs(ErrorCode::kMalformed, HasSubstr("zip64 extra")));
}

TEST_F(Zip64Mutation, ExtraFieldLongerThanArea) {
  uint64_t cd = LoadU64Le(ByteSpan(z_).subspan(record_ + 48, 8));
  size_t name_len = LoadU16Le(ByteSpan(z_).subspan(cd + 28, 2));
  SetU16(z_, cd + 46 + name_len + 2, 500);
  EXPECT_THAT(ReadZip(z_, Limits{}).status(), StatusIs(ErrorCode::kMalformed, HasSubstr("exceeds")));
}

// ---- divergences (fixtures from tools/gen/containers_fixtures.py) ----

struct DivergenceCase {
  const char* fixture;
  AnomalyKind kind;
};

class DivergenceTest : public ::testing::TestWithParam<DivergenceCase> {};

TEST_P(DivergenceTest, Reported) {
  Bytes z = LoadFixture(std::string("zip/") + GetParam().fixture);
  ASSERT_FALSE(z.empty()) << GetParam().fixture;
  ASSERT_OK_AND_ASSIGN(ZipListing l, ReadZip(z, Limits{}));
  EXPECT_TRUE(HasAnomaly(l, GetParam().kind)) << GetParam().fixture;
}

INSTANTIATE_TEST_SUITE_P(
    Fixtures, DivergenceTest,
    ::testing::Values(DivergenceCase{"duplicate_names.zip", AnomalyKind::kDuplicateName},
                      DivergenceCase{"name_mismatch.zip", AnomalyKind::kNameMismatch},
                      DivergenceCase{"encrypted_flag.zip", AnomalyKind::kFlagBits},
                      DivergenceCase{"patched_flag.zip", AnomalyKind::kFlagBits},
                      DivergenceCase{"prepended.zip", AnomalyKind::kPrependedData},
                      DivergenceCase{"gap.zip", AnomalyKind::kGapData},
                      DivergenceCase{"trailing_garbage.zip", AnomalyKind::kTrailingData},
                      DivergenceCase{"trailing_garbage.zip", AnomalyKind::kLocalOnly},
                      DivergenceCase{"concatenated.zip", AnomalyKind::kPrependedData},
                      DivergenceCase{"concatenated.zip", AnomalyKind::kLocalOnly},
                      DivergenceCase{"local_only.zip", AnomalyKind::kLocalOnly},
                      DivergenceCase{"central_without_local.zip", AnomalyKind::kCentralWithoutLocal},
                      DivergenceCase{"overlap.zip", AnomalyKind::kOverlap},
                      DivergenceCase{"no_central_directory.zip", AnomalyKind::kNoCentralDirectory}));

TEST(ZipReaderTest, CleanFixturesHaveNoAnomalies) {
  for (const char* f : {"zip/benign.zip", "zip/malicious_pickle.zip", "zip/traversal.zip"}) {
    Bytes z = LoadFixture(f);
    ASSERT_OK_AND_ASSIGN(ZipListing l, ReadZip(z, Limits{}));
    EXPECT_TRUE(l.anomalies.empty()) << f << ": " << l.anomalies[0].detail;
  }
}

TEST(ZipReaderTest, TrailingArchiveMembersAreListed) {
  Bytes z = LoadFixture("zip/concatenated.zip");
  ASSERT_OK_AND_ASSIGN(ZipListing l, ReadZip(z, Limits{}));
  bool hidden = std::any_of(l.entries.begin(), l.entries.end(),
                            [](const ZipEntry& e) { return e.name == "hidden.pkl" && e.local_valid; });
  EXPECT_TRUE(hidden);
}

TEST(ZipReaderTest, PrependedDataShiftsOffsets) {
  Bytes z = LoadFixture("zip/prepended.zip");
  ASSERT_OK_AND_ASSIGN(ZipListing l, ReadZip(z, Limits{}));
  ASSERT_EQ(l.entries.size(), 1u);
  EXPECT_TRUE(l.entries[0].local_valid);
  EXPECT_EQ(l.entries[0].local_header_offset, 16u);
  EXPECT_FALSE(HasAnomaly(l, AnomalyKind::kLocalOnly));
}

TEST(ZipReaderTest, TorchCheckpointHasOnlyDataDescriptorNote) {
  Bytes z = LoadFixture("pytorch/state_dict.pt");
  ASSERT_OK_AND_ASSIGN(ZipListing l, ReadZip(z, Limits{}));
  EXPECT_EQ(l.entries.size(), 4u);
  for (const ZipAnomaly& a : l.anomalies) {
    EXPECT_EQ(a.kind, AnomalyKind::kDataDescriptor) << a.detail << " @" << a.offset;
  }
}

TEST(ZipReaderTest, LocalOnlyDeflateWithDescriptorIsSized) {
  // One central member, then a hidden deflated member with flag 0x8 and
  // zero sizes in its local header, found by inflating to the stream end.
  Bytes z = BuildZip({{"a.txt", ToBytes("aaaa"), 0, 0}});
  size_t cd = LoadU32Le(ByteSpan(z).subspan(z.size() - 22 + 16, 4));
  Bytes hidden;
  Bytes body = ToBytes("hidden hidden hidden");
  Bytes comp = testing::RawDeflate(body);
  PutU32(hidden, 0x04034b50);
  PutU16(hidden, 20);
  PutU16(hidden, 0x0008);
  PutU16(hidden, 8);
  PutU32(hidden, 0);
  PutU32(hidden, 0);
  PutU32(hidden, 0);
  PutU32(hidden, 0);
  PutU16(hidden, 5);
  PutU16(hidden, 0);
  testing::PutStr(hidden, "h.txt");
  hidden.insert(hidden.end(), comp.begin(), comp.end());
  PutU32(hidden, 0x08074b50);
  PutU32(hidden, testing::TestCrc("hidden hidden hidden"));
  PutU32(hidden, static_cast<uint32_t>(comp.size()));
  PutU32(hidden, static_cast<uint32_t>(body.size()));
  z.insert(z.begin() + static_cast<std::ptrdiff_t>(cd), hidden.begin(), hidden.end());
  SetU32(z, z.size() - 22 + 16, static_cast<uint32_t>(cd + hidden.size()));
  ASSERT_OK_AND_ASSIGN(ZipListing l, ReadZip(z, Limits{}));
  ASSERT_EQ(l.entries.size(), 2u);
  const ZipEntry& h = l.entries[1];
  EXPECT_EQ(h.name, "h.txt");
  EXPECT_TRUE(h.size_known);
  EXPECT_EQ(h.compressed_size, comp.size());
  EXPECT_TRUE(HasAnomaly(l, AnomalyKind::kLocalOnly));
  EXPECT_FALSE(HasAnomaly(l, AnomalyKind::kGapData));
  ASSERT_OK_AND_ASSIGN(MemberData d, ReadMemberData(z, h, archive::DecompressLimits::From(Limits{})));
  EXPECT_EQ(AsChars(d.bytes()), "hidden hidden hidden");
}

TEST(ZipReaderTest, TrailingLocalEntryDoesNotOverlapCentralDirectory) {
  Bytes z = LoadFixture("zip/trailing_garbage.zip");
  ASSERT_OK_AND_ASSIGN(ZipListing l, ReadZip(z, Limits{}));
  EXPECT_FALSE(HasAnomaly(l, AnomalyKind::kOverlap));
}

TEST(ZipReaderTest, MemberRunningIntoCentralDirectoryOverlaps) {
  Bytes z = BuildZip({{"a.txt", ToBytes("hello"), 0, 0}});
  // Central compressed size 40: the data now runs over the directory.
  size_t cd = LoadU32Le(ByteSpan(z).subspan(z.size() - 22 + 16, 4));
  SetU32(z, cd + 20, 40);
  ASSERT_OK_AND_ASSIGN(ZipListing l, ReadZip(z, Limits{}));
  EXPECT_TRUE(HasAnomaly(l, AnomalyKind::kOverlap));
}

TEST(ZipReaderTest, FieldMismatchBetweenLocalAndCentral) {
  Bytes z = BuildZip({{"a.txt", ToBytes("hello"), 0, 0}});
  SetU32(z, 18, 3);  // local compressed size
  ASSERT_OK_AND_ASSIGN(ZipListing l, ReadZip(z, Limits{}));
  EXPECT_TRUE(HasAnomaly(l, AnomalyKind::kFieldMismatch));
}

TEST(ZipReaderTest, Zip64RecordGapIsReported) {
  Bytes z = LoadFixture("zip/zip64.zip");
  size_t locator = z.size() - 22 - 20;
  // Four unaccounted bytes between the zip64 record and its locator.
  Bytes junk = ToBytes("JUNK");
  z.insert(z.begin() + static_cast<std::ptrdiff_t>(locator), junk.begin(), junk.end());
  ASSERT_OK_AND_ASSIGN(ZipListing l, ReadZip(z, Limits{}));
  EXPECT_TRUE(HasAnomaly(l, AnomalyKind::kGapData));
}

// ---- member data ----

TEST(ZipMemberTest, ErrorPaths) {
  Bytes z = Simple();
  ASSERT_OK_AND_ASSIGN(ZipListing l, ReadZip(z, Limits{}));
  archive::DecompressLimits dl = archive::DecompressLimits::From(Limits{});
  ZipEntry e = l.entries[0];
  e.local_valid = false;
  EXPECT_THAT(ReadMemberData(z, e, dl).status(), StatusIs(ErrorCode::kMalformed));
  e = l.entries[0];
  e.size_known = false;
  EXPECT_THAT(ReadMemberData(z, e, dl).status(), StatusIs(ErrorCode::kMalformed));
  e = l.entries[0];
  e.compressed_size = 1 << 20;
  EXPECT_THAT(ReadMemberData(z, e, dl).status(), StatusIs(ErrorCode::kMalformed, HasSubstr("past the end")));
  EXPECT_TRUE(ReadMemberPrefix(z, e, 4).empty());
  e = l.entries[0];
  e.method = 98;  // PPMd: not decoded
  EXPECT_THAT(ReadMemberData(z, e, dl).status(), StatusIs(ErrorCode::kUnsupported));
  EXPECT_TRUE(ReadMemberPrefix(z, e, 4).empty());
  e.method = 12;  // bzip2, but the bytes are not a bzip2 stream
  EXPECT_THAT(ReadMemberData(z, e, dl).status(),
              StatusIs(ErrorCode::kMalformed, HasSubstr("bzip2")));
  e.method = 14;  // LZMA with a header that is too short
  e.compressed_size = 2;
  EXPECT_THAT(ReadMemberData(z, e, dl).status(),
              StatusIs(ErrorCode::kMalformed, HasSubstr("LZMA header truncated")));
  e.compressed_size = l.entries[0].compressed_size;
  EXPECT_THAT(ReadMemberData(z, e, dl).status(),
              StatusIs(ErrorCode::kMalformed, HasSubstr("LZMA properties")));
  e = l.entries[1];
  e.method = 8;
  Bytes corrupt = z;
  corrupt[e.data_offset] = 0xFF;  // invalid block type
  EXPECT_THAT(ReadMemberData(corrupt, e, dl).status(), StatusIs(ErrorCode::kMalformed));
}

TEST(ZipMemberTest, InflateLimitAtAndPastBoundary) {
  Bytes big(1000, 'x');
  Bytes z = BuildZip({{"x", big, 8, 0}, {"y", big, 0, 0}});
  ASSERT_OK_AND_ASSIGN(ZipListing l, ReadZip(z, Limits{}));
  archive::DecompressLimits at = archive::DecompressLimits::From(Limits{});
  at.max_output = 1000;
  EXPECT_OK(ReadMemberData(z, l.entries[0], at).status());
  EXPECT_OK(ReadMemberData(z, l.entries[1], at).status());
  archive::DecompressLimits past = at;
  past.max_output = 999;
  EXPECT_THAT(ReadMemberData(z, l.entries[0], past).status(),
              StatusIs(ErrorCode::kLimitExceeded, HasSubstr("max_inflate_bytes")));
  EXPECT_THAT(ReadMemberData(z, l.entries[1], past).status(), StatusIs(ErrorCode::kLimitExceeded));
}

TEST(ZipMemberTest, RatioLimitAtAndPastBoundary) {
  Bytes zeros(4u << 20, 0);
  Bytes z = BuildZip({{"z", zeros, 8, 0}});
  ASSERT_OK_AND_ASSIGN(ZipListing l, ReadZip(z, Limits{}));
  uint64_t csize = l.entries[0].compressed_size;
  uint64_t ratio = zeros.size() / csize;  // floor: output <= csize * ratio + csize
  archive::DecompressLimits ok = archive::DecompressLimits::From(Limits{});
  ok.max_ratio = static_cast<uint32_t>(ratio + 1);
  EXPECT_OK(ReadMemberData(z, l.entries[0], ok).status());
  archive::DecompressLimits past = ok;
  past.max_ratio = static_cast<uint32_t>(ratio);
  EXPECT_THAT(ReadMemberData(z, l.entries[0], past).status(),
              StatusIs(ErrorCode::kLimitExceeded, HasSubstr("max_compression_ratio")));
}

}  // namespace
}  // namespace mats::zip
