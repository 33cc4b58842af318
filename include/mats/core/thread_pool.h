// ThreadPool — a fixed set of worker threads; no detached threads.
//
//   ThreadPool pool(4);
//   pool.ParallelFor(n, [&](size_t i) { out[i] = Work(i); });
//
// ParallelFor writes are expected to go to pre-sized per-index slots so that
// results are identical for any thread count.
#ifndef MATS_CORE_THREAD_POOL_H_
#define MATS_CORE_THREAD_POOL_H_

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <thread>
#include <vector>

#include "mats/core/mutex.h"

namespace mats {

class ThreadPool {
 public:
  // `threads` == 0 means std::thread::hardware_concurrency().
  explicit ThreadPool(size_t threads);
  ~ThreadPool();  // waits for queued work
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  size_t size() const { return workers_.size(); }

  void Submit(std::function<void()> task);
  // Runs fn(0..n-1) on the pool and returns when all calls have finished.
  // The calling thread takes part. Thread-safe.
  // REQUIRES: not called from a task running on this pool (it would wait for
  // helpers that cannot start).
  void ParallelFor(size_t n, const std::function<void(size_t)>& fn);

  // Number of worker threads to use when the user asked for `requested`
  // (0 = all cores).
  static size_t DefaultThreads(size_t requested);

 private:
  void WorkerLoop();

  Mutex mu_;
  std::condition_variable_any cv_;
  std::deque<std::function<void()>> queue_ MATS_GUARDED_BY(mu_);
  bool stopping_ MATS_GUARDED_BY(mu_) = false;
  std::vector<std::thread> workers_;
};

}  // namespace mats

#endif  // MATS_CORE_THREAD_POOL_H_
