#include "mats/hash/hasher.h"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "hash/test_dir.h"
#include "mats/core/encoding.h"
#include "mats/core/json.h"
#include "mats/core/mapped_file.h"
#include "mats/hash/cache.h"
#include "testing/json_mutations.h"
#include "testing/status_matchers.h"

namespace mats::hash {
namespace {

using ::mats::testing::StatusIs;
using ::mats::testing::TempDir;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::vector<std::string> Names(const Manifest& m) {
  std::vector<std::string> out;
  for (auto& r : m.resources) out.push_back(r.Name());
  return out;
}

TEST(HasherTest, ReferenceFixtureRootDigest) {
  TempDir d;
  d.Write("signme-1", "signme-1\n");
  d.Write("signme-2", "signme-2");
  d.Write("ignore-me", "x");
  d.Write(".git/HEAD", "ref");
  d.Write("model.sig", "{}");
  HashOptions o;
  o.ignore_paths = {"ignore-me", d.Join("model.sig")};
  ASSERT_OK_AND_ASSIGN(Manifest m, HashModel(d.path(), o));
  EXPECT_THAT(Names(m), ElementsAre("signme-1", "signme-2"));
  EXPECT_EQ(HexEncode(m.resources[0].digest),
            "bc9a717db6064a32cbe9eae6fc40651dd6d36ef1757183f590eff2b1765d7ebc");
  EXPECT_EQ(HexEncode(RootDigest(m.resources)),
            "92745110b1ab4368471cbe31664e10174e954b113a3df333db860317b2c6dec4");
  EXPECT_THAT(m.ignore_paths, ElementsAre(".git", ".gitattributes", ".github", ".gitignore",
                                          "ignore-me", "model.sig"));
}

TEST(HasherTest, CanonicalOrderOnDisk) {
  TempDir d;
  for (const char* n : {"a/b", "a-b", "a.b", "Zeta", ".hidden", "empty"}) d.Write(n, n);
  ASSERT_OK_AND_ASSIGN(Manifest m, HashModel(d.path(), {}));
  EXPECT_THAT(Names(m), ElementsAre(".hidden", "Zeta", "a/b", "a-b", "a.b", "empty"));
}

TEST(HasherTest, IgnoreIsAnchoredAtRoot) {
  TempDir d;
  d.Write(".git/config", "x");
  d.Write("sub/.git/config", "y");
  d.Write("w.bin", "w");
  ASSERT_OK_AND_ASSIGN(Manifest m, HashModel(d.path(), {}));
  EXPECT_THAT(Names(m), ElementsAre("sub/.git/config", "w.bin"));
  HashOptions keep;
  keep.ignore_git_paths = false;
  ASSERT_OK_AND_ASSIGN(Manifest m2, HashModel(d.path(), keep));
  EXPECT_THAT(Names(m2), ElementsAre(".git/config", "sub/.git/config", "w.bin"));
  EXPECT_TRUE(m2.ignore_paths.empty());
}

TEST(HasherTest, IgnorePathEscapingRootIsRejected) {
  TempDir d;
  d.Write("w.bin", "w");
  HashOptions o;
  o.ignore_paths = {"../other"};
  EXPECT_THAT(HashModel(d.path(), o), StatusIs(ErrorCode::kInvalidArgument, HasSubstr("escapes")));
  o.ignore_paths = {"/somewhere/else"};  // outside the model: dropped
  EXPECT_OK(HashModel(d.path(), o));
}

TEST(HasherTest, SingleFileModel) {
  TempDir d;
  d.Write("model.bin", "signme-2");
  ASSERT_OK_AND_ASSIGN(Manifest m, HashModel(d.Join("model.bin"), {}));
  EXPECT_TRUE(m.single_file);
  EXPECT_EQ(m.model_name, "model.bin");
  EXPECT_THAT(Names(m), ElementsAre("."));
  HashOptions s;
  s.method = Method::kShards;
  s.shard_size = 4096;
  ASSERT_OK_AND_ASSIGN(Manifest ms, HashModel(d.Join("model.bin"), s));
  EXPECT_THAT(Names(ms), ElementsAre(".:0:8"));
}

TEST(HasherTest, ShardsAndEmptyFiles) {
  TempDir d;
  d.Write("big", std::string(10000, 'x'));
  d.Write("empty", "");
  HashOptions o;
  o.method = Method::kShards;
  o.shard_size = 4096;
  ASSERT_OK_AND_ASSIGN(Manifest m, HashModel(d.path(), o));
  EXPECT_THAT(Names(m), ElementsAre("big:0:4096", "big:4096:8192", "big:8192:10000"));
  EXPECT_EQ(m.resources[2].digest,
            HashBytes(HashAlgorithm::kSha256, AsBytes(std::string(1808, 'x'))));
  ASSERT_OK_AND_ASSIGN(Manifest f, HashModel(d.path(), {}));
  EXPECT_THAT(Names(f), ElementsAre("big", "empty"));
  EXPECT_EQ(HexEncode(f.resources[1].digest),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(HasherTest, Blake2b) {
  TempDir d;
  d.Write("f", "abc");
  HashOptions o;
  o.algorithm = HashAlgorithm::kBlake2b;
  ASSERT_OK_AND_ASSIGN(Manifest m, HashModel(d.path(), o));
  ASSERT_EQ(m.resources[0].digest.size(), 64u);
  // RFC 7693 Appendix A: BLAKE2b-512("abc").
  EXPECT_EQ(HexEncode(m.resources[0].digest).substr(0, 32), "ba80a53f981c4d0d6a2797b69f12f6e9");
}

TEST(HasherTest, AbsurdShardSizesRejected) {
  TempDir d;
  d.Write("f", "abc");
  HashOptions o;
  o.method = Method::kShards;
  o.shard_size = 0;
  EXPECT_THAT(HashModel(d.path(), o), StatusIs(ErrorCode::kInvalidArgument, HasSubstr("shard size")));
  o.shard_size = kMaxShardSize + 1;
  EXPECT_THAT(HashModel(d.path(), o), StatusIs(ErrorCode::kInvalidArgument));
}

TEST(HasherTest, IdenticalForAnyThreadCount) {
  TempDir d;
  std::string blob;
  for (uint32_t i = 0; i < 300000; ++i) blob.push_back(static_cast<char>((i * 7919u) >> 3));
  d.Write("big.bin", blob);
  for (size_t i = 0; i < 40; ++i)
    d.Write(fmt::format("dir{}/f{}.txt", i % 5, i), std::string(i * 97, static_cast<char>('a' + i % 26)));
  // Also identical for both read modes, tiny mapping windows and shards
  // that do not start on a page boundary (5000).
  for (Method method : {Method::kFiles, Method::kShards}) {
    for (uint64_t shard : {uint64_t{4096}, uint64_t{5000}}) {
      std::vector<std::string> roots;
      for (ReadMode mode : {ReadMode::kMmap, ReadMode::kPread}) {
        for (size_t threads : {size_t{1}, size_t{2}, size_t{8}}) {
          HashOptions o;
          o.method = method;
          o.shard_size = shard;
          o.threads = threads;
          o.read_mode = mode;
          o.read_buffer = 4096;
          o.map_window = 8192;
          ASSERT_OK_AND_ASSIGN(Manifest m, HashModel(d.path(), o));
          roots.push_back(HexEncode(RootDigest(m.resources)) + ManifestToJson(m));
        }
      }
      for (size_t i = 1; i < roots.size(); ++i) EXPECT_EQ(roots[0], roots[i]) << i;
    }
  }
}

TEST(HasherTest, FileTruncatedUnderAMappingIsAnErrorNotACrash) {
  // Pages of a mapping past the new end of a truncated file raise SIGBUS;
  // the hasher must report the change and the process must survive.
  TempDir d;
  d.Write("w.bin", std::string(3 << 20, 'w'));
  std::string target = d.Join("w.bin");
  HashOptions o;
  o.read_mode = ReadMode::kMmap;
  o.map_window = 1 << 20;
  o.threads = 1;
  bool truncated = false;
  o.progress = [&](uint64_t, uint64_t) {
    if (truncated) return;
    truncated = true;
    ASSERT_EQ(truncate(target.c_str(), 4096), 0);
  };
  EXPECT_THAT(HashModel(d.path(), o), StatusIs(ErrorCode::kIo, HasSubstr("changed while hashing")));
  EXPECT_TRUE(truncated);
  // The mapping read still works afterwards.
  d.Write("w.bin", "fine");
  o.progress = nullptr;
  ASSERT_OK_AND_ASSIGN(Manifest m, HashModel(d.path(), o));
  EXPECT_EQ(m.resources.size(), 1u);
}

TEST(HasherTest, SymlinksRefusedByDefault) {
  TempDir d;
  d.Write("real.bin", "data");
  ASSERT_EQ(symlink("real.bin", d.Join("link.bin").c_str()), 0);
  EXPECT_THAT(HashModel(d.path(), {}),
              StatusIs(ErrorCode::kInvalidArgument, HasSubstr("--allow-symlinks")));
  HashOptions o;
  o.allow_symlinks = true;
  ASSERT_OK_AND_ASSIGN(Manifest m, HashModel(d.path(), o));
  EXPECT_THAT(Names(m), ElementsAre("link.bin", "real.bin"));
  EXPECT_EQ(m.resources[0].digest, m.resources[1].digest);
}

TEST(HasherTest, SymlinkedDirectoryIsNotDescended) {
  TempDir d;
  d.Write("sub/w", "w");
  ASSERT_EQ(symlink("sub", d.Join("alias").c_str()), 0);
  ASSERT_EQ(symlink(".", d.Join("sub/self").c_str()), 0);
  HashOptions o;
  o.allow_symlinks = true;
  ASSERT_OK_AND_ASSIGN(Manifest m, HashModel(d.path(), o));
  EXPECT_THAT(Names(m), ElementsAre("sub/w"));
}

TEST(HasherTest, SymlinkLoopAndBrokenLinkAreErrors) {
  TempDir d;
  ASSERT_EQ(symlink("b", d.Join("a").c_str()), 0);
  ASSERT_EQ(symlink("a", d.Join("b").c_str()), 0);
  HashOptions o;
  o.allow_symlinks = true;
  EXPECT_THAT(HashModel(d.path(), o), StatusIs(ErrorCode::kIo, HasSubstr("symlink loop")));
  TempDir e;
  ASSERT_EQ(symlink("nowhere", e.Join("dangling").c_str()), 0);
  EXPECT_THAT(HashModel(e.path(), o), StatusIs(ErrorCode::kIo, HasSubstr("broken symlink")));
}

TEST(HasherTest, SpecialFilesRefused) {
  TempDir d;
  ASSERT_EQ(mkfifo(d.Join("pipe").c_str(), 0600), 0);
  EXPECT_THAT(HashModel(d.path(), {}), StatusIs(ErrorCode::kInvalidArgument, HasSubstr("fifo")));
}

TEST(HasherTest, MissingPath) {
  EXPECT_THAT(HashModel("/nonexistent/mats-model", {}), StatusIs(ErrorCode::kNotFound));
  EXPECT_THAT(HashModel("", {}), StatusIs(ErrorCode::kInvalidArgument));
}

TEST(HasherTest, MaxFilesLimit) {
  TempDir d;
  for (int i = 0; i < 5; ++i) d.Write(fmt::format("f{}", i), "x");
  HashOptions o;
  o.max_files = 4;
  EXPECT_THAT(HashModel(d.path(), o), StatusIs(ErrorCode::kLimitExceeded, HasSubstr("max_files=4")));
  o.max_files = 5;
  EXPECT_OK(HashModel(d.path(), o));
}

TEST(HasherTest, FileChangingWhileHashedIsDetected) {
  TempDir d;
  d.Write("w.bin", std::string(64 * 1024, 'w'));
  std::string target = d.Join("w.bin");
  HashOptions o;
  o.read_buffer = 4096;
  o.threads = 1;
  bool appended = false;
  o.progress = [&](uint64_t, uint64_t) {
    if (appended) return;
    appended = true;
    std::ofstream(target, std::ios::binary | std::ios::app) << "poison";
  };
  EXPECT_THAT(HashModel(d.path(), o), StatusIs(ErrorCode::kIo, HasSubstr("changed while hashing")));
  EXPECT_TRUE(appended);
}

TEST(HasherTest, ProgressReachesTotal) {
  TempDir d;
  d.Write("a", std::string(5000, 'a'));
  d.Write("b", std::string(3000, 'b'));
  uint64_t last_done = 0, last_total = 0;
  HashOptions o;
  o.progress = [&](uint64_t done, uint64_t total) {
    last_done = done;
    last_total = total;
  };
  ASSERT_OK(HashModel(d.path(), o));
  EXPECT_EQ(last_done, 8000u);
  EXPECT_EQ(last_total, 8000u);
}

TEST(HashCacheTest, ReusesDigestsUntilFileChanges) {
  TempDir d;
  d.Write("a", "one");
  d.Write("b", "two");
  HashCache cache;
  HashOptions o;
  o.cache = &cache;
  ASSERT_OK_AND_ASSIGN(Manifest m1, HashModel(d.path(), o));
  EXPECT_EQ(cache.hits(), 0u);
  ASSERT_OK_AND_ASSIGN(Manifest m2, HashModel(d.path(), o));
  EXPECT_EQ(cache.hits(), 2u);
  EXPECT_EQ(m1.resources, m2.resources);
  std::string file = d.Join("cache.json");
  ASSERT_OK(cache.Save(file));
  ASSERT_OK_AND_ASSIGN(HashCache loaded, HashCache::Load(file));
  EXPECT_EQ(loaded.size(), 2u);
  d.Write("b", "changed!");  // new size (and mtime): cache miss
  o.cache = &loaded;
  o.ignore_paths = {"cache.json"};
  ASSERT_OK_AND_ASSIGN(Manifest m3, HashModel(d.path(), o));
  EXPECT_EQ(loaded.hits(), 1u);
  EXPECT_EQ(m3.resources[1].digest, HashBytes(HashAlgorithm::kSha256, AsBytes("changed!")));
}

TEST(HashCacheTest, MalformedCacheRejected) {
  TempDir d;
  d.Write("c.json", "{\"version\":\"other\"}");
  EXPECT_THAT(HashCache::Load(d.Join("c.json")), StatusIs(ErrorCode::kMalformed));
  d.Write("c.json", "{\"version\":\"mats-hash-cache/1\",\"entries\":{\"k\":\"abcd\"}}");
  EXPECT_THAT(HashCache::Load(d.Join("c.json")), StatusIs(ErrorCode::kMalformed));
  EXPECT_OK(HashCache::Load(d.Join("absent.json")));
}


// Every member of a cache file replaced by a value of each JSON type, or
// removed: kMalformed or a loaded cache, never a throw.
TEST(HashCacheTest, WrongTypesAreMalformed) {
  TempDir d;
  HashCache cache;
  cache.Insert(CacheKey{"a", 0, 3, "sha256", 3, 1, 2}, Bytes(32, 1));
  cache.Insert(CacheKey{"b", 0, 3, "sha256", 3, 1, 3}, Bytes(64, 2));
  ASSERT_OK(cache.Save(d.Join("cache.json")));
  auto text = ReadFileToString(d.Join("cache.json"), 1 << 20);
  ASSERT_TRUE(text.ok());
  size_t n = 0;
  ::mats::testing::ForEachJsonMutation(*ParseJson(*text), [&](const std::string& where,
                                                              const nlohmann::json& j) {
    ++n;
    d.Write("m.json", DumpJson(j));
    Status s;
    EXPECT_NO_THROW(s = HashCache::Load(d.Join("m.json")).status()) << where;
    if (!s.ok()) {
      EXPECT_THAT(s, StatusIs(ErrorCode::kMalformed)) << where;
    }
  });
  EXPECT_GT(n, 50u);
}

TEST(PathInsideModelTest, RelativeInsideEmptyOutside) {
  TempDir d;
  d.Write("m/a", "x");
  d.Write("m/sub/b", "y");
  const std::string m = d.Join("m");
  EXPECT_EQ(PathInsideModel(m, m + "/model.sig"), "model.sig");  // need not exist
  EXPECT_EQ(PathInsideModel(m, m + "/sub/../sub/c.json"), "sub/c.json");
  EXPECT_EQ(PathInsideModel(m + "/", m + "//sub/b"), "sub/b");
  EXPECT_EQ(PathInsideModel(m, d.Join("m.sig")), "");
  EXPECT_EQ(PathInsideModel(m, d.Join("mx/a")), "");        // a sibling sharing a prefix
  EXPECT_EQ(PathInsideModel(m, m + "/nodir/x"), "");        // parent does not exist
  EXPECT_EQ(PathInsideModel(m + "/a", m + "/a.sig"), "");   // a single-file model
}

TEST(CheckIgnorePathsTest, SameVerdictAsHashModel) {
  TempDir d;
  d.Write("m/a", "x");
  const std::string m = d.Join("m");
  EXPECT_OK(CheckIgnorePaths(m, {"a", "./sub/", m + "/a", "/elsewhere/x"}));
  EXPECT_THAT(CheckIgnorePaths(m, {"../m2"}), StatusIs(ErrorCode::kInvalidArgument));
  HashOptions o;
  o.ignore_paths = {"sub/../../x"};
  EXPECT_THAT(CheckIgnorePaths(m, o.ignore_paths), StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(HashModel(m, o).status(), StatusIs(ErrorCode::kInvalidArgument));
}

}  // namespace
}  // namespace mats::hash
