#include <gtest/gtest.h>

#include <string>

#include "pickle/test_util.h"

namespace mats::pickle {
namespace {

SniffResult Sniff(std::string_view s, std::string_view name = "x") {
  Bytes b = testing::ToBytes(s);
  return SniffPickle(b, name);
}

TEST(PickleSniffTest, BinaryProtocols) {
  for (char p = 2; p <= 5; ++p) {
    EXPECT_EQ(Sniff(std::string("\x80") + p + "N."), SniffResult::kStrong);
  }
  EXPECT_EQ(Sniff("\x80\x06N."), SniffResult::kNo);
  EXPECT_EQ(Sniff(std::string("\x80\x01N.", 4)), SniffResult::kStrong);
}

TEST(PickleSniffTest, Protocol0And1) {
  EXPECT_EQ(Sniff("(dp0\nS'a'\np1\nI1\ns."), SniffResult::kStrong);
  EXPECT_EQ(Sniff("cos\nsystem\n(S'x'\ntR."), SniffResult::kStrong);
  EXPECT_EQ(Sniff(std::string("}q\x00(X\x01\x00\x00\x00" "aK\x01u.", 14)), SniffResult::kStrong);
  // A broken tail after a GLOBAL is still claimed.
  EXPECT_EQ(Sniff("cos\nsystem\n(S'x'\ntR\xff garbage"), SniffResult::kStrong);
  // Only the extension: weak.
  EXPECT_EQ(Sniff("(\xff\xfe", "model.pkl"), SniffResult::kWeak);
  EXPECT_EQ(Sniff("(\xff\xfe", "model.PT"), SniffResult::kWeak);
}

TEST(PickleSniffTest, DoesNotClaimTextOrOtherFormats) {
  EXPECT_EQ(Sniff(""), SniffResult::kNo);
  EXPECT_EQ(Sniff("# README\n\nSome text.\n", "README.md"), SniffResult::kNo);
  EXPECT_EQ(Sniff("(this is a note in parentheses)\nmore text\n", "notes.txt"),
            SniffResult::kNo);
  EXPECT_EQ(Sniff("{\"a\": 1}", "config.json"), SniffResult::kNo);
  EXPECT_EQ(Sniff("PK\x03\x04rest", "model.pt"), SniffResult::kNo);
  EXPECT_EQ(Sniff("import os\nos.system('x')\n", "evil.py"), SniffResult::kNo);
  EXPECT_EQ(Sniff("Copyright (c) 2024\n", "LICENSE"), SniffResult::kNo);
  EXPECT_EQ(Sniff("changelog\nversion\n1.\nmore text here\n", "NOTES"), SniffResult::kNo);
  EXPECT_EQ(Sniff("N. is how it ends", "notes.txt"), SniffResult::kNo);
  EXPECT_EQ(Sniff("Nothing to see here.\n"), SniffResult::kNo);
}

TEST(PickleSniffTest, HandlerIsWired) {
  const FormatHandler& h = PickleHandler();
  EXPECT_EQ(h.id, "pickle");
  EXPECT_EQ(h.sniff, &SniffPickle);
  EXPECT_EQ(h.analyze, &AnalyzePickle);
}

}  // namespace
}  // namespace mats::pickle
