// Unit tests of the symbolic pickle machine, per opcode group, plus limits
// and error paths. Pickles are written as byte strings here; none is ever
// loaded by Python.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "mats/core/byte_reader.h"
#include "pickle/test_util.h"
#include "testing/status_matchers.h"

namespace mats::pickle {
namespace {

using testing::PickleContext;
using ::testing::HasSubstr;
using ::mats::testing::IsOk;
using ::mats::testing::StatusIs;

// A byte string from a literal, embedded NULs included.
template <size_t N>
std::string B(const char (&s)[N]) {
  return std::string(s, N - 1);
}

std::string Le32(uint32_t v) {
  std::string s(4, '\0');
  for (int i = 0; i < 4; ++i) s[static_cast<size_t>(i)] = static_cast<char>((v >> (8 * i)) & 0xFF);
  return s;
}
std::string Le64(uint64_t v) {
  std::string s(8, '\0');
  for (int i = 0; i < 8; ++i) s[static_cast<size_t>(i)] = static_cast<char>((v >> (8 * i)) & 0xFF);
  return s;
}
std::string Sbu(std::string_view s) {
  return B("\x8c") + static_cast<char>(s.size()) + std::string(s);
}
const std::string kP2("\x80\x02", 2);
const std::string kP4("\x80\x04", 2);

Status RunPickle(const std::string& p, PickleContext& ctx) {
  Bytes b = testing::ToBytes(p);
  return AnalyzePickle(b, ctx);
}

// A call of an unknown global whose evidence shows `arg_opcodes` rendered.
std::string EvidenceOf(const std::string& arg_opcodes) {
  PickleContext ctx;
  Status s = RunPickle(kP2 + "cmylib\nf\n(" + arg_opcodes + "tR.", ctx);
  EXPECT_TRUE(s.ok()) << s.ToString();
  const Finding* f = ctx.FindRule(kRuleUnknownCallable);
  return f == nullptr ? std::string("<none>") : f->evidence;
}

TEST(PickleIntsTest, AllIntegerOpcodes) {
  EXPECT_EQ(EvidenceOf("I42\nI-7\nI01\nI00\n"), "mylib.f(42, -7, True, False)");
  EXPECT_EQ(EvidenceOf("L123L\nL99999999999999999999999\n"),
            "mylib.f(123, 99999999999999999999999)");
  EXPECT_EQ(EvidenceOf(B("J\xff\xff\xff\xffK\x07M\x01\x02")),
            "mylib.f(-1, 7, 513)");
  EXPECT_EQ(EvidenceOf(B("\x8a\x01\xff\x8a\x00\x8b") + Le32(2) +
                       B("\x00\x01")),
            "mylib.f(-1, 0, 256)");
  EXPECT_EQ(EvidenceOf(B("\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19")),
            "mylib.f(0x1950a86a20f9469cfc6c)");
}

TEST(PickleIntsTest, BadIntegersAreMalformed) {
  for (std::string bad : {"I12x\n.", "Lfoo\n.", "I\n.", "I1__0\n."}) {
    PickleContext ctx;
    EXPECT_THAT(RunPickle(bad, ctx), StatusIs(ErrorCode::kMalformed)) << bad;
  }
  PickleContext ctx;
  EXPECT_THAT(RunPickle(kP2 + "\x8b" + Le32(0xFFFFFFFFu) + ".", ctx),
              StatusIs(ErrorCode::kMalformed));
}

TEST(PickleFloatsTest, FloatAndBinFloat) {
  EXPECT_EQ(EvidenceOf("F1.5\n" + B("G\x40\x00\x00\x00\x00\x00\x00\x00")),
            "mylib.f(1.5, 2)");
  PickleContext ctx;
  EXPECT_THAT(RunPickle("Fnope\n.", ctx), StatusIs(ErrorCode::kMalformed));
}

TEST(PickleStringsTest, EveryStringOpcode) {
  EXPECT_EQ(EvidenceOf("S'a\\'b\\n'\n"), "mylib.f('a\\'b\\n')");
  EXPECT_EQ(EvidenceOf("Vx\\u00e9\n"), "mylib.f('x\\xc3\\xa9')");
  EXPECT_EQ(EvidenceOf("T" + Le32(2) + "hi" + "U\x02ok"), "mylib.f('hi', 'ok')");
  EXPECT_EQ(EvidenceOf("X" + Le32(3) + "abc" + Sbu("d") + std::string("\x8d") +
                       Le64(1) + "e"),
            "mylib.f('abc', 'd', 'e')");
  EXPECT_EQ(EvidenceOf("B" + Le32(2) + "\x01\x02" + "C\x01z" + "\x8e" + Le64(1) +
                       "y" + "\x96" + Le64(1) + "w"),
            "mylib.f(b'\\x01\\x02', b'z', b'y', b'w')");
}

TEST(PickleStringsTest, StringErrors) {
  const std::vector<std::string> bad = {
      "Sabc\n.",                          // unquoted STRING
      "S'abc\"\n.",                       // mismatched quotes
      "T" + Le32(0x80000000u) + ".",      // negative BINSTRING length
      "X" + Le32(10) + "abc",             // truncated
      "Vabc",                             // no newline
      B("\x8c\x05" "ab"),    // truncated SHORT_BINUNICODE
  };
  for (const std::string& p : bad) {
    PickleContext ctx;
    EXPECT_THAT(RunPickle(p, ctx), StatusIs(ErrorCode::kMalformed)) << p;
  }
}

TEST(PickleContainersTest, BuildersAndPreviews) {
  EXPECT_EQ(EvidenceOf("(I1\nI2\nl(I3\nt(S'k'\nI4\nd"), "mylib.f([1, 2], (3,), {'k': 4})");
  EXPECT_EQ(EvidenceOf(B("]K\x01\x61}K\x02K\x03s)")),
            "mylib.f([1], {2: 3}, ())");
  EXPECT_EQ(EvidenceOf(B("](K\x01K\x02\x65}(K\x01K\x02u")),
            "mylib.f([1, 2], {1: 2})");
  EXPECT_EQ(EvidenceOf(B("\x8f(K\x01\x90(K\x02\x91K\x01K\x02\x86")),
            "mylib.f({1}, frozenset({2}), (1, 2))");
  EXPECT_EQ(EvidenceOf(B("N\x88\x89K\x01\x85K\x01K\x02K\x03\x87")),
            "mylib.f(None, True, False, (1,), (1, 2, 3))");
}

TEST(PickleContainersTest, ContainerErrors) {
  const std::vector<std::string> bad = {
      "(I1\nd.",                                     // odd DICT
      B("}(K\x01u."),                   // odd SETITEMS
      "t.",                                          // TUPLE without MARK
      B("\x86."),                       // TUPLE2 underflow
      "a.",                                          // APPEND underflow
      B("](K\x01" "ee."),               // APPENDS without MARK
      "1.",                                          // POP_MARK without MARK
      "0.",                                          // POP underflow
      "2.",                                          // DUP underflow
      ".",                                           // STOP on empty stack
      "(o.",                                         // OBJ without class
      "R.",                                          // REDUCE underflow
  };
  for (const std::string& p : bad) {
    PickleContext ctx;
    EXPECT_THAT(RunPickle(p, ctx), StatusIs(ErrorCode::kMalformed)) << p;
  }
}

TEST(PickleStackTest, PopRemovesAMarkLikeCPython) {
  PickleContext ctx;
  EXPECT_THAT(RunPickle("N(0.", ctx), IsOk());
  PickleContext ctx2;
  EXPECT_THAT(RunPickle("N(N1.", ctx2), IsOk());
}

TEST(PickleStackTest, MissingStopIsMalformed) {
  PickleContext ctx;
  Status s = RunPickle(kP2 + "N", ctx);
  EXPECT_THAT(s, StatusIs(ErrorCode::kMalformed));
  EXPECT_THAT(s.message(), HasSubstr("without STOP"));
}

TEST(PickleMemoTest, AllPutAndGetVariants) {
  EXPECT_EQ(EvidenceOf("S'a'\np0\n0g0\n" + B("S'b'\nq\x05" "0h\x05") +
                       "S'c'\nr" + Le32(70000) + "0j" + Le32(70000)),
            "mylib.f('a', 'b', 'c')");
  // MEMOIZE stores at len(memo), not at a running counter.
  EXPECT_EQ(EvidenceOf(Sbu("x") + "q\x01" + Sbu("y") + "\x94" + "0" + "0" + "h\x01"),
            "mylib.f('y')");
}

TEST(PickleMemoTest, MissingIndexIsSuspiciousAndParsingGoesOn) {
  PickleContext ctx;
  EXPECT_THAT(RunPickle(kP2 + "h\x09" "0cos\nsystem\n(S'x'\ntR.", ctx), IsOk());
  EXPECT_TRUE(ctx.HasRule(kRuleMalformed));
  EXPECT_TRUE(ctx.HasRule(kRuleDeniedCallable));
}

TEST(PickleMemoTest, BadPutAndGetArguments) {
  for (std::string p : {"Np-1\n.", "Npx\n.", "Ng-3\n.", "p0\n."}) {
    PickleContext ctx;
    EXPECT_THAT(RunPickle(p, ctx), StatusIs(ErrorCode::kMalformed)) << p;
  }
}

TEST(PickleMemoTest, SparseIndicesDoNotAllocateDensely) {
  std::string p = "N";
  for (uint32_t i = 0; i < 20; ++i) p += "r" + Le32(0xFFFFFFF0u - i * 0x1000000u);
  p += "j" + Le32(0xFFFFFFF0u) + ".";
  PickleContext ctx;
  EXPECT_THAT(RunPickle(p, ctx), IsOk());
}

TEST(PickleCallTest, EveryCallOpcodeIsReported) {
  struct Case {
    std::string pickle;
    std::string evidence;
  };
  const std::vector<Case> cases = {
      {kP2 + "cos\nsystem\n(S'a'\ntR.", "os.system('a')"},
      {kP2 + "(cos\nsystem\nS'b'\no0N.", "os.system('b')"},
      {"(S'c'\nios\nsystem\n.", "os.system('c')"},
      {kP2 + "cos\nsystem\n(S'd'\nt\x81.", "os.system('d')"},
      {kP4 + Sbu("os") + Sbu("system") + "\x93(" + Sbu("e") + "t}\x92.",
       "os.system('e')"},
  };
  for (const Case& c : cases) {
    PickleContext ctx;
    EXPECT_THAT(RunPickle(c.pickle, ctx), IsOk());
    const Finding* f = ctx.FindRule(kRuleDeniedCallable);
    ASSERT_NE(f, nullptr) << c.pickle << ctx.Dump();
    EXPECT_EQ(f->evidence, c.evidence);
    EXPECT_EQ(f->severity, Severity::kCritical);
    EXPECT_EQ(ctx.CountRule(kRuleDeniedCallable), 1u) << ctx.Dump();
  }
}

TEST(PickleCallTest, ImportWithoutCallIsReported) {
  PickleContext ctx;
  EXPECT_THAT(RunPickle(kP2 + "cos\nsystem\n.", ctx), IsOk());
  const Finding* f = ctx.FindRule(kRuleDeniedCallable);
  ASSERT_NE(f, nullptr);
  EXPECT_THAT(f->message, HasSubstr("imports denied global os.system"));
  EXPECT_EQ(f->offset, 2u);
}

TEST(PickleCallTest, ArgumentsAreEscapedAndBounded) {
  PickleContext ctx;
  std::string arg(500, 'A');
  arg[0] = '\'';
  arg[1] = '\n';
  EXPECT_THAT(RunPickle(kP2 + "cos\nsystem\nX" + Le32(500) + arg + "\x85R.", ctx), IsOk());
  const Finding* f = ctx.FindRule(kRuleDeniedCallable);
  ASSERT_NE(f, nullptr);
  EXPECT_THAT(f->evidence, HasSubstr("os.system('\\'\\nAAA"));
  EXPECT_LT(f->evidence.size(), 400u);
  EXPECT_EQ(f->evidence.find('\n'), std::string::npos);
}

TEST(PickleCallTest, RepeatedCallsAreCappedAndCounted) {
  std::string p = kP2 + B("cmylib\nf\nq\x00");
  for (int i = 0; i < 6; ++i) p += B("h\x00)R0");
  p += "N.";
  PickleContext ctx;
  EXPECT_THAT(RunPickle(p, ctx), IsOk());
  EXPECT_EQ(ctx.CountRule(kRuleUnknownCallable), 4u) << ctx.Dump();
  EXPECT_TRUE(ctx.findings.back().message.find("3 further calls") != std::string::npos ||
              ctx.Dump().find("3 further calls") != std::string::npos);
}

TEST(PickleCallTest, CallingANonCallableIsMalformedFinding) {
  PickleContext ctx;
  EXPECT_THAT(RunPickle(kP2 + "K\x01)R.", ctx), IsOk());
  EXPECT_TRUE(ctx.HasRule(kRuleMalformed));
}

TEST(PickleCallTest, AllowedGlobalsGiveOnlyAnInfoFinding) {
  PickleContext ctx;
  EXPECT_THAT(RunPickle(kP2 + "ccollections\nOrderedDict\n)R.", ctx), IsOk());
  ASSERT_EQ(ctx.findings.size(), 1u) << ctx.Dump();
  EXPECT_EQ(ctx.findings[0].rule_id, kRuleImports);
  EXPECT_EQ(ctx.findings[0].severity, Severity::kInfo);
  EXPECT_EQ(ctx.findings[0].evidence, "collections.OrderedDict");
}

TEST(PickleStackGlobalTest, NonStringOperandsAreMalformedFinding) {
  PickleContext ctx;
  EXPECT_THAT(RunPickle(kP4 + "K\x01K\x02\x93.", ctx), IsOk());
  EXPECT_TRUE(ctx.HasRule(kRuleMalformed)) << ctx.Dump();
}

TEST(PickleStackGlobalTest, Underflow) {
  PickleContext ctx;
  EXPECT_THAT(RunPickle(kP4 + Sbu("os") + "\x93.", ctx), StatusIs(ErrorCode::kMalformed));
}

TEST(PickleExtTest, AllExtWidths) {
  for (std::string p : {B("\x82\x05"), B("\x83\x05\x01"),
                        "\x84" + Le32(0x7FFFFFFF)}) {
    PickleContext ctx;
    EXPECT_THAT(RunPickle(kP2 + p + ")R.", ctx), IsOk());
    const Finding* f = ctx.FindRule(kRuleExtension);
    ASSERT_NE(f, nullptr) << ctx.Dump();
    EXPECT_THAT(f->message, HasSubstr("copyreg extension"));
  }
}

TEST(PickleProtoTest, UnsupportedProtocolAndUnknownOpcode) {
  PickleContext ctx;
  EXPECT_THAT(RunPickle(B("\x80\x06N."), ctx), StatusIs(ErrorCode::kMalformed));
  PickleContext ctx2;
  Status s = RunPickle(kP2 + "\xfe.", ctx2);
  EXPECT_THAT(s, StatusIs(ErrorCode::kMalformed));
  EXPECT_THAT(s.message(), HasSubstr("unknown opcode 0xfe at offset 2"));
  EXPECT_EQ(s.offset(), 2u);
  PickleContext ctx3;
  EXPECT_THAT(RunPickle("", ctx3), StatusIs(ErrorCode::kMalformed));
}

TEST(PickleProtoTest, Python2NamesOnlyBelowProtocol3) {
  PickleContext ctx;
  EXPECT_THAT(RunPickle(kP2 + "c__builtin__\neval\n.", ctx), IsOk());
  EXPECT_TRUE(ctx.HasRule(kRuleDeniedCallable));
  PickleContext ctx3;
  EXPECT_THAT(RunPickle("\x80\x03" "c__builtin__\neval\n.", ctx3), IsOk());
  EXPECT_FALSE(ctx3.HasRule(kRuleDeniedCallable));
  EXPECT_TRUE(ctx3.HasRule(kRuleUnknownCallable));
}

TEST(PickleFrameTest, FrameInsideFrameAndFramePastEnd) {
  PickleContext ctx;
  EXPECT_THAT(RunPickle(kP4 + "\x95" + Le64(11) + "\x95" + Le64(2) + "N.", ctx),
              IsOk());
  EXPECT_TRUE(ctx.HasRule(kRuleMalformed));
  PickleContext ctx2;
  EXPECT_THAT(RunPickle(kP4 + "\x95" + Le64(1000) + "N.", ctx2), IsOk());
  EXPECT_TRUE(ctx2.HasRule(kRuleMalformed));
  PickleContext ctx3;
  EXPECT_THAT(RunPickle(kP4 + "\x95" + Le64(2) + "N.", ctx3), IsOk());
  EXPECT_FALSE(ctx3.HasRule(kRuleMalformed)) << ctx3.Dump();
}

TEST(PicklePersIdTest, PersistentIdsAndBuffers) {
  EXPECT_EQ(EvidenceOf("Pkey\n" + B("K\x01Q")),
            "mylib.f(persistent_load('key'), persistent_load(1))");
  EXPECT_EQ(EvidenceOf(B("\x97\x98")), "mylib.f(<buffer>)");
  PickleContext ctx;
  EXPECT_THAT(RunPickle("\x80\x05\x98.", ctx), StatusIs(ErrorCode::kMalformed));
}

TEST(PickleStackedTest, ErrorInALaterStreamNamesIt) {
  PickleContext ctx;
  Status s = RunPickle(kP2 + "N." + kP2 + "\xff", ctx);
  EXPECT_THAT(s, StatusIs(ErrorCode::kMalformed));
  EXPECT_THAT(s.message(), HasSubstr("pickle stream 2"));
}

TEST(PickleEmbeddedTest, ZipInBytesIsHandedToTheScanner) {
  std::string zip = "PK\x03\x04" + std::string(40, 'z');
  PickleContext ctx;
  EXPECT_THAT(RunPickle("\x80\x03" "B" + Le32(static_cast<uint32_t>(zip.size())) + zip + ".", ctx),
              IsOk());
  EXPECT_TRUE(ctx.HasRule(kRuleEmbedded));
  ASSERT_EQ(ctx.nested.size(), 1u);
  EXPECT_EQ(ctx.nested[0].name, "bytes@7");
  EXPECT_EQ(ctx.nested[0].format_hint, "");
}

// --- joblib error paths -------------------------------------------------

std::string Wrapper(const std::string& shape, const std::string& descr,
                    const std::string& extra_state = "") {
  return Sbu("joblib.numpy_pickle") + Sbu("NumpyArrayWrapper") + "\x93)\x81}(" +
         Sbu("shape") + shape + Sbu("dtype") + Sbu("numpy") + Sbu("dtype") +
         "\x93" + Sbu(descr) + "\x89\x88\x87R" + Sbu("order") + Sbu("C") +
         extra_state + "ub";
}

TEST(PickleJoblibTest, SkipsArrayWithoutAlignment) {
  PickleContext ctx;
  std::string p = kP4 + Wrapper("(K\x02K\x03t", "i2") + std::string(12, '\0') + ".";
  EXPECT_THAT(RunPickle(p, ctx), IsOk()) << ctx.Dump();
  EXPECT_EQ(ctx.format(), "joblib");
}

TEST(PickleJoblibTest, ErrorPaths) {
  const std::string align = Sbu("numpy_array_alignment_bytes") + "K\x10";
  struct Case {
    std::string pickle;
    ErrorCode code;
  };
  const std::vector<Case> cases = {
      // shape is not a tuple of ints
      {kP4 + Wrapper("\x8c\x01x", "f8") + ".", ErrorCode::kUnsupported},
      {kP4 + Wrapper("(\x8c\x01xt", "f8") + ".", ErrorCode::kUnsupported},
      // dtype not a literal
      {kP4 + Sbu("joblib.numpy_pickle") + Sbu("NumpyArrayWrapper") + "\x93)\x81}(" +
           Sbu("shape") + ")" + Sbu("dtype") + "N" + "ub.",
       ErrorCode::kUnsupported},
      // array past the end
      {kP4 + Wrapper(B("(J\x00\x00\x00\x01t"), "f8") + ".", ErrorCode::kMalformed},
      // element count overflow
      {kP4 + Wrapper("(J\xff\xff\xff\x7fJ\xff\xff\xff\x7fJ\xff\xff\xff\x7ft", "f8") + ".",
       ErrorCode::kMalformed},
      // padding past the end
      {kP4 + Wrapper(")", "f8", align) + "\x10\xff", ErrorCode::kMalformed},
      // no shape
      {kP4 + Sbu("joblib.numpy_pickle") + Sbu("NumpyArrayWrapper") + "\x93)\x81}b.",
       ErrorCode::kUnsupported},
      // more dims than kept
      {kP4 + Wrapper("(" + [] {
         std::string d;
         for (int i = 0; i < 65; ++i) d += "K\x01";
         return d;
       }() + "t", "f8") + ".",
       ErrorCode::kUnsupported},
      // count fits, count * itemsize overflows
      {kP4 + Wrapper(B("(J\xff\xff\xff\x7fJ\xff\xff\xff\x7fJ\x02\x00\x00\x00t"), "f8") + ".",
       ErrorCode::kMalformed},
      // state is not a dict
      {kP4 + Sbu("joblib.numpy_pickle") + Sbu("NumpyArrayWrapper") + "\x93)\x81Nb.",
       ErrorCode::kUnsupported},
  };
  for (const Case& c : cases) {
    PickleContext ctx;
    EXPECT_THAT(RunPickle(c.pickle, ctx), StatusIs(c.code)) << ctx.Dump();
  }
}

TEST(PickleJoblibTest, PaddingThatIsNotFFIsFlagged) {
  const std::string align = Sbu("numpy_array_alignment_bytes") + "K\x10";
  PickleContext ctx;
  EXPECT_THAT(RunPickle(kP4 + Wrapper(")", "f8", align) + B("\x02\x00\x00") +
                      std::string(8, '\0') + "N.",
                  ctx),
              IsOk());
  EXPECT_TRUE(ctx.HasRule(kRuleMalformed)) << ctx.Dump();
}

TEST(PickleJoblibTest, ArrayInsideAFrameIsMalformed) {
  std::string body = Wrapper(")", "f8") + "N";
  PickleContext ctx;
  EXPECT_THAT(RunPickle(kP4 + "\x95" + Le64(body.size()) + body + std::string(8, '\0') + ".", ctx),
              StatusIs(ErrorCode::kMalformed));
  EXPECT_TRUE(ctx.HasRule(kRuleMalformed));
}

TEST(PickleJoblibTest, UnicodeItemsizeAndStructElsize) {
  PickleContext ctx;
  EXPECT_THAT(RunPickle(kP4 + Wrapper("(K\x02t", "U3") + std::string(24, 'A') + "N.", ctx), IsOk())
      << ctx.Dump();
}

TEST(PickleLegacyTest, FifthPickleNotAListIsFlagged) {
  std::string magic = kP2 + B("\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19.");
  std::string p = magic + kP2 + "M\xe9\x03." + kP2 + "}." + kP2 + "N." + kP2 + "N." +
                  "\x01\x02\x03 raw";
  PickleContext ctx;
  EXPECT_THAT(RunPickle(p, ctx), IsOk());
  EXPECT_EQ(ctx.format(), "pytorch-legacy");
  EXPECT_TRUE(ctx.HasRule(kRuleMalformed));
}

TEST(PickleLegacyTest, NotLegacyWithoutProtocolNumber) {
  std::string magic = kP2 + B("\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19.");
  PickleContext ctx;
  EXPECT_THAT(RunPickle(magic + kP2 + "K\x01." + "garbage", ctx), StatusIs(ErrorCode::kMalformed));
  EXPECT_EQ(ctx.format(), "");
}

// --- limits: at and past each boundary ----------------------------------

TEST(PickleLimitsTest, MaxPickleOps) {
  std::string p = "NNN000N.";  // 8 opcodes
  Limits at;
  at.max_pickle_ops = 8;
  PickleContext ok_ctx(at);
  EXPECT_THAT(RunPickle(p, ok_ctx), IsOk());
  Limits past;
  past.max_pickle_ops = 7;
  PickleContext ctx(past);
  Status s = RunPickle(p, ctx);
  EXPECT_THAT(s, StatusIs(ErrorCode::kLimitExceeded));
  EXPECT_THAT(s.message(), HasSubstr("limit max_pickle_ops=7 exceeded"));
}

TEST(PickleLimitsTest, MaxMemoEntries) {
  std::string p = B("Nq\x00q\x01q\x02q\x01\x94.");  // 4 distinct indices
  Limits at;
  at.max_memo_entries = 4;
  PickleContext ok_ctx(at);
  EXPECT_THAT(RunPickle(p, ok_ctx), IsOk());
  Limits past;
  past.max_memo_entries = 3;
  PickleContext ctx(past);
  Status s = RunPickle(p, ctx);
  EXPECT_THAT(s, StatusIs(ErrorCode::kLimitExceeded));
  EXPECT_THAT(s.message(), HasSubstr("max_memo_entries=3"));
}

TEST(PickleLimitsTest, MaxStackItems) {
  std::string p = "(NNNN(N.";  // 5 values
  Limits at;
  at.max_stack_items = 5;
  PickleContext ok_ctx(at);
  EXPECT_THAT(RunPickle(p, ok_ctx), IsOk());
  Limits past;
  past.max_stack_items = 4;
  PickleContext ctx(past);
  Status s = RunPickle(p, ctx);
  EXPECT_THAT(s, StatusIs(ErrorCode::kLimitExceeded));
  EXPECT_THAT(s.message(), HasSubstr("max_stack_items=4"));
}

TEST(PickleLimitsTest, MaxDepth) {
  std::string p = "(((N.";  // 3 marks
  Limits at;
  at.max_depth = 3;
  PickleContext ok_ctx(at);
  EXPECT_THAT(RunPickle(p, ok_ctx), IsOk());
  Limits past;
  past.max_depth = 2;
  PickleContext ctx(past);
  Status s = RunPickle(p, ctx);
  EXPECT_THAT(s, StatusIs(ErrorCode::kLimitExceeded));
  EXPECT_THAT(s.message(), HasSubstr("max_depth=2"));
}

TEST(PickleLimitsTest, MaxStringBytes) {
  for (const std::string& op : {std::string("X"), std::string("B"), std::string("S")}) {
    std::string p = op == "S" ? "S'" + std::string(8, 'a') + "'\n."  // 10-byte line
                              : op + Le32(10) + std::string(10, 'a') + ".";
    Limits at;
    at.max_string_bytes = 10;
    PickleContext ok_ctx(at);
    EXPECT_THAT(RunPickle(p, ok_ctx), IsOk()) << op;
    Limits past;
    past.max_string_bytes = 9;
    PickleContext ctx(past);
    Status s = RunPickle(p, ctx);
    EXPECT_THAT(s, StatusIs(ErrorCode::kLimitExceeded)) << op;
    EXPECT_THAT(s.message(), HasSubstr("max_string_bytes=9")) << op;
  }
}

TEST(PickleLimitsTest, FindingsBeforeALimitAreKept) {
  Limits l;
  l.max_depth = 1;
  PickleContext ctx(l);
  EXPECT_THAT(RunPickle(kP2 + "cos\nsystem\n((.", ctx), StatusIs(ErrorCode::kLimitExceeded));
  EXPECT_TRUE(ctx.HasRule(kRuleDeniedCallable));
}

}  // namespace
}  // namespace mats::pickle
