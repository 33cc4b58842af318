// Tests of the machine's storage on object-dense pickles: the segmented
// arrays behind the arena, the item pool and the memo (segment boundaries,
// huge segments, reuse across stacked streams), and APPENDS/SETITEMS read in
// place from the stack.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "pickle/seg_array.h"
#include "pickle/test_util.h"
#include "testing/status_matchers.h"

namespace mats::pickle {
namespace {

using testing::PickleContext;
using ::mats::testing::IsOk;
using ::mats::testing::StatusIs;

std::string Le32(uint32_t v) {
  std::string s(4, '\0');
  for (int i = 0; i < 4; ++i) s[static_cast<size_t>(i)] = static_cast<char>((v >> (8 * i)) & 0xFF);
  return s;
}
std::string Sbu(std::string_view s) {
  return std::string("\x8c", 1) + static_cast<char>(s.size()) + std::string(s);
}

Status RunBytes(const std::string& p, PickleContext& ctx) {
  Bytes b = testing::ToBytes(p);
  return AnalyzePickle(b, ctx);
}

TEST(SegArrayTest, IndexesAcrossSegmentsAndHugeSegments) {
  internal::SegArray<uint64_t> a;
  EXPECT_TRUE(a.empty());
  // 600k * 8 bytes spans small segments and 2 MiB+ (mmap'd) ones.
  constexpr uint64_t kN = 600000;
  for (uint64_t i = 0; i < kN; ++i) a.push_back(i * 3 + 1);
  ASSERT_EQ(a.size(), kN);
  for (uint64_t i : {uint64_t{0}, uint64_t{255}, uint64_t{256}, uint64_t{767},
                     uint64_t{768}, uint64_t{262143}, uint64_t{262144},
                     kN - 1}) {
    EXPECT_EQ(a[i], i * 3 + 1) << i;
  }
  uint64_t sum = 0;
  for (uint64_t i = 0; i < kN; ++i) sum += a[i] - i * 3;
  EXPECT_EQ(sum, kN);
  EXPECT_EQ(a.back(), (kN - 1) * 3 + 1);
  // Elements never move: a reference survives growth.
  uint64_t& first = a[0];
  a.resize(kN + 1000, 7);
  EXPECT_EQ(&first, &a[0]);
  EXPECT_EQ(a[kN + 999], 7u);
  // clear() keeps the segments; new values overwrite old ones.
  a.clear();
  EXPECT_TRUE(a.empty());
  a.resize(300, 9);
  EXPECT_EQ(a[0], 9u);
  EXPECT_EQ(a[299], 9u);
  EXPECT_EQ(a.size(), 300u);
}

// A protocol-4 list of `n` memoized 3-tuples (int, str, float), then a GET of
// memo entry `get_index`, which must still be the value stored there.
std::string DenseList(uint32_t n) {
  std::string p("\x80\x04]\x94(", 5);
  for (uint32_t i = 0; i < n; ++i) {
    p += "J" + Le32(i) + "\x94" + Sbu("n" + std::to_string(i)) + "\x94" +
         std::string("G\x3f\xe0\0\0\0\0\0\0\x94\x87\x94", 12);
    if (i % 1000 == 999) p += "e(";
  }
  p += "e";
  return p;
}

TEST(DenseStorageTest, MemoAndArenaHoldEveryObjectOfALargeStream) {
  // 150k tuples: 600k memo entries, 150k arena entries, 450k pooled items.
  constexpr uint32_t kN = 150000;
  std::string p = DenseList(kN);
  // Memo layout: 0 = the list, then 4 entries per tuple (int, str, float,
  // tuple). Fetch the last tuple's string (memo 1 + 4*(kN-1) + 1) and an
  // early one, and pass them to a denied callable to see them in the
  // evidence.
  uint32_t last_str = 1 + 4 * (kN - 1) + 1;
  p += "0" + Sbu("os") + Sbu("system") + "\x93" + "(" + "j" + Le32(last_str) +
       "j" + Le32(1 + 4 * 70000 + 3) + "tR.";
  PickleContext ctx;
  ASSERT_THAT(RunBytes(p, ctx), IsOk()) << ctx.Dump();
  ASSERT_TRUE(ctx.HasRule(kRuleDeniedCallable)) << ctx.Dump();
  EXPECT_TRUE(ctx.EvidenceContains("os.system('n149999', (70000, 'n70000', 0.5))"))
      << ctx.Dump();
}

TEST(DenseStorageTest, StackedStreamsReuseStorage) {
  // A large stream followed by a small one: the second stream must not see
  // the first one's memo (storage is reused, contents are not).
  std::string p = DenseList(20000) + ".";
  p += "\x80\x04" + Sbu("os") + Sbu("system") + "\x93" + "h" + std::string(1, '\x05') + "\x85R.";
  PickleContext ctx;
  Status s = RunBytes(p, ctx);
  EXPECT_THAT(s, IsOk());
  // GET of a memo index the second stream never stored.
  EXPECT_TRUE(ctx.HasRule(kRuleMalformed)) << ctx.Dump();
  EXPECT_TRUE(ctx.HasRule(kRuleDeniedCallable)) << ctx.Dump();
}

TEST(DenseStorageTest, AppendsAndSetItemsErrors) {
  const std::vector<std::string> bad = {
      "(K\x01" "e.",           // APPENDS with nothing below the MARK
      "(K\x01K\x02u.",         // SETITEMS with nothing below the MARK
      "}(K\x01K\x02K\x03u.",   // odd SETITEMS after a complete pair
      "]((K\x01" "ee.",        // APPENDS whose target is another MARK
      "K\x01s.",               // SETITEM underflow
  };
  for (const std::string& b : bad) {
    PickleContext ctx;
    EXPECT_THAT(RunBytes(b, ctx), StatusIs(ErrorCode::kMalformed)) << b;
  }
  // APPENDS/SETITEMS on a value that is not a list/dict (the loader calls its
  // extend/__setitem__): no error, the items are dropped from the stack.
  PickleContext ctx;
  EXPECT_THAT(RunBytes("N(K\x01K\x02u0N.", ctx), IsOk()) << ctx.Dump();
}

}  // namespace
}  // namespace mats::pickle
