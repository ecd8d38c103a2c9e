//===- ServeApi.h - OpenAI-compatible requests and responses ----*- C++ -*-===//
//
// The JSON side of `frond serve`: parses and validates a /v1/completions or
// /v1/chat/completions body into a Job (one SequenceRequest per choice),
// and writes the responses, stream chunks and errors. No HTTP here.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "Generation.h"

#include <nlohmann/json.hpp>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>

namespace frond::serve {

using Json = nlohmann::json;

/// An error answer: HTTP status and OpenAI's {"error": {...}} body.
struct ApiError {
  int status = 400;
  std::string message, param, type = "invalid_request_error";
  std::string body() const;
};

/// What every request may use: the model and the server's defaults.
struct ApiContext {
  const gen::GenerationModel *model = nullptr;
  int64_t context = 0;      ///< the longest prompt + completion
  std::atomic<uint64_t> nextSeed{1}; ///< for requests without "seed" (then advanced)
};

/// A piece of text for choice `index`, or its end (`finished`).
struct JobEvent {
  size_t index = 0;
  std::string text;
  bool finished = false;
  std::string finishReason;
};

/// One request: its sequences, and what the worker reports back.
struct Job {
  bool chat = false, stream = false;
  std::string id;
  int64_t created = 0;
  std::vector<gen::SequenceRequest> seqs;
  int64_t promptTokens = 0;

  // Filled by the worker under `mutex`.
  std::mutex mutex;
  std::condition_variable changed;
  std::deque<JobEvent> events;          ///< for streaming
  std::vector<gen::SequenceResult> results;
  size_t finished = 0;
  bool failed = false;
  std::string error;
  std::atomic<bool> cancelled{false};   ///< the client went away

  int64_t longestPrompt() const;
  int64_t longestCompletion() const;
  bool done() const { return failed || finished == seqs.size(); }
};

/// Parses `body` for /v1/completions (`chat` false) or
/// /v1/chat/completions into `job`; false with `err` set on a bad request.
bool parseRequest(const std::string &body, bool chat, ApiContext &ctx, Job &job, ApiError &err);

/// The whole (non-streaming) response of a finished job.
std::string responseBody(const Job &job, const std::string &modelId);
/// One server-sent event ("data: {...}\n\n") for `e`; for a chat job's
/// first piece of a choice `first` adds the assistant role.
std::string streamChunk(const Job &job, const std::string &modelId, const JobEvent &e,
                        bool first);
/// `data: [DONE]` ending a stream.
extern const char *const kStreamDone;

/// The chat template: "<role>: <content>\n" per message, then "assistant:".
std::string renderChat(const Json &messages);

/// `j` as JSON text; invalid UTF-8 (a byte model's text) becomes U+FFFD.
std::string dumpJson(const Json &j);

} // namespace frond::serve
