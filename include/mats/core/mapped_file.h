// MappedFile — a read-only memory mapping of a whole file.
//
// Parsers receive bytes() and read only what they need, so scanning a 10 GB
// checkpoint touches only the pages of its headers and pickles.
//
//   MATS_ASSIGN_OR_RETURN(MappedFile f, MappedFile::Open(path));
//   Analyze(f.bytes());
//
// The mapping is private and read-only: mats never modifies input files. If
// the file is truncated by another process while mapped, reading the lost
// pages raises SIGBUS; the scanner treats files as snapshots and the hasher
// uses pread instead (see docs/architecture.md).
#ifndef MATS_CORE_MAPPED_FILE_H_
#define MATS_CORE_MAPPED_FILE_H_

#include <cstdint>
#include <string>

#include "mats/core/bytes.h"
#include "mats/core/result.h"

namespace mats {

class MappedFile {
 public:
  // Opens and maps `path` (a regular file). kNotFound, kIo or
  // kInvalidArgument (not a regular file).
  static Result<MappedFile> Open(const std::string& path);

  MappedFile(MappedFile&& other) noexcept;
  MappedFile& operator=(MappedFile&& other) noexcept;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  ~MappedFile();

  ByteSpan bytes() const { return {data_, size_}; }
  uint64_t size() const { return size_; }
  const std::string& path() const { return path_; }

 private:
  MappedFile() = default;
  void Reset();

  const uint8_t* data_ = nullptr;
  uint64_t size_ = 0;
  std::string path_;
};

// Reads a whole (small) file into memory, refusing files over `max_bytes`.
Result<std::string> ReadFileToString(const std::string& path,
                                     uint64_t max_bytes);
// Writes `data` to `path` atomically (temp file + fsync + rename).
Status WriteFileAtomic(const std::string& path, std::string_view data);

}  // namespace mats

#endif  // MATS_CORE_MAPPED_FILE_H_
