#include "mats/numpy/npy.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "numpy/py_literal.h"
#include "testing/recording_context.h"
#include "testing/status_matchers.h"
#include "zip/zip_test_util.h"

namespace mats::numpy {
namespace {

using internal::ParsePyLiteral;
using internal::PyValue;
using ::mats::testing::LoadFixture;
using ::mats::testing::RecordingContext;
using ::mats::testing::StatusIs;
using ::mats::testing::ToBytes;
using ::testing::HasSubstr;
using namespace std::string_view_literals;  // NOLINT(google-build-using-namespace)

// A v1.0 .npy with `header` (padded to 64 bytes) followed by `body`.
Bytes MakeNpy(std::string header, std::string_view body = {}, uint8_t major = 1) {
  size_t prefix = major == 1 ? 10 : 12;
  while ((prefix + header.size() + 1) % 64 != 0) header.push_back(' ');
  header.push_back('\n');
  Bytes out = ToBytes("\x93NUMPY"sv);
  out.push_back(major);
  out.push_back(0);
  if (major == 1) {
    testing::PutU16(out, static_cast<uint16_t>(header.size()));
  } else {
    testing::PutU32(out, static_cast<uint32_t>(header.size()));
  }
  testing::PutStr(out, header);
  testing::PutStr(out, body);
  return out;
}

// ---- literal parser ----

TEST(PyLiteralTest, ParsesHeaderDict) {
  ASSERT_OK_AND_ASSIGN(
      PyValue v, ParsePyLiteral("{'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), }  ", 16));
  ASSERT_EQ(v.kind, PyValue::Kind::kDict);
  ASSERT_NE(v.Get("descr"), nullptr);
  EXPECT_EQ(v.Get("descr")->str, "<f8");
  EXPECT_EQ(v.Get("fortran_order")->kind, PyValue::Kind::kBool);
  const PyValue* shape = v.Get("shape");
  ASSERT_EQ(shape->kind, PyValue::Kind::kTuple);
  ASSERT_EQ(shape->items.size(), 2u);
  EXPECT_EQ(shape->items[1].integer, 4);
  EXPECT_EQ(v.Get("missing"), nullptr);
}

TEST(PyLiteralTest, ScalarsAndNesting) {
  ASSERT_OK_AND_ASSIGN(PyValue t, ParsePyLiteral("(3,)", 4));
  EXPECT_EQ(t.kind, PyValue::Kind::kTuple);
  ASSERT_OK_AND_ASSIGN(PyValue p, ParsePyLiteral("(3)", 4));
  EXPECT_EQ(p.kind, PyValue::Kind::kInt);  // parentheses, not a tuple
  ASSERT_OK_AND_ASSIGN(PyValue e, ParsePyLiteral("()", 4));
  EXPECT_TRUE(e.items.empty());
  ASSERT_OK_AND_ASSIGN(PyValue l, ParsePyLiteral("[('a', '<i4'), ('b', [('c', '|O')], (2, 3))]", 8));
  EXPECT_EQ(l.kind, PyValue::Kind::kList);
  EXPECT_EQ(l.items[1].items[1].items[0].items[1].str, "|O");
  ASSERT_OK_AND_ASSIGN(PyValue s, ParsePyLiteral(R"("it\'s \x41\\ \n")", 2));
  EXPECT_EQ(s.str, "it's A\\ \n");
  ASSERT_OK_AND_ASSIGN(PyValue n, ParsePyLiteral("None", 2));
  EXPECT_EQ(n.kind, PyValue::Kind::kNone);
  ASSERT_OK_AND_ASSIGN(PyValue big, ParsePyLiteral("(10L, -2)", 2));
  EXPECT_EQ(big.items[0].integer, 10);
  EXPECT_EQ(big.items[1].integer, -2);
}

TEST(PyLiteralTest, ErrorPaths) {
  const char* bad[] = {"",           "{",           "{'a' 1}",      "{'a':}",      "{'a'}",
                       "(1 2)",      "'unterminated", "'a\\",       "'\\x4'",      "'\\xZZ'",
                       "'line\nbreak'", "-",         "99999999999999999999", "(1,) x", "@",
                       "(,)",        "[1,"};
  for (const char* b : bad) {
    EXPECT_THAT(ParsePyLiteral(b, 8).status(), StatusIs(ErrorCode::kMalformed)) << b;
  }
  EXPECT_THAT(ParsePyLiteral("((((1))))", 3).status(),
              StatusIs(ErrorCode::kLimitExceeded, HasSubstr("max_depth=3")));
  EXPECT_OK(ParsePyLiteral("(((1)))", 3).status());
  // Offsets are absolute.
  Status s = ParsePyLiteral("{'a': @}", 4, 100).status();
  ASSERT_TRUE(s.offset().has_value());
  EXPECT_EQ(*s.offset(), 106u);
}

// ---- header ----

TEST(NpyHeaderTest, RealFilesFromNumpy) {
  struct Case {
    const char* file;
    uint8_t major;
    uint64_t itemsize;
    uint64_t count;
    bool object;
  } cases[] = {
      {"numpy/float.npy", 1, 8, 12, false},
      {"numpy/fortran.npy", 1, 4, 6, false},
      {"numpy/structured.npy", 1, 20, 3, false},
      {"numpy/object.npy", 1, 8, 3, true},
      {"numpy/structured_object.npy", 1, 12, 2, true},
      {"numpy/nested_object.npy", 1, 20, 1, true},
      {"numpy/v2.npy", 2, 1, 4, false},
      {"numpy/v3.npy", 3, 2, 2, false},
  };
  for (const Case& c : cases) {
    Bytes b = LoadFixture(c.file);
    ASSERT_FALSE(b.empty()) << c.file;
    ASSERT_OK_AND_ASSIGN(NpyHeader h, ParseNpyHeader(b, Limits{}));
    EXPECT_EQ(h.major, c.major) << c.file;
    EXPECT_EQ(h.itemsize, c.itemsize) << c.file;
    EXPECT_EQ(h.count, c.count) << c.file;
    EXPECT_EQ(h.has_object, c.object) << c.file;
    EXPECT_TRUE(h.anomalies.empty()) << c.file << ": " << h.anomalies[0];
    EXPECT_EQ(h.data_offset % 64, 0u) << c.file;
  }
  ASSERT_OK_AND_ASSIGN(NpyHeader f, ParseNpyHeader(LoadFixture("numpy/fortran.npy"), Limits{}));
  EXPECT_TRUE(f.fortran_order);
}

TEST(NpyHeaderTest, ErrorPaths) {
  Limits lim;
  EXPECT_THAT(ParseNpyHeader(ToBytes("\x93NUMP"sv), lim).status(), StatusIs(ErrorCode::kMalformed));
  EXPECT_THAT(ParseNpyHeader(ToBytes("\x93NUMPX\x01\x00\x00\x00"sv), lim).status(),
              StatusIs(ErrorCode::kMalformed, HasSubstr("magic")));
  EXPECT_THAT(ParseNpyHeader(ToBytes("\x93NUMPY\x04\x00\x00\x00"sv), lim).status(),
              StatusIs(ErrorCode::kUnsupported));
  EXPECT_THAT(ParseNpyHeader(ToBytes("\x93NUMPY\x01\x01\x00\x00"sv), lim).status(),
              StatusIs(ErrorCode::kUnsupported));
  EXPECT_THAT(ParseNpyHeader(ToBytes("\x93NUMPY\x01\x00"sv), lim).status(),
              StatusIs(ErrorCode::kMalformed));
  EXPECT_THAT(ParseNpyHeader(ToBytes("\x93NUMPY\x01\x00\xff\x00{}"sv), lim).status(),
              StatusIs(ErrorCode::kMalformed, HasSubstr("exceeds")));
  auto bad = [&](const std::string& hdr, std::string_view want) {
    EXPECT_THAT(ParseNpyHeader(MakeNpy(hdr), lim).status(),
                StatusIs(ErrorCode::kMalformed, HasSubstr(want)))
        << hdr;
  };
  bad("['descr']", "not a dict");
  bad("{'shape': (1,), 'fortran_order': False}", "no 'descr'");
  bad("{'descr': '<f8', 'fortran_order': False}", "no 'shape'");
  bad("{'descr': '<f8', 'fortran_order': False, 'shape': [1]}", "'shape' is not a tuple");
  bad("{'descr': '<f8', 'fortran_order': False, 'shape': (-1,)}", "non-negative");
  bad("{'descr': '<q9', 'fortran_order': False, 'shape': (1,)}", "unknown dtype");
  bad("{'descr': '<i0', 'fortran_order': False, 'shape': (1,)}", "unknown dtype");
  bad("{'descr': '', 'fortran_order': False, 'shape': (1,)}", "empty dtype");
  bad("{'descr': '<f8[ns]', 'fortran_order': False, 'shape': (1,)}", "unknown dtype");
  bad("{'descr': 5, 'fortran_order': False, 'shape': (1,)}", "neither");
  bad("{'descr': [('a',)], 'fortran_order': False, 'shape': (1,)}", "tuple");
  bad("{'descr': [(1, '<i4')], 'fortran_order': False, 'shape': (1,)}", "name");
  bad("{'descr': [('a', '<i4', 'x')], 'fortran_order': False, 'shape': (1,)}", "bad shape");
  // v3 headers must be UTF-8.
  EXPECT_THAT(ParseNpyHeader(MakeNpy("{'descr': '\xff', 'fortran_order': False, 'shape': ()}", {}, 3), lim)
                  .status(),
              StatusIs(ErrorCode::kMalformed, HasSubstr("UTF-8")));
  // Header over max_string_bytes, and nesting over max_depth.
  Limits small;
  small.max_string_bytes = 54;  // the padded header is 54 bytes
  EXPECT_OK(ParseNpyHeader(MakeNpy("{'descr': '<f8', 'fortran_order': False, 'shape': ()}"), small).status());
  small.max_string_bytes = 53;
  EXPECT_THAT(ParseNpyHeader(MakeNpy("{'descr': '<f8', 'fortran_order': False, 'shape': ()}"), small).status(),
              StatusIs(ErrorCode::kLimitExceeded, HasSubstr("max_string_bytes")));
  Limits shallow;
  shallow.max_depth = 2;
  EXPECT_THAT(ParseNpyHeader(MakeNpy("{'descr': [('a', [('b', '<i4')])], 'fortran_order': False, 'shape': ()}"),
                             shallow)
                  .status(),
              StatusIs(ErrorCode::kLimitExceeded));
}

TEST(NpyHeaderTest, DtypeKinds) {
  struct Case {
    const char* descr;
    uint64_t size;
  } cases[] = {{"|b1", 1}, {"<U10", 40}, {"|S5", 5}, {"|V16", 16}, {"<M8[ns]", 8},
               {"<c16", 16}, {"?", 1}, {"O", 8}, {">i2", 2}, {"=u8", 8}};
  for (const Case& c : cases) {
    std::string hdr = std::string("{'descr': '") + c.descr + "', 'fortran_order': False, 'shape': (2,)}";
    ASSERT_OK_AND_ASSIGN(NpyHeader h, ParseNpyHeader(MakeNpy(hdr), Limits{}));
    EXPECT_EQ(h.itemsize, c.size) << c.descr;
  }
}

TEST(NpyHeaderTest, Anomalies) {
  ASSERT_OK_AND_ASSIGN(NpyHeader h, ParseNpyHeader(MakeNpy("{'descr': '<f8', 'fortran_order': 0, "
                                                           "'shape': (), 'extra': 1, 'extra': 2}"),
                                                   Limits{}));
  EXPECT_EQ(h.anomalies.size(), 4u);  // non-bool, 2x unexpected key, duplicate
  ASSERT_OK_AND_ASSIGN(NpyHeader m, ParseNpyHeader(MakeNpy("{'descr': '<f8', 'shape': ()}"), Limits{}));
  ASSERT_EQ(m.anomalies.size(), 1u);
  Bytes unaligned = ToBytes("\x93NUMPY\x01\x00\x05\x00{'a':"sv);
  EXPECT_FALSE(ParseNpyHeader(unaligned, Limits{}).ok());
  Bytes odd = ToBytes("\x93NUMPY\x01\x00\x35\x00{'descr': '<f8', 'fortran_order': False, 'shape': ()}"sv);
  ASSERT_OK_AND_ASSIGN(NpyHeader o, ParseNpyHeader(odd, Limits{}));
  EXPECT_EQ(o.anomalies.size(), 2u);  // no newline, misaligned
}

// ---- analyser ----

TEST(NpyAnalyzerTest, PlainArrayIsCleanAndNotRead) {
  RecordingContext ctx;
  ASSERT_OK(AnalyzeNpy(LoadFixture("numpy/float.npy"), ctx));
  EXPECT_EQ(ctx.format(), "numpy-npy");
  EXPECT_TRUE(ctx.findings.empty());
  EXPECT_TRUE(ctx.nested.empty());
  EXPECT_EQ(NpyHandler().sniff(LoadFixture("numpy/float.npy"), ""), SniffResult::kStrong);
  EXPECT_EQ(NpyHandler().sniff(ToBytes("NUMPY"), ""), SniffResult::kNo);
}

TEST(NpyAnalyzerTest, ObjectArraysHandTheirPickleOn) {
  for (const char* f : {"numpy/object.npy", "numpy/structured_object.npy", "numpy/nested_object.npy",
                        "numpy/malicious_object.npy"}) {
    RecordingContext ctx;
    Bytes b = LoadFixture(f);
    ASSERT_OK(AnalyzeNpy(b, ctx));
    EXPECT_TRUE(ctx.HasRule(kRuleObjectArray)) << f;
    ASSERT_EQ(ctx.nested.size(), 1u) << f;
    EXPECT_EQ(ctx.nested[0].format_hint, "pickle");
    ASSERT_FALSE(ctx.nested[0].data.empty());
    EXPECT_EQ(ctx.nested[0].data[0], 0x80) << f;
  }
}

TEST(NpyAnalyzerTest, TrailingPickleIsReportedAndScanned) {
  RecordingContext ctx;
  ASSERT_OK(AnalyzeNpy(LoadFixture("numpy/trailing_pickle.npy"), ctx));
  EXPECT_TRUE(ctx.HasRule(kRuleDataSizeMismatch));
  ASSERT_EQ(ctx.nested.size(), 1u);
  EXPECT_EQ(ctx.nested[0].name, "trailing-data");
  EXPECT_EQ(ctx.nested[0].data.size(), 53u);
}

TEST(NpyAnalyzerTest, TruncatedAndOverflowingShapes) {
  RecordingContext t;
  ASSERT_OK(AnalyzeNpy(MakeNpy("{'descr': '<f8', 'fortran_order': False, 'shape': (4,)}", "12345678"), t));
  EXPECT_TRUE(t.HasRule(kRuleDataSizeMismatch));
  EXPECT_NE(t.FindRule(kRuleDataSizeMismatch)->message.find("truncated"), std::string::npos);
  RecordingContext o;
  ASSERT_OK(AnalyzeNpy(MakeNpy("{'descr': '<f8', 'fortran_order': False, "
                               "'shape': (4294967296, 4294967296, 4)}"),
                       o));
  EXPECT_TRUE(o.HasRule(kRuleDataSizeMismatch));
  RecordingContext exact;
  ASSERT_OK(AnalyzeNpy(MakeNpy("{'descr': '<f8', 'fortran_order': False, 'shape': (1,)}", "12345678"), exact));
  EXPECT_TRUE(exact.findings.empty());
}

TEST(NpyAnalyzerTest, HugeHeaderIsReported) {
  RecordingContext ctx;
  ASSERT_OK(AnalyzeNpy(LoadFixture("numpy/huge_header.npy"), ctx));
  EXPECT_TRUE(ctx.HasRule(kRuleHeaderTooLarge));
  // At numpy's boundary (10000 bytes) nothing is reported.
  std::string hdr = "{'descr': '<f8', 'fortran_order': False, 'shape': (0,)}";
  hdr.append(10000 - 10 - hdr.size() - 1 - 54, ' ');
  Bytes at = MakeNpy(hdr);
  ASSERT_OK_AND_ASSIGN(NpyHeader h, ParseNpyHeader(at, Limits{}));
  ASSERT_LE(h.header_len, kNumpyMaxHeaderSize);
  RecordingContext ok;
  ASSERT_OK(AnalyzeNpy(at, ok));
  EXPECT_FALSE(ok.HasRule(kRuleHeaderTooLarge));
}

TEST(NpyAnalyzerTest, MalformedIsAnError) {
  RecordingContext ctx;
  EXPECT_THAT(AnalyzeNpy(MakeNpy("{'descr': '<f8'"), ctx), StatusIs(ErrorCode::kMalformed));
}

TEST(NumpyRulesTest, WellFormed) {
  EXPECT_EQ(NumpyRules().size(), 4u);
  for (const RuleInfo& r : NumpyRules()) {
    EXPECT_EQ(r.id.substr(0, 9), "MATS-NPY-");
    EXPECT_FALSE(r.atlas.empty());
  }
}

}  // namespace
}  // namespace mats::numpy
