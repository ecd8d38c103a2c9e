//===- DecodeLoop.cpp - the decoding loop of frond generate / serve ------===//
//
// Every sequence of a batch advances one token per step: sample from its
// logits, append, check its stop strings and its length; text is reported
// once it cannot change any more. A finished sequence keeps its place in
// the batch (it is fed token 0 and ignored) so the decoder's rows stay put.
//
//===----------------------------------------------------------------------===//
#include "Generation.h"

#include <cmath>

namespace frond::gen {

namespace {

/// The decoding state of one sequence.
struct Row {
  const SequenceRequest *req;
  runtime::Sampler sampler;
  std::vector<int64_t> history; ///< prompt + generated (repetition penalty)
  std::string text;             ///< all generated text
  size_t emitted = 0;           ///< text[0, emitted) has been reported
  bool done = false;
};

/// The longest suffix of `text` that is a proper prefix of a stop string:
/// it may become one, so it is held back.
size_t stopPrefixTail(const std::string &text, const std::vector<std::string> &stops) {
  size_t hold = 0;
  for (const std::string &s : stops)
    for (size_t k = s.empty() ? 0 : std::min(s.size() - 1, text.size()); k > hold; --k)
      if (text.compare(text.size() - k, k, s, 0, k) == 0) {
        hold = k;
        break;
      }
  return hold;
}

/// Where the first stop string starts in `text` at or after `from`, or npos.
size_t findStop(const std::string &text, size_t from, const std::vector<std::string> &stops) {
  size_t best = std::string::npos;
  for (const std::string &s : stops)
    if (!s.empty())
      best = std::min(best, text.find(s, from));
  return best;
}

} // namespace

bool generateBatch(Decoder &decoder, const Tokenizer &tokenizer,
                   const std::vector<SequenceRequest> &requests, const TextCallback &onText,
                   std::vector<SequenceResult> &results, std::string &error) {
  results.assign(requests.size(), SequenceResult());
  std::vector<Row> rows;
  std::vector<std::vector<int64_t>> prompts;
  size_t longestStop = 0;
  for (const SequenceRequest &r : requests) {
    rows.push_back({&r, runtime::Sampler(r.sampling, r.seed), r.prompt, "", 0, false});
    prompts.push_back(r.prompt);
    for (const std::string &s : r.stop)
      longestStop = std::max(longestStop, s.size());
  }
  if (rows.empty())
    return true;
  Logits logits;
  if (!decoder.prefill(prompts, logits, error))
    return false;

  auto finish = [&](size_t i, const char *reason) {
    rows[i].done = true;
    results[i].text = rows[i].text;
    results[i].finishReason = reason;
    onText(i, "", &results[i]);
  };
  auto report = [&](size_t i, size_t end) {
    Row &row = rows[i];
    if (end > row.emitted &&
        !onText(i, row.text.substr(row.emitted, end - row.emitted), nullptr))
      return finish(i, "cancelled"), false;
    row.emitted = std::max(row.emitted, end);
    return true;
  };

  std::vector<int64_t> next(rows.size(), 0);
  for (;;) {
    bool anyLeft = false;
    for (size_t i = 0; i < rows.size(); ++i) {
      Row &row = rows[i];
      next[i] = 0;
      if (row.done)
        continue;
      const float *l = logits.row(int64_t(i));
      for (int64_t v = 0; v < logits.vocab; ++v)
        if (!std::isfinite(l[v])) {
          error = "the model's logits are not finite (" + std::to_string(l[v]) +
                  " for token " + std::to_string(v) + " after " +
                  std::to_string(results[i].tokens.size()) + " generated tokens)";
          return false;
        }
      int64_t token = row.sampler.next(l, logits.vocab, row.history);
      next[i] = token;
      row.history.push_back(token);
      results[i].tokens.push_back(token);
      row.text += tokenizer.decode(token);
      const auto &stops = row.req->stop;
      size_t from = row.emitted > longestStop ? row.emitted - longestStop : 0;
      if (size_t at = findStop(row.text, from, stops); at != std::string::npos) {
        row.text.resize(at);
        if (report(i, at))
          finish(i, "stop");
      } else if (int64_t(results[i].tokens.size()) >= row.req->maxTokens) {
        if (report(i, row.text.size()))
          finish(i, "length");
      } else {
        size_t hold = std::max(stopPrefixTail(row.text, stops), incompleteUtf8Tail(row.text));
        report(i, row.text.size() - hold);
      }
      anyLeft = anyLeft || !row.done;
    }
    if (!anyLeft)
      return true;
    if (!decoder.step(next, logits, error))
      return false;
  }
}

} // namespace frond::gen
