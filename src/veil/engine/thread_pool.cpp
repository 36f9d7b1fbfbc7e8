#include "veil/engine/thread_pool.h"

#include <immintrin.h>

#include <algorithm>

namespace veil::engine {

namespace {
constexpr int kSpinIterations = 20000;
inline void cpu_relax() { _mm_pause(); }
}  // namespace

ThreadPool::ThreadPool(int n_threads) {
  n_ = n_threads > 0 ? n_threads : int(std::thread::hardware_concurrency());
  n_ = std::max(1, std::min(n_, 1024));
  for (int i = 1; i < n_; ++i) threads_.emplace_back([this] { worker_loop(); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_.store(true);
    generation_.fetch_add(1);
  }
  cv_.notify_all();
  for (auto& t : threads_) t.join();
}

// The ticket holds (generation mod 2^32) << 32 | n_parts << 16 | next part. The part count travels in
// the ticket, not in a separate field: a thread still looking at the previous section's ticket then
// sees that section's own count (all parts taken) and cannot claim a part of the next one.
void ThreadPool::take_parts(uint64_t generation) {
  const uint64_t gen = generation & 0xffffffffu;
  for (;;) {
    uint64_t t = ticket_.load(std::memory_order_acquire);
    const int parts = int((t >> 16) & 0xffff), next = int(t & 0xffff);
    if ((t >> 32) != gen || next >= parts) return;
    if (ticket_.compare_exchange_weak(t, t + 1, std::memory_order_acq_rel)) {
      call_(job_, next, parts);
      done_.fetch_add(1, std::memory_order_release);
    }
  }
}

void ThreadPool::run_erased(int n_parts, const void* fn, Trampoline call) {
  n_parts = std::max(1, std::min(n_parts, 0xffff));
  if (n_ == 1) {
    for (int p = 0; p < n_parts; ++p) call(fn, p, n_parts);
    return;
  }
  job_ = fn;
  call_ = call;
  done_.store(0, std::memory_order_relaxed);
  uint64_t g = ++last_generation_;
  ticket_.store(((g & 0xffffffffu) << 32) | (uint64_t(n_parts) << 16), std::memory_order_release);
  {
    std::lock_guard<std::mutex> lock(mu_);
    generation_.store(g, std::memory_order_release);
  }
  cv_.notify_all();
  take_parts(g);
  for (int spin = 0; done_.load(std::memory_order_acquire) < n_parts; ++spin) {
    // A claimed part whose thread lost its core: give the core back instead of spinning on it.
    if (spin > 2000) {
      std::this_thread::yield();
    } else {
      cpu_relax();
    }
  }
  job_ = nullptr;
}

void ThreadPool::worker_loop() {
  uint64_t seen = 0;
  for (;;) {
    uint64_t g = generation_.load(std::memory_order_acquire);
    for (int spin = 0; g == seen && spin < kSpinIterations; ++spin) {
      cpu_relax();
      g = generation_.load(std::memory_order_acquire);
    }
    if (g == seen) {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return generation_.load(std::memory_order_acquire) != seen; });
      g = generation_.load(std::memory_order_acquire);
    }
    seen = g;
    if (stop_.load()) return;
    take_parts(g);
  }
}

}  // namespace veil::engine
