//===- Sampling.h - choosing the next token from logits ---------*- C++ -*-===//
//
// What `frond generate` and `frond serve` do with a row of next-token
// logits. The steps, in order (each one off at its neutral value):
//
//   1. repetition penalty r (Hugging Face / PALM): the logit l of every
//      token already in the sequence becomes l / r if l > 0, else l * r;
//   2. temperature T: l / T (T = 0 means greedy);
//   3. top-k: logits below the k-th largest become -inf (ties with the
//      k-th are kept, as torch.topk + `<` does);
//   4. top-p over the softmax of what is left, sorted by descending logit
//      (ties by ascending token id), with c(i) the cumulative probability
//      of the tokens before rank i and C(i) = c(i) + p(i):
//      - Hugging Face (TopPLogitsWarper): keep rank i iff c(i) < p, i.e.
//        the smallest prefix whose mass reaches p, including the token that
//        crosses p;
//      - PLDR (seeds-math.md 5d): n = #{i : C(i) <= p}; keep the logits >=
//        sorted[max(n - 1, 0)], a stricter rule that drops the crossing
//        token (and keeps at least the top one);
//   5. greedy: the largest logit (the lowest id among ties); otherwise a
//      draw from the softmax of the remaining logits (computed in double)
//      with the sampler's own random stream.
//
// The random stream is splitmix64 of a seed and a counter, and a draw is
// u = (bits >> 11) * 2^-53 in [0, 1): the same seed gives the same tokens
// on every platform and library (no std:: distributions).
//
//===----------------------------------------------------------------------===//
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace frond::runtime {

enum class TopPStyle { HuggingFace, Pldr };

/// "hf" / "pldr"; false for anything else.
bool parseTopPStyle(const std::string &name, TopPStyle &style);
const char *topPStyleName(TopPStyle style);

struct SamplingParams {
  double temperature = 1.0;       ///< >= 0; 0 is greedy
  int64_t topK = 0;               ///< 0: off
  double topP = 1.0;              ///< in (0, 1]; 1: off
  TopPStyle topPStyle = TopPStyle::HuggingFace;
  double repetitionPenalty = 1.0; ///< > 0; 1: off
  bool greedy = false;

  bool isGreedy() const { return greedy || temperature == 0; }
  /// "" when every value is in range, else what is wrong (naming the value).
  std::string validate() const;
  /// One line, e.g. "temperature 0.8, top-k 50, top-p 0.9 (hf)" or "greedy".
  std::string describe() const;
};

/// The steps of the file comment, exposed for tests. Each works in place on
/// `logits` (one row of `vocab` entries); masked entries become -inf.
void applyRepetitionPenalty(std::vector<float> &logits, const std::vector<int64_t> &history,
                            double penalty);
void applyTemperature(std::vector<float> &logits, double temperature);
void applyTopK(std::vector<float> &logits, int64_t k);
void applyTopP(std::vector<float> &logits, double p, TopPStyle style);
/// The index of the largest entry (the lowest index among ties).
int64_t argmax(const std::vector<float> &logits);

/// The deterministic random stream (splitmix64 over a counter).
class SampleRng {
public:
  explicit SampleRng(uint64_t seed) : key(seed) {}
  uint64_t next();
  /// Uniform in [0, 1).
  double uniform() { return double(next() >> 11) * 0x1.0p-53; }

private:
  uint64_t key, counter = 0;
};

/// Picks tokens for one sequence: the steps above with its own stream.
class Sampler {
public:
  Sampler(const SamplingParams &params, uint64_t seed) : params(params), rng(seed) {}
  /// The next token, given the row's `logits` and the tokens of the
  /// sequence so far (for the repetition penalty).
  int64_t next(const float *logits, int64_t vocab, const std::vector<int64_t> &history);
  /// The processed logits the last next() drew from (tests).
  const std::vector<float> &lastLogits() const { return work; }

private:
  SamplingParams params;
  SampleRng rng;
  std::vector<float> work;
};

/// A seed for one sequence from a run's seed and the sequence's prompt:
/// the same prompt with the same seed gives the same tokens whether it is
/// generated alone or in a batch.
uint64_t sequenceSeed(uint64_t seed, const std::vector<int64_t> &prompt);

} // namespace frond::runtime
