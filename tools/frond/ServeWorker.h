//===- ServeWorker.h - the queue and the one thread that owns the model ---===//
//
// HTTP handler threads submit Jobs; one worker thread takes every queued
// job that fits (at most kMaxBatchRows sequences whose longest prompt plus
// longest completion stays within the decoder's length) and decodes them as
// one batch, reporting each piece of text to its job as it is produced. A
// job finishes as soon as its own sequences do.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "ServeApi.h"

#include <memory>
#include <thread>

namespace frond::serve {

class Worker {
public:
  static constexpr size_t kMaxBatchRows = 32;
  static constexpr size_t kMaxQueuedJobs = 256;

  explicit Worker(gen::GenerationModel &model);
  ~Worker();

  /// Queues `job`; false when the queue is full or the worker is stopping.
  bool submit(std::shared_ptr<Job> job);
  /// Cancels every job, running and queued (a second shutdown signal).
  void cancelAll();
  /// Finishes the queued jobs, then ends the thread.
  void stop();
  /// Batches decoded so far, for the log.
  size_t batches() const { return batchCount; }

private:
  void run();
  void decode(std::vector<std::shared_ptr<Job>> &batch);

  gen::GenerationModel &model;
  std::mutex mutex;
  std::condition_variable wake;
  std::deque<std::shared_ptr<Job>> queue;
  bool stopping = false;
  std::atomic<bool> cancelling{false};
  std::atomic<size_t> batchCount{0};
  std::thread thread;
};

} // namespace frond::serve
