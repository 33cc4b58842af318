// Mutation tests (STYLE.md section 11): every truncation, every single-byte
// flip of the first bytes, leading and trailing garbage. Each case must give
// findings and/or an error, never a crash or a hang.
#include <gtest/gtest.h>

#include <string>

#include "mats/core/mapped_file.h"
#include "pickle/test_util.h"

namespace mats::pickle {
namespace {

using testing::PickleContext;

Bytes Fixture(const std::string& name) {
  auto text = ReadFileToString(std::string(MATS_SOURCE_DIR) + "/tests/fixtures/pickle/" + name,
                               1 << 20);
  EXPECT_TRUE(text.ok()) << name;
  return text.ok() ? testing::ToBytes(*text) : Bytes();
}

Limits SmallLimits() {
  Limits l;
  l.max_pickle_ops = 100'000;
  l.max_memo_entries = 10'000;
  l.max_stack_items = 10'000;
  return l;
}

const char* kFixtures[] = {"memo_confusion.pkl", "joblib_inline_then_payload.pkl",
                           "joblib_object_array_payload.pkl", "legacy_magic_by_call.pt",
                           "frame_split.pkl", "stdlib_p0.pkl", "stdlib_p4.pkl",
                           "build_setstate.pkl", "nested_pickle_bytes.pkl"};

TEST(PickleMutationTest, EveryTruncation) {
  for (const char* name : kFixtures) {
    Bytes full = Fixture(name);
    for (size_t n = 0; n < full.size(); ++n) {
      PickleContext ctx(SmallLimits());
      Status s = AnalyzePickle(ByteSpan(full.data(), n), ctx);
      // A prefix only succeeds when it ends on a STOP (legacy streams may
      // also end inside their raw storage data).
      if (s.ok() && std::string(name) != "legacy_magic_by_call.pt") {
        ASSERT_GT(n, 0u);
        EXPECT_EQ(full[n - 1], '.') << name << " prefix " << n;
      }
    }
  }
}

TEST(PickleMutationTest, ByteFlipsAndGarbage) {
  for (const char* name : kFixtures) {
    Bytes full = Fixture(name);
    for (size_t i = 0; i < std::min<size_t>(full.size(), 96); ++i) {
      for (uint8_t x : {uint8_t{0x01}, uint8_t{0x80}, uint8_t{0xFF}}) {
        Bytes m = full;
        m[i] = static_cast<uint8_t>(m[i] ^ x);
        PickleContext ctx(SmallLimits());
        AnalyzePickle(m, ctx).IgnoreError();
      }
    }
    Bytes lead = testing::ToBytes("garbage");
    lead.insert(lead.end(), full.begin(), full.end());
    PickleContext ctx1(SmallLimits());
    EXPECT_FALSE(AnalyzePickle(lead, ctx1).ok()) << name;
    Bytes trail = full;
    trail.push_back(0xFF);
    PickleContext ctx2(SmallLimits());
    Status s = AnalyzePickle(trail, ctx2);
    // Legacy streams stop at their raw storage data; others reject the tail.
    if (std::string(name) != "legacy_magic_by_call.pt") {
      EXPECT_FALSE(s.ok()) << name;
    }
  }
}

}  // namespace
}  // namespace mats::pickle
