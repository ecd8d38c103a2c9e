//===- ServeWorker.cpp - batches of queued requests through the decoder --===//
#include "ServeWorker.h"

#include "frond/lang/Parser.h"

namespace frond::serve {

Worker::Worker(gen::GenerationModel &model) : model(model) {
  // The compiled model runs on a large stack, as the driver's main work does.
  thread = std::thread([this] { runOnLargeStack([this] { run(); }); });
}

Worker::~Worker() { stop(); }

bool Worker::submit(std::shared_ptr<Job> job) {
  std::lock_guard<std::mutex> lock(mutex);
  if (stopping || queue.size() >= kMaxQueuedJobs)
    return false;
  queue.push_back(std::move(job));
  wake.notify_one();
  return true;
}

void Worker::cancelAll() {
  cancelling = true;
  std::lock_guard<std::mutex> lock(mutex);
  wake.notify_one();
}

void Worker::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex);
    stopping = true;
    wake.notify_one();
  }
  if (thread.joinable())
    thread.join();
}

void Worker::run() {
  for (;;) {
    std::vector<std::shared_ptr<Job>> batch;
    {
      std::unique_lock<std::mutex> lock(mutex);
      wake.wait(lock, [&] { return stopping || !queue.empty(); });
      if (queue.empty())
        return; // stopping, nothing left
      // Take queued jobs in order while the batch's longest prompt plus its
      // longest completion fits the decoder (a finished row keeps growing
      // with padding until the batch ends).
      size_t rows = 0;
      int64_t prompt = 0, completion = 0;
      while (!queue.empty()) {
        const Job &next = *queue.front();
        int64_t p = std::max(prompt, next.longestPrompt());
        int64_t c = std::max(completion, next.longestCompletion());
        if (!batch.empty() && (rows + next.seqs.size() > kMaxBatchRows ||
                               p + c > model.decoderTokens))
          break;
        rows += next.seqs.size();
        prompt = p, completion = c;
        batch.push_back(queue.front());
        queue.pop_front();
      }
    }
    decode(batch);
  }
}

void Worker::decode(std::vector<std::shared_ptr<Job>> &batch) {
  // Rows of the batch: (job, choice) per sequence.
  std::vector<gen::SequenceRequest> seqs;
  std::vector<std::pair<Job *, size_t>> owner;
  for (auto &job : batch) {
    std::lock_guard<std::mutex> lock(job->mutex);
    job->results.assign(job->seqs.size(), gen::SequenceResult());
    for (size_t i = 0; i < job->seqs.size(); ++i) {
      seqs.push_back(job->seqs[i]);
      owner.push_back({job.get(), i});
    }
  }
  auto onText = [&](size_t row, const std::string &text, const gen::SequenceResult *finished) {
    auto [job, index] = owner[row];
    std::lock_guard<std::mutex> lock(job->mutex);
    JobEvent e;
    e.index = index;
    e.text = text;
    if (finished) {
      e.finished = true;
      e.finishReason = finished->finishReason;
      job->results[index] = *finished;
      ++job->finished;
    }
    if (job->stream)
      job->events.push_back(std::move(e));
    job->changed.notify_all();
    return !job->cancelled && !cancelling;
  };
  std::vector<gen::SequenceResult> results;
  std::string error;
  ++batchCount;
  if (!gen::generateBatch(*model.decoder, model.tokenizer, seqs, onText, results, error)) {
    for (auto &job : batch) {
      std::lock_guard<std::mutex> lock(job->mutex);
      if (!job->done()) {
        job->failed = true;
        job->error = "generation failed: " + error;
        job->changed.notify_all();
      }
    }
  }
}

} // namespace frond::serve
