// SegArray<T>: a growable array of trivially copyable values stored in
// segments that double in size (segment k holds kFirst << k elements).
//
// Why not std::vector / std::deque: the symbolic pickle machine keeps one
// arena entry, a few pooled items and a memo slot per object of the input,
// i.e. hundreds of MB for a dense pickle of tens of MB. A vector copies all of
// it at each growth (touching twice the pages); a deque allocates a 512-byte
// block per 32 values and indexes through a division. Here growth never moves
// an element, indexing is one bit scan, and the segments of 2 MiB or more are
// mapped with MADV_HUGEPAGE so that the kernel faults them in 2 MiB at a time
// instead of 4 KiB (page faults were a third of the scan's CPU time).
// clear() keeps the segments for reuse by the next stream of the same input.
//
// Memory grows with size() only (at most twice size() plus one segment);
// callers bound size() with the Limits.
#ifndef MATS_SRC_PICKLE_SEG_ARRAY_H_
#define MATS_SRC_PICKLE_SEG_ARRAY_H_

#include <sys/mman.h>

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <new>
#include <type_traits>

namespace mats::pickle::internal {

template <typename T>
class SegArray {
  static_assert(std::is_trivially_copyable_v<T>);
  static_assert(std::is_trivially_destructible_v<T>);

 public:
  SegArray() = default;
  SegArray(const SegArray&) = delete;
  SegArray& operator=(const SegArray&) = delete;
  ~SegArray() {
    for (size_t k = 0; k < nsegs_; ++k) Free(seg_[k], SegBytes(k));
  }

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  [[gnu::always_inline]] T& operator[](size_t i) { return *Slot(i); }
  [[gnu::always_inline]] const T& operator[](size_t i) const {
    return *const_cast<SegArray*>(this)->Slot(i);
  }
  T& back() { return (*this)[size_ - 1]; }

  // By value: T is small and trivially copyable.
  [[gnu::always_inline]] void push_back(T v) {
    if (size_ == cap_) [[unlikely]] AddSegment();
    *Slot(size_) = v;
    ++size_;
  }
  // Grows to `n` elements, new ones set to `fill` (never shrinks).
  void resize(size_t n, T fill) {
    while (size_ < n) push_back(fill);
  }
  void clear() { size_ = 0; }

 private:
  static constexpr unsigned kFirstLog = 8;
  static constexpr size_t kFirst = size_t{1} << kFirstLog;
  static constexpr size_t kHuge = size_t{2} << 20;
  static constexpr size_t kMaxSegs = 40;

  static size_t SegBytes(size_t k) { return (kFirst << k) * sizeof(T); }

  [[gnu::always_inline]] T* Slot(size_t i) {
    size_t j = i + kFirst;
    unsigned b = static_cast<unsigned>(std::bit_width(j)) - 1;
    return seg_[b - kFirstLog] + (j - (size_t{1} << b));
  }

  [[gnu::noinline]] void AddSegment() {
    if (nsegs_ == kMaxSegs) throw std::bad_alloc();  // unreachable: 2^48 items
    size_t bytes = SegBytes(nsegs_);
    seg_[nsegs_] = static_cast<T*>(Alloc(bytes));
    cap_ += kFirst << nsegs_;
    ++nsegs_;
  }

  static void* Alloc(size_t bytes) {
    if (bytes >= kHuge) {
      // Map bytes + 2 MiB and keep the 2 MiB-aligned part so that the
      // kernel can back it with huge pages.
      size_t len = bytes + kHuge;
      void* p = mmap(nullptr, len, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      if (p == MAP_FAILED) throw std::bad_alloc();
      auto base = reinterpret_cast<uintptr_t>(p);
      uintptr_t aligned = (base + kHuge - 1) & ~(uintptr_t{kHuge} - 1);
      if (aligned > base) munmap(p, aligned - base);
      uintptr_t end = base + len;
      if (end > aligned + bytes) {
        munmap(reinterpret_cast<void*>(aligned + bytes),
               end - (aligned + bytes));
      }
#ifdef MADV_HUGEPAGE
      madvise(reinterpret_cast<void*>(aligned), bytes, MADV_HUGEPAGE);
#endif
      return reinterpret_cast<void*>(aligned);
    }
    return ::operator new(bytes);
  }
  static void Free(void* p, size_t bytes) {
    if (bytes >= kHuge) {
      munmap(p, bytes);
    } else {
      ::operator delete(p);
    }
  }

  std::array<T*, kMaxSegs> seg_{};
  size_t nsegs_ = 0;
  size_t size_ = 0;
  size_t cap_ = 0;
};

}  // namespace mats::pickle::internal

#endif  // MATS_SRC_PICKLE_SEG_ARRAY_H_
