// A small persistent thread pool: run(fn) calls fn(part, n_parts) once for every part in
// [0, n_parts) (n_parts = size()) and returns when all are done. Parts are claimed dynamically, by
// the caller too, so a worker the OS has not scheduled yet does not hold the step up: whoever is
// running takes the next part. Workers spin briefly before sleeping, so the many short parallel
// sections of a forward pass do not pay a futex wake-up each. A part is never run by two threads
// at once, so per-part scratch buffers are safe.
#pragma once

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

namespace veil::engine {

class ThreadPool {
 public:
  explicit ThreadPool(int n_threads);  // n_threads <= 0: hardware concurrency
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return n_; }
  // Not reentrant; one caller at a time. `fn` is called as fn(int part, int n_parts); it is
  // referenced, not copied (no allocation per call).
  template <typename Fn>
  void run(const Fn& fn) {
    run_parts(n_, fn);
  }
  // As run, with n_parts parts (1..65535) claimed dynamically by the threads: more parts than
  // threads keep both cores busy to the end when one of them is slowed down (shared machine).
  // Per-part scratch indexed by part then needs n_parts entries.
  template <typename Fn>
  void run_parts(int n_parts, const Fn& fn) {
    run_erased(n_parts, &fn, [](const void* f, int part, int n) { (*static_cast<const Fn*>(f))(part, n); });
  }

 private:
  using Trampoline = void (*)(const void* fn, int part, int n_parts);
  void run_erased(int n_parts, const void* fn, Trampoline call);
  void worker_loop();
  void take_parts(uint64_t generation);

  int n_;
  std::vector<std::thread> threads_;
  const void* job_ = nullptr;
  Trampoline call_ = nullptr;
  uint64_t last_generation_ = 0;
  std::atomic<uint64_t> generation_{0};
  std::atomic<uint64_t> ticket_{0};  // see take_parts
  std::atomic<int> done_{0};
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::condition_variable cv_;
};

// Splits [0, n) into n_workers near-equal ranges, rounded to multiples of `align`.
inline void split_range(int64_t n, int worker, int n_workers, int64_t align, int64_t* begin, int64_t* end) {
  int64_t units = (n + align - 1) / align;
  int64_t b = units * worker / n_workers, e = units * (worker + 1) / n_workers;
  *begin = b * align < n ? b * align : n;
  *end = e * align < n ? e * align : n;
}

}  // namespace veil::engine
