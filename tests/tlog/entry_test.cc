#include "mats/tlog/entry.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "mats/core/encoding.h"
#include "testing/json_mutations.h"
#include "testing/status_matchers.h"

namespace mats::tlog {
namespace {

using ::mats::testing::IsOk;
using ::mats::testing::StatusIs;
using ::testing::HasSubstr;

LogEntry Sample() {
  LogEntry e;
  e.type = EventType::kUpload;
  e.subject = {"acme", "resnet50", "1.2.0+cpu"};
  e.digests.push_back({DigestRole::kArtifact, DigestAlgorithm::kSha256, Bytes(32, 0xaa)});
  e.digests.push_back({DigestRole::kReport, DigestAlgorithm::kSha512, Bytes(64, 0xbb)});
  e.actor = "tok:7f3a";
  e.timestamp_ms = 1763900000123;
  return e;
}

TEST(EntryTest, RoundTripAndLayout) {
  LogEntry e = Sample();
  ASSERT_OK_AND_ASSIGN(Bytes wire, EncodeEntry(e));
  // label + 0x00, type, timestamp
  EXPECT_EQ(std::string(wire.begin(), wire.begin() + 17), "mats-log-entry/v1");
  EXPECT_EQ(wire[17], 0x00);
  EXPECT_EQ(wire[18], 1);
  EXPECT_EQ(wire.size(), 18 + 1 + 8 + (1 + 4) + (1 + 8) + (1 + 9) + (1 + 8) + 1 + (2 + 32) + (2 + 64));
  ASSERT_OK_AND_ASSIGN(LogEntry back, DecodeEntry(wire));
  EXPECT_EQ(back, e);
  ASSERT_OK_AND_ASSIGN(Bytes again, EncodeEntry(back));
  EXPECT_EQ(again, wire);
}

TEST(EntryTest, AllTypesNeedTheirDigest) {
  struct Case {
    EventType type;
    DigestRole role;
  };
  Case cases[] = {{EventType::kUpload, DigestRole::kArtifact},
                  {EventType::kUpdate, DigestRole::kArtifact},
                  {EventType::kSignature, DigestRole::kSignatureBundle},
                  {EventType::kVerdict, DigestRole::kReport},
                  {EventType::kKeyRegistration, DigestRole::kPublicKey}};
  for (const Case& c : cases) {
    LogEntry e = Sample();
    e.type = c.type;
    e.digests = {{c.role, DigestAlgorithm::kSha384, Bytes(48, 1)}};
    ASSERT_OK_AND_ASSIGN(Bytes wire, EncodeEntry(e));
    ASSERT_OK_AND_ASSIGN(LogEntry back, DecodeEntry(wire));
    EXPECT_EQ(back, e);
    e.digests.clear();
    EXPECT_THAT(EncodeEntry(e), StatusIs(ErrorCode::kInvalidArgument, HasSubstr("needs")));
  }
  LogEntry del = Sample();
  del.type = EventType::kDelete;
  del.digests.clear();
  ASSERT_OK_AND_ASSIGN(Bytes wire, EncodeEntry(del));
  EXPECT_THAT(DecodeEntry(wire), IsOk());
}

TEST(EntryTest, ValidateRejects) {
  auto with = [](auto f) {
    LogEntry e = Sample();
    f(e);
    return ValidateEntry(e);
  };
  EXPECT_THAT(with([](LogEntry& e) { e.subject.ns = ""; }), StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(with([](LogEntry& e) { e.subject.ns = "-x"; }), StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(with([](LogEntry& e) { e.subject.name = "a/b"; }), StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(with([](LogEntry& e) { e.subject.name = std::string(129, 'a'); }),
              StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(with([](LogEntry& e) { e.subject.version = "1 0"; }), StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(with([](LogEntry& e) { e.actor = "alice@example.com"; }), StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(with([](LogEntry& e) { e.actor = ""; }), StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(with([](LogEntry& e) { e.type = static_cast<EventType>(9); }), StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(with([](LogEntry& e) { std::swap(e.digests[0], e.digests[1]); }),
              StatusIs(ErrorCode::kInvalidArgument, HasSubstr("sorted")));
  EXPECT_THAT(with([](LogEntry& e) { e.digests[1].role = DigestRole::kArtifact; }),
              StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(with([](LogEntry& e) { e.digests[0].value.pop_back(); }), StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(with([](LogEntry& e) { e.digests[0].role = static_cast<DigestRole>(7); }),
              StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(with([](LogEntry& e) { e.digests[0].algorithm = static_cast<DigestAlgorithm>(7); }),
              StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(with([](LogEntry&) {}), IsOk());
}

TEST(EntryTest, DecodeErrorPaths) {
  ASSERT_OK_AND_ASSIGN(Bytes wire, EncodeEntry(Sample()));
  auto mutate = [&](size_t at, uint8_t v) {
    Bytes b = wire;
    b[at] = v;
    return DecodeEntry(b);
  };
  EXPECT_THAT(mutate(0, 'M'), StatusIs(ErrorCode::kMalformed, HasSubstr("label")));
  EXPECT_THAT(mutate(17, 1), StatusIs(ErrorCode::kMalformed, HasSubstr("terminator")));
  EXPECT_THAT(mutate(18, 0), StatusIs(ErrorCode::kMalformed, HasSubstr("event type")));
  EXPECT_THAT(mutate(18, 7), StatusIs(ErrorCode::kMalformed, HasSubstr("event type")));
  EXPECT_THAT(mutate(27, 0), StatusIs(ErrorCode::kMalformed, HasSubstr("namespace length")));
  EXPECT_THAT(mutate(27, 200), StatusIs(ErrorCode::kMalformed, HasSubstr("namespace length")));
  EXPECT_THAT(mutate(28, '/'), StatusIs(ErrorCode::kMalformed, HasSubstr("namespace")));
  size_t actor_len_at = 27 + 5 + 9 + 10;
  EXPECT_THAT(mutate(actor_len_at + 1, '@'), StatusIs(ErrorCode::kMalformed, HasSubstr("actor")));
  size_t count_at = actor_len_at + 1 + 8;
  EXPECT_THAT(mutate(count_at, 5), StatusIs(ErrorCode::kMalformed, HasSubstr("at most 4")));
  EXPECT_THAT(mutate(count_at + 1, 9), StatusIs(ErrorCode::kMalformed, HasSubstr("role")));
  EXPECT_THAT(mutate(count_at + 2, 9), StatusIs(ErrorCode::kMalformed, HasSubstr("algorithm")));
  EXPECT_THAT(mutate(count_at + 1, 3), StatusIs(ErrorCode::kMalformed));  // duplicate role 3
  size_t second = count_at + 1 + 2 + 32;
  EXPECT_THAT(mutate(second, 1), StatusIs(ErrorCode::kMalformed, HasSubstr("increasing")));
  // Missing required digest (upload without artifact: first role becomes 2).
  EXPECT_THAT(mutate(count_at + 1, 2), StatusIs(ErrorCode::kMalformed, HasSubstr("needs")));
  Bytes trailing = wire;
  trailing.push_back(0);
  EXPECT_THAT(DecodeEntry(trailing), StatusIs(ErrorCode::kMalformed, HasSubstr("trailing")));
  EXPECT_THAT(DecodeEntry(Bytes(kMaxEncodedEntryBytes + 1)), StatusIs(ErrorCode::kLimitExceeded));
  // Truncation at every offset fails cleanly.
  for (size_t n = 0; n < wire.size(); ++n) {
    EXPECT_THAT(DecodeEntry(ByteSpan(wire).first(n)), StatusIs(ErrorCode::kMalformed)) << n;
  }
}

// Canonical: flipping any bit either fails or yields an entry that
// re-encodes to exactly the mutated bytes.
TEST(EntryTest, EveryBitFlipIsRejectedOrCanonical) {
  ASSERT_OK_AND_ASSIGN(Bytes wire, EncodeEntry(Sample()));
  for (size_t i = 0; i < wire.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      Bytes b = wire;
      b[i] ^= static_cast<uint8_t>(1 << bit);
      Result<LogEntry> e = DecodeEntry(b);
      if (!e.ok()) continue;
      ASSERT_OK_AND_ASSIGN(Bytes re, EncodeEntry(*e));
      ASSERT_EQ(re, b) << i << ":" << bit;
    }
  }
}

TEST(EntryTest, Json) {
  LogEntry e = Sample();
  nlohmann::json j = EntryToJson(e);
  EXPECT_EQ(j["type"], "upload");
  EXPECT_EQ(j["subject"], "acme/resnet50@1.2.0+cpu");
  EXPECT_EQ(j["digests"][0]["role"], "artifact");
  EXPECT_EQ(j["digests"][1]["algorithm"], "sha512");
  EXPECT_EQ(j["timestamp_ms"], 1763900000123u);
  ASSERT_OK_AND_ASSIGN(LogEntry back, EntryFromJson(j));
  EXPECT_EQ(back, e);
  auto bad = [&](auto f) {
    nlohmann::json c = j;
    f(c);
    return EntryFromJson(c);
  };
  EXPECT_THAT(bad([](nlohmann::json& c) { c["extra"] = 1; }), StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(bad([](nlohmann::json& c) { c.erase("actor"); }), StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(bad([](nlohmann::json& c) { c["version"] = 2; }), StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(bad([](nlohmann::json& c) { c["timestamp_ms"] = -1; }), StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(bad([](nlohmann::json& c) { c["type"] = "rename"; }), StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(bad([](nlohmann::json& c) { c["subject"] = "noslash@1"; }), StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(bad([](nlohmann::json& c) { c["digests"][0]["hex"] = std::string(64, 'A'); }),
              StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(bad([](nlohmann::json& c) { c["digests"][0]["hex"] = "zz"; }), StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(bad([](nlohmann::json& c) { c["digests"][0]["role"] = "x"; }), StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(bad([](nlohmann::json& c) { c["digests"][0]["algorithm"] = "md5"; }),
              StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(bad([](nlohmann::json& c) { c["digests"][0]["more"] = 1; }), StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(bad([](nlohmann::json& c) { c["digests"] = nlohmann::json::array({1, 2, 3, 4, 5}); }),
              StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(EntryFromJson(nlohmann::json::array()), StatusIs(ErrorCode::kInvalidArgument));
}

TEST(EntryTest, Names) {
  for (uint8_t i = 1; i <= 6; ++i) {
    auto t = static_cast<EventType>(i);
    ASSERT_OK_AND_ASSIGN(EventType back, ParseEventType(EventTypeName(t)));
    EXPECT_EQ(back, t);
  }
  EXPECT_EQ(EventTypeName(EventType::kKeyRegistration), "key-registration");
  ASSERT_OK_AND_ASSIGN(Subject s, ParseSubject("ns/name@v1"));
  EXPECT_EQ(FormatSubject(s), "ns/name@v1");
  EXPECT_THAT(ParseSubject("ns@v1/name"), StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(ParseSubject("ns/name"), StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_EQ(DigestLength(DigestAlgorithm::kSha384), 48u);
}


// Every member of an entry's JSON replaced by a value of each JSON type, or
// removed: kInvalidArgument (what the append endpoint answers 400 with) or a
// valid entry, never a throw.
TEST(EntryTest, JsonWrongTypesAreInvalidNotExceptions) {
  size_t n = 0;
  ::mats::testing::ForEachJsonMutation(EntryToJson(Sample()), [&](const std::string& where,
                                                                  const nlohmann::json& j) {
    ++n;
    Result<LogEntry> r = Status::Ok();
    EXPECT_NO_THROW(r = EntryFromJson(j)) << where;
    if (!r.ok()) {
      EXPECT_THAT(r.status(), StatusIs(ErrorCode::kInvalidArgument)) << where;
    }
  });
  EXPECT_GT(n, 150u);
}

}  // namespace
}  // namespace mats::tlog
