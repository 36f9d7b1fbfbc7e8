#include "veil/node/signing_queue.h"

#include <pthread.h>
#include <sched.h>

#include <chrono>

#include "veil/base/log.h"

namespace veil::node {

namespace {
constexpr size_t kWakeBatch = 64;
constexpr auto kPollInterval = std::chrono::milliseconds(20);
}  // namespace

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
  // No wake-up per job (a system call and a context switch each, on the
  // I/O thread): the signer looks at the queue every kPollInterval by
  // itself, and is woken early only when a batch has piled up.
  if (jobs_.size() == kWakeBatch) cv_.notify_one();
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
    while (!stopping_ && jobs_.empty()) cv_.wait_for(lock, kPollInterval);
    if (stopping_) return;
    auto job = std::move(jobs_.front());
    jobs_.pop_front();
    lock.unlock();
    job();
    lock.lock();
  }
}

}  // namespace veil::node
