#include <openssl/evp.h>

#include <filesystem>
#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "hash/test_dir.h"
#include "mats/core/encoding.h"
#include "mats/core/json.h"
#include "mats/core/mapped_file.h"
#include "mats/sign/bundle.h"
#include "mats/sign/keys.h"
#include "mats/sign/signer.h"
#include "mats/sign/sigstore.h"
#include "mats/sign/x509.h"
#include "testing/json_mutations.h"
#include "testing/status_matchers.h"

namespace mats::sign {
namespace {

using ::mats::testing::StatusIs;
using ::mats::testing::TempDir;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

const std::string kFix = std::string(MATS_SOURCE_DIR) + "/tests/fixtures/sign";

std::string Read(const std::string& rel) {
  auto r = ReadFileToString(kFix + "/" + rel, 1 << 20);
  EXPECT_TRUE(r.ok()) << rel;
  return r.ok() ? *r : "";
}

PublicKey Pub(const std::string& name) {
  auto k = PublicKey::FromPem(Read("keys/" + name));
  if (!k.ok()) std::abort();
  return std::move(k).value();
}

PrivateKey Priv(const std::string& name, std::string_view password = "") {
  auto k = PrivateKey::FromPem(SecretBytes(Read("keys/" + name)), SecretBytes(password));
  if (!k.ok()) std::abort();
  return std::move(k).value();
}

// Copies the fixture model to a temp dir.
void CopyModel(const TempDir& d) {
  std::filesystem::copy(kFix + "/model", d.Join("model"),
                        std::filesystem::copy_options::recursive);
}

SignRequest Req(const std::string& model, const std::string& sig) {
  SignRequest r;
  r.model_path = model;
  r.signature_path = sig;
  return r;
}

VerifyRequest KeyRequest(const std::string& model, const std::string& sig, PublicKey key) {
  VerifyRequest v;
  v.model_path = model;
  v.signature_path = sig;
  v.mode = VerifyMode::kKey;
  v.public_key = std::move(key);
  return v;
}

TEST(PaeTest, MatchesReferencePrefix) {
  std::string payload(926, 'x');
  Bytes pae = Pae(kInTotoPayloadType, AsBytes(payload));
  std::string head = "DSSEv1 28 application/vnd.in-toto+json 926 ";
  ASSERT_EQ(pae.size(), head.size() + 926);
  EXPECT_EQ(std::string(pae.begin(), pae.begin() + static_cast<long>(head.size())), head);
  EXPECT_EQ(AsChars(Pae("t", AsBytes(""))), "DSSEv1 1 t 0 ");
}

TEST(KeysTest, HintIsSha256OfCanonicalPem) {
  std::string pem = Read("keys/p256.pub.pem");
  PublicKey k = Pub("p256.pub.pem");
  EXPECT_EQ(k.Pem(), pem);
  uint8_t d[32];
  unsigned int n = 0;
  EVP_Digest(pem.data(), pem.size(), d, &n, EVP_sha256(), nullptr);
  EXPECT_EQ(k.Hint(), HexEncode({d, 32}));
  EXPECT_EQ(Priv("p256.pem").public_key().Hint(), k.Hint());
}

TEST(KeysTest, CurvesAndTheirHashes) {
  EXPECT_EQ(Priv("p256.pem").curve(), Curve::kP256);
  EXPECT_EQ(Priv("p384.pem").curve(), Curve::kP384);  // SEC1 PEM
  EXPECT_EQ(Priv("p521.pem").curve(), Curve::kP521);
  for (Curve c : {Curve::kP256, Curve::kP384, Curve::kP521}) {
    ASSERT_OK_AND_ASSIGN(PrivateKey k, PrivateKey::Generate(c));
    ASSERT_OK_AND_ASSIGN(Bytes sig, k.Sign(AsBytes("message")));
    EXPECT_OK(k.public_key().Verify(AsBytes("message"), sig));
    EXPECT_THAT(k.public_key().Verify(AsBytes("messagE"), sig),
                StatusIs(ErrorCode::kVerificationFailed));
    ASSERT_OK_AND_ASSIGN(SecretBytes pem, k.ToPem(SecretBytes("pw")));
    ASSERT_OK_AND_ASSIGN(PrivateKey back, PrivateKey::FromPem(pem, SecretBytes("pw")));
    EXPECT_EQ(back.public_key().Hint(), k.public_key().Hint());
  }
}

TEST(KeysTest, EncryptedPem) {
  EXPECT_EQ(Priv("p256-encrypted.pem", "mats-test-password").public_key().Hint(),
            Pub("p256.pub.pem").Hint());
  SecretBytes pem(Read("keys/p256-encrypted.pem"));
  EXPECT_THAT(PrivateKey::FromPem(pem, SecretBytes()),
              StatusIs(ErrorCode::kInvalidArgument, HasSubstr("--password")));
  EXPECT_THAT(PrivateKey::FromPem(pem, SecretBytes("wrong")),
              StatusIs(ErrorCode::kInvalidArgument, HasSubstr("wrong password")));
}

TEST(KeysTest, WrongKeyTypes) {
  for (const char* n : {"rsa.pem", "ed25519.pem", "secp256k1.pem"}) {
    EXPECT_THAT(PrivateKey::FromPem(SecretBytes(Read(std::string("keys/") + n)), SecretBytes()),
                StatusIs(ErrorCode::kUnsupported)) << n;
  }
  for (const char* n : {"rsa.pub.pem", "ed25519.pub.pem", "secp256k1.pub.pem"}) {
    EXPECT_THAT(PublicKey::FromPem(Read(std::string("keys/") + n)),
                StatusIs(ErrorCode::kUnsupported)) << n;
  }
  EXPECT_THAT(PublicKey::FromPem("garbage"), StatusIs(ErrorCode::kMalformed));
  EXPECT_THAT(PrivateKey::FromPem(SecretBytes("garbage"), SecretBytes()),
              StatusIs(ErrorCode::kMalformed));
  EXPECT_THAT(PublicKey::FromSpkiDer(AsBytes("\x30\x03")), StatusIs(ErrorCode::kMalformed));
}

TEST(SecretBytesTest, MoveLeavesSourceEmpty) {
  SecretBytes a("secret");
  SecretBytes b(std::move(a));
  EXPECT_TRUE(a.empty());  // NOLINT(bugprone-use-after-move): testing the moved-from state
  EXPECT_EQ(b.view(), "secret");
}

// Bundles made by other tools verify in mats.
struct FixtureCase {
  const char* bundle;
  const char* key;
};
class ForeignBundleTest : public ::testing::TestWithParam<FixtureCase> {};

TEST_P(ForeignBundleTest, Verifies) {
  auto v = KeyRequest(kFix + "/model", kFix + "/bundles/" + GetParam().bundle, Pub(GetParam().key));
  ASSERT_OK_AND_ASSIGN(VerifyReport r, VerifyModel(v));
  EXPECT_TRUE(r.verified) << VerifyReportText(r);
  EXPECT_EQ(r.root_digest.size(), 64u);
}

INSTANTIATE_TEST_SUITE_P(
    Fixtures, ForeignBundleTest,
    ::testing::Values(FixtureCase{"py-p256.sig", "p256.pub.pem"},
                      FixtureCase{"py-p521.sig", "p521.pub.pem"},
                      FixtureCase{"py-shards-protobuf.sig", "p256.pub.pem"},
                      FixtureCase{"py-blake2b.sig", "p256.pub.pem"},
                      FixtureCase{"openssl-p384.sig", "p384.pub.pem"}));

TEST(ForeignBundleTest, RootDigestMatchesIndependentScript) {
  auto v = KeyRequest(kFix + "/model", kFix + "/bundles/py-p256.sig", Pub("p256.pub.pem"));
  ASSERT_OK_AND_ASSIGN(VerifyReport r, VerifyModel(v));
  std::string want = Read("bundles/expected-root.txt");
  EXPECT_EQ(r.root_digest + "\n", want);
}

TEST(ForeignBundleTest, UnknownPredicateFieldsAreAPolicyFailure) {
  auto v = KeyRequest(kFix + "/model", kFix + "/bundles/py-unknown-field.sig", Pub("p256.pub.pem"));
  ASSERT_OK_AND_ASSIGN(VerifyReport r, VerifyModel(v));
  EXPECT_FALSE(r.verified);
  EXPECT_EQ(r.failure, "policy");
  EXPECT_THAT(r.unknown_fields, ElementsAre("predicate.model_card"));
  v.allow_unknown_fields = true;
  ASSERT_OK_AND_ASSIGN(VerifyReport ok, VerifyModel(v));
  EXPECT_TRUE(ok.verified);
  EXPECT_THAT(VerifyReportText(ok), HasSubstr("unknown predicate field: predicate.model_card"));
}

// `verify record` applies the same predicate policy as `verify`.
TEST(ForeignBundleTest, RecordProofRefusesUnknownPredicateFields) {
  auto v = KeyRequest(kFix + "/model", kFix + "/bundles/py-unknown-field.sig", Pub("p256.pub.pem"));
  ASSERT_OK_AND_ASSIGN(RecordProofResult r,
                       VerifySignedRecordProof(v, kFix + "/model/signme-1", "{}"));
  EXPECT_FALSE(r.verified);
  EXPECT_EQ(r.failure, "policy");
  EXPECT_THAT(r.reasons, ElementsAre(HasSubstr("predicate.model_card")));
  v.allow_unknown_fields = true;
  ASSERT_OK_AND_ASSIGN(RecordProofResult next,
                       VerifySignedRecordProof(v, kFix + "/model/signme-1", "{}"));
  EXPECT_EQ(next.failure, "record proof");  // past the policy: this model has no record manifest
}

TEST(ForeignBundleTest, SignerIgnorePathsShownAndRefusable) {
  auto v = KeyRequest(kFix + "/model", kFix + "/bundles/py-ignore-sub.sig", Pub("p256.pub.pem"));
  ASSERT_OK_AND_ASSIGN(VerifyReport r, VerifyModel(v));
  EXPECT_TRUE(r.verified);
  EXPECT_THAT(r.signer_ignore_paths, ::testing::Contains("sub"));
  v.refuse_ignore_paths = true;
  ASSERT_OK_AND_ASSIGN(VerifyReport refused, VerifyModel(v));
  EXPECT_FALSE(refused.verified);
  EXPECT_EQ(refused.failure, "policy");
  EXPECT_THAT(refused.reasons[0], HasSubstr("\"sub\""));
}

TEST(ForeignBundleTest, WrongKeyIsUntrusted) {
  auto v = KeyRequest(kFix + "/model", kFix + "/bundles/py-p256.sig", Pub("p521.pub.pem"));
  ASSERT_OK_AND_ASSIGN(VerifyReport r, VerifyModel(v));
  EXPECT_FALSE(r.verified);
  EXPECT_EQ(r.failure, "untrusted key");
}

TEST(ForeignBundleTest, CertificateChain) {
  VerifyRequest v;
  v.model_path = kFix + "/model";
  v.signature_path = kFix + "/bundles/py-cert.sig";
  v.mode = VerifyMode::kCertificate;
  ASSERT_OK_AND_ASSIGN(v.trust_anchors, LoadCertificatesPem(Read("keys/root.pem")));
  EXPECT_THAT(VerifyModel(v), StatusIs(ErrorCode::kInvalidArgument, HasSubstr("identity policy")));
  v.identity.identities = {"signer@example.com"};
  ASSERT_OK_AND_ASSIGN(VerifyReport r, VerifyModel(v));
  EXPECT_TRUE(r.verified) << VerifyReportText(r);
  EXPECT_THAT(r.signer, HasSubstr("CN=model-signer"));
  v.identity.identities = {"attacker@example.com"};
  ASSERT_OK_AND_ASSIGN(VerifyReport bad_id, VerifyModel(v));
  EXPECT_EQ(bad_id.failure, "identity mismatch");
  v.identity.identities = {};
  v.identity.subject = "O=mats,CN=model-signer";
  ASSERT_OK_AND_ASSIGN(VerifyReport by_subject, VerifyModel(v));
  EXPECT_TRUE(by_subject.verified) << VerifyReportText(by_subject);
  v.identity.subject = "CN=someone-else";
  ASSERT_OK_AND_ASSIGN(VerifyReport bad_subject, VerifyModel(v));
  EXPECT_EQ(bad_subject.failure, "identity mismatch");
  v.identity = IdentityPolicy();
  v.identity.any = true;
  ASSERT_OK_AND_ASSIGN(v.trust_anchors, LoadCertificatesPem(Read("keys/other-root.pem")));
  ASSERT_OK_AND_ASSIGN(VerifyReport untrusted, VerifyModel(v));
  EXPECT_EQ(untrusted.failure, "untrusted certificate");
  // A keyless bundle is refused in certificate mode (it needs `verify
  // sigstore`), and without a transparency log entry it never verifies.
  {
    ASSERT_OK_AND_ASSIGN(nlohmann::json kl, ParseJson(Read("bundles/py-cert.sig")));
    auto certs = kl["verificationMaterial"]["x509CertificateChain"]["certificates"];
    kl["verificationMaterial"].erase("x509CertificateChain");
    kl["verificationMaterial"]["certificate"] = certs[0];
    TempDir t;
    t.Write("keyless.sig", DumpJson(kl));
    VerifyRequest kv;
    kv.model_path = v.model_path;
    kv.signature_path = t.Join("keyless.sig");
    kv.mode = VerifyMode::kCertificate;
    kv.trust_anchors = v.trust_anchors;
    kv.identity.any = true;
    EXPECT_THAT(VerifyModel(kv),
                StatusIs(ErrorCode::kInvalidArgument, HasSubstr("mats verify sigstore")));
    kv.mode = VerifyMode::kSigstore;
    kv.keyless = {.identity = "a@example.com", .issuer = "https://issuer.example"};
    ASSERT_OK_AND_ASSIGN(VerifyReport rep, VerifyModel(kv));
    EXPECT_FALSE(rep.verified);
    EXPECT_EQ(rep.failure, "transparency log");
  }
  // The certificate bundle is refused in key mode and vice versa.
  auto k = KeyRequest(v.model_path, v.signature_path, Pub("p256.pub.pem"));
  EXPECT_THAT(VerifyModel(k), StatusIs(ErrorCode::kInvalidArgument));
  v.signature_path = kFix + "/bundles/py-p256.sig";
  EXPECT_THAT(VerifyModel(v), StatusIs(ErrorCode::kInvalidArgument));
}

TEST(X509Test, InfoAndKeyUsage) {
  ASSERT_OK_AND_ASSIGN(auto leaf, LoadCertificatesPem(Read("keys/leaf.pem")));
  ASSERT_OK_AND_ASSIGN(CertificateInfo info, ReadCertificateInfo(leaf[0]));
  EXPECT_THAT(info.sans, ElementsAre("signer@example.com", "https://example.com/ci"));
  EXPECT_TRUE(info.code_signing);
  ASSERT_OK_AND_ASSIGN(auto noku, LoadCertificatesPem(Read("keys/leaf-noku.pem")));
  ASSERT_OK_AND_ASSIGN(auto inter, LoadCertificatesPem(Read("keys/inter.pem")));
  ASSERT_OK_AND_ASSIGN(auto root, LoadCertificatesPem(Read("keys/root.pem")));
  EXPECT_OK(VerifyCertificateChain({leaf[0], inter[0]}, root, std::nullopt));
  EXPECT_THAT(VerifyCertificateChain({noku[0], inter[0]}, root, std::nullopt),
              StatusIs(ErrorCode::kVerificationFailed, HasSubstr("digitalSignature")));
  // Without the intermediate the chain does not build.
  EXPECT_THAT(VerifyCertificateChain({leaf[0]}, root, std::nullopt),
              StatusIs(ErrorCode::kVerificationFailed));
  EXPECT_THAT(VerifyCertificateChain({leaf[0], inter[0]}, {}, std::nullopt),
              StatusIs(ErrorCode::kInvalidArgument));
  // Before the leaf existed.
  EXPECT_THAT(VerifyCertificateChain({leaf[0], inter[0]}, root, int64_t{1000}),
              StatusIs(ErrorCode::kVerificationFailed));
  EXPECT_THAT(LoadCertificatesPem("no pem here"), StatusIs(ErrorCode::kMalformed));
  EXPECT_THAT(ReadCertificateInfo(AsBytes("junk")), StatusIs(ErrorCode::kMalformed));
}

class RoundTripTest : public ::testing::TestWithParam<Curve> {};

TEST_P(RoundTripTest, SignVerifyAndTamper) {
  TempDir d;
  CopyModel(d);
  std::string model = d.Join("model");
  ASSERT_OK_AND_ASSIGN(PrivateKey key, PrivateKey::Generate(GetParam()));
  SignRequest req = Req(model, model + "/model.sig");
  ASSERT_OK_AND_ASSIGN(SignResult s, SignModel(req, key, {}));
  ASSERT_OK(WriteFileAtomic(req.signature_path, s.bundle_json));
  EXPECT_EQ(s.manifest.resources.size(), 3u);
  EXPECT_THAT(s.manifest.ignore_paths, ::testing::Contains("model.sig"));
  auto v = KeyRequest(model, req.signature_path, key.public_key());
  ASSERT_OK_AND_ASSIGN(VerifyReport ok, VerifyModel(v));
  ASSERT_TRUE(ok.verified) << VerifyReportText(ok);

  d.Write("model/signme-1", "poisoned\n");
  std::filesystem::remove(model + "/signme-2");
  d.Write("model/preprocess.py", "import os\n");
  ASSERT_OK_AND_ASSIGN(VerifyReport bad, VerifyModel(v));
  EXPECT_FALSE(bad.verified);
  EXPECT_EQ(bad.failure, "manifest mismatch");
  EXPECT_THAT(bad.diff.missing, ElementsAre("signme-2"));
  EXPECT_THAT(bad.diff.extra, ElementsAre("preprocess.py"));
  ASSERT_EQ(bad.diff.changed.size(), 1u);
  EXPECT_EQ(bad.diff.changed[0].name, "signme-1");
  EXPECT_EQ(HexEncode(bad.diff.changed[0].expected),
            "bc9a717db6064a32cbe9eae6fc40651dd6d36ef1757183f590eff2b1765d7ebc");
  std::string json = VerifyReportJson(bad);
  EXPECT_THAT(json, HasSubstr("\"preprocess.py\""));
}

INSTANTIATE_TEST_SUITE_P(Curves, RoundTripTest,
                         ::testing::Values(Curve::kP256, Curve::kP384, Curve::kP521));

TEST(SignTest, CertificateModeAndMismatchedKey) {
  TempDir d;
  CopyModel(d);
  std::string model = d.Join("model");
  ASSERT_OK_AND_ASSIGN(auto leaf, LoadCertificatesPem(Read("keys/leaf.pem")));
  ASSERT_OK_AND_ASSIGN(auto inter, LoadCertificatesPem(Read("keys/chain.pem")));
  std::vector<Bytes> chain = {leaf[0], inter[0]};
  SignRequest req = Req(model, d.Join("cert.sig"));
  EXPECT_THAT(SignModel(req, Priv("p256.pem"), chain),
              StatusIs(ErrorCode::kInvalidArgument, HasSubstr("does not match")));
  ASSERT_OK_AND_ASSIGN(SignResult s, SignModel(req, Priv("leaf.key"), chain));
  ASSERT_OK(WriteFileAtomic(req.signature_path, s.bundle_json));
  VerifyRequest v;
  v.model_path = model;
  v.signature_path = req.signature_path;
  v.mode = VerifyMode::kCertificate;
  ASSERT_OK_AND_ASSIGN(v.trust_anchors, LoadCertificatesPem(Read("keys/root.pem")));
  v.identity.identities = {"https://example.com/ci"};
  ASSERT_OK_AND_ASSIGN(VerifyReport r, VerifyModel(v));
  EXPECT_TRUE(r.verified) << VerifyReportText(r);
}

TEST(SignTest, ShardsModeAndEmptyModel) {
  TempDir d;
  d.Write("m/big.bin", std::string(10000, 'z'));
  ASSERT_OK_AND_ASSIGN(PrivateKey key, PrivateKey::Generate(Curve::kP256));
  SignRequest req = Req(d.Join("m"), d.Join("m.sig"));
  req.hashing.method = hash::Method::kShards;
  req.hashing.shard_size = 4096;
  ASSERT_OK_AND_ASSIGN(SignResult s, SignModel(req, key, {}));
  ASSERT_OK(WriteFileAtomic(req.signature_path, s.bundle_json));
  ASSERT_OK_AND_ASSIGN(VerifyReport r,
                       VerifyModel(KeyRequest(d.Join("m"), d.Join("m.sig"), key.public_key())));
  EXPECT_TRUE(r.verified);
  EXPECT_EQ(r.shard_size, 4096u);
  EXPECT_EQ(r.resources, 3u);
  d.Write("empty/.git/x", "");
  SignRequest e = Req(d.Join("empty"), d.Join("e.sig"));
  EXPECT_THAT(SignModel(e, key, {}), StatusIs(ErrorCode::kInvalidArgument, HasSubstr("no files")));
}

// Statements and bundles that must be rejected.
std::string Statement(const std::string& pred, const std::string& root) {
  return R"({"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"m","digest":{"sha256":")" +
         root + R"("}}],"predicateType":"https://model_signing/signature/v1.0","predicate":)" +
         pred + "}";
}
const std::string kEmptyRoot = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
const std::string kFilesSer = R"("serialization":{"method":"files","hash_type":"sha256","allow_symlinks":false})";

TEST(StatementTest, Rejects) {
  Limits l;
  struct Case {
    std::string text;
    ErrorCode code;
    const char* msg;
  };
  std::string d32(64, 'a');
  std::vector<Case> cases = {
      {"[]", ErrorCode::kMalformed, "not a JSON object"},
      {"{", ErrorCode::kMalformed, ""},
      {R"({"_type":"x","subject":[],"predicateType":"y"})", ErrorCode::kUnsupported, "_type"},
      {R"({"_type":"https://in-toto.io/Statement/v1","subject":[{}],"predicateType":"y","predicate":{}})",
       ErrorCode::kUnsupported, "predicateType"},
      {R"({"_type":"https://in-toto.io/Statement/v1","subject":[],"predicateType":"https://model_signing/signature/v1.0"})",
       ErrorCode::kMalformed, "non-empty"},
      {Statement("{" + kFilesSer + R"(,"resources":[]})", "zz"), ErrorCode::kMalformed, "subject"},
      {Statement("{" + kFilesSer + "}", kEmptyRoot), ErrorCode::kMalformed, "resources"},
      {Statement(R"({"resources":[]})", kEmptyRoot), ErrorCode::kMalformed, "serialization"},
      {Statement(R"({"serialization":{"method":"tree","hash_type":"sha256","allow_symlinks":false},"resources":[]})", kEmptyRoot),
       ErrorCode::kUnsupported, "method"},
      {Statement(R"({"serialization":{"method":"files","hash_type":"blake3","allow_symlinks":false},"resources":[]})", kEmptyRoot),
       ErrorCode::kUnsupported, "blake3"},
      {Statement(R"({"serialization":{"method":"files","hash_type":"sha256","allow_symlinks":"no"},"resources":[]})", kEmptyRoot),
       ErrorCode::kMalformed, "allow_symlinks"},
      {Statement(R"({"serialization":{"method":"shards","hash_type":"sha256","allow_symlinks":false,"shard_size":0},"resources":[]})", kEmptyRoot),
       ErrorCode::kMalformed, "shard_size"},
      {Statement(R"({"serialization":{"method":"shards","hash_type":"sha256","allow_symlinks":false,"shard_size":1e300},"resources":[]})", kEmptyRoot),
       ErrorCode::kMalformed, "shard_size"},
      {Statement(R"({"serialization":{"method":"shards","hash_type":"sha256","allow_symlinks":false,"shard_size":4096.5},"resources":[]})", kEmptyRoot),
       ErrorCode::kMalformed, "integer"},
      {Statement(R"({"serialization":{"method":"shards","hash_type":"sha256","allow_symlinks":false},"resources":[]})", kEmptyRoot),
       ErrorCode::kMalformed, "shard_size"},
      {Statement("{" + kFilesSer + R"(,"resources":[{"name":"../x","algorithm":"sha256","digest":")" + d32 + R"("}]})", kEmptyRoot),
       ErrorCode::kMalformed, "escapes"},
      {Statement("{" + kFilesSer + R"(,"resources":[{"name":"/etc/passwd","algorithm":"sha256","digest":")" + d32 + R"("}]})", kEmptyRoot),
       ErrorCode::kMalformed, "escapes"},
      {Statement("{" + kFilesSer + R"(,"resources":[{"name":"x","algorithm":"md5","digest":")" + d32 + R"("}]})", kEmptyRoot),
       ErrorCode::kMalformed, "algorithm"},
      {Statement("{" + kFilesSer + R"(,"resources":[{"name":"x","algorithm":"sha256","digest":"abcd"}]})", kEmptyRoot),
       ErrorCode::kMalformed, "32 bytes"},
      {Statement("{" + kFilesSer + R"(,"resources":[{"name":"x","algorithm":"sha256"}]})", kEmptyRoot),
       ErrorCode::kMalformed, "digest"},
      {Statement("{" + kFilesSer + R"(,"resources":[{"name":"x","algorithm":"sha256","digest":")" + d32 +
                     R"("},{"name":"x","algorithm":"sha256","digest":")" + d32 + R"("}]})", kEmptyRoot),
       ErrorCode::kMalformed, "duplicate"},
      {Statement("{" + kFilesSer + R"(,"resources":[{"name":"x","algorithm":"sha256","digest":")" + d32 + R"("}]})", kEmptyRoot),
       ErrorCode::kVerificationFailed, "root digest"},
      {Statement(R"({"serialization":{"method":"shards","hash_type":"sha256","allow_symlinks":false,"shard_size":4096},"resources":[{"name":"x:0:5000","algorithm":"sha256-sharded-4096","digest":")" + d32 + R"("}]})", kEmptyRoot),
       ErrorCode::kMalformed, "shard_size"},
      {Statement(R"({"serialization":{"method":"shards","hash_type":"sha256","allow_symlinks":false,"shard_size":4096},"resources":[{"name":"x:0:10","algorithm":"sha256-sharded-8192","digest":")" + d32 + R"("}]})", kEmptyRoot),
       ErrorCode::kMalformed, "algorithm"},
      {Statement("{" + kFilesSer.substr(0, kFilesSer.size() - 1) + R"(,"ignore_paths":"x"},"resources":[]})", kEmptyRoot),
       ErrorCode::kMalformed, "ignore_paths"},
  };
  for (const Case& c : cases) {
    EXPECT_THAT(ParseStatement(AsBytes(c.text), l), StatusIs(c.code, HasSubstr(c.msg))) << c.text;
  }
  Limits small;
  small.max_json_bytes = 10;
  EXPECT_THAT(ParseStatement(AsBytes(Statement("{}", kEmptyRoot)), small),
              StatusIs(ErrorCode::kLimitExceeded));
}

TEST(StatementTest, AcceptsSpecDraftShardAlgorithmAndLegacy) {
  Limits l;
  std::string d = std::string(64, '0');
  Bytes dig(32, 0);
  std::string root = HexEncode(hash::RootDigest({hash::Resource{"x", true, 0, 10, dig}}));
  ASSERT_OK_AND_ASSIGN(
      SignedStatement st,
      ParseStatement(AsBytes(Statement(R"({"serialization":{"method":"shards","hash_type":"sha256","allow_symlinks":false,"shard_size":4096.0},"resources":[{"name":"x:0:10","algorithm":"sha256","digest":")" + d + R"("}]})", root)), l));
  EXPECT_EQ(st.manifest.shard_size, 4096u);
  EXPECT_EQ(st.warnings.size(), 1u);
  std::string legacy = R"({"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"a.bin","digest":{"sha256":")" + d +
                       R"("},"annotations":{"actual_hash_algorithm":"file-sha256"}}],"predicateType":"https://model_signing/Digests/v0.1","predicate":{"unused":"0"}})";
  ASSERT_OK_AND_ASSIGN(SignedStatement lg, ParseStatement(AsBytes(legacy), l));
  EXPECT_TRUE(lg.legacy);
  EXPECT_EQ(lg.manifest.resources[0].path, "a.bin");
}

TEST(BundleTest, RoundTripAndRejects) {
  Bundle b;
  b.hint = "abc";
  b.payload = {'{', '}'};
  b.signature = {1, 2, 3};
  std::string text = SerializeBundle(b);
  EXPECT_THAT(text, HasSubstr("\"application/vnd.dev.sigstore.bundle.v0.3+json\""));
  Limits l;
  ASSERT_OK_AND_ASSIGN(Bundle back, ParseBundle(text, l));
  EXPECT_EQ(back.hint, "abc");
  EXPECT_EQ(back.signature, b.signature);

  auto mutate = [&](const std::function<void(nlohmann::json&)>& f) {
    nlohmann::json j = *ParseJson(text);
    f(j);
    return ParseBundle(DumpJson(j), l);
  };
  using J = nlohmann::json;
  EXPECT_THAT(mutate([](J& j) { j["mediaType"] = "application/json"; }),
              StatusIs(ErrorCode::kUnsupported, HasSubstr("mediaType")));
  EXPECT_THAT(mutate([](J& j) { j.erase("mediaType"); }), StatusIs(ErrorCode::kMalformed));
  EXPECT_THAT(mutate([](J& j) { j.erase("dsseEnvelope"); }), StatusIs(ErrorCode::kMalformed, HasSubstr("dsseEnvelope")));
  EXPECT_THAT(mutate([](J& j) { j["messageSignature"] = J::object(); }), StatusIs(ErrorCode::kMalformed));
  EXPECT_THAT(mutate([](J& j) { j.erase("verificationMaterial"); }), StatusIs(ErrorCode::kMalformed));
  EXPECT_THAT(mutate([](J& j) { j["verificationMaterial"]["certificate"] = {{"rawBytes", "AA=="}}; }),
              StatusIs(ErrorCode::kMalformed, HasSubstr("exactly 1")));
  EXPECT_THAT(mutate([](J& j) { j["verificationMaterial"].erase("publicKey"); }),
              StatusIs(ErrorCode::kMalformed, HasSubstr("exactly 1")));
  EXPECT_THAT(mutate([](J& j) { j["verificationMaterial"]["publicKey"]["hint"] = 5; }),
              StatusIs(ErrorCode::kMalformed));
  EXPECT_THAT(mutate([](J& j) { j["verificationMaterial"]["tlogEntries"] = 1; }),
              StatusIs(ErrorCode::kMalformed));
  EXPECT_THAT(mutate([](J& j) { j["dsseEnvelope"]["payload"] = "!!"; }),
              StatusIs(ErrorCode::kMalformed, HasSubstr("base64")));
  EXPECT_THAT(mutate([](J& j) { j["dsseEnvelope"]["payloadType"] = "text/plain"; }),
              StatusIs(ErrorCode::kUnsupported));
  EXPECT_THAT(mutate([](J& j) { j["dsseEnvelope"]["signatures"] = J::array(); }),
              StatusIs(ErrorCode::kMalformed));
  EXPECT_THAT(mutate([](J& j) { j["dsseEnvelope"]["signatures"][0]["sig"] = ""; }),
              StatusIs(ErrorCode::kMalformed));
  EXPECT_THAT(mutate([](J& j) { j["dsseEnvelope"]["signatures"][0] = 1; }),
              StatusIs(ErrorCode::kMalformed));
  EXPECT_THAT(mutate([](J& j) {
                j["verificationMaterial"].erase("publicKey");
                j["verificationMaterial"]["x509CertificateChain"] = {{"certificates", J::array()}};
              }),
              StatusIs(ErrorCode::kMalformed));
  EXPECT_THAT(ParseBundle("[1]", l), StatusIs(ErrorCode::kMalformed));
  EXPECT_THAT(ParseBundle("{\"a\":1,\"a\":2}", l), StatusIs(ErrorCode::kMalformed));
  Limits small;
  small.max_json_bytes = 16;
  EXPECT_THAT(ParseBundle(text, small), StatusIs(ErrorCode::kLimitExceeded));
}

// Every truncation and every single-byte change of a signed bundle is an
// error or a failed verification, never "verified".
TEST(BundleTest, MutationsNeverVerify) {
  TempDir d;
  CopyModel(d);
  std::string model = d.Join("model");
  PrivateKey key = Priv("p256.pem");
  SignRequest req = Req(model, d.Join("m.sig"));
  ASSERT_OK_AND_ASSIGN(SignResult s, SignModel(req, key, {}));
  const std::string& text = s.bundle_json;
  auto check = [&](const std::string& mutated) {
    ASSERT_OK(WriteFileAtomic(req.signature_path, mutated));
    auto r = VerifyModel(KeyRequest(model, req.signature_path, key.public_key()));
    if (r.ok()) {
      EXPECT_FALSE(r->verified) << mutated;
    }
  };
  for (size_t n = 0; n < text.size(); n += 17) check(text.substr(0, n));
  for (size_t i = 0; i < text.size(); i += 11) {
    std::string m = text;
    m[i] = static_cast<char>(m[i] ^ 0x01);
    if (m == text) continue;
    // Flips inside JSON whitespace or that turn one key into an equivalent
    // encoding may still parse; they must then not verify unless the signed
    // content is unchanged.
    ASSERT_OK(WriteFileAtomic(req.signature_path, m));
    auto r = VerifyModel(KeyRequest(model, req.signature_path, key.public_key()));
    if (r.ok() && r->verified) {
      ASSERT_OK_AND_ASSIGN(Bundle a, ParseBundle(text, Limits{}));
      ASSERT_OK_AND_ASSIGN(Bundle b, ParseBundle(m, Limits{}));
      EXPECT_EQ(a.payload, b.payload);
      EXPECT_EQ(a.signature, b.signature);
    }
  }
  ASSERT_OK(WriteFileAtomic(req.signature_path, text));
  ASSERT_OK_AND_ASSIGN(VerifyReport ok, VerifyModel(KeyRequest(model, req.signature_path, key.public_key())));
  EXPECT_TRUE(ok.verified);
}

TEST(LegacyTest, PythonBytesRepr) {
  EXPECT_EQ(PythonBytesRepr(AsBytes("a'b")), "b\"a'b\"");
  EXPECT_EQ(PythonBytesRepr(AsBytes("a\"b'")), "b'a\"b\\''");
  EXPECT_EQ(PythonBytesRepr(AsBytes(std::string("\n\t\x01\xff\\", 5))), "b'\\n\\t\\x01\\xff\\\\'");
}

}  // namespace
}  // namespace mats::sign

namespace mats::sign {
namespace {

// A bundle produced by the reference implementation (model_signing 1.1.0).
TEST(ReferenceBundleTest, UpstreamEllipticKeyFixtureVerifies) {
  std::string dir = kFix + "/upstream/v1.1.0-elliptic-key";
  PublicKey key = Pub("../upstream/signing-key-pub.pem");
  EXPECT_EQ(key.curve(), Curve::kP384);
  EXPECT_EQ(key.Hint(), "e8450dec4eb99dae995da9af1bc2cc9f76ed669ee2e744f57abba763df3e3f8e");
  ASSERT_OK_AND_ASSIGN(std::string text, ReadFileToString(dir + "/model.sig", 1 << 20));
  ASSERT_OK_AND_ASSIGN(Bundle b, ParseBundle(text, Limits{}));
  EXPECT_EQ(b.payload.size(), 926u);
  Bytes pae = Pae(b.payload_type, b.payload);
  EXPECT_EQ(std::string(pae.begin(), pae.begin() + 43), "DSSEv1 28 application/vnd.in-toto+json 926 ");
  auto v = KeyRequest(dir, dir + "/model.sig", std::move(key));
  ASSERT_OK_AND_ASSIGN(VerifyReport r, VerifyModel(v));
  EXPECT_TRUE(r.verified) << VerifyReportText(r);
  EXPECT_EQ(r.root_digest, "92745110b1ab4368471cbe31664e10174e954b113a3df333db860317b2c6dec4");
  EXPECT_THAT(r.signer_ignore_paths, ::testing::Contains("ignore-me"));
  // Strict policy: the signer-excluded file exists, so it can be refused.
  v = KeyRequest(dir, dir + "/model.sig", Pub("../upstream/signing-key-pub.pem"));
  v.refuse_ignore_paths = true;
  ASSERT_OK_AND_ASSIGN(VerifyReport refused, VerifyModel(v));
  EXPECT_EQ(refused.failure, "policy");
}


// ---- Type confusion ------------------------------------------------------
// Every member of each signed document replaced by a value of every JSON
// type, or removed: parsing and verifying return a Status, never throw
// (nlohmann's get/value/at throw on a member of another type).

using json = nlohmann::json;
using ::mats::testing::ForEachJsonMutation;

const std::string kKeyless = kFix + "/keyless";

json ReadJson(const std::string& rel) {
  auto j = ParseJson(Read(rel));
  EXPECT_TRUE(j.ok()) << rel;
  return j.ok() ? *j : json();
}

// Parses `text` as a bundle and, when that works, its statement and (for a
// Fulcio certificate) keyless verification against `root`.
void ParseAndVerify(const std::string& text, const TrustedRoot* root) {
  auto b = ParseBundle(text, Limits{});
  if (!b.ok()) return;
  (void)ParseStatement(b->payload, Limits{}).ok();
  if (root != nullptr && b->kind == MaterialKind::kCertificate) {
    // An error (e.g. a certificate that does not parse) is fine; a throw is not.
    (void)VerifyKeyless(*b, *root, {.identity = "x", .issuer = "y"}).ok();
  }
}

TEST(JsonTypeConfusionTest, Statements) {
  std::vector<json> statements;
  for (const char* sig : {"bundles/py-p256.sig", "bundles/py-shards-protobuf.sig"}) {
    auto b = ParseBundle(Read(sig), Limits{});
    ASSERT_TRUE(b.ok()) << sig;
    statements.push_back(*ParseJson(std::string(b->payload.begin(), b->payload.end())));
  }
  statements.push_back(json::parse(
      R"({"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"a.bin","digest":{"sha256":")" +
      std::string(64, '0') + R"("}}],"predicateType":"https://model_signing/Digests/v0.1","predicate":{}})"));
  size_t n = 0;
  for (const json& st : statements) {
    ForEachJsonMutation(st, [&](const std::string& where, const json& doc) {
      ++n;
      std::string text = DumpJson(doc);
      EXPECT_NO_THROW((void)ParseStatement(AsBytes(text), Limits{}).ok()) << where;
    });
  }
  EXPECT_GT(n, 300u);
}

TEST(JsonTypeConfusionTest, BundlesAndTrustedRoot) {
  ASSERT_OK_AND_ASSIGN(TrustedRoot root,
                       ParseTrustedRoot(Read("keyless/public-good/trusted_root.json")));
  for (const char* sig : {"bundles/py-p256.sig", "bundles/py-cert.sig",
                          "keyless/public-good/model.sig"}) {
    ForEachJsonMutation(ReadJson(sig), [&](const std::string& where, const json& doc) {
      EXPECT_NO_THROW(ParseAndVerify(DumpJson(doc), &root)) << sig << ": " << where;
    });
  }
  ForEachJsonMutation(ReadJson("keyless/public-good/trusted_root.json"),
                      [&](const std::string& where, const json& doc) {
                        EXPECT_NO_THROW((void)ParseTrustedRoot(DumpJson(doc)).ok()) << where;
                      });
}

// The transparency log entry body is JSON inside base64 inside the bundle:
// Rekor v1 dsse 0.0.1, Rekor v2 dsse 0.0.2 and hashedrekord 0.0.1 bodies.
TEST(JsonTypeConfusionTest, TlogEntryBodies) {
  struct Case {
    std::string bundle, root;
  } cases[] = {
      {"keyless/public-good/model.sig", "keyless/public-good/trusted_root.json"},
      {"keyless/conformance/rekor2-dsse-happy-path/bundle.sigstore.json",
       "keyless/conformance/trusted_root.staging-rekor2.reconstructed.json"},
      {"keyless/conformance/dsse-with-hashedrekord-happy-path/bundle.sigstore.json",
       "keyless/conformance/trusted_root.production.json"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.bundle);
    ASSERT_OK_AND_ASSIGN(TrustedRoot root, ParseTrustedRoot(Read(c.root)));
    json bundle = ReadJson(c.bundle);
    json& entry = bundle["verificationMaterial"]["tlogEntries"][0];
    auto raw = Base64Decode(entry["canonicalizedBody"].get<std::string>());
    ASSERT_TRUE(raw.ok());
    json body = *ParseJson(std::string(raw->begin(), raw->end()));
    size_t n = 0;
    ForEachJsonMutation(body, [&](const std::string& where, const json& doc) {
      ++n;
      std::string text = DumpJson(doc);
      entry["canonicalizedBody"] = Base64Encode(AsBytes(text));
      EXPECT_NO_THROW(ParseAndVerify(DumpJson(bundle), &root)) << where;
    });
    EXPECT_GT(n, 100u);
  }
}


// protobuf-JSON int64 fields (logIndex, integratedTime, treeSize) may be JSON
// integers: a negative one, or one above INT64_MAX (which get<int64_t>()
// wrapped to a negative value), is as malformed as the string "-1".
TEST(JsonTypeConfusionTest, TlogIntegersMustBeNonNegativeInt64) {
  ASSERT_OK_AND_ASSIGN(TrustedRoot root,
                       ParseTrustedRoot(Read("keyless/public-good/trusted_root.json")));
  auto verify = [&](const json& bundle) {
    auto b = ParseBundle(DumpJson(bundle), Limits{});
    EXPECT_TRUE(b.ok()) << b.status().ToString();
    return b.ok() ? VerifyKeyless(*b, root, {.identity = "x", .issuer = "y"}).status()
                  : b.status();
  };
  for (json bad : {json(-1), json(std::numeric_limits<uint64_t>::max()),
                   json(uint64_t{1} << 63), json("-1")}) {
    for (const char* field : {"logIndex", "integratedTime"}) {
      json b = ReadJson("keyless/public-good/model.sig");
      b["verificationMaterial"]["tlogEntries"][0][field] = bad;
      EXPECT_THAT(verify(b), StatusIs(ErrorCode::kMalformed, HasSubstr("non-negative")))
          << field << " = " << bad.dump();
    }
    json b = ReadJson("keyless/public-good/model.sig");
    b["verificationMaterial"]["tlogEntries"][0]["inclusionProof"]["treeSize"] = bad;
    EXPECT_THAT(verify(b), StatusIs(ErrorCode::kMalformed, HasSubstr("non-negative")))
        << "treeSize = " << bad.dump();
  }
  // A JSON integer in range is read like its string form.
  json b = ReadJson("keyless/public-good/model.sig");
  json& e = b["verificationMaterial"]["tlogEntries"][0];
  e["logIndex"] = std::stoll(e["logIndex"].get<std::string>());
  EXPECT_OK(verify(b));
}

}  // namespace
}  // namespace mats::sign
