// Hand-built HDF5 files (superblock v2 + OHDR v2 object headers) that reach
// the reader's message handlers and error paths one by one.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "mats/hdf5/hdf5.h"
#include "testing/recording_context.h"
#include "testing/status_matchers.h"

namespace mats::hdf5 {
namespace {

using ::mats::testing::RecordingContext;
using ::mats::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr uint64_t kUndef = ~uint64_t{0};

struct Msg {
  uint8_t type;
  Bytes data;
  uint8_t flags = 0;
};

void Put8(Bytes& b, uint8_t v) { b.push_back(v); }
void Put16(Bytes& b, uint16_t v) {
  for (int i = 0; i < 2; ++i) b.push_back(static_cast<uint8_t>(v >> (8 * i)));
}
void Put32(Bytes& b, uint32_t v) {
  for (int i = 0; i < 4; ++i) b.push_back(static_cast<uint8_t>(v >> (8 * i)));
}
void Put64(Bytes& b, uint64_t v) {
  for (int i = 0; i < 8; ++i) b.push_back(static_cast<uint8_t>(v >> (8 * i)));
}
void PutStr(Bytes& b, std::string_view s) { b.insert(b.end(), s.begin(), s.end()); }

// An OHDR v2 header (1-byte chunk size) holding `msgs`.
Bytes Ohdr(const std::vector<Msg>& msgs) {
  Bytes body;
  for (const Msg& m : msgs) {
    Put8(body, m.type);
    Put16(body, static_cast<uint16_t>(m.data.size()));
    Put8(body, m.flags);
    body.insert(body.end(), m.data.begin(), m.data.end());
  }
  Bytes h;
  PutStr(h, "OHDR");
  Put8(h, 2);     // version
  Put8(h, 0x01);  // flags: chunk size in 2 bytes
  Put16(h, static_cast<uint16_t>(body.size()));
  h.insert(h.end(), body.begin(), body.end());
  Put32(h, 0);  // checksum (not verified)
  return h;
}

// A file: superblock v2 at 0 (48 bytes), root object header at 48, then
// `extra` (addressable at 48 + root.size()).
Bytes File(const Bytes& root, const Bytes& extra = {}) {
  Bytes f;
  PutStr(f, "\x89HDF\r\n\x1a\n");
  Put8(f, 2);   // superblock version
  Put8(f, 8);   // size of offsets
  Put8(f, 8);   // size of lengths
  Put8(f, 0);   // flags
  Put64(f, 0);  // base address
  Put64(f, kUndef);  // extension
  Put64(f, 0);  // eof (not checked)
  Put64(f, 48);  // root object header
  Put32(f, 0);   // checksum
  EXPECT_EQ(f.size(), 48u);
  f.insert(f.end(), root.begin(), root.end());
  f.insert(f.end(), extra.begin(), extra.end());
  return f;
}

Msg Link(uint8_t type, std::string_view name, const Bytes& info) {
  Msg m{0x06, {}};
  Put8(m.data, 1);     // version
  Put8(m.data, 0x08);  // flags: link type present, 1-byte name length
  Put8(m.data, type);
  Put8(m.data, static_cast<uint8_t>(name.size()));
  PutStr(m.data, name);
  m.data.insert(m.data.end(), info.begin(), info.end());
  return m;
}

Msg FixedStringAttr(std::string_view name, std::string_view value, uint8_t flags = 0) {
  Msg m{0x0C, {}};
  Put8(m.data, 3);  // version
  Put8(m.data, flags);
  Put16(m.data, static_cast<uint16_t>(name.size() + 1));
  Put16(m.data, 8);   // datatype size
  Put16(m.data, 4);   // dataspace size
  Put8(m.data, 0);    // encoding
  PutStr(m.data, name);
  Put8(m.data, 0);
  Put8(m.data, 0x13);  // class 3 (string), version 1
  Put8(m.data, 0);
  Put16(m.data, 0);
  Put32(m.data, static_cast<uint32_t>(value.size()));
  Put8(m.data, 2);  // dataspace v2
  Put8(m.data, 0);  // rank 0
  Put8(m.data, 0);
  Put8(m.data, 0);  // scalar
  PutStr(m.data, value);
  return m;
}

Status Read(const Bytes& f, FileSummary* s, Limits limits = {}) {
  return ReadHdf5(f, limits, s);
}

TEST(Hdf5SyntheticTest, RootFixedStringAttribute) {
  Bytes f = File(Ohdr({FixedStringAttr("keras_version", std::string("3.0.0\0\0", 7))}));
  FileSummary s;
  ASSERT_OK(Read(f, &s));
  ASSERT_EQ(s.root_attributes.size(), 1u);
  EXPECT_EQ(s.root_attributes[0].values[0], "3.0.0");
  EXPECT_EQ(s.superblock_version, 2);
}

TEST(Hdf5SyntheticTest, KerasModelInfoOnlyWithModelConfig) {
  RecordingContext plain;
  ASSERT_OK(AnalyzeHdf5(File(Ohdr({FixedStringAttr("keras_version", "3.1.0")})), plain));
  EXPECT_THAT(plain.findings, IsEmpty());
  EXPECT_EQ(plain.format(), "");
  RecordingContext keras;
  ASSERT_OK(AnalyzeHdf5(File(Ohdr({FixedStringAttr("model_config", "{}"),
                                   FixedStringAttr("keras_version", "3.1.0")})),
                        keras));
  ASSERT_TRUE(keras.HasRule(kRuleKerasModel));
  EXPECT_THAT(keras.FindRule(kRuleKerasModel)->evidence,
              HasSubstr("keras_version=3.1.0 backend=unknown training_config=no"));
  EXPECT_EQ(keras.format(), "keras-h5");
}

TEST(Hdf5SyntheticTest, OtherAttributesAreNotDecoded) {
  Bytes f = File(Ohdr({FixedStringAttr("note", "x")}));
  FileSummary s;
  ASSERT_OK(Read(f, &s));
  EXPECT_THAT(s.root_attributes, IsEmpty());
}

TEST(Hdf5SyntheticTest, SharedAttributeDatatypeIsUnsupported) {
  Bytes f = File(Ohdr({FixedStringAttr("model_config", "{}", 0x01)}));
  FileSummary s;
  ASSERT_OK(Read(f, &s));
  ASSERT_EQ(s.unsupported.size(), 1u);
  EXPECT_THAT(s.unsupported[0].status, StatusIs(ErrorCode::kUnsupported, HasSubstr("shared")));
}

TEST(Hdf5SyntheticTest, AttributeValueTruncated) {
  Msg m = FixedStringAttr("backend", "tensorflow");
  m.data.resize(m.data.size() - 3);
  Bytes f = File(Ohdr({m}));
  FileSummary s;
  EXPECT_THAT(Read(f, &s), StatusIs(ErrorCode::kMalformed, HasSubstr("needs")));
}

TEST(Hdf5SyntheticTest, AttributeVersionUnsupported) {
  Msg m = FixedStringAttr("backend", "tf");
  m.data[0] = 9;
  FileSummary s;
  ASSERT_OK(Read(File(Ohdr({m})), &s));
  ASSERT_EQ(s.unsupported.size(), 1u);
  EXPECT_THAT(s.unsupported[0].status.message(), HasSubstr("attribute message version 9"));
}

TEST(Hdf5SyntheticTest, DataspaceVersionUnsupported) {
  Msg m = FixedStringAttr("backend", "tf");
  // Dataspace starts after the 9-byte prefix, the name and the datatype.
  m.data[9 + 8 + 8] = 7;
  FileSummary s;
  ASSERT_OK(Read(File(Ohdr({m})), &s));
  ASSERT_EQ(s.unsupported.size(), 1u);
  EXPECT_THAT(s.unsupported[0].status.message(), HasSubstr("dataspace version 7"));
}

TEST(Hdf5SyntheticTest, ExternalSoftAndUserDefinedLinks) {
  Bytes ext;
  Put16(ext, 14);  // includes the version/flags byte
  Put8(ext, 0);
  PutStr(ext, std::string("other.h5\0/obj", 13));
  Bytes soft;
  Put16(soft, 4);
  PutStr(soft, "/a/b");
  Bytes f = File(Ohdr({Link(64, "ext", ext), Link(1, "soft", soft), Link(99, "ud", {})}));
  FileSummary s;
  ASSERT_OK(Read(f, &s));
  ASSERT_EQ(s.external_links.size(), 1u);
  EXPECT_EQ(s.external_links[0].path, "/ext");
  EXPECT_EQ(s.external_links[0].target_file, "other.h5");
  EXPECT_EQ(s.external_links[0].target_object, "/obj");
  ASSERT_EQ(s.unsupported.size(), 1u);
  EXPECT_EQ(s.unsupported[0].path, "/ud");
}

TEST(Hdf5SyntheticTest, HardLinkToChildAndCycle) {
  // Root links to a child at 48 + root size; the child links back to root.
  Bytes probe = Ohdr({Link(0, "child", Bytes(8, 0))});
  uint64_t child_addr = 48 + probe.size();
  Bytes addr;
  Put64(addr, child_addr);
  Bytes root = Ohdr({Link(0, "child", addr)});
  ASSERT_EQ(root.size(), probe.size());
  Bytes back;
  Put64(back, 48);
  Bytes child = Ohdr({Link(0, "up", back), FixedStringAttr("model_config", "{}")});
  FileSummary s;
  ASSERT_OK(Read(File(root, child), &s));
  EXPECT_EQ(s.objects, 2u);
  EXPECT_THAT(s.root_attributes, IsEmpty());  // not on the root
}

TEST(Hdf5SyntheticTest, LinkVersionAndNameLimit) {
  Msg m = Link(0, "abc", Bytes(8, 0));
  m.data[0] = 2;
  FileSummary s;
  ASSERT_OK(Read(File(Ohdr({m})), &s));
  ASSERT_EQ(s.unsupported.size(), 1u);
  Limits limits;
  limits.max_string_bytes = 2;
  FileSummary s2;
  EXPECT_THAT(Read(File(Ohdr({Link(0, "abc", Bytes(8, 0))})), &s2, limits),
              StatusIs(ErrorCode::kLimitExceeded, HasSubstr("max_string_bytes")));
}

TEST(Hdf5SyntheticTest, DenseAttributeStorage) {
  Msg info{0x15, {}};
  Put8(info.data, 0);
  Put8(info.data, 0);
  Put64(info.data, 1234);   // fractal heap
  Put64(info.data, kUndef);  // name index
  FileSummary s;
  ASSERT_OK(Read(File(Ohdr({info})), &s));
  ASSERT_EQ(s.unsupported.size(), 1u);
  EXPECT_THAT(s.unsupported[0].status.message(), HasSubstr("dense attribute"));
  Msg compact{0x15, {}};
  Put8(compact.data, 0);
  Put8(compact.data, 0);
  Put64(compact.data, kUndef);
  Put64(compact.data, kUndef);
  FileSummary s2;
  ASSERT_OK(Read(File(Ohdr({compact})), &s2));
  EXPECT_THAT(s2.unsupported, IsEmpty());
}

TEST(Hdf5SyntheticTest, VirtualLayoutWithBrokenHeapStillReported) {
  Msg layout{0x08, {}};
  Put8(layout.data, 4);  // version
  Put8(layout.data, 3);  // virtual
  Put64(layout.data, 999999);  // global heap address outside the file
  Put32(layout.data, 1);
  FileSummary s;
  EXPECT_THAT(Read(File(Ohdr({layout})), &s), StatusIs(ErrorCode::kMalformed));
  ASSERT_EQ(s.virtual_datasets.size(), 1u);
  EXPECT_EQ(s.virtual_datasets[0].first_source_file, "");
  RecordingContext ctx;
  EXPECT_FALSE(AnalyzeHdf5(File(Ohdr({layout})), ctx).ok());
  EXPECT_TRUE(ctx.HasRule(kRuleVirtualDataset));  // kept despite the error
}

TEST(Hdf5SyntheticTest, ContiguousLayoutIsFine) {
  Msg layout{0x08, {}};
  Put8(layout.data, 3);
  Put8(layout.data, 1);  // contiguous
  Put64(layout.data, 0);
  Put64(layout.data, 0);
  FileSummary s;
  ASSERT_OK(Read(File(Ohdr({layout})), &s));
  EXPECT_THAT(s.virtual_datasets, IsEmpty());
  Msg v9{0x08, {9}};
  ASSERT_OK(Read(File(Ohdr({v9})), &s));
  EXPECT_EQ(s.unsupported.size(), 1u);
}

TEST(Hdf5SyntheticTest, ExternalFilesWithBadHeap) {
  Msg ef{0x07, {}};
  Put8(ef.data, 1);
  Put8(ef.data, 0);
  Put16(ef.data, 0);
  Put16(ef.data, 1);  // allocated
  Put16(ef.data, 1);  // used
  Put64(ef.data, 5);  // heap address: inside the superblock, not a HEAP
  Put64(ef.data, 0);
  Put64(ef.data, 0);
  Put64(ef.data, 16);
  FileSummary s;
  EXPECT_THAT(Read(File(Ohdr({ef})), &s),
              StatusIs(ErrorCode::kMalformed, HasSubstr("want HEAP")));
  ASSERT_EQ(s.external_storage.size(), 1u);
  Msg v2 = ef;
  v2.data[0] = 2;
  FileSummary s2;
  ASSERT_OK(Read(File(Ohdr({v2})), &s2));
  EXPECT_EQ(s2.unsupported.size(), 1u);
}

TEST(Hdf5SyntheticTest, ContinuationLoopIsMalformed) {
  // A continuation pointing at an OCHK block that continues to itself.
  Bytes root_probe = Ohdr({Msg{0x10, Bytes(16, 0)}});
  uint64_t block_addr = 48 + root_probe.size();
  Bytes cont;
  Put64(cont, block_addr);
  Put64(cont, 4 + 4 + 16 + 4);
  Bytes root = Ohdr({Msg{0x10, cont}});
  Bytes block;
  PutStr(block, "OCHK");
  Put8(block, 0x10);
  Put16(block, 16);
  Put8(block, 0);
  block.insert(block.end(), cont.begin(), cont.end());
  Put32(block, 0);
  FileSummary s;
  EXPECT_THAT(Read(File(root, block), &s),
              StatusIs(ErrorCode::kMalformed, HasSubstr("repeats")));
  block[0] = 'X';
  EXPECT_THAT(Read(File(root, block), &s),
              StatusIs(ErrorCode::kMalformed, HasSubstr("want OCHK")));
}

TEST(Hdf5SyntheticTest, MessageBeyondHeaderIsMalformed) {
  Bytes h = Ohdr({FixedStringAttr("backend", "tf")});
  h[6] = 0xff;  // chunk size larger than the file
  h[7] = 0x7f;
  FileSummary s;
  EXPECT_THAT(Read(File(h), &s), StatusIs(ErrorCode::kMalformed));
}

}  // namespace
}  // namespace mats::hdf5
