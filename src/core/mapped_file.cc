#include "mats/core/mapped_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

#include "mats/core/encoding.h"
#include "mats/core/unique_fd.h"

namespace mats {
Result<MappedFile> MappedFile::Open(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return ErrnoError(errno, "open " + EscapePreview(path, 256));
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) {
    return ErrnoError(errno, "stat " + EscapePreview(path, 256));
  }
  if (!S_ISREG(st.st_mode)) {
    return InvalidArgument("{}: not a regular file", EscapePreview(path, 256));
  }
  MappedFile f;
  f.path_ = path;
  f.size_ = static_cast<uint64_t>(st.st_size);
  if (f.size_ == 0) return f;
  void* p = ::mmap(nullptr, f.size_, PROT_READ, MAP_PRIVATE, fd.get(), 0);
  if (p == MAP_FAILED) return ErrnoError(errno, "mmap " + EscapePreview(path, 256));
  f.data_ = static_cast<const uint8_t*>(p);
  return f;
}

MappedFile::MappedFile(MappedFile&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)),
      size_(std::exchange(other.size_, 0)),
      path_(std::move(other.path_)) {}

MappedFile& MappedFile::operator=(MappedFile&& other) noexcept {
  if (this != &other) {
    Reset();
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
    path_ = std::move(other.path_);
  }
  return *this;
}

MappedFile::~MappedFile() { Reset(); }

void MappedFile::Reset() {
  if (data_ != nullptr) {
    ::munmap(const_cast<uint8_t*>(data_), size_);
    data_ = nullptr;
  }
}

Result<std::string> ReadFileToString(const std::string& path,
                                     uint64_t max_bytes) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return ErrnoError(errno, "open " + EscapePreview(path, 256));
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) {
    return ErrnoError(errno, "stat " + EscapePreview(path, 256));
  }
  if (!S_ISREG(st.st_mode)) {
    return InvalidArgument("{}: not a regular file", EscapePreview(path, 256));
  }
  if (static_cast<uint64_t>(st.st_size) > max_bytes) {
    return LimitExceeded("{}: {} bytes, more than the {} allowed",
                         EscapePreview(path, 256), st.st_size, max_bytes);
  }
  std::string out;
  out.resize(static_cast<size_t>(st.st_size));
  size_t got = 0;
  while (got < out.size()) {
    ssize_t n = ::read(fd.get(), out.data() + got, out.size() - got);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError(errno, "read " + EscapePreview(path, 256));
    }
    if (n == 0) break;  // file shrank
    got += static_cast<size_t>(n);
  }
  out.resize(got);
  return out;
}

Status WriteFileAtomic(const std::string& path, std::string_view data) {
  std::string tmp = path + ".tmp." + std::to_string(::getpid());
  {
    UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (fd.get() < 0) return ErrnoError(errno, "create " + EscapePreview(tmp, 256));
    size_t done = 0;
    while (done < data.size()) {
      ssize_t n = ::write(fd.get(), data.data() + done, data.size() - done);
      if (n < 0) {
        if (errno == EINTR) continue;
        int e = errno;
        ::unlink(tmp.c_str());
        return ErrnoError(e, "write " + EscapePreview(tmp, 256));
      }
      done += static_cast<size_t>(n);
    }
    if (::fsync(fd.get()) != 0) {
      int e = errno;
      ::unlink(tmp.c_str());
      return ErrnoError(e, "fsync " + EscapePreview(tmp, 256));
    }
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int e = errno;
    ::unlink(tmp.c_str());
    return ErrnoError(e, "rename to " + EscapePreview(path, 256));
  }
  return Status::Ok();
}

}  // namespace mats
