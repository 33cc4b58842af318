#include "mats/tlog/checkpoint.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "mats/core/encoding.h"
#include "testing/status_matchers.h"

namespace mats::tlog {
namespace {

using ::mats::testing::IsOk;
using ::mats::testing::StatusIs;
using ::testing::HasSubstr;

constexpr char kRootB64[] = "2vwqbnjEtVGGSoPqwLtvKpJuGBsmdeDOxHv3oA3YNzk=";  // some 32 bytes

TEST(CheckpointTest, FormatParseRoundTrip) {
  Checkpoint cp;
  cp.origin = "example.com/log";
  cp.size = 70000;
  cp.root = Hasher::HashLeaf(AsBytes("x"));
  cp.extensions = {"ext one", "\xE2\x80\x94 x"};
  std::string text = FormatCheckpoint(cp);
  EXPECT_EQ(text.substr(0, 22), "example.com/log\n70000\n");
  ASSERT_OK_AND_ASSIGN(Checkpoint back, ParseCheckpoint(text));
  EXPECT_EQ(back, cp);
  Checkpoint empty{"o", 0, Hasher::EmptyRoot(), {}};
  EXPECT_EQ(FormatCheckpoint(empty), "o\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n");
  EXPECT_THAT(ParseCheckpoint(FormatCheckpoint(empty)), IsOk());
}

TEST(CheckpointTest, GoSumdbTreeNoteParses) {
  // Shape of a Go sumdb tree note body (tlog.FormatTree).
  std::string text = std::string("go.sum database tree\n12345\n") + kRootB64 + "\n";
  ASSERT_OK_AND_ASSIGN(Checkpoint cp, ParseCheckpoint(text));
  EXPECT_EQ(cp.origin, "go.sum database tree");
}

TEST(CheckpointTest, RejectsMalformed) {
  std::string root = kRootB64;
  const std::string bad[] = {
      "",
      "o\n1\n" + root,                       // no final newline
      "o\n1\n",                              // missing root
      "\n1\n" + root + "\n",                 // empty origin
      "a\tb\n1\n" + root + "\n",             // control char
      "o\n01\n" + root + "\n",               // leading zero
      "o\n-1\n" + root + "\n",               // sign
      "o\n\n" + root + "\n",                 // empty size
      "o\n1 \n" + root + "\n",               // trailing space
      "o\n18446744073709551616\n" + root + "\n",  // overflow
      "o\n99999999999999999999\n" + root + "\n",  // overflow
      "o\n1\nAAAA\n",                        // short root
      "o\n1\n" + root.substr(0, 43) + "\n",  // unpadded
      "o\n1\n" + root + "\n\n",              // empty extension
      "o\n1\n" + root + "\nx\ty\n",          // control char in extension
      "\xff\n1\n" + root + "\n",             // bad utf-8
  };
  for (const std::string& t : bad) {
    EXPECT_THAT(ParseCheckpoint(t), StatusIs(ErrorCode::kMalformed)) << EscapePreview(t, 200);
  }
  EXPECT_THAT(ParseCheckpoint("o\n18446744073709551615\n" + root + "\n"), IsOk());
  EXPECT_THAT(ParseCheckpoint("a+b c\n1\n" + root + "\n"), IsOk());
  EXPECT_THAT(ValidateCheckpoint(Checkpoint{"a+b", 0, {}, {}}), StatusIs(ErrorCode::kInvalidArgument));
  std::string many = "o\n1\n" + root + "\n";
  for (size_t i = 0; i <= kMaxCheckpointExtensions; ++i) many += "e\n";
  EXPECT_THAT(ParseCheckpoint(many), StatusIs(ErrorCode::kLimitExceeded));
  EXPECT_THAT(ParseCheckpoint(std::string(kMaxCheckpointBytes + 1, 'a')),
              StatusIs(ErrorCode::kLimitExceeded));
  EXPECT_THAT(ValidateCheckpoint(Checkpoint{"a b", 0, {}, {}}), StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(ValidateCheckpoint(Checkpoint{"ok", 0, {}, {""}}), StatusIs(ErrorCode::kInvalidArgument));
}

TEST(CheckpointTest, OpenCheckpoint) {
  ASSERT_OK_AND_ASSIGN(auto log_signer, Ed25519NoteSigner::FromSeed("example.com/log", Bytes(32, 7)));
  ASSERT_OK_AND_ASSIGN(auto other, Ed25519NoteSigner::FromSeed("example.com/other", Bytes(32, 8)));
  ASSERT_OK_AND_ASSIGN(auto witness, CosignatureSigner::FromSeed("witness", Bytes(32, 9)));
  ASSERT_OK_AND_ASSIGN(auto log_v, Ed25519NoteVerifier::FromVerifierKey(log_signer->VerifierKey()));
  ASSERT_OK_AND_ASSIGN(auto other_v, Ed25519NoteVerifier::FromVerifierKey(other->VerifierKey()));
  ASSERT_OK_AND_ASSIGN(auto witness_v, CosignatureVerifier::FromVerifierKey(witness->VerifierKey()));
  Checkpoint cp{"example.com/log", 5, Hasher::HashLeaf(AsBytes("r")), {}};
  std::string text = FormatCheckpoint(cp);
  const NoteSigner* both[] = {log_signer.get(), witness.get()};
  ASSERT_OK_AND_ASSIGN(std::string note, SignNote(text, both));
  const NoteVerifier* ws[] = {witness_v.get()};
  ASSERT_OK_AND_ASSIGN(SignedCheckpoint sc, OpenCheckpoint(note, *log_v, ws, 1));
  EXPECT_EQ(sc.checkpoint, cp);
  EXPECT_EQ(sc.cosignatures.size(), 1u);
  EXPECT_EQ(sc.note, note);
  EXPECT_THAT(OpenCheckpoint(note, *log_v, {}, 1),
              StatusIs(ErrorCode::kVerificationFailed, HasSubstr("cosignatures")));
  EXPECT_THAT(OpenCheckpoint(note, *log_v, {}), IsOk());
  // Signed only by the witness: the log signature is missing.
  const NoteSigner* only_w[] = {witness.get()};
  ASSERT_OK_AND_ASSIGN(std::string wnote, SignNote(text, only_w));
  EXPECT_THAT(OpenCheckpoint(wnote, *log_v, ws),
              StatusIs(ErrorCode::kVerificationFailed, HasSubstr("log key")));
  // Origin must equal the log key name.
  const NoteSigner* o[] = {other.get()};
  ASSERT_OK_AND_ASSIGN(std::string onote, SignNote(text, o));
  EXPECT_THAT(OpenCheckpoint(onote, *other_v, {}),
              StatusIs(ErrorCode::kVerificationFailed, HasSubstr("origin")));
  // Signed garbage text.
  const NoteSigner* l[] = {log_signer.get()};
  ASSERT_OK_AND_ASSIGN(std::string gnote, SignNote("example.com/log\nnot a number\n", l));
  EXPECT_THAT(OpenCheckpoint(gnote, *log_v, {}), StatusIs(ErrorCode::kMalformed));
}

}  // namespace
}  // namespace mats::tlog
