// Signs finished responses on a thread of its own, so that a request's
// handler returns (and its connection can read the next request) as soon as
// the last byte is sent: signing both keys costs ~45 µs of CPU, which belongs
// off the latency path (WIRE.md section 4 lets signing finish just after the
// last byte; a signature lookup waits for it).
//
// Bounded: past max_pending queued jobs, submit() signs on the caller's
// thread instead, so an overloaded node slows down rather than growing memory.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

namespace veil::node {

class SigningQueue {
 public:
  explicit SigningQueue(size_t max_pending = 4096);
  ~SigningQueue();  // signs everything still queued, then joins

  void submit(std::function<void()> job);

 private:
  void run();

  size_t max_pending_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> jobs_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace veil::node
