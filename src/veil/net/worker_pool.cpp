#include "veil/net/worker_pool.h"

#include "veil/base/log.h"

namespace veil::net {

WorkerPool::WorkerPool(unsigned max_threads) : max_threads_(max_threads == 0 ? 1 : max_threads) {}

WorkerPool::~WorkerPool() { shutdown(); }

bool WorkerPool::submit(std::function<void()> task) {
  std::unique_lock lock(mu_);
  if (stopping_) return false;
  queue_.push_back(std::move(task));
  // Each queued task needs a waiting worker of its own; grow when there is none.
  if (queue_.size() > idle_ && threads_.size() < max_threads_) {
    try {
      threads_.emplace_back([this] { run(); });
    } catch (const std::system_error&) {
      log::warn("net: cannot start a handler thread ({} running)", threads_.size());
    }
  }
  lock.unlock();
  cv_.notify_one();
  return true;
}

void WorkerPool::run() {
  std::unique_lock lock(mu_);
  for (;;) {
    while (queue_.empty() && !stopping_) {
      ++idle_;
      cv_.wait(lock);
      --idle_;
    }
    if (queue_.empty()) return;  // stopping and drained
    auto task = std::move(queue_.front());
    queue_.pop_front();
    lock.unlock();
    task();
    task = nullptr;  // release captures before sleeping again
    lock.lock();
  }
}

void WorkerPool::shutdown() {
  std::vector<std::thread> threads;
  {
    std::lock_guard lock(mu_);
    if (stopping_ && threads_.empty()) return;
    stopping_ = true;
    threads.swap(threads_);
  }
  cv_.notify_all();
  for (auto& t : threads) t.join();
  // Tasks queued while no thread could be started run here.
  std::deque<std::function<void()>> rest;
  {
    std::lock_guard lock(mu_);
    rest.swap(queue_);
  }
  for (auto& task : rest) task();
}

size_t WorkerPool::thread_count() const {
  std::lock_guard lock(mu_);
  return threads_.size();
}

}  // namespace veil::net
