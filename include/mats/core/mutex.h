// Mutex with Clang thread-safety annotations (leveldb port/port_stdcxx.h).
//
//   Mutex mu_;
//   int count_ MATS_GUARDED_BY(mu_);
//   { MutexLock lock(&mu_); ++count_; }
#ifndef MATS_CORE_MUTEX_H_
#define MATS_CORE_MUTEX_H_

#include <condition_variable>
#include <mutex>

#if defined(__clang__)
#define MATS_THREAD_ANNOTATION_(x) __attribute__((x))
#else
#define MATS_THREAD_ANNOTATION_(x)
#endif

#define MATS_CAPABILITY(x) MATS_THREAD_ANNOTATION_(capability(x))
#define MATS_SCOPED_CAPABILITY MATS_THREAD_ANNOTATION_(scoped_lockable)
#define MATS_GUARDED_BY(x) MATS_THREAD_ANNOTATION_(guarded_by(x))
#define MATS_PT_GUARDED_BY(x) MATS_THREAD_ANNOTATION_(pt_guarded_by(x))
#define MATS_EXCLUSIVE_LOCKS_REQUIRED(...) \
  MATS_THREAD_ANNOTATION_(exclusive_locks_required(__VA_ARGS__))
#define MATS_LOCKS_EXCLUDED(...) \
  MATS_THREAD_ANNOTATION_(locks_excluded(__VA_ARGS__))
#define MATS_ACQUIRE(...) MATS_THREAD_ANNOTATION_(acquire_capability(__VA_ARGS__))
#define MATS_RELEASE(...) MATS_THREAD_ANNOTATION_(release_capability(__VA_ARGS__))

namespace mats {

class MATS_CAPABILITY("mutex") Mutex {
 public:
  Mutex() = default;
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;
  void Lock() MATS_ACQUIRE() { mu_.lock(); }
  void Unlock() MATS_RELEASE() { mu_.unlock(); }
  std::mutex& native() { return mu_; }

 private:
  std::mutex mu_;
};

class MATS_SCOPED_CAPABILITY MutexLock {
 public:
  explicit MutexLock(Mutex* mu) MATS_ACQUIRE(mu) : mu_(mu) { mu_->Lock(); }
  ~MutexLock() MATS_RELEASE() { mu_->Unlock(); }
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

 private:
  Mutex* const mu_;
};

}  // namespace mats

#endif  // MATS_CORE_MUTEX_H_
