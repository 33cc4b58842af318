// In-process tests of the log server and client on an ephemeral loopback
// port, over the embedded SQLite storage.
#include "mats/server/log_server.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <httplib.h>

#include <atomic>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "mats/core/encoding.h"
#include "mats/core/json.h"
#include "mats/core/mapped_file.h"
#include "mats/server/log_client.h"
#include "mats/server/service.h"
#include "mats/server/witness.h"
#include "mats/tlog/entry.h"
#include "mats/tlog/sqlite_storage.h"
#include "server/http_client.h"
#include "testing/json_mutations.h"
#include "testing/status_matchers.h"

namespace mats::server {
namespace {

using ::mats::testing::StatusIs;

constexpr const char* kOrigin = "server.test/log";

std::string EventJson(int i) {
  return nlohmann::json{{"type", "upload"},
                        {"subject", "acme/model-" + std::to_string(i) + "@1.0"},
                        {"digests",
                         {{{"role", "artifact"},
                           {"algorithm", "sha256"},
                           {"hex", HexEncode(Bytes(32, static_cast<uint8_t>(i)))}}}}}
      .dump();
}

class LogServerTest : public ::testing::Test {
 protected:
  void SetUp() override { Start({}); }

  void Start(LogServerOptions opts, std::vector<WitnessEndpoint> witnesses = {}) {
    http_.reset();
    server_.reset();
    log_.reset();
    dir_ = ::testing::TempDir() + "/log_server_" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::filesystem::remove_all(dir_);
    auto signer = tlog::Ed25519NoteSigner::FromSeed(kOrigin, Bytes(32, 3));
    ASSERT_TRUE(signer.ok());
    vkey_ = (*signer)->VerifierKey();
    auto storage = tlog::OpenSqliteStorage(dir_, {});
    ASSERT_TRUE(storage.ok()) << storage.status().ToString();
    tlog::LogOptions lo;
    lo.origin = kOrigin;
    lo.checkpoint_interval = std::chrono::milliseconds(10);
    auto log = tlog::Log::Open(std::move(*storage), std::move(*signer), lo);
    ASSERT_TRUE(log.ok()) << log.status().ToString();
    log_ = std::move(*log);
    tokens_ = TokenStore();
    append_token_ = *tokens_.Add("appender", {Scope::kAppend});
    read_token_ = *tokens_.Add("reader", {Scope::kRead});
    opts.verifier_key = vkey_;
    opts.witnesses = std::move(witnesses);
    opts.witness_interval = std::chrono::milliseconds(20);
    auto srv = LogServer::Start(*log_, tokens_, opts);
    ASSERT_TRUE(srv.ok()) << srv.status().ToString();
    server_ = std::move(*srv);
    url_ = "http://127.0.0.1:" + std::to_string(server_->port());
    auto http = HttpClient::Create(url_);
    ASSERT_TRUE(http.ok());
    http_ = std::move(*http);
  }

  HttpResponse Get(const std::string& path) {
    auto r = http_->Get(path);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : HttpResponse{};
  }
  HttpResponse Post(const std::string& body, const std::string& token,
                    const std::string& ctype = "application/json") {
    std::vector<std::pair<std::string, std::string>> h;
    if (!token.empty()) h.push_back({"Authorization", "Bearer " + token});
    auto r = http_->Post("/api/v1/entries", body, ctype, h);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : HttpResponse{};
  }
  // Appends events first..first+n-1 from 8 concurrent keep-alive clients (so
  // that they share durable commits) and waits for the checkpoint.
  void AppendN(int n, int first = 0) {
    std::vector<std::thread> threads;
    std::atomic<int> next{first};
    std::atomic<int> failures{0};
    for (int t = 0; t < 8; ++t) {
      threads.emplace_back([&] {
        auto c = HttpClient::Create(url_);
        if (!c.ok()) {
          ++failures;
          return;
        }
        for (int i = next++; i < first + n; i = next++) {
          auto r = (*c)->Post("/api/v1/entries", EventJson(i), "application/json",
                              {{"Authorization", "Bearer " + append_token_}});
          if (!r.ok() || r->status != 201) ++failures;
        }
      });
    }
    for (auto& th : threads) th.join();
    ASSERT_EQ(failures.load(), 0);
    ASSERT_TRUE(log_->WaitForCheckpoint(static_cast<uint64_t>(first + n), std::chrono::seconds(10)).ok());
  }
  std::unique_ptr<LogClient> Client(LogTrust trust = {}) {
    if (trust.log_key.empty()) trust.log_key = vkey_;
    auto c = LogClient::Create(url_, trust);
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    return c.ok() ? std::move(*c) : nullptr;
  }

  void TearDown() override {
    http_.reset();
    if (server_) server_->Stop();
    server_.reset();
    log_.reset();
    std::filesystem::remove_all(dir_);
  }

  std::string dir_, vkey_, url_, append_token_, read_token_;
  std::unique_ptr<tlog::Log> log_;
  TokenStore tokens_;
  std::unique_ptr<LogServer> server_;
  std::unique_ptr<HttpClient> http_;
};

TEST_F(LogServerTest, AppendReturnsDurableIndexAndServesC2spPaths) {
  HttpResponse r = Post(EventJson(0), append_token_);
  ASSERT_EQ(r.status, 201) << r.body;
  auto j = nlohmann::json::parse(r.body);
  EXPECT_EQ(j["index"], 0);
  AppendN(259, 1);  // 260 entries: tile/0/000 full, 001.p/4, tile/1/000.p/1

  r = Get("/checkpoint");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "text/plain; charset=utf-8");
  EXPECT_EQ(r.cache_control, "no-cache");
  EXPECT_TRUE(r.body.starts_with(std::string(kOrigin) + "\n260\n")) << r.body;

  r = Get("/tile/0/000");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body.size(), 8192u);
  EXPECT_EQ(r.content_type, "application/octet-stream");
  EXPECT_EQ(r.cache_control, "public, max-age=31536000, immutable");
  EXPECT_EQ(Get("/tile/0/001.p/4").body.size(), 128u);
  EXPECT_EQ(Get("/tile/0/001.p/2").body.size(), 64u);  // prefix of a wider partial
  EXPECT_EQ(Get("/tile/1/000.p/1").body.size(), 32u);
  EXPECT_EQ(Get("/tile/entries/001.p/4").status, 200);
  EXPECT_EQ(Get("/tile/0/001").status, 404);   // not full yet
  EXPECT_EQ(Get("/tile/0/001.p/5").status, 404);
  EXPECT_EQ(Get("/tile/entries/002.p/1").status, 404);

  // Entry JSON shows the server-set actor of the appending token.
  r = Get("/api/v1/entries/3");
  ASSERT_EQ(r.status, 200);
  j = nlohmann::json::parse(r.body);
  EXPECT_EQ(j["event"]["actor"], tokens_.tokens()[0].ActorId());
  EXPECT_TRUE(j["event"]["subject"].get<std::string>().starts_with("acme/model-"));
}

TEST_F(LogServerTest, BadTilePathsAre400AndNeverCrash) {
  AppendN(3);
  for (const char* p :
       {"/tile/0/..", "/tile/0/%2e%2e/000", "/tile/0/%2E%2E", "/tile/0/.%2e/000", "/tile/../checkpoint",
        "/tile/0/0000", "/tile/0/00", "/tile/0/x000/001", "/tile/0/x1/000", "/tile/0/000.p/0",
        "/tile/0/000.p/256", "/tile/0/000.p/01", "/tile/0/000.p/", "/tile/8/000", "/tile/00/000",
        "/tile/-1/000", "/tile/0/x123/x456/x789/x012/x345/x678/x901/234", "/tile/entries/",
        "/tile/entries/000.p/0", "/tile/0/000/", "/tile/0//000", "/tile/0/000%00", "/tile/0/000?x=1",
        "/tile/0/abc", "/tile/entries/x000/000"}) {
    HttpResponse r = Get(p);
    EXPECT_EQ(r.status, 400) << p << ": " << r.body;
  }
  EXPECT_EQ(Get("/checkpoint").status, 200);
}

TEST_F(LogServerTest, JsonEndpointsValidateParameters) {
  AppendN(7);
  EXPECT_EQ(Get("/api/v1/entries/7").status, 404);
  for (const char* p : {"/api/v1/entries/01", "/api/v1/entries/-1", "/api/v1/entries/x",
                        "/api/v1/entries/99999999999999999999999", "/api/v1/entries/1?a=b",
                        "/api/v1/proof/inclusion", "/api/v1/proof/inclusion?index=1&leaf_hash=00",
                        "/api/v1/proof/inclusion?index=7", "/api/v1/proof/inclusion?index=1&tree_size=8",
                        "/api/v1/proof/inclusion?index=1&index=2", "/api/v1/proof/inclusion?leaf_hash=zz",
                        "/api/v1/proof/inclusion?index=1&bogus=1", "/api/v1/proof/consistency",
                        "/api/v1/proof/consistency?first=5&second=3",
                        "/api/v1/proof/consistency?first=1&second=8"}) {
    HttpResponse r = Get(p);
    EXPECT_EQ(r.status, 400) << p << ": " << r.body;
    EXPECT_EQ(r.content_type, "application/json") << p;
  }
  HttpResponse r = Get("/api/v1/proof/inclusion?index=2&tree_size=5");
  ASSERT_EQ(r.status, 200) << r.body;
  auto j = nlohmann::json::parse(r.body);
  std::vector<tlog::Hash> proof;
  for (const auto& h : j["proof"]) proof.push_back(*tlog::HashFromBytes(*HexDecode(h.get<std::string>())));
  tlog::Hash leaf = *tlog::HashFromBytes(*HexDecode(j["leaf_hash"].get<std::string>()));
  tlog::Hash root = *tlog::HashFromBytes(*HexDecode(j["root_hash"].get<std::string>()));
  EXPECT_OK(tlog::VerifyInclusion(2, 5, leaf, proof, root));
  r = Get("/api/v1/proof/consistency?first=0");
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Get("/api/v1/proof/inclusion?leaf_hash=" + std::string(64, '0')).status, 404);
}

TEST_F(LogServerTest, AppendAuthAndBodyChecks) {
  EXPECT_EQ(Post(EventJson(1), "").status, 401);
  EXPECT_EQ(Post(EventJson(1), "mats_not-a-token").status, 401);
  EXPECT_EQ(Post(EventJson(1), read_token_).status, 403);
  EXPECT_EQ(Post("{not json", append_token_).status, 400);
  EXPECT_EQ(Post("[]", append_token_).status, 400);
  EXPECT_EQ(Post("{\"type\":\"upload\"}", append_token_).status, 400);
  EXPECT_EQ(Post("{\"type\":\"upload\",\"subject\":\"a/b@1\",\"digests\":[],\"actor\":\"x\"}", append_token_).status,
            400);
  EXPECT_EQ(Post(EventJson(1), append_token_, "text/plain").status, 415);
  EXPECT_EQ(Post(std::string(70000, 'a'), append_token_, "application/octet-stream").status, 413);
  EXPECT_EQ(Post(std::string(300000, ' '), append_token_).status, 413);
  EXPECT_EQ(Post("garbage", append_token_, "application/octet-stream").status, 400);
  {
    // A canonical entry whose actor is not the token's actor: 403.
    tlog::LogEntry e;
    e.subject = {"acme", "m", "1"};
    e.digests.push_back({tlog::DigestRole::kArtifact, tlog::DigestAlgorithm::kSha256, Bytes(32, 1)});
    e.actor = "someone-else";
    e.timestamp_ms = 1;
    auto wire = tlog::EncodeEntry(e);
    ASSERT_TRUE(wire.ok());
    std::string body(wire->begin(), wire->end());
    EXPECT_EQ(Post(body, append_token_, "application/octet-stream").status, 403);
    e.actor = tokens_.tokens()[0].ActorId();
    wire = tlog::EncodeEntry(e);
    EXPECT_EQ(Post(std::string(wire->begin(), wire->end()), append_token_, "application/octet-stream").status,
              201);
  }
  EXPECT_EQ(Post(EventJson(1), append_token_).status, 201);
  EXPECT_EQ(log_->sequenced_size(), 2u);
}

TEST_F(LogServerTest, PrivateReadNeedsToken) {
  LogServerOptions o;
  o.public_read = false;
  Start(o);
  EXPECT_EQ(Get("/checkpoint").status, 401);
  EXPECT_EQ(Get("/tile/0/000.p/1").status, 401);
  auto r = http_->Get("/api/v1/log");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 401);
}

TEST_F(LogServerTest, ConcurrentAppendsGetDistinctIndexes) {
  std::vector<std::thread> threads;
  std::vector<std::vector<uint64_t>> got(4);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      auto c = HttpClient::Create(url_);
      ASSERT_TRUE(c.ok());
      for (int i = 0; i < 50; ++i) {
        auto r = (*c)->Post("/api/v1/entries", EventJson(t * 100 + i), "application/json",
                            {{"Authorization", "Bearer " + append_token_}});
        ASSERT_TRUE(r.ok());
        ASSERT_EQ(r->status, 201);
        got[static_cast<size_t>(t)].push_back(nlohmann::json::parse(r->body)["index"].get<uint64_t>());
      }
    });
  }
  for (auto& th : threads) th.join();
  std::set<uint64_t> all;  // NOLINT
  for (const auto& v : got) all.insert(v.begin(), v.end());
  EXPECT_EQ(all.size(), 200u);
  EXPECT_EQ(*all.rbegin(), 199u);
}

TEST_F(LogServerTest, ClientVerifiesProofsAndDetectsForkAndRollback) {
  AppendN(300);
  auto client = Client();
  ASSERT_OK_AND_ASSIGN(tlog::SignedCheckpoint cp, client->GetCheckpoint());
  EXPECT_EQ(cp.checkpoint.size, 300u);
  ASSERT_OK_AND_ASSIGN(InclusionResult inc, client->ProveIndex(257, cp));
  EXPECT_EQ(inc.index, 257u);
  ASSERT_OK_AND_ASSIGN(InclusionResult byhash, client->ProveLeafHash(inc.leaf_hash, cp));
  EXPECT_EQ(byhash.index, 257u);
  EXPECT_THAT(client->ProveIndex(300, cp).status(), StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(client->ProveLeafHash(tlog::Hash{}, cp).status(), StatusIs(ErrorCode::kNotFound));

  ASSERT_OK_AND_ASSIGN(tlog::Hash r100, log_->RootAt(100));
  EXPECT_TRUE(client->ProveConsistency(100, r100, cp).ok());
  tlog::Hash forged = r100;
  forged[0] ^= 1;
  EXPECT_THAT(client->ProveConsistency(100, forged, cp).status(), StatusIs(ErrorCode::kVerificationFailed));

  // State file: first contact remembers, then rollback and fork are detected.
  std::string state_path = dir_ + "-state.json";
  std::filesystem::remove(state_path);
  ASSERT_OK_AND_ASSIGN(ClientState state, ClientState::Load(state_path));
  ASSERT_OK_AND_ASSIGN(StateCheck first, client->VerifyWithState(state));
  EXPECT_FALSE(first.previous.has_value());
  ASSERT_OK(state.Save(state_path));
  AppendN(20, 300);
  ASSERT_OK_AND_ASSIGN(StateCheck second, client->VerifyWithState(state));
  ASSERT_TRUE(second.previous.has_value());
  EXPECT_EQ(second.previous->size, 300u);
  EXPECT_EQ(second.current.checkpoint.size, 320u);

  ClientState rolled;
  rolled.Remember({kOrigin, 400, tlog::Hash{}, ""});
  EXPECT_THAT(client->VerifyWithState(rolled).status(), StatusIs(ErrorCode::kVerificationFailed));
  ClientState forked;
  forked.Remember({kOrigin, 320, forged, ""});
  EXPECT_THAT(client->VerifyWithState(forked).status(), StatusIs(ErrorCode::kVerificationFailed));
  ClientState forked_older;
  forked_older.Remember({kOrigin, 100, forged, ""});
  EXPECT_THAT(client->VerifyWithState(forked_older).status(), StatusIs(ErrorCode::kVerificationFailed));

  ASSERT_OK_AND_ASSIGN(tlog::SignedCheckpoint cp2, client->GetCheckpoint());
  ASSERT_OK_AND_ASSIGN(tlog::AuditReport audit, client->Audit(cp2, 0, 0));
  EXPECT_OK(audit.status);
  EXPECT_EQ(audit.entries_checked, 320u);
  ASSERT_OK_AND_ASSIGN(audit, client->Audit(cp2, 250, 270));
  EXPECT_OK(audit.status);
  EXPECT_THAT(client->Audit(cp2, 10, 999).status(), StatusIs(ErrorCode::kInvalidArgument));
}

TEST_F(LogServerTest, ClientRejectsWrongKey) {
  AppendN(2);
  auto other = tlog::Ed25519NoteSigner::FromSeed(kOrigin, Bytes(32, 99));
  ASSERT_TRUE(other.ok());
  LogTrust t;
  t.log_key = (*other)->VerifierKey();
  auto client = Client(t);
  EXPECT_THAT(client->GetCheckpoint().status(), StatusIs(ErrorCode::kVerificationFailed));
}

TEST_F(LogServerTest, CollectsWitnessCosignatures) {
  std::string wdir = ::testing::TempDir() + "/log_server_witness";
  std::filesystem::remove_all(wdir);
  std::filesystem::create_directories(wdir);
  auto wsigner = tlog::CosignatureSigner::FromSeed("server.test/witness", Bytes(32, 5));
  ASSERT_TRUE(wsigner.ok());
  std::string wvkey = (*wsigner)->VerifierKey();
  ASSERT_OK_AND_ASSIGN(auto witness, Witness::Create(std::move(*wsigner), {vkey_}, wdir + "/state.json"));
  ASSERT_OK_AND_ASSIGN(auto wsrv, WitnessServer::Start(*witness, {}));
  Start({}, {{"http://127.0.0.1:" + std::to_string(wsrv->port()), wvkey}});
  AppendN(10);
  LogTrust t;
  t.witness_keys = {wvkey};
  t.min_witnesses = 1;
  auto client = Client(t);
  // Cosignatures arrive asynchronously; bounded wait.
  Result<tlog::SignedCheckpoint> cp = Status();
  for (int i = 0; i < 200; ++i) {
    cp = client->GetCheckpoint();
    if (cp.ok() && cp->checkpoint.size == 10) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_TRUE(cp.ok()) << cp.status().ToString();
  EXPECT_EQ(cp->checkpoint.size, 10u);
  EXPECT_EQ(cp->cosignatures.size(), 1u);
  EXPECT_EQ(witness->CosignedSize(kOrigin), 10u);
  AppendN(5, 10);
  for (int i = 0; i < 200 && witness->CosignedSize(kOrigin) != 15; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(witness->CosignedSize(kOrigin), 15u);
  http_.reset();
  client.reset();
  server_.reset();  // closes the log server's connection to the witness
  wsrv->Stop();
}


// The client's state file: every member replaced by a value of each JSON type,
// or removed, gives kMalformed (or loads), never a throw.
TEST(ClientStateTest, WrongTypesAreMalformed) {
  std::string dir = ::testing::TempDir() + "/client_state_types";
  std::filesystem::remove_all(dir);
  ClientState state;
  state.Remember({"a.test/log", 12, tlog::Hash{}, "a.test/log\n12\nAAAA\n\n"});
  state.Remember({"b.test/log", 0, tlog::Hash{}, ""});
  ASSERT_OK(state.Save(dir + "/state.json"));
  auto text = ReadFileToString(dir + "/state.json", 1 << 20);
  ASSERT_TRUE(text.ok());
  auto doc = ParseJson(*text);
  ASSERT_TRUE(doc.ok());
  size_t n = 0;
  ::mats::testing::ForEachJsonMutation(*doc, [&](const std::string& where, const nlohmann::json& j) {
    ++n;
    ASSERT_TRUE(WriteFileAtomic(dir + "/mutated.json", DumpJson(j)).ok());
    Result<ClientState> r = Status::Ok();
    EXPECT_NO_THROW(r = ClientState::Load(dir + "/mutated.json")) << where;
    if (!r.ok()) {
      EXPECT_THAT(r.status(), StatusIs(ErrorCode::kMalformed)) << where;
    }
  });
  EXPECT_GT(n, 150u);
}


// The log's JSON answers (inclusion proof by leaf hash, append) with every
// member replaced by a value of each JSON type, or removed, from a stub
// server: the client returns an error Status, never throws.
TEST(LogClientTest, WrongTypesInAnswersAreErrors) {
  httplib::Server stub;
  std::mutex mu;
  std::string answer;
  auto reply = [&](int status) {
    return [&, status](const httplib::Request&, httplib::Response& res) {
      std::lock_guard<std::mutex> lock(mu);
      res.status = status;
      res.set_content(answer, "application/json");
    };
  };
  stub.set_tcp_nodelay(true);
  stub.Get("/api/v1/proof/inclusion", reply(200));
  stub.Post("/api/v1/entries", reply(201));
  int port = stub.bind_to_any_port("127.0.0.1");
  ASSERT_GT(port, 0);
  std::thread serving([&] { stub.listen_after_bind(); });
  auto client = LogClient::Create("http://127.0.0.1:" + std::to_string(port), LogTrust{},
                                  std::chrono::milliseconds(5000));
  ASSERT_TRUE(client.ok()) << client.status().ToString();
  tlog::SignedCheckpoint cp;
  cp.checkpoint.size = 5;
  const std::string hex(64, 'a');
  struct Case {
    nlohmann::json doc;
    std::function<Status()> call;
  } cases[] = {
      {{{"index", 2}, {"proof", {hex, hex, hex}}},
       [&] { return (*client)->ProveLeafHash(tlog::Hash{}, cp).status(); }},
      {{{"index", 7}, {"leaf_hash", hex}},
       [&] { return (*client)->Append("token", "{}").status(); }},
  };
  size_t n = 0;
  for (const Case& c : cases) {
    ::mats::testing::ForEachJsonMutation(c.doc, [&](const std::string& where,
                                                    const nlohmann::json& j) {
      ++n;
      {
        std::lock_guard<std::mutex> lock(mu);
        answer = DumpJson(j);
      }
      EXPECT_NO_THROW((void)c.call()) << where;
    });
  }
  EXPECT_GT(n, 100u);
  stub.stop();
  serving.join();
}

}  // namespace
}  // namespace mats::server
