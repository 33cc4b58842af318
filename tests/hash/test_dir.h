// Temporary directory helper for hash and sign tests.
#ifndef MATS_TESTS_HASH_TEST_DIR_H_
#define MATS_TESTS_HASH_TEST_DIR_H_

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace mats::testing {

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "mats-sign-XXXXXX").string();
    path_ = mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string Join(const std::string& rel) const { return path_ + "/" + rel; }
  // Writes `data` to path()/rel, creating parent directories.
  void Write(const std::string& rel, const std::string& data) const {
    std::filesystem::path p = Join(rel);
    std::filesystem::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary | std::ios::trunc) << data;
  }

 private:
  std::string path_;
};

}  // namespace mats::testing

#endif  // MATS_TESTS_HASH_TEST_DIR_H_
