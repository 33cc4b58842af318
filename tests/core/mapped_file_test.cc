#include "mats/core/mapped_file.h"

#include <fcntl.h>

#include "mats/core/unique_fd.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "testing/status_matchers.h"

namespace mats {
namespace {

using ::mats::testing::StatusIs;

TEST(MappedFileTest, MapsAndReads) {
  auto dir = std::filesystem::temp_directory_path() / "mats_mapped_file_test";
  std::filesystem::create_directories(dir);
  std::string path = (dir / "a.bin").string();
  ASSERT_TRUE(WriteFileAtomic(path, "hello").ok());
  auto f = MappedFile::Open(path);
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(AsChars(f->bytes()), "hello");
  MappedFile moved = std::move(*f);
  EXPECT_EQ(moved.size(), 5u);
  auto s = ReadFileToString(path, 5);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(*s, "hello");
  EXPECT_THAT(ReadFileToString(path, 4), StatusIs(ErrorCode::kLimitExceeded));
  std::string empty = (dir / "empty").string();
  ASSERT_TRUE(WriteFileAtomic(empty, "").ok());
  auto e = MappedFile::Open(empty);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->size(), 0u);
  EXPECT_THAT(MappedFile::Open((dir / "missing").string()), StatusIs(ErrorCode::kNotFound));
  EXPECT_THAT(MappedFile::Open(dir.string()), StatusIs(ErrorCode::kInvalidArgument));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace mats

namespace mats {
namespace {

TEST(UniqueFdTest, ClosesOnDestructionAndMoves) {
  int raw = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  ASSERT_GE(raw, 0);
  {
    UniqueFd a(raw);
    UniqueFd b(std::move(a));
    EXPECT_FALSE(a.valid());  // NOLINT(bugprone-use-after-move): tested
    EXPECT_EQ(b.get(), raw);
    UniqueFd c;
    c = std::move(b);
    EXPECT_EQ(c.get(), raw);
    EXPECT_EQ(::fcntl(raw, F_GETFD), FD_CLOEXEC);
  }
  EXPECT_EQ(::fcntl(raw, F_GETFD), -1);  // closed
}

}  // namespace
}  // namespace mats
