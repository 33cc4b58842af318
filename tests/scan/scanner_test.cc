#include "mats/scan/scanner.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "mats/core/json.h"
#include "mats/core/mapped_file.h"
#include "mats/scan/registry.h"
#include "mats/scan/report.h"
#include "testing/status_matchers.h"

namespace mats::scan {
namespace {

namespace fs = std::filesystem;

class TempDir {
 public:
  TempDir() {
    path_ = fs::temp_directory_path() /
            ("mats_scan_test_" + std::to_string(::getpid()) + "_" +
             std::to_string(counter_++));
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  const fs::path& path() const { return path_; }
  void Write(const std::string& rel, std::string_view content) const {
    fs::create_directories((path_ / rel).parent_path());
    std::ofstream(path_ / rel, std::ios::binary) << content;
  }

 private:
  static inline int counter_ = 0;
  fs::path path_;
};

ScanOptions DefaultOptions() {
  ScanOptions o;
  o.policy = DefaultPolicy();
  o.threads = 2;
  return o;
}

const FileReport* FindFile(const ScanReport& r, std::string_view suffix) {
  for (const auto& f : r.files)
    if (f.path.ends_with(suffix)) return &f;
  return nullptr;
}

TEST(ScannerTest, TextIsCleanAndUnknownIsNotAnalysable) {
  ScanOptions o = DefaultOptions();
  FileReport text = ScanBytes(AsBytes("hello world\n"), "README.md", o);
  EXPECT_EQ(text.format, "text");
  EXPECT_EQ(text.verdict, Verdict::kClean);
  const uint8_t junk[] = {0x00, 0xff, 0x13, 0x37};
  FileReport unknown = ScanBytes(junk, "weights.bin", o);
  EXPECT_EQ(unknown.format, "unknown");
  EXPECT_EQ(unknown.verdict, Verdict::kNotAnalysable);
  ASSERT_EQ(unknown.errors.size(), 1u);
  EXPECT_EQ(unknown.errors[0].status.code(), ErrorCode::kUnsupported);
  EXPECT_NE(unknown.errors[0].status.message().find("00ff1337"), std::string::npos);
  FileReport empty = ScanBytes({}, "x", o);
  EXPECT_EQ(empty.format, "empty");
  EXPECT_EQ(empty.verdict, Verdict::kClean);
}

TEST(ScannerTest, VerdictRule) {
  FileReport r;
  EXPECT_EQ(ComputeVerdict(r), Verdict::kClean);
  r.findings.push_back({.rule_id = "X", .severity = Severity::kInfo});
  EXPECT_EQ(ComputeVerdict(r), Verdict::kClean);
  r.findings.push_back({.rule_id = "X", .severity = Severity::kLow});
  EXPECT_EQ(ComputeVerdict(r), Verdict::kSuspicious);
  r.errors.push_back({"", Malformed(3, "broken")});
  EXPECT_EQ(ComputeVerdict(r), Verdict::kNotAnalysable);
  r.findings.push_back({.rule_id = "X", .severity = Severity::kHigh});
  EXPECT_EQ(ComputeVerdict(r), Verdict::kMalicious);  // outranks the error
}

TEST(ScannerTest, WalksDirectoriesAndReportsEveryEntry) {
  TempDir dir;
  dir.Write("a/README.md", "# model\n");
  dir.Write("a/b/blob.bin", std::string("\x00\x01\x02", 3));
  dir.Write(".git/HEAD", "ref: refs/heads/main\n");
  // Hugging Face cache layout: snapshots hold symlinks into blobs/.
  dir.Write("models--org--m/blobs/abc123", "config text\n");
  fs::create_directories(dir.path() / "models--org--m/snapshots/rev1");
  fs::create_symlink("../../blobs/abc123",
                     dir.path() / "models--org--m/snapshots/rev1/config.txt");
  fs::create_symlink("/nonexistent/target", dir.path() / "dangling");
  fs::create_directory_symlink("..", dir.path() / "a/loop");
  ASSERT_EQ(::mkfifo((dir.path() / "pipe").c_str(), 0600), 0);

  std::vector<std::string> roots{dir.path().string()};
  ASSERT_OK_AND_ASSIGN(ScanReport r, ScanPaths(roots, DefaultOptions()));

  const FileReport* readme = FindFile(r, "a/README.md");
  ASSERT_NE(readme, nullptr);
  EXPECT_EQ(readme->verdict, Verdict::kClean);
  const FileReport* blob = FindFile(r, "a/b/blob.bin");
  ASSERT_NE(blob, nullptr);
  EXPECT_EQ(blob->verdict, Verdict::kNotAnalysable);
  const FileReport* git = FindFile(r, "/.git");
  ASSERT_NE(git, nullptr);
  EXPECT_TRUE(git->skipped);
  const FileReport* snap = FindFile(r, "snapshots/rev1/config.txt");
  ASSERT_NE(snap, nullptr);
  EXPECT_EQ(snap->link_target, "../../blobs/abc123");
  EXPECT_EQ(snap->format, "text");
  const FileReport* dangling = FindFile(r, "/dangling");
  ASSERT_NE(dangling, nullptr);
  EXPECT_EQ(dangling->verdict, Verdict::kNotAnalysable);
  const FileReport* pipe = FindFile(r, "/pipe");
  ASSERT_NE(pipe, nullptr);
  EXPECT_EQ(pipe->format, "special-file");
  EXPECT_EQ(pipe->verdict, Verdict::kNotAnalysable);
  const FileReport* loop = FindFile(r, "a/loop");
  ASSERT_NE(loop, nullptr);
  EXPECT_TRUE(loop->skipped);
  // Sorted output.
  for (size_t i = 1; i < r.files.size(); ++i) EXPECT_LT(r.files[i - 1].path, r.files[i].path);
}

TEST(ScannerTest, DirectoryRootGetsRepositorySummary) {
  TempDir dir;
  dir.Write("config.json",
            R"({"model_type": "custom", "architectures": ["MyModel"],
                "auto_map": {"AutoModel": "modeling_my.MyModel"}})");
  dir.Write("modeling_my.py", "import os\nclass MyModel:\n    pass\n");
  dir.Write("README.md", "# card\n");
  std::vector<std::string> roots{dir.path().string()};
  ASSERT_OK_AND_ASSIGN(ScanReport r, ScanPaths(roots, DefaultOptions()));
  ASSERT_EQ(r.repositories.size(), 1u);
  const repo::RepositorySummary& repo = r.repositories[0];
  EXPECT_EQ(repo.root, dir.path().string());
  bool remote_code = false;
  for (const Finding& f : repo.findings) remote_code |= f.rule_id == "MATS-REPO-001";
  EXPECT_TRUE(remote_code);
  EXPECT_FALSE(repo.executes.empty());
  ASSERT_OK_AND_ASSIGN(nlohmann::json doc, ParseJson(RenderJson(r, {})));
  EXPECT_EQ(doc["repositories"][0]["root"], dir.path().string());
  EXPECT_GE(doc["repositories"][0]["counts"]["code"], 1);
  // A single file gets no repository entry.
  std::vector<std::string> file_root{(dir.path() / "README.md").string()};
  ASSERT_OK_AND_ASSIGN(ScanReport single, ScanPaths(file_root, DefaultOptions()));
  EXPECT_TRUE(single.repositories.empty());
}

TEST(ScannerTest, RealContainersOfBenignDataAreClean) {
  // Regression: a compressed .npz whose object array is a pickle member was
  // judged by its deepest member's format and flagged as disguised.
  for (const char* rel : {"tests/fixtures/numpy/arrays_compressed.npz",
                          "tests/fixtures/numpy/object.npy",
                          "tests/fixtures/pytorch/state_dict.pt"}) {
    std::vector<std::string> roots{std::string(MATS_SOURCE_DIR) + "/" + rel};
    ASSERT_OK_AND_ASSIGN(ScanReport r, ScanPaths(roots, DefaultOptions()));
    ASSERT_EQ(r.files.size(), 1u);
    EXPECT_EQ(r.files[0].verdict, Verdict::kClean) << rel << "\n" << RenderText(r, {});
  }
  // A pickle hidden in a member whose name promises data is still caught.
  std::vector<std::string> evil{std::string(MATS_SOURCE_DIR) +
                                "/examples/malicious/disguised.safetensors"};
  ASSERT_OK_AND_ASSIGN(ScanReport r, ScanPaths(evil, DefaultOptions()));
  bool disguised = false;
  for (const Finding& f : r.files[0].findings) disguised |= f.rule_id == "MATS-GEN-001";
  EXPECT_TRUE(disguised);
}

TEST(ScannerTest, IncludeVcsScansGitFolder) {
  TempDir dir;
  dir.Write(".git/HEAD", "ref: refs/heads/main\n");
  ScanOptions o = DefaultOptions();
  o.include_vcs = true;
  std::vector<std::string> roots{dir.path().string()};
  ASSERT_OK_AND_ASSIGN(ScanReport r, ScanPaths(roots, o));
  ASSERT_EQ(r.files.size(), 1u);
  EXPECT_FALSE(r.files[0].skipped);
  EXPECT_EQ(r.files[0].format, "text");
}

TEST(ScannerTest, MissingPathIsReportedNotFatal) {
  std::vector<std::string> roots{"/nonexistent/mats/path"};
  ASSERT_OK_AND_ASSIGN(ScanReport r, ScanPaths(roots, DefaultOptions()));
  ASSERT_EQ(r.files.size(), 1u);
  EXPECT_EQ(r.files[0].verdict, Verdict::kNotAnalysable);
  EXPECT_EQ(r.files[0].errors[0].status.code(), ErrorCode::kNotFound);
  EXPECT_THAT(ScanPaths({}, DefaultOptions()), testing::StatusIs(ErrorCode::kInvalidArgument));
}

TEST(ScannerTest, MaxFilesLimit) {
  TempDir dir;
  for (int i = 0; i < 5; ++i) dir.Write("f" + std::to_string(i), "x\n");
  ScanOptions o = DefaultOptions();
  o.limits.max_files = 5;
  std::vector<std::string> roots{dir.path().string()};
  EXPECT_OK(ScanPaths(roots, o).status());
  o.limits.max_files = 4;
  EXPECT_THAT(ScanPaths(roots, o), testing::StatusIs(ErrorCode::kLimitExceeded));
}

TEST(ScannerTest, OutputIndependentOfThreadCount) {
  TempDir dir;
  for (int i = 0; i < 40; ++i) {
    dir.Write("d" + std::to_string(i % 4) + "/f" + std::to_string(i),
              i % 3 == 0 ? std::string("\x01\x02", 2) : std::string("text\n"));
  }
  std::vector<std::string> roots{dir.path().string()};
  std::string first;
  for (size_t threads : {1u, 2u, 8u}) {
    ScanOptions o = DefaultOptions();
    o.threads = threads;
    ASSERT_OK_AND_ASSIGN(ScanReport r, ScanPaths(roots, o));
    std::string json = RenderJson(r, {});
    if (first.empty()) first = json;
    EXPECT_EQ(json, first) << threads;
  }
}

}  // namespace
}  // namespace mats::scan
