// Keyless (Sigstore) verification: a real bundle from the public-good
// instance (tests/fixtures/sign/keyless/public-good) verifies, and every
// piece of evidence, once tampered with, makes it fail for the right reason.
#include "mats/sign/sigstore.h"

#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/ts.h>
#include <openssl/x509v3.h>

#include <ctime>
#include <filesystem>
#include <functional>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "hash/test_dir.h"
#include "mats/core/encoding.h"
#include "mats/core/json.h"
#include "mats/core/mapped_file.h"
#include "mats/sign/signer.h"
#include "testing/status_matchers.h"

namespace mats::sign {
namespace {

using ::mats::testing::StatusIs;
using ::mats::testing::TempDir;
using ::testing::Contains;
using ::testing::HasSubstr;
using json = nlohmann::json;

const std::string kDir = std::string(MATS_SOURCE_DIR) + "/tests/fixtures/sign/keyless/public-good";
constexpr std::string_view kIdentity = "stefanb@us.ibm.com";
constexpr std::string_view kIssuer = "https://sigstore.verify.ibm.com/oauth2";

std::string Read(const std::string& path) {
  auto r = ReadFileToString(path, 8 << 20);
  EXPECT_TRUE(r.ok()) << path;
  return r.ok() ? *r : "";
}

json BundleJson() { return *ParseJson(Read(kDir + "/model.sig")); }
json RootJson() { return *ParseJson(Read(kDir + "/trusted_root.json")); }

KeylessPolicy Policy() {
  return {.identity = std::string(kIdentity), .issuer = std::string(kIssuer)};
}

// Verifies `bundle` against `root`; the outcome (never an error status).
KeylessOutcome Check(const json& bundle, const json& root, const KeylessPolicy& policy = Policy()) {
  auto b = ParseBundle(DumpJson(bundle), Limits{});
  EXPECT_TRUE(b.ok()) << b.status().ToString();
  auto r = ParseTrustedRoot(DumpJson(root));
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  KeylessOutcome failed;
  failed.failure = "setup";
  if (!b.ok() || !r.ok()) return failed;
  auto out = VerifyKeyless(*b, *r, policy);
  EXPECT_TRUE(out.ok()) << out.status().ToString();
  return out.ok() ? *out : failed;
}

json& Entry(json& b) { return b["verificationMaterial"]["tlogEntries"][0]; }

// Flips one bit of a base64 field at byte `at` (negative: from the end).
void FlipBase64(json& field, int at) {
  Bytes raw = *Base64Decode(field.get<std::string>());
  size_t i = at >= 0 ? static_cast<size_t>(at) : raw.size() - static_cast<size_t>(-at);
  raw[i] ^= 0x01;
  field = Base64Encode(raw);
}

TEST(KeylessTest, RealPublicGoodBundleVerifies) {
  KeylessOutcome out = Check(BundleJson(), RootJson());
  EXPECT_EQ(out.failure, "");
  EXPECT_THAT(out.reasons, ::testing::IsEmpty());
  EXPECT_THAT(out.leaf.sans, Contains(std::string(kIdentity)));
  EXPECT_EQ(out.leaf.oidc_issuer, kIssuer);
  // SET time and the RFC 3161 time.
  ASSERT_EQ(out.verified_times.size(), 2u);
  EXPECT_EQ(out.verified_times[0], 1760062340);
  ASSERT_EQ(out.evidence.size(), 4u);
  EXPECT_THAT(out.evidence[0], HasSubstr("signed entry timestamp"));
  EXPECT_THAT(out.evidence[1], HasSubstr("inclusion proof at index 476246824"));
  EXPECT_THAT(out.evidence[2], HasSubstr("RFC 3161 timestamp 2025-10-10T02:12:20Z"));
  EXPECT_THAT(out.evidence[3], HasSubstr("1 verified SCT"));
}

TEST(KeylessTest, BuiltInRootIsTheShippedSnapshot) {
  EXPECT_EQ(PublicGoodTrustedRootJson(),
            Read(std::string(MATS_SOURCE_DIR) + "/data/sigstore/public-good-trusted-root.json"));
  EXPECT_EQ(PublicGoodTrustedRootJson(), Read(kDir + "/trusted_root.json"));
  ASSERT_OK_AND_ASSIGN(TrustedRoot root, ParseTrustedRoot(PublicGoodTrustedRootJson()));
  EXPECT_EQ(root.tlogs.size(), 2u);
  EXPECT_EQ(root.certificate_authorities.size(), 2u);
  EXPECT_EQ(root.ctlogs.size(), 2u);
  EXPECT_EQ(root.timestamp_authorities.size(), 1u);
  EXPECT_EQ(root.certificate_authorities[0].valid.start, 1615087229);  // 2021-03-07T03:20:29Z
  EXPECT_EQ(root.certificate_authorities[0].valid.end, 1672531199);    // 2022-12-31T23:59:59.999Z
}

TEST(KeylessTest, IdentityPolicy) {
  KeylessPolicy p = Policy();
  p.identity = "someone@us.ibm.com";
  KeylessOutcome out = Check(BundleJson(), RootJson(), p);
  EXPECT_EQ(out.failure, "identity mismatch");
  EXPECT_THAT(out.reasons[0], HasSubstr("do not include \"someone@us.ibm.com\""));
  p = Policy();
  p.issuer = "https://accounts.google.com";
  out = Check(BundleJson(), RootJson(), p);
  EXPECT_EQ(out.failure, "identity mismatch");
  EXPECT_THAT(out.reasons[0], HasSubstr("OIDC issuer"));
  // A prefix is not a match.
  p = Policy();
  p.identity = "stefanb@us.ibm.co";
  EXPECT_EQ(Check(BundleJson(), RootJson(), p).failure, "identity mismatch");
}

TEST(KeylessTest, PolicyIsRequired) {
  auto b = ParseBundle(Read(kDir + "/model.sig"), Limits{});
  ASSERT_TRUE(b.ok());
  ASSERT_OK_AND_ASSIGN(TrustedRoot root, ParseTrustedRoot(PublicGoodTrustedRootJson()));
  EXPECT_THAT(VerifyKeyless(*b, root, {.identity = "x", .issuer = ""}),
              StatusIs(ErrorCode::kInvalidArgument));
}

struct Tamper {
  std::string name;
  std::function<void(json& bundle, json& root)> apply;
  std::string failure;
  std::string reason;  // substring of some reason
};

class KeylessTamperTest : public ::testing::TestWithParam<Tamper> {};

TEST_P(KeylessTamperTest, Fails) {
  json b = BundleJson();
  json r = RootJson();
  GetParam().apply(b, r);
  KeylessOutcome out = Check(b, r);
  EXPECT_EQ(out.failure, GetParam().failure);
  EXPECT_THAT(out.reasons, Contains(HasSubstr(GetParam().reason)));
}

INSTANTIATE_TEST_SUITE_P(
    Evidence, KeylessTamperTest,
    ::testing::Values(
        Tamper{"SetSignature",
               [](json& b, json&) { FlipBase64(Entry(b)["inclusionPromise"]["signedEntryTimestamp"], -3); },
               "transparency log", "signed entry timestamp does not verify"},
        Tamper{"IntegratedTime",
               [](json& b, json&) { Entry(b)["integratedTime"] = "1760062341"; },
               "transparency log", "signed entry timestamp does not verify"},
        Tamper{"LogIndex", [](json& b, json&) { Entry(b)["logIndex"] = "598151087"; },
               "transparency log", "signed entry timestamp does not verify"},
        Tamper{"ProofHash",
               [](json& b, json&) { FlipBase64(Entry(b)["inclusionProof"]["hashes"][3], 0); },
               "transparency log", "inclusion proof"},
        Tamper{"ProofIndex",
               [](json& b, json&) { Entry(b)["inclusionProof"]["logIndex"] = "476246823"; },
               "transparency log", "inclusion proof"},
        Tamper{"CheckpointSignature",
               [](json& b, json&) {
                 std::string cp = Entry(b)["inclusionProof"]["checkpoint"]["envelope"];
                 size_t at = cp.rfind("S4\n");
                 cp.replace(at, 2, "S5");
                 Entry(b)["inclusionProof"]["checkpoint"]["envelope"] = cp;
               },
               "transparency log", "no valid signature by the log's key"},
        Tamper{"CheckpointRoot",
               [](json& b, json&) {
                 std::string cp = Entry(b)["inclusionProof"]["checkpoint"]["envelope"];
                 cp.replace(cp.find("V0NA"), 4, "V1NA");
                 Entry(b)["inclusionProof"]["checkpoint"]["envelope"] = cp;
               },
               "transparency log", "root hash is not the proof's"},
        Tamper{"BodyOfAnotherEntry",
               [](json& b, json&) {
                 Bytes raw = *Base64Decode(Entry(b)["canonicalizedBody"].get<std::string>());
                 json j = *ParseJson(std::string(raw.begin(), raw.end()));
                 j["spec"]["payloadHash"]["value"] = std::string(64, '0');
                 std::string text = j.dump();
                 Entry(b)["canonicalizedBody"] = Base64Encode(
                     ByteSpan(reinterpret_cast<const uint8_t*>(text.data()), text.size()));
               },
               "transparency log", "payload hash"},
        Tamper{"EnvelopeSignature",
               [](json& b, json&) { FlipBase64(b["dsseEnvelope"]["signatures"][0]["sig"], -2); },
               "transparency log", "does not record the envelope's signature"},
        Tamper{"Payload",
               [](json& b, json&) {
                 std::string p = b["dsseEnvelope"]["payload"];
                 Bytes raw = *Base64Decode(p);
                 raw[raw.size() - 2] = ' ';
                 b["dsseEnvelope"]["payload"] = Base64Encode(raw);
               },
               "transparency log", "payload hash"},
        Tamper{"NoTlogEntries",
               [](json& b, json&) { b["verificationMaterial"]["tlogEntries"] = json::array(); },
               "transparency log", "0 verified transparency log entries, 1 required"},
        Tamper{"UnknownLog",
               [](json& b, json&) { FlipBase64(Entry(b)["logId"]["keyId"], 0); },
               "transparency log", "is not in the trusted root"},
        Tamper{"UnsupportedKind",
               [](json& b, json&) { Entry(b)["kindVersion"]["kind"] = "intoto"; },
               "transparency log", "kind intoto"},
        Tamper{"NoTimestampAtAll",
               [](json& b, json&) {
                 Entry(b).erase("inclusionPromise");
                 b["verificationMaterial"].erase("timestampVerificationData");
               },
               "untrusted timestamp", "0 verified timestamps, 1 required"},
        Tamper{"Rfc3161Signature",
               [](json& b, json&) {
                 FlipBase64(b["verificationMaterial"]["timestampVerificationData"]["rfc3161Timestamps"][0]
                             ["signedTimestamp"],
                            -5);
               },
               "untrusted timestamp", "RFC 3161 timestamp does not verify"},
        Tamper{"Rfc3161Garbage",
               [](json& b, json&) {
                 b["verificationMaterial"]["timestampVerificationData"]["rfc3161Timestamps"][0]
                  ["signedTimestamp"] = "AAAA";
               },
               "untrusted timestamp", "not a DER TimeStampResp"},
        Tamper{"NoTimestampAuthority",
               [](json&, json& r) { r.erase("timestampAuthorities"); },
               "untrusted timestamp", "from no timestamp authority"},
        Tamper{"NoCtLogs", [](json&, json& r) { r.erase("ctlogs"); }, "untrusted certificate",
               "CT log not in the trusted root"},
        Tamper{"CtLogKey",
               [](json&, json& r) { r["ctlogs"][1]["publicKey"]["rawBytes"] = r["tlogs"][0]["publicKey"]["rawBytes"]; },
               "untrusted certificate", "SCT signature does not verify"},
        Tamper{"CaExpiredBeforeSigning",
               [](json&, json& r) {
                 r["certificateAuthorities"][1]["validFor"]["end"] = "2025-01-01T00:00:00Z";
               },
               "untrusted certificate", "no certificate authority"},
        Tamper{"OtherCa",
               [](json&, json& r) { r["certificateAuthorities"].erase(1); },
               "untrusted certificate", "no certificate authority"},
        Tamper{"LogKeyNotYetValid",
               [](json&, json& r) { r["tlogs"][0]["publicKey"]["validFor"]["start"] = "2026-01-01T00:00:00Z"; },
               "transparency log", "outside the log key's validity period"}),
    [](const ::testing::TestParamInfo<Tamper>& p) { return p.param.name; });

TEST(KeylessTest, CaValidityMustCoverEveryVerifiedTime) {
  // A SET-signed integration time after the certificate expired: the log
  // entry itself is fine (re-signing is impossible here), so make the
  // certificate authority end before the RFC 3161 time but after the
  // SET time: the chain must hold at every verified time.
  json b = BundleJson();
  json r = RootJson();
  r["certificateAuthorities"][1]["validFor"]["end"] = "2025-10-10T02:12:20Z";
  EXPECT_EQ(Check(b, r).failure, "");  // both times are 02:12:20
  r["certificateAuthorities"][1]["validFor"]["end"] = "2025-10-10T02:12:19Z";
  KeylessOutcome out = Check(b, r);
  EXPECT_EQ(out.failure, "untrusted certificate");
}

// A Sigstore envelope has one signature; a second one is covered by none
// of the evidence and is refused, not ignored.
TEST(KeylessTest, ExactlyOneEnvelopeSignature) {
  json b = BundleJson();
  json extra = b["dsseEnvelope"]["signatures"][0];
  FlipBase64(extra["sig"], -2);
  b["dsseEnvelope"]["signatures"].push_back(extra);
  KeylessOutcome out = Check(b, RootJson());
  EXPECT_EQ(out.failure, "bad signature");
  EXPECT_THAT(out.reasons, Contains(HasSubstr("exactly one signature, this one has 2")));
}

// A test timestamp authority: a self-signed P-256 certificate with the
// critical timeStamping EKU, answering with OpenSSL's TS responder at a
// fixed time and with the imprint digest the test asks for.
class TestTsa {
 public:
  TestTsa() {
    key_.reset(EVP_EC_gen("P-256"));
    cert_.reset(X509_new());
    X509* c = cert_.get();
    X509_set_version(c, X509_VERSION_3);
    ASN1_INTEGER_set(X509_get_serialNumber(c), 7);
    ASN1_TIME_set_string(X509_getm_notBefore(c), "20250101000000Z");
    ASN1_TIME_set_string(X509_getm_notAfter(c), "20300101000000Z");
    X509_NAME* name = X509_get_subject_name(c);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>("mats test tsa"), -1, -1, 0);
    X509_set_issuer_name(c, name);
    X509_set_pubkey(c, key_.get());
    X509V3_CTX v3;
    X509V3_set_ctx_nodb(&v3);
    X509V3_set_ctx(&v3, c, c, nullptr, nullptr, 0);
    for (auto [nid, value] : {std::pair{NID_ext_key_usage, "critical,timeStamping"},
                              std::pair{NID_key_usage, "critical,digitalSignature"}}) {
      X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &v3, nid, value);
      X509_add_ext(c, ext, -1);
      X509_EXTENSION_free(ext);
    }
    X509_sign(c, key_.get(), EVP_sha256());
  }

  std::string CertBase64() const {
    unsigned char* der = nullptr;
    int n = i2d_X509(cert_.get(), &der);
    std::string out = Base64Encode(ByteSpan(der, static_cast<size_t>(n)));
    OPENSSL_free(der);
    return out;
  }

  // A DER TimeStampResp over `data` at `when` with `md` as imprint digest.
  Bytes Stamp(const Bytes& data, const EVP_MD* md, time_t when) const {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_Digest(data.data(), data.size(), digest, &len, md, nullptr);
    TS_REQ* req = TS_REQ_new();
    TS_REQ_set_version(req, 1);
    TS_MSG_IMPRINT* imprint = TS_MSG_IMPRINT_new();
    X509_ALGOR* alg = X509_ALGOR_new();
    X509_ALGOR_set0(alg, OBJ_nid2obj(EVP_MD_get_type(md)), V_ASN1_NULL, nullptr);
    TS_MSG_IMPRINT_set_algo(imprint, alg);
    TS_MSG_IMPRINT_set_msg(imprint, digest, static_cast<int>(len));
    TS_REQ_set_msg_imprint(req, imprint);
    TS_REQ_set_cert_req(req, 1);
    BIO* in = BIO_new(BIO_s_mem());
    i2d_TS_REQ_bio(in, req);
    TS_RESP_CTX* ctx = TS_RESP_CTX_new();
    TS_RESP_CTX_set_signer_cert(ctx, cert_.get());
    TS_RESP_CTX_set_signer_key(ctx, key_.get());
    ASN1_OBJECT* policy = OBJ_txt2obj("1.3.6.1.4.1.57264.99", 1);
    TS_RESP_CTX_set_def_policy(ctx, policy);
    TS_RESP_CTX_add_md(ctx, md);
    TS_RESP_CTX_set_time_cb(
        ctx,
        [](TS_RESP_CTX*, void* t, long* sec, long* usec) {  // NOLINT(runtime/int): OpenSSL's type
          *sec = static_cast<long>(*static_cast<time_t*>(t));  // NOLINT(runtime/int)
          *usec = 0;
          return 1;
        },
        &when);
    TS_RESP* resp = TS_RESP_create_response(ctx, in);
    Bytes out;
    if (resp != nullptr) {
      unsigned char* der = nullptr;
      int n = i2d_TS_RESP(resp, &der);
      if (n > 0) out.assign(der, der + n);
      OPENSSL_free(der);
    }
    TS_RESP_free(resp);
    TS_RESP_CTX_free(ctx);
    ASN1_OBJECT_free(policy);
    BIO_free(in);
    X509_ALGOR_free(alg);
    TS_MSG_IMPRINT_free(imprint);
    TS_REQ_free(req);
    return out;
  }

 private:
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key_{nullptr, EVP_PKEY_free};
  std::unique_ptr<X509, decltype(&X509_free)> cert_{nullptr, X509_free};
};

// RFC 3161 tokens bind to the signature through their message imprint:
// one made with SHA-1 is refused although OpenSSL would accept it; the same
// token with SHA-256 from the same authority verifies (the control).
TEST(KeylessTest, TimestampImprintMustBeSha2) {
  TestTsa tsa;
  json root = RootJson();
  root["timestampAuthorities"] = json::array(
      {{{"subject", {{"commonName", "mats test tsa"}}},
        {"certChain", {{"certificates", json::array({{{"rawBytes", tsa.CertBase64()}}})}}},
        {"validFor", {{"start", "2025-01-01T00:00:00Z"}}}}});
  json b = BundleJson();
  Bytes sig = *Base64Decode(b["dsseEnvelope"]["signatures"][0]["sig"].get<std::string>());
  std::tm tm{};
  tm.tm_year = 2025 - 1900;
  tm.tm_mon = 9;
  tm.tm_mday = 10;
  tm.tm_hour = 2;
  tm.tm_min = 12;
  tm.tm_sec = 20;  // the public-good bundle's own timestamp time
  time_t when = timegm(&tm);
  auto with_token = [&](const EVP_MD* md) {
    Bytes token = tsa.Stamp(sig, md, when);
    EXPECT_FALSE(token.empty());
    json t = b;
    t["verificationMaterial"]["timestampVerificationData"]["rfc3161Timestamps"] =
        json::array({{{"signedTimestamp", Base64Encode(token)}}});
    return Check(t, root);
  };
  KeylessOutcome sha256 = with_token(EVP_sha256());
  EXPECT_EQ(sha256.failure, "") << ::testing::PrintToString(sha256.reasons);
  EXPECT_THAT(sha256.evidence, Contains(HasSubstr("RFC 3161 timestamp 2025-10-10")));
  KeylessOutcome sha1 = with_token(EVP_sha1());
  EXPECT_EQ(sha1.failure, "untrusted timestamp");
  EXPECT_THAT(sha1.reasons, Contains(HasSubstr("digest other than SHA-256/384/512")));
}

TEST(TrustedRootTest, RejectsMalformedRoots) {
  auto parse = [](const json& j) { return ParseTrustedRoot(DumpJson(j)); };
  json r = RootJson();
  r["mediaType"] = "application/vnd.dev.sigstore.trustedroot+json;version=0.2";
  EXPECT_THAT(parse(r), StatusIs(ErrorCode::kUnsupported));
  r = RootJson();
  r["tlogs"][0]["publicKey"]["rawBytes"] = "not base64!";
  EXPECT_THAT(parse(r), StatusIs(ErrorCode::kMalformed));
  r = RootJson();
  r["tlogs"][0]["publicKey"]["validFor"]["start"] = "2021-01-12 11:53:27";
  EXPECT_THAT(parse(r), StatusIs(ErrorCode::kMalformed, HasSubstr("RFC 3339")));
  r = RootJson();
  r["certificateAuthorities"][0]["certChain"]["certificates"][0]["rawBytes"] = "AAAA";
  EXPECT_THAT(parse(r), StatusIs(ErrorCode::kMalformed, HasSubstr("does not parse")));
  r = RootJson();
  r.erase("certificateAuthorities");
  EXPECT_THAT(parse(r), StatusIs(ErrorCode::kMalformed, HasSubstr("no certificateAuthorities")));
  r = RootJson();
  for (int i = 0; i < 70; ++i) r["ctlogs"].push_back(r["ctlogs"][0]);
  EXPECT_THAT(parse(r), StatusIs(ErrorCode::kLimitExceeded));
  EXPECT_THAT(ParseTrustedRoot("[1,2]"), StatusIs(ErrorCode::kMalformed));
  EXPECT_THAT(ParseTrustedRoot("{"), StatusIs(ErrorCode::kMalformed));
  EXPECT_THAT(ParseTrustedRoot(std::string(kMaxTrustedRootBytes + 1, ' ')),
              StatusIs(ErrorCode::kLimitExceeded));
}

TEST(TrustedRootTest, ClientTrustConfigCarriesTheRoot) {
  json config = {{"mediaType", std::string(kClientTrustConfigMediaType)},
                 {"trustedRoot", RootJson()},
                 {"signingConfig", json::object()}};
  ASSERT_OK_AND_ASSIGN(TrustedRoot r, ParseTrustedRoot(DumpJson(config)));
  EXPECT_EQ(r.certificate_authorities.size(), 2u);
  config.erase("trustedRoot");
  EXPECT_THAT(ParseTrustedRoot(DumpJson(config)), StatusIs(ErrorCode::kMalformed));
}

TEST(TrustedRootTest, TimeOffsets) {
  json r = RootJson();
  r["tlogs"][0]["publicKey"]["validFor"]["start"] = "2021-01-12T12:53:27+01:00";
  ASSERT_OK_AND_ASSIGN(TrustedRoot a, ParseTrustedRoot(DumpJson(r)));
  r["tlogs"][0]["publicKey"]["validFor"]["start"] = "2021-01-12T11:53:27.5Z";
  ASSERT_OK_AND_ASSIGN(TrustedRoot b, ParseTrustedRoot(DumpJson(r)));
  EXPECT_EQ(a.tlogs[0].valid.start, 1610452407);
  EXPECT_EQ(b.tlogs[0].valid.start, 1610452407);
  EXPECT_EQ(a.tlogs[1].valid.end, std::numeric_limits<int64_t>::max());  // open end
}

// The whole `verify sigstore` path: signature, then the files.
VerifyRequest SigstoreRequest(const std::string& model, const std::string& sig) {
  VerifyRequest v;
  v.model_path = model;
  v.signature_path = sig;
  v.mode = VerifyMode::kSigstore;
  v.keyless = Policy();
  return v;
}

TEST(VerifySigstoreTest, ModelFilesAreChecked) {
  TempDir d;
  std::filesystem::copy(kDir + "/model", d.Join("model"), std::filesystem::copy_options::recursive);
  std::string sig = kDir + "/model.sig";
  ASSERT_OK_AND_ASSIGN(VerifyReport ok, VerifyModel(SigstoreRequest(d.Join("model"), sig)));
  EXPECT_TRUE(ok.verified) << ok.failure;
  EXPECT_THAT(ok.evidence[0], HasSubstr("built-in public-good"));
  ASSERT_OK(WriteFileAtomic(d.Join("model/signme-2"), "signme-2 poisoned"));
  ASSERT_OK_AND_ASSIGN(VerifyReport bad, VerifyModel(SigstoreRequest(d.Join("model"), sig)));
  EXPECT_FALSE(bad.verified);
  EXPECT_EQ(bad.failure, "manifest mismatch");
  ASSERT_EQ(bad.diff.changed.size(), 1u);
  EXPECT_EQ(bad.diff.changed[0].name, "signme-2");
}

TEST(VerifySigstoreTest, ModeMustMatchTheBundle) {
  std::string sig = kDir + "/model.sig";
  VerifyRequest key = SigstoreRequest(kDir + "/model", sig);
  key.mode = VerifyMode::kKey;
  EXPECT_THAT(VerifyModel(key), StatusIs(ErrorCode::kInvalidArgument, HasSubstr("verify sigstore")));
  VerifyRequest ks = SigstoreRequest(std::string(MATS_SOURCE_DIR) + "/tests/fixtures/sign/model",
                                     std::string(MATS_SOURCE_DIR) + "/tests/fixtures/sign/bundles/py-p256.sig");
  EXPECT_THAT(VerifyModel(ks), StatusIs(ErrorCode::kInvalidArgument, HasSubstr("not a keyless")));
  VerifyRequest badroot = SigstoreRequest(kDir + "/model", sig);
  badroot.trusted_root_json = "{}";
  EXPECT_THAT(VerifyModel(badroot), StatusIs(ErrorCode::kMalformed));
}


// A private Sigstore instance built independently from the specification
// (tools/gen/gen_keyless_fixtures.py; sigstore-js accepts model.sig and
// rejects every variant, see tests/interop/sigstore).
const std::string kPrivate = std::string(MATS_SOURCE_DIR) + "/tests/fixtures/sign/keyless/private";

VerifyReport VerifyPrivate(const std::string& sig) {
  VerifyRequest v;
  v.model_path = kPrivate + "/model";
  v.signature_path = kPrivate + "/" + sig;
  v.mode = VerifyMode::kSigstore;
  v.keyless = {.identity = "mats-test@example.com", .issuer = "https://issuer.mats.test"};
  v.trusted_root_json = Read(kPrivate + "/trusted_root.json");
  v.trusted_root_source = "private";
  auto r = VerifyModel(v);
  EXPECT_TRUE(r.ok()) << sig << ": " << r.status().ToString();
  return r.ok() ? *r : VerifyReport{};
}

TEST(PrivateInstanceTest, ValidBundleVerifies) {
  VerifyReport r = VerifyPrivate("model.sig");
  EXPECT_TRUE(r.verified) << r.failure << " " << ::testing::PrintToString(r.reasons);
  EXPECT_EQ(r.resources, 3u);
}

TEST(PrivateInstanceTest, PublicGoodRootDoesNotTrustIt) {
  VerifyRequest v;
  v.model_path = kPrivate + "/model";
  v.signature_path = kPrivate + "/model.sig";
  v.mode = VerifyMode::kSigstore;
  v.keyless = {.identity = "mats-test@example.com", .issuer = "https://issuer.mats.test"};
  ASSERT_OK_AND_ASSIGN(VerifyReport r, VerifyModel(v));
  EXPECT_FALSE(r.verified);
  EXPECT_EQ(r.failure, "transparency log");
}

struct Variant {
  std::string sig;
  std::string failure;
  std::string reason;
};

class PrivateVariantTest : public ::testing::TestWithParam<Variant> {};

TEST_P(PrivateVariantTest, Rejected) {
  VerifyReport r = VerifyPrivate(GetParam().sig);
  EXPECT_FALSE(r.verified);
  EXPECT_EQ(r.failure, GetParam().failure);
  EXPECT_THAT(r.reasons, Contains(HasSubstr(GetParam().reason)));
}

INSTANTIATE_TEST_SUITE_P(
    Variants, PrivateVariantTest,
    ::testing::Values(
        Variant{"no-sct.sig", "untrusted certificate", "no signed certificate timestamp"},
        Variant{"expired.sig", "untrusted certificate", "certificate has expired"},
        Variant{"other-body.sig", "transparency log", "payload hash"},
        Variant{"other-ca.sig", "untrusted certificate", "unable to get local issuer"},
        Variant{"bad-checkpoint.sig", "transparency log", "no valid signature by the log's key"}),
    [](const ::testing::TestParamInfo<Variant>& p) {
      std::string n = p.param.sig.substr(0, p.param.sig.find('.'));
      std::erase(n, '-');
      return n;
    });


// Official test vectors of sigstore-conformance (tests/fixtures/sign/keyless/
// conformance, see its SOURCE.md): Rekor v2 dsse 0.0.2 entries with Ed25519
// checkpoints and RFC 3161 timestamps (staging), and Rekor v1 hashedrekord
// entries over DSSE envelopes (production). Their payloads are not OMS
// statements, so only the keyless checks run here.
const std::string kConformance =
    std::string(MATS_SOURCE_DIR) + "/tests/fixtures/sign/keyless/conformance";

TEST(ConformanceTest, EveryCaseHasTheExpectedOutcome) {
  json cases = *ParseJson(Read(kConformance + "/cases.json"));
  ASSERT_GE(cases.size(), 8u);
  size_t passes = 0;
  for (const json& c : cases) {
    std::string name = c["case"];
    SCOPED_TRACE(name);
    auto b = ParseBundle(Read(kConformance + "/" + c["bundle"].get<std::string>()), Limits{});
    ASSERT_TRUE(b.ok()) << b.status().ToString();
    auto root = ParseTrustedRoot(Read(kConformance + "/" + c["trusted_root"].get<std::string>()));
    ASSERT_TRUE(root.ok()) << root.status().ToString();
    auto out = VerifyKeyless(*b, *root, {.identity = c["identity"], .issuer = c["issuer"]});
    ASSERT_TRUE(out.ok()) << out.status().ToString();
    if (c["expect"] == "pass") {
      ++passes;
      EXPECT_EQ(out->failure, "") << ::testing::PrintToString(out->reasons);
    } else {
      EXPECT_NE(out->failure, "") << "accepted a bundle that must fail: " << c["why"];
      // The reason must be the one the case is about (its README).
      bool mismatch_envelope = name.find("mismatch-envelope") != std::string::npos;
      std::string want = !mismatch_envelope ? "does not record the envelope's signature"
                         : name.starts_with("rekor2")
                             ? "payload hash is not the SHA-256 of the bundle's payload"
                             : "hash is not the SHA-256 of the envelope's pre-authentication";
      EXPECT_THAT(out->reasons, Contains(HasSubstr(want)));
      if (name.find("invalid-sig") != std::string::npos) {
        EXPECT_THAT(out->reasons, Contains(HasSubstr("bad signature")));
      }
    }
  }
  EXPECT_EQ(passes, 2u);
}

TEST(ConformanceTest, RekorV2EntryEvidence) {
  auto b = ParseBundle(Read(kConformance + "/rekor2-dsse-happy-path/bundle.sigstore.json"), Limits{});
  ASSERT_TRUE(b.ok());
  auto root = ParseTrustedRoot(Read(kConformance + "/trusted_root.staging-rekor2.reconstructed.json"));
  ASSERT_TRUE(root.ok());
  KeylessPolicy p{.identity = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/"
                              ".github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main",
                  .issuer = "https://token.actions.githubusercontent.com"};
  ASSERT_OK_AND_ASSIGN(KeylessOutcome out, VerifyKeyless(*b, *root, p));
  EXPECT_EQ(out.failure, "");
  // No SET in Rekor v2: the only verified time is the RFC 3161 one.
  EXPECT_EQ(out.verified_times.size(), 1u);
  EXPECT_THAT(out.evidence, Contains(HasSubstr("inclusion proof at index 7131 of a tree of 7132")));
  // The upstream staging root names the v2 log by the SHA-256 of its key,
  // not by its signed-note key id: the entry's log is then unknown.
  auto upstream = ParseTrustedRoot(Read(kConformance + "/trusted_root.staging.json"));
  ASSERT_TRUE(upstream.ok());
  ASSERT_OK_AND_ASSIGN(KeylessOutcome old, VerifyKeyless(*b, *upstream, p));
  EXPECT_EQ(old.failure, "transparency log");
  // An entry anchored by its proof alone has no time of its own: its log
  // key must have been valid at the verified (RFC 3161) time.
  json rj = *ParseJson(Read(kConformance + "/trusted_root.staging-rekor2.reconstructed.json"));
  bool found = false;
  for (json& log : rj["tlogs"])
    if (log["logId"]["keyId"] == "8w1amZ2S5mJIQkQmPxdMuOrL/oJkvFg9MnQXmeOCXck=") {
      log["publicKey"]["validFor"]["end"] = "2025-04-17T00:00:00Z";
      found = true;
    }
  ASSERT_TRUE(found);
  ASSERT_OK_AND_ASSIGN(TrustedRoot retired, ParseTrustedRoot(DumpJson(rj)));
  ASSERT_OK_AND_ASSIGN(KeylessOutcome late, VerifyKeyless(*b, retired, p));
  EXPECT_EQ(late.failure, "transparency log");
  EXPECT_THAT(late.reasons, Contains(HasSubstr("the log key was not valid at")));
  // Without the timestamp there is no verified time at all.
  b->rfc3161_timestamps.clear();
  ASSERT_OK_AND_ASSIGN(KeylessOutcome no_ts, VerifyKeyless(*b, *root, p));
  EXPECT_EQ(no_ts.failure, "untrusted timestamp");
}

}  // namespace
}  // namespace mats::sign
