// Threads that run request handlers: grown on demand up to a cap, reused,
// woken through a condition variable (no polling). Internal to veil::net.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace veil::net {

class WorkerPool {
 public:
  explicit WorkerPool(unsigned max_threads);
  ~WorkerPool();  // shutdown()
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Runs task on a worker: an idle one if any, else a new one while below the
  // cap, else the task waits in FIFO order for the next free worker.
  // Returns false (task not run) after shutdown() began.
  bool submit(std::function<void()> task);

  // Runs every task already submitted, then joins all workers.
  void shutdown();

  size_t thread_count() const;

 private:
  void run();

  const unsigned max_threads_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
  std::vector<std::thread> threads_;
  size_t idle_ = 0;
  bool stopping_ = false;
};

}  // namespace veil::net
