#include "mats/tlog/note.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "mats/core/encoding.h"
#include "testing/status_matchers.h"

namespace mats::tlog {
namespace {

using ::mats::testing::IsOk;
using ::mats::testing::StatusIs;
using ::testing::HasSubstr;

// Vectors from Go golang.org/x/mod/sumdb/note (note_test.go, example_test.go).
constexpr char kPeterSkey[] =
    "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
constexpr char kPeterVkey[] = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
constexpr char kEnochVkey[] = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop";
constexpr char kText[] =
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n";
constexpr char kPeterSig[] =
    "\xE2\x80\x94 PeterNeumann "
    "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";
constexpr char kEnochSig[] =
    "\xE2\x80\x94 EnochRoot "
    "rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n";

std::unique_ptr<Ed25519NoteVerifier> Verifier(const char* vkey) {
  auto v = Ed25519NoteVerifier::FromVerifierKey(vkey);
  EXPECT_THAT(v, IsOk());
  return std::move(v).value();
}

TEST(NoteTest, GoVectorVerifies) {
  auto peter = Verifier(kPeterVkey);
  EXPECT_EQ(peter->key_id(), 0xc74f20a3u);
  EXPECT_EQ(peter->VerifierKey(), kPeterVkey);
  std::string note = std::string(kText) + "\n" + kPeterSig;
  const NoteVerifier* vs[] = {peter.get()};
  ASSERT_OK_AND_ASSIGN(OpenedNote n, OpenNote(note, vs));
  EXPECT_EQ(n.text, kText);
  ASSERT_EQ(n.verified.size(), 1u);
  EXPECT_EQ(n.verified[0].name, "PeterNeumann");
  EXPECT_EQ(n.verified[0].key_id, 0xc74f20a3u);
}

TEST(NoteTest, GoSignerKeySignsIdentically) {
  ASSERT_OK_AND_ASSIGN(auto signer, Ed25519NoteSigner::FromSignerKey(kPeterSkey));
  EXPECT_EQ(signer->VerifierKey(), kPeterVkey);
  const NoteSigner* ss[] = {signer.get()};
  ASSERT_OK_AND_ASSIGN(std::string note, SignNote(kText, ss));
  EXPECT_EQ(note, std::string(kText) + "\n" + kPeterSig);
}

TEST(NoteTest, TwoSignaturesUnknownIgnored) {
  auto peter = Verifier(kPeterVkey);
  auto enoch = Verifier(kEnochVkey);
  std::string note = std::string(kText) + "\n" + kPeterSig + kEnochSig;
  const NoteVerifier* only_peter[] = {peter.get()};
  ASSERT_OK_AND_ASSIGN(OpenedNote n, OpenNote(note, only_peter));
  EXPECT_EQ(n.verified.size(), 1u);
  ASSERT_EQ(n.unverified.size(), 1u);
  EXPECT_EQ(n.unverified[0].name, "EnochRoot");
  const NoteVerifier* both[] = {peter.get(), enoch.get()};
  ASSERT_OK_AND_ASSIGN(n, OpenNote(note, both));
  EXPECT_EQ(n.verified.size(), 2u);
  EXPECT_TRUE(n.unverified.empty());
  EXPECT_THAT(OpenNote(note, {}), StatusIs(ErrorCode::kVerificationFailed, HasSubstr("no known key")));
  const NoteVerifier* dup[] = {enoch.get(), peter.get(), enoch.get()};
  EXPECT_THAT(OpenNote(note, dup), StatusIs(ErrorCode::kInvalidArgument));
  // Repeated unknown lines are kept once (as Go does).
  std::string repeated = std::string(kText) + "\n" + kPeterSig + kEnochSig + kEnochSig;
  ASSERT_OK_AND_ASSIGN(n, OpenNote(repeated, only_peter));
  EXPECT_EQ(n.unverified.size(), 1u);
  // Duplicate lines by a known key are verified once.
  std::string twice = std::string(kText) + "\n" + kPeterSig + kPeterSig;
  ASSERT_OK_AND_ASSIGN(n, OpenNote(twice, only_peter));
  EXPECT_EQ(n.verified.size(), 1u);
}

TEST(NoteTest, BadSignatureByKnownKeyRejects) {
  auto peter = Verifier(kPeterVkey);
  std::string sig = kPeterSig;
  sig.insert(60, "ABCD");
  std::string note = std::string(kText) + "\n" + sig;
  const NoteVerifier* vs[] = {peter.get()};
  EXPECT_THAT(OpenNote(note, vs),
              StatusIs(ErrorCode::kVerificationFailed, HasSubstr("PeterNeumann+c74f20a3")));
  // Altered text.
  std::string altered = std::string(kText);
  altered[0] = 'i';
  EXPECT_THAT(OpenNote(altered + "\n" + kPeterSig, vs), StatusIs(ErrorCode::kVerificationFailed));
}

TEST(NoteTest, MalformedNotes) {
  auto peter = Verifier(kPeterVkey);
  const NoteVerifier* vs[] = {peter.get()};
  std::string sig = kPeterSig;
  std::string text = kText;
  const std::string bad[] = {
      text,
      text + "\n",
      text + "\n" + sig.substr(0, sig.size() - 1),
      "\x01" + text + "\n" + sig,
      "\xff" + text + "\n" + sig,
      text + "\n" + "\xE2\x80\x94 Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n",
      text + "\n" + sig + "Unexpected line.\n",
      text + "\n" + "- PeterNeumann x08go/ZJku=\n",          // ASCII dash
      text + "\n" + "\xE2\x80\x94 PeterNeumann\n",           // no signature
      text + "\n" + "\xE2\x80\x94 PeterNeumann !!!!\n",      // bad base64
      text + "\n" + "\xE2\x80\x94 PeterNeumann AAAA\n",      // < 5 bytes
      text + "\n" + "\xE2\x80\x94 Peter+Neumann AAAAAAA=\n", // '+' in name
      text + "\n" + "\xE2\x80\x94  AAAAAAA=\n",              // empty name
      "a\tb\n\n" + sig,                                      // control char
      "a\rb\n\n" + sig,
  };
  for (const std::string& m : bad) {
    EXPECT_THAT(OpenNote(m, vs), StatusIs(ErrorCode::kMalformed)) << EscapePreview(m, 200);
    EXPECT_THAT(ParseNote(m), StatusIs(ErrorCode::kMalformed)) << EscapePreview(m, 200);
  }
  std::string many = text + "\n";
  for (int i = 0; i < 101; ++i) many += sig;
  EXPECT_THAT(ParseNote(many), StatusIs(ErrorCode::kLimitExceeded));
  std::string hundred = text + "\n";
  for (int i = 0; i < 100; ++i) hundred += sig;
  EXPECT_THAT(ParseNote(hundred), IsOk());
  std::string huge(kMaxNoteBytes + 1, 'a');
  EXPECT_THAT(ParseNote(huge), StatusIs(ErrorCode::kLimitExceeded));
  // Unicode spaces in names are rejected.
  EXPECT_FALSE(ValidateKeyName("a\xC2\xA0" "b").ok());
  EXPECT_FALSE(ValidateKeyName("a\xE3\x80\x80" "b").ok());
  EXPECT_FALSE(ValidateKeyName("a\xE2\x80\x83" "b").ok());
  EXPECT_TRUE(ValidateKeyName("example.com/log").ok());
  EXPECT_TRUE(ValidateKeyName("caf\xC3\xA9").ok());
  EXPECT_FALSE(ValidateKeyName(std::string(kMaxKeyNameBytes + 1, 'a')).ok());
}

TEST(NoteTest, TextWithBlankLineSplitsAtLast) {
  ASSERT_OK_AND_ASSIGN(auto signer, Ed25519NoteSigner::FromSignerKey(kPeterSkey));
  const NoteSigner* ss[] = {signer.get()};
  std::string text = "line one\n\nline three\n";
  ASSERT_OK_AND_ASSIGN(std::string note, SignNote(text, ss));
  auto peter = Verifier(kPeterVkey);
  const NoteVerifier* vs[] = {peter.get()};
  ASSERT_OK_AND_ASSIGN(OpenedNote n, OpenNote(note, vs));
  EXPECT_EQ(n.text, text);
}

TEST(NoteTest, SignNoteRejectsBadText) {
  ASSERT_OK_AND_ASSIGN(auto signer, Ed25519NoteSigner::FromSignerKey(kPeterSkey));
  const NoteSigner* ss[] = {signer.get()};
  EXPECT_THAT(SignNote("no newline", ss), StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(SignNote("", ss), StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(SignNote("a\x01\n", ss), StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(SignNote("a\xff\n", ss), StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(SignNote("ok\n", {}), StatusIs(ErrorCode::kInvalidArgument));
}

TEST(NoteTest, KeyStrings) {
  ASSERT_OK_AND_ASSIGN(GeneratedKey k, GenerateEd25519Key("example.com/log"));
  EXPECT_THAT(k.signer_key, ::testing::StartsWith("PRIVATE+KEY+example.com/log+"));
  ASSERT_OK_AND_ASSIGN(auto signer, Ed25519NoteSigner::FromSignerKey(k.signer_key));
  EXPECT_EQ(signer->VerifierKey(), k.verifier_key);
  ASSERT_OK_AND_ASSIGN(auto verifier, Ed25519NoteVerifier::FromVerifierKey(k.verifier_key));
  EXPECT_EQ(verifier->key_id(), signer->key_id());
  const NoteSigner* ss[] = {signer.get()};
  ASSERT_OK_AND_ASSIGN(std::string note, SignNote("hello\n", ss));
  const NoteVerifier* vs[] = {verifier.get()};
  EXPECT_THAT(OpenNote(note, vs), IsOk());
  // Key id of a Go vector key.
  ASSERT_OK_AND_ASSIGN(Bytes raw, Base64Decode("ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"));
  EXPECT_EQ(ComputeKeyId("PeterNeumann", raw[0], ByteSpan(raw).subspan(1)), 0xc74f20a3u);

  EXPECT_THAT(GenerateEd25519Key("bad name"), StatusIs(ErrorCode::kInvalidArgument));
  // Malformed verifier keys.
  EXPECT_THAT(Ed25519NoteVerifier::FromVerifierKey("PeterNeumann+c74f20a3"),
              StatusIs(ErrorCode::kMalformed));
  EXPECT_THAT(Ed25519NoteVerifier::FromVerifierKey("PeterNeumann+c74f20a+ARpc"),
              StatusIs(ErrorCode::kMalformed));
  EXPECT_THAT(Ed25519NoteVerifier::FromVerifierKey("PeterNeumann+c74f20ag+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"),
              StatusIs(ErrorCode::kMalformed));
  EXPECT_THAT(Ed25519NoteVerifier::FromVerifierKey("+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"),
              StatusIs(ErrorCode::kMalformed));
  EXPECT_THAT(Ed25519NoteVerifier::FromVerifierKey("PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10T"),
              StatusIs(ErrorCode::kMalformed));
  EXPECT_THAT(Ed25519NoteVerifier::FromVerifierKey("PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"),
              StatusIs(ErrorCode::kVerificationFailed));
  EXPECT_THAT(Ed25519NoteVerifier::FromVerifierKey("PeterNeumann+c74f20a3+AhpcQg=="),
              StatusIs(ErrorCode::kUnsupported));
  EXPECT_THAT(Ed25519NoteVerifier::FromVerifierKey("PeterNeumann+c74f20a3+ARpc"),
              StatusIs(ErrorCode::kMalformed));
  EXPECT_THAT(Ed25519NoteVerifier::FromPublicKey("x", Bytes(31)), StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(Ed25519NoteVerifier::FromPublicKey("a b", Bytes(32)), StatusIs(ErrorCode::kInvalidArgument));
  // Malformed signer keys.
  EXPECT_THAT(Ed25519NoteSigner::FromSignerKey(kPeterVkey), StatusIs(ErrorCode::kMalformed));
  EXPECT_THAT(Ed25519NoteSigner::FromSignerKey(
                  "PRIVATE+KEY+PeterNeumann+c74f20a4+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"),
              StatusIs(ErrorCode::kVerificationFailed));
  EXPECT_THAT(Ed25519NoteSigner::FromSignerKey("PRIVATE+KEY+PeterNeumann+c74f20a3+AgAA"),
              StatusIs(ErrorCode::kUnsupported));
  EXPECT_THAT(Ed25519NoteSigner::FromSignerKey("PRIVATE+KEY+PeterNeumann+c74f20a3+AQAA"),
              StatusIs(ErrorCode::kMalformed));
  EXPECT_THAT(Ed25519NoteSigner::FromSeed("x", Bytes(31)), StatusIs(ErrorCode::kInvalidArgument));
}

TEST(NoteTest, AddSignatures) {
  ASSERT_OK_AND_ASSIGN(auto signer, Ed25519NoteSigner::FromSignerKey(kPeterSkey));
  const NoteSigner* ss[] = {signer.get()};
  ASSERT_OK_AND_ASSIGN(std::string note, SignNote(kText, ss));
  ASSERT_OK_AND_ASSIGN(ParsedNote enoch_note, ParseNote(std::string(kText) + "\n" + kEnochSig));
  ASSERT_OK_AND_ASSIGN(ParsedNote peter_note, ParseNote(note));
  std::vector<NoteSignature> extra = {enoch_note.signatures[0], peter_note.signatures[0]};
  ASSERT_OK_AND_ASSIGN(std::string merged, AddSignatures(note, extra));
  EXPECT_EQ(merged, std::string(kText) + "\n" + kPeterSig + kEnochSig);
  EXPECT_THAT(AddSignatures("garbage", extra), StatusIs(ErrorCode::kMalformed));
  std::vector<NoteSignature> bad = {NoteSignature{"a b", 1, Bytes(64)}};
  EXPECT_THAT(AddSignatures(note, bad), StatusIs(ErrorCode::kInvalidArgument));
}

TEST(NoteTest, Cosignatures) {
  Bytes seed(32, 0x42);
  ASSERT_OK_AND_ASSIGN(auto cosigner, CosignatureSigner::FromSeed("witness.example", seed));
  ASSERT_OK_AND_ASSIGN(auto plain, Ed25519NoteSigner::FromSeed("witness.example", seed));
  EXPECT_NE(cosigner->key_id(), plain->key_id());
  EXPECT_EQ(cosigner->key_id(), ComputeKeyId("witness.example", kSigTypeCosignatureV1, plain->public_key()));
  std::string cp = "example.com/log\n5\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n";
  ASSERT_OK_AND_ASSIGN(Bytes sig, cosigner->SignAt(cp, 1700000000));
  ASSERT_EQ(sig.size(), 72u);
  ASSERT_OK_AND_ASSIGN(uint64_t t, CosignatureVerifier::Timestamp(sig));
  EXPECT_EQ(t, 1700000000u);
  // The signature is an Ed25519 signature over the cosignature/v1 message.
  ASSERT_OK_AND_ASSIGN(auto ed, Ed25519NoteVerifier::FromPublicKey("witness.example", plain->public_key()));
  EXPECT_THAT(ed->Verify("cosignature/v1\ntime 1700000000\n" + cp, ByteSpan(sig).subspan(8)), IsOk());
  ASSERT_OK_AND_ASSIGN(auto verifier, CosignatureVerifier::FromVerifierKey(cosigner->VerifierKey()));
  EXPECT_THAT(verifier->Verify(cp, sig), IsOk());
  Bytes bad_time = sig;
  bad_time[7] ^= 1;
  EXPECT_THAT(verifier->Verify(cp, bad_time), StatusIs(ErrorCode::kVerificationFailed));
  EXPECT_THAT(verifier->Verify(cp, ByteSpan(sig).first(71)), StatusIs(ErrorCode::kVerificationFailed));
  EXPECT_THAT(verifier->Verify(cp + "x\n", sig), StatusIs(ErrorCode::kVerificationFailed));
  EXPECT_THAT(CosignatureVerifier::Timestamp(Bytes(7)), StatusIs(ErrorCode::kMalformed));
  // A cosignature verifier key has type 0x04; an Ed25519 key is refused.
  EXPECT_THAT(CosignatureVerifier::FromVerifierKey(plain->VerifierKey()), StatusIs(ErrorCode::kUnsupported));
  EXPECT_THAT(Ed25519NoteVerifier::FromVerifierKey(cosigner->VerifierKey()), StatusIs(ErrorCode::kUnsupported));
  // Cosigned note: log signature + witness cosignature, opened together.
  ASSERT_OK_AND_ASSIGN(auto log_signer, Ed25519NoteSigner::FromSeed("example.com/log", Bytes(32, 1)));
  const NoteSigner* ss[] = {log_signer.get(), cosigner.get()};
  ASSERT_OK_AND_ASSIGN(std::string note, SignNote(cp, ss));
  ASSERT_OK_AND_ASSIGN(auto log_verifier, Ed25519NoteVerifier::FromVerifierKey(log_signer->VerifierKey()));
  const NoteVerifier* vs[] = {log_verifier.get(), verifier.get()};
  ASSERT_OK_AND_ASSIGN(OpenedNote n, OpenNote(note, vs));
  EXPECT_EQ(n.verified.size(), 2u);
  ASSERT_OK_AND_ASSIGN(auto from_key, CosignatureSigner::FromSignerKey(kPeterSkey));
  EXPECT_EQ(from_key->name(), "PeterNeumann");
}

}  // namespace
}  // namespace mats::tlog
