#include "veil/node/signing_queue.h"

namespace veil::node {

SigningQueue::SigningQueue(size_t max_pending) : max_pending_(max_pending), thread_([this] { run(); }) {}

SigningQueue::~SigningQueue() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void SigningQueue::submit(std::function<void()> job) {
  {
    std::lock_guard lock(mutex_);
    if (!stopping_ && jobs_.size() < max_pending_) {
      jobs_.push_back(std::move(job));
      cv_.notify_one();
      return;
    }
  }
  job();  // full (or stopping): sign here
}

void SigningQueue::run() {
  std::unique_lock lock(mutex_);
  for (;;) {
    cv_.wait(lock, [&] { return stopping_ || !jobs_.empty(); });
    if (jobs_.empty()) return;  // stopping, and everything signed
    auto job = std::move(jobs_.front());
    jobs_.pop_front();
    lock.unlock();
    job();
    lock.lock();
  }
}

}  // namespace veil::node
