//===- Sampling.cpp - temperature, top-k, top-p, greedy, seeded draws ----===//
#include "frond/runtime/Sampling.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <numeric>

using namespace frond::runtime;

namespace {

constexpr float kMasked = -std::numeric_limits<float>::infinity();

uint64_t splitmix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

/// Token ids by descending logit, ties by ascending id.
std::vector<int64_t> rankByLogit(const std::vector<float> &logits) {
  std::vector<int64_t> order(logits.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](int64_t a, int64_t b) { return logits[size_t(a)] > logits[size_t(b)]; });
  return order;
}

/// softmax(logits) in double over the finite entries (masked ones get 0).
std::vector<double> softmax(const std::vector<float> &logits) {
  double top = -std::numeric_limits<double>::infinity();
  for (float l : logits)
    top = std::max(top, double(l));
  std::vector<double> p(logits.size(), 0.0);
  if (!std::isfinite(top))
    return p;
  double total = 0;
  for (size_t i = 0; i < logits.size(); ++i)
    total += p[i] = std::isfinite(logits[i]) ? std::exp(double(logits[i]) - top) : 0.0;
  for (double &x : p)
    x /= total;
  return p;
}

} // namespace

bool frond::runtime::parseTopPStyle(const std::string &name, TopPStyle &style) {
  if (name == "hf")
    style = TopPStyle::HuggingFace;
  else if (name == "pldr")
    style = TopPStyle::Pldr;
  else
    return false;
  return true;
}

const char *frond::runtime::topPStyleName(TopPStyle style) {
  return style == TopPStyle::HuggingFace ? "hf" : "pldr";
}

std::string SamplingParams::validate() const {
  if (!(temperature >= 0) || !std::isfinite(temperature))
    return "temperature must be a finite number >= 0 (0 is greedy)";
  if (topK < 0)
    return "top_k must be >= 0 (0 turns it off)";
  if (!(topP > 0 && topP <= 1))
    return "top_p must be in (0, 1] (1 turns it off)";
  if (!(repetitionPenalty > 0) || !std::isfinite(repetitionPenalty))
    return "repetition_penalty must be a finite number > 0 (1 turns it off)";
  return "";
}

std::string SamplingParams::describe() const {
  char buf[160];
  if (isGreedy()) {
    std::snprintf(buf, sizeof buf, "greedy");
  } else {
    int n = std::snprintf(buf, sizeof buf, "temperature %g", temperature);
    if (topK > 0)
      n += std::snprintf(buf + n, sizeof buf - size_t(n), ", top-k %lld", (long long)topK);
    if (topP < 1)
      n += std::snprintf(buf + n, sizeof buf - size_t(n), ", top-p %g (%s)", topP,
                         topPStyleName(topPStyle));
  }
  std::string s = buf;
  if (repetitionPenalty != 1) {
    std::snprintf(buf, sizeof buf, ", repetition penalty %g", repetitionPenalty);
    s += buf;
  }
  return s;
}

void frond::runtime::applyRepetitionPenalty(std::vector<float> &logits,
                                            const std::vector<int64_t> &history,
                                            double penalty) {
  if (penalty == 1)
    return;
  std::vector<bool> seen(logits.size(), false);
  for (int64_t t : history)
    if (t >= 0 && size_t(t) < logits.size() && !seen[size_t(t)]) {
      seen[size_t(t)] = true;
      float &l = logits[size_t(t)];
      l = l > 0 ? float(l / penalty) : float(l * penalty);
    }
}

void frond::runtime::applyTemperature(std::vector<float> &logits, double temperature) {
  if (temperature == 1 || temperature == 0)
    return;
  for (float &l : logits)
    l = float(l / temperature);
}

void frond::runtime::applyTopK(std::vector<float> &logits, int64_t k) {
  if (k <= 0 || size_t(k) >= logits.size())
    return;
  std::vector<float> sorted = logits;
  std::nth_element(sorted.begin(), sorted.begin() + (k - 1), sorted.end(), std::greater<float>());
  float kth = sorted[size_t(k - 1)];
  for (float &l : logits)
    if (l < kth)
      l = kMasked;
}

void frond::runtime::applyTopP(std::vector<float> &logits, double p, TopPStyle style) {
  if (p >= 1 || logits.empty())
    return;
  std::vector<int64_t> order = rankByLogit(logits);
  std::vector<double> prob = softmax(logits);
  if (style == TopPStyle::HuggingFace) {
    // Keep rank i while the mass before it is below p (rank 0 always).
    double before = 0;
    for (size_t i = 0; i < order.size(); ++i) {
      size_t id = size_t(order[i]);
      if (i > 0 && before >= p)
        logits[id] = kMasked;
      before += prob[id];
    }
    return;
  }
  // PLDR: the threshold is the logit at rank max(#{C(i) <= p} - 1, 0).
  size_t n = 0;
  double cum = 0;
  for (int64_t id : order) {
    cum += prob[size_t(id)];
    if (cum <= p)
      ++n;
  }
  float threshold = logits[size_t(order[n > 0 ? n - 1 : 0])];
  for (float &l : logits)
    if (l < threshold)
      l = kMasked;
}

int64_t frond::runtime::argmax(const std::vector<float> &logits) {
  int64_t best = 0;
  for (size_t i = 1; i < logits.size(); ++i)
    if (logits[i] > logits[size_t(best)])
      best = int64_t(i);
  return best;
}

uint64_t SampleRng::next() { return splitmix64(key ^ splitmix64(counter++)); }

int64_t Sampler::next(const float *logits, int64_t vocab, const std::vector<int64_t> &history) {
  work.assign(logits, logits + vocab);
  applyRepetitionPenalty(work, history, params.repetitionPenalty);
  if (params.isGreedy())
    return argmax(work);
  applyTemperature(work, params.temperature);
  applyTopK(work, params.topK);
  applyTopP(work, params.topP, params.topPStyle);
  std::vector<double> prob = softmax(work);
  double u = rng.uniform(), cum = 0;
  int64_t last = argmax(work); // a finite entry, for rounding at the top end
  for (size_t i = 0; i < prob.size(); ++i) {
    if (prob[i] == 0)
      continue;
    cum += prob[i];
    last = int64_t(i);
    if (u < cum)
      return int64_t(i);
  }
  return last;
}

uint64_t frond::runtime::sequenceSeed(uint64_t seed, const std::vector<int64_t> &prompt) {
  uint64_t h = splitmix64(seed);
  for (int64_t t : prompt)
    h = splitmix64(h ^ uint64_t(t));
  return h;
}
