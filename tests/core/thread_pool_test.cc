#include "mats/core/thread_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <vector>

namespace mats {
namespace {

TEST(ThreadPoolTest, ParallelForVisitsEveryIndexOnce) {
  for (size_t threads : {1u, 2u, 8u}) {
    ThreadPool pool(threads);
    std::vector<int> hits(1000, 0);
    pool.ParallelFor(hits.size(), [&](size_t i) { hits[i] += 1; });
    for (int h : hits) ASSERT_EQ(h, 1);
    pool.ParallelFor(0, [&](size_t) { FAIL(); });
    pool.ParallelFor(1, [&](size_t i) { hits[i] += 1; });
    EXPECT_EQ(hits[0], 2);
  }
}

TEST(ThreadPoolTest, SubmitRunsBeforeDestruction) {
  std::atomic<int> n{0};
  {
    ThreadPool pool(2);
    for (int i = 0; i < 100; ++i) pool.Submit([&] { n.fetch_add(1); });
  }
  EXPECT_EQ(n.load(), 100);
}

}  // namespace
}  // namespace mats
