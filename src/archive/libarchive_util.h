// RAII for libarchive's C API (private to the archive module).
#ifndef MATS_ARCHIVE_LIBARCHIVE_UTIL_H_
#define MATS_ARCHIVE_LIBARCHIVE_UTIL_H_

#include <archive.h>
#include <archive_entry.h>

#include <memory>
#include <string>

namespace mats::archive::internal {

struct ArchiveReadDeleter {
  void operator()(struct archive* a) const { archive_read_free(a); }
};
using ArchiveReadPtr = std::unique_ptr<struct archive, ArchiveReadDeleter>;

inline ArchiveReadPtr NewArchiveReader() {
  return ArchiveReadPtr(archive_read_new());
}

// libarchive's last error string, or a fallback.
inline std::string ArchiveErrorString(struct archive* a) {
  const char* s = archive_error_string(a);
  return s != nullptr ? std::string(s) : std::string("unknown libarchive error");
}

}  // namespace mats::archive::internal

#endif  // MATS_ARCHIVE_LIBARCHIVE_UTIL_H_
