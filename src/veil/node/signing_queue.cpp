#include "veil/node/signing_queue.h"

#include <pthread.h>
#include <sched.h>

#include "veil/base/log.h"

namespace veil::node {

SigningQueue::SigningQueue(size_t max_pending) : max_pending_(max_pending), thread_([this] { run(); }) {}

SigningQueue::~SigningQueue() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    jobs_.clear();
  }
  cv_.notify_all();
  thread_.join();
}

void SigningQueue::submit(std::function<void()> job) {
  std::lock_guard lock(mutex_);
  if (stopping_ || jobs_.size() >= max_pending_) return;  // signed on lookup instead
  jobs_.push_back(std::move(job));
  // The signer drains the whole queue once woken: only the first job of a
  // batch needs the wake-up (a system call and a context switch each).
  if (jobs_.size() == 1) cv_.notify_one();
}

void SigningQueue::run() {
  // Runs only when no other thread wants the CPU; lowering one's own
  // priority needs no privilege.
  sched_param param{};
  param.sched_priority = 0;
  if (pthread_setschedparam(pthread_self(), SCHED_IDLE, &param) != 0) {
    log::debug("signing queue: SCHED_IDLE unavailable; signing at normal priority");
  }
  std::unique_lock lock(mutex_);
  for (;;) {
    cv_.wait(lock, [&] { return stopping_ || !jobs_.empty(); });
    if (stopping_) return;
    auto job = std::move(jobs_.front());
    jobs_.pop_front();
    lock.unlock();
    job();
    lock.lock();
  }
}

}  // namespace veil::node
