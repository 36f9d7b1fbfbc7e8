// The background signer: one thread at idle scheduling priority (Linux
// SCHED_IDLE) that signs finished responses while the machine has CPU to
// spare. Signing both keys costs ~45 µs of CPU, which belongs neither on a
// request's latency path nor in the way of serving under load: a signature
// that is looked up before the background signer got to it is signed by the
// lookup itself (signature_cache.h), so a job here is an optimisation, never
// a duty.
//
// Submitting never wakes the thread for each job: it polls the queue every
// 20 ms and is woken early once 64 jobs wait.
//
// Bounded: past max_pending queued jobs, submit() drops the job (the entry
// stays signable on lookup), so an overloaded node neither grows memory nor
// spends its I/O threads on signing.
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
  ~SigningQueue();  // drops what is still queued, then joins

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
