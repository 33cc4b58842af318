#include "mats/server/tokens.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "mats/core/mapped_file.h"
#include "mats/server/log_server.h"
#include "mats/core/json.h"
#include "testing/json_mutations.h"
#include "testing/status_matchers.h"

namespace mats::server {
namespace {

using ::mats::testing::StatusIs;

TEST(TokenStoreTest, AddAuthenticateAndScopes) {
  TokenStore store;
  ASSERT_OK_AND_ASSIGN(std::string t, store.Add("ci-bot", {Scope::kAppend}));
  EXPECT_TRUE(t.starts_with("mats_"));
  EXPECT_GE(t.size(), 40u);
  const TokenInfo* who = store.Authenticate(t, Scope::kAppend);
  ASSERT_NE(who, nullptr);
  EXPECT_EQ(who->name, "ci-bot");
  EXPECT_EQ(who->sha256_hex, Sha256Hex(t));
  EXPECT_TRUE(who->ActorId().starts_with("tok:"));
  EXPECT_EQ(store.Authenticate(t, Scope::kRead), nullptr);
  EXPECT_EQ(store.Authenticate(t + "x", Scope::kAppend), nullptr);
  EXPECT_EQ(store.Authenticate("", Scope::kAppend), nullptr);
  EXPECT_EQ(store.Authenticate(std::string(300, 'a'), Scope::kAppend), nullptr);
  ASSERT_OK_AND_ASSIGN(std::string admin, store.Add("root", {Scope::kAdmin}));
  EXPECT_NE(store.Authenticate(admin, Scope::kAppend), nullptr);
  EXPECT_NE(store.Authenticate(admin, Scope::kRead), nullptr);
}

TEST(TokenStoreTest, RejectsBadNamesAndDuplicates) {
  TokenStore store;
  EXPECT_THAT(store.Add("", {Scope::kAppend}).status(), StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(store.Add("-x", {Scope::kAppend}).status(), StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(store.Add("a b", {Scope::kAppend}).status(), StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(store.Add(std::string(65, 'a'), {Scope::kAppend}).status(),
              StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(store.Add("ok", {}).status(), StatusIs(ErrorCode::kInvalidArgument));
  ASSERT_TRUE(store.Add("ok", {Scope::kAppend}).ok());
  EXPECT_THAT(store.Add("ok", {Scope::kAppend}).status(), StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(store.Remove("nope"), StatusIs(ErrorCode::kNotFound));
  EXPECT_OK(store.Remove("ok"));
  EXPECT_TRUE(store.tokens().empty());
}

TEST(TokenStoreTest, SaveLoadRoundTripStoresOnlyHashes) {
  std::string dir = ::testing::TempDir() + "/tokens_rt";
  std::filesystem::create_directories(dir);
  std::string path = dir + "/tokens.json";
  TokenStore store;
  ASSERT_OK_AND_ASSIGN(std::string t, store.Add("a", {Scope::kAppend, Scope::kRead}));
  ASSERT_OK(store.Save(path));
  ASSERT_OK_AND_ASSIGN(std::string text, ReadFileToString(path, 1 << 20));
  EXPECT_EQ(text.find(t), std::string::npos);
  EXPECT_NE(text.find(Sha256Hex(t)), std::string::npos);
  EXPECT_EQ(std::filesystem::status(path).permissions() & std::filesystem::perms::others_read,
            std::filesystem::perms::none);
  ASSERT_OK_AND_ASSIGN(TokenStore back, TokenStore::Load(path));
  EXPECT_NE(back.Authenticate(t, Scope::kRead), nullptr);
  ASSERT_OK_AND_ASSIGN(TokenStore missing, TokenStore::Load(dir + "/none.json"));
  EXPECT_TRUE(missing.tokens().empty());
}

TEST(TokenStoreTest, ParseErrors) {
  const char* bad[] = {
      "[]",
      "{\"version\":2,\"tokens\":[]}",
      "{\"version\":1}",
      "{\"version\":1,\"tokens\":[{\"name\":\"a\"}]}",
      "{\"version\":1,\"tokens\":[{\"name\":\"a\",\"sha256\":\"zz\",\"scopes\":[\"append\"]}]}",
      "{\"version\":1,\"tokens\":[{\"name\":\"a b\",\"sha256\":\"" 
      "0000000000000000000000000000000000000000000000000000000000000000\",\"scopes\":[\"append\"]}]}",
      "{\"version\":1,\"tokens\":[{\"name\":\"a\",\"sha256\":\""
      "0000000000000000000000000000000000000000000000000000000000000000\",\"scopes\":[\"root\"]}]}",
      "{\"version\":1,\"tokens\":[{\"name\":\"a\",\"sha256\":\""
      "0000000000000000000000000000000000000000000000000000000000000000\",\"scopes\":[]}]}",
      "{\"version\":1,\"tokens\":[{\"name\":\"a\",\"sha256\":\""
      "0000000000000000000000000000000000000000000000000000000000000000\",\"scopes\":[1]}]}",
      "{\"version\":1,\"tokens\":[{\"name\":\"a\",\"sha256\":\""
      "0000000000000000000000000000000000000000000000000000000000000000\",\"scopes\":[\"read\"]},"
      "{\"name\":\"a\",\"sha256\":\""
      "1111111111111111111111111111111111111111111111111111111111111111\",\"scopes\":[\"read\"]}]}",
      "{not json",
  };
  for (const char* b : bad) {
    EXPECT_FALSE(TokenStore::Parse(b).ok()) << b;
  }
}

TEST(ParseDecimalU64Test, StrictNumbers) {
  EXPECT_THAT(ParseDecimalU64("0", "n"), ::mats::testing::IsOkAndHolds(0u));
  EXPECT_THAT(ParseDecimalU64("18446744073709551615", "n"),
              ::mats::testing::IsOkAndHolds(UINT64_MAX));
  for (const char* bad : {"", "01", "-1", "+1", " 1", "1 ", "1a", "18446744073709551616",
                          "123456789012345678901", "0x10"}) {
    EXPECT_THAT(ParseDecimalU64(bad, "n").status(), StatusIs(ErrorCode::kInvalidArgument)) << bad;
  }
}


// Every member of a token file replaced by a value of each JSON type, or
// removed: Parse returns a Status (kMalformed or kLimitExceeded), never throws.
TEST(TokenStoreTest, WrongTypesAreMalformedNotExceptions) {
  TokenStore store;
  ASSERT_TRUE(store.Add("ci-bot", {Scope::kAppend, Scope::kRead}).ok());
  ASSERT_TRUE(store.Add("root", {Scope::kAdmin}).ok());
  auto doc = ParseJson(store.Serialize());
  ASSERT_TRUE(doc.ok());
  size_t n = 0;
  ::mats::testing::ForEachJsonMutation(*doc, [&](const std::string& where, const nlohmann::json& j) {
    ++n;
    Result<TokenStore> r = Status::Ok();
    EXPECT_NO_THROW(r = TokenStore::Parse(DumpJson(j))) << where;
    if (!r.ok()) {
      EXPECT_THAT(r.status(), StatusIs(ErrorCode::kMalformed)) << where;
    }
  });
  EXPECT_GT(n, 150u);
}

}  // namespace
}  // namespace mats::server
