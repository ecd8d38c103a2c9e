//===- SamplingTest.cpp - temperature, top-k, top-p, greedy, draws --------===//
//
// Masks are checked exactly on fixed logits whose softmax is known by hand;
// the draws are checked against the softmax probabilities they should follow
// (frequencies of N seeded samples within 5 standard errors).
//
//===----------------------------------------------------------------------===//
#include "frond/runtime/Sampling.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>

using namespace frond::runtime;

namespace {

/// Logits log(p) for probabilities p: the softmax is exactly p.
std::vector<float> logitsOf(const std::vector<double> &p) {
  std::vector<float> l;
  for (double x : p)
    l.push_back(float(std::log(x)));
  return l;
}

/// Which entries survived (are finite).
std::vector<int> kept(const std::vector<float> &l) {
  std::vector<int> k;
  for (size_t i = 0; i < l.size(); ++i)
    if (std::isfinite(l[i]))
      k.push_back(int(i));
  return k;
}

// Probabilities 0.05, 0.4, 0.1, 0.25, 0.2 (ranked: 1, 3, 4, 2, 0; cumulative
// by rank 0.4, 0.65, 0.85, 0.95, 1.0).
const std::vector<double> kProbs = {0.05, 0.4, 0.1, 0.25, 0.2};

TEST(SamplingTest, TopKKeepsTheKLargest) {
  auto l = logitsOf(kProbs);
  applyTopK(l, 2);
  EXPECT_EQ(kept(l), (std::vector<int>{1, 3}));
  l = logitsOf(kProbs);
  applyTopK(l, 0); // off
  EXPECT_EQ(kept(l).size(), 5u);
  l = logitsOf(kProbs);
  applyTopK(l, 9); // more than the vocabulary: off
  EXPECT_EQ(kept(l).size(), 5u);
  // Ties with the k-th are kept (torch.topk + `<`).
  std::vector<float> tied = {1, 3, 2, 2, 0};
  applyTopK(tied, 2);
  EXPECT_EQ(kept(tied), (std::vector<int>{1, 2, 3}));
  // Surviving logits are unchanged.
  l = logitsOf(kProbs);
  auto before = l;
  applyTopK(l, 3);
  for (int i : kept(l))
    EXPECT_EQ(l[size_t(i)], before[size_t(i)]);
}

TEST(SamplingTest, TopPHuggingFaceKeepsTheCrossingToken) {
  // p = 0.6: mass before rank i is 0, 0.4, 0.65: ranks 0 and 1 are kept
  // (0.4 < 0.6), the crossing token (token 3, cumulative 0.65) included.
  auto l = logitsOf(kProbs);
  applyTopP(l, 0.6, TopPStyle::HuggingFace);
  EXPECT_EQ(kept(l), (std::vector<int>{1, 3}));
  // p = 0.3: only the top token (its own mass crosses p).
  l = logitsOf(kProbs);
  applyTopP(l, 0.3, TopPStyle::HuggingFace);
  EXPECT_EQ(kept(l), (std::vector<int>{1}));
  // p = 0.9: 0.4, 0.65, 0.85 < 0.9, so ranks 0..3.
  l = logitsOf(kProbs);
  applyTopP(l, 0.9, TopPStyle::HuggingFace);
  EXPECT_EQ(kept(l), (std::vector<int>{1, 2, 3, 4}));
  // p = 1: off.
  l = logitsOf(kProbs);
  applyTopP(l, 1.0, TopPStyle::HuggingFace);
  EXPECT_EQ(kept(l).size(), 5u);
}

TEST(SamplingTest, TopPPldrDropsTheCrossingToken) {
  // p = 0.6: #{C <= 0.6} = 1 (0.4), threshold sorted[0]: only token 1.
  auto l = logitsOf(kProbs);
  applyTopP(l, 0.6, TopPStyle::Pldr);
  EXPECT_EQ(kept(l), (std::vector<int>{1}));
  // p = 0.9: #{C <= 0.9} = 3 (0.4, 0.65, 0.85): threshold sorted[2] (0.2).
  l = logitsOf(kProbs);
  applyTopP(l, 0.9, TopPStyle::Pldr);
  EXPECT_EQ(kept(l), (std::vector<int>{1, 3, 4}));
  // p = 0.3: #{C <= 0.3} = 0, threshold sorted[max(-1, 0)]: the top token.
  l = logitsOf(kProbs);
  applyTopP(l, 0.3, TopPStyle::Pldr);
  EXPECT_EQ(kept(l), (std::vector<int>{1}));
}

TEST(SamplingTest, TopPAfterTopKRenormalises) {
  // Top-k 3 leaves 0.4, 0.25, 0.2 (renormalised 0.47, 0.29, 0.24): with
  // p = 0.7 the HF rule keeps 2 tokens (0.47 < 0.7, 0.76 >= 0.7).
  auto l = logitsOf(kProbs);
  applyTopK(l, 3);
  applyTopP(l, 0.7, TopPStyle::HuggingFace);
  EXPECT_EQ(kept(l), (std::vector<int>{1, 3}));
}

TEST(SamplingTest, TemperatureDividesTheLogits) {
  std::vector<float> l = {1.0f, -2.0f, 0.5f};
  applyTemperature(l, 0.5);
  EXPECT_FLOAT_EQ(l[0], 2.0f);
  EXPECT_FLOAT_EQ(l[1], -4.0f);
  EXPECT_FLOAT_EQ(l[2], 1.0f);
}

TEST(SamplingTest, RepetitionPenaltyFollowsHuggingFace) {
  std::vector<float> l = {2.0f, -1.0f, 3.0f, 4.0f};
  applyRepetitionPenalty(l, {0, 1, 1}, 2.0);
  EXPECT_FLOAT_EQ(l[0], 1.0f);  // positive: divided
  EXPECT_FLOAT_EQ(l[1], -2.0f); // negative: multiplied, once for a repeated token
  EXPECT_FLOAT_EQ(l[2], 3.0f);
  EXPECT_FLOAT_EQ(l[3], 4.0f);
}

TEST(SamplingTest, GreedyTakesTheLargestLogit) {
  std::vector<float> l = {0.1f, 2.0f, -1.0f, 2.0f};
  EXPECT_EQ(argmax(l), 1); // the lowest id among ties
  SamplingParams p;
  p.greedy = true;
  Sampler s(p, 7);
  for (int i = 0; i < 10; ++i)
    EXPECT_EQ(s.next(l.data(), 4, {}), 1);
  SamplingParams zero;
  zero.temperature = 0; // temperature 0 is greedy too
  Sampler z(zero, 7);
  EXPECT_EQ(z.next(l.data(), 4, {}), 1);
  // The repetition penalty applies before greedy: token 1 is penalised
  // (2 / 4 = 0.5), token 3 (2.0) wins.
  SamplingParams rep = p;
  rep.repetitionPenalty = 4;
  Sampler r(rep, 7);
  EXPECT_EQ(r.next(l.data(), 4, {1}), 3);
}

TEST(SamplingTest, SeedsAreReproducible) {
  auto l = logitsOf(kProbs);
  SamplingParams p;
  auto draws = [&](uint64_t seed) {
    Sampler s(p, seed);
    std::vector<int64_t> out;
    for (int i = 0; i < 64; ++i)
      out.push_back(s.next(l.data(), 5, {}));
    return out;
  };
  EXPECT_EQ(draws(11), draws(11));
  EXPECT_NE(draws(11), draws(12));
  // Per-sequence seeds depend on the run's seed and the prompt alone.
  EXPECT_EQ(sequenceSeed(3, {1, 2, 3}), sequenceSeed(3, {1, 2, 3}));
  EXPECT_NE(sequenceSeed(3, {1, 2, 3}), sequenceSeed(3, {1, 2, 4}));
  EXPECT_NE(sequenceSeed(3, {1, 2, 3}), sequenceSeed(4, {1, 2, 3}));
  // The stream itself is fixed: a change to the generator shows here.
  SampleRng rng(1);
  double u = rng.uniform();
  EXPECT_GE(u, 0.0);
  EXPECT_LT(u, 1.0);
  SampleRng again(1);
  EXPECT_EQ(again.uniform(), u);
}

/// Draws N tokens and checks every frequency against `expect` within five
/// standard errors sqrt(p (1 - p) / N); tokens with p = 0 never appear.
void checkFrequencies(const SamplingParams &p, const std::vector<float> &logits,
                      const std::vector<double> &expect) {
  const int n = 200000;
  Sampler s(p, 2024);
  std::vector<int> count(logits.size(), 0);
  for (int i = 0; i < n; ++i)
    ++count[size_t(s.next(logits.data(), int64_t(logits.size()), {}))];
  for (size_t t = 0; t < logits.size(); ++t) {
    double f = double(count[t]) / n, q = expect[t];
    if (q == 0) {
      EXPECT_EQ(count[t], 0) << "token " << t << " is masked";
      continue;
    }
    double bound = 5 * std::sqrt(q * (1 - q) / n);
    EXPECT_NEAR(f, q, bound) << "token " << t;
  }
}

TEST(SamplingTest, DrawsFollowTheSoftmax) {
  SamplingParams p;
  checkFrequencies(p, logitsOf(kProbs), kProbs);
  // Temperature 2: softmax(log p / 2) = sqrt(p) / sum sqrt(p).
  p.temperature = 2;
  std::vector<double> sq;
  double total = 0;
  for (double x : kProbs)
    total += std::sqrt(x);
  for (double x : kProbs)
    sq.push_back(std::sqrt(x) / total);
  checkFrequencies(p, logitsOf(kProbs), sq);
}

TEST(SamplingTest, DrawsAfterTopKAndTopPRenormalise) {
  SamplingParams p;
  p.topK = 3;
  p.topP = 0.7; // keeps tokens 1 and 3 (TopPAfterTopKRenormalises)
  checkFrequencies(p, logitsOf(kProbs), {0, 0.4 / 0.65, 0, 0.25 / 0.65, 0});
  SamplingParams pldr;
  pldr.topP = 0.9;
  pldr.topPStyle = TopPStyle::Pldr; // keeps tokens 1, 3, 4
  checkFrequencies(pldr, logitsOf(kProbs), {0, 0.4 / 0.85, 0, 0.25 / 0.85, 0.2 / 0.85});
}

TEST(SamplingTest, ValidateNamesTheBadValue) {
  SamplingParams p;
  EXPECT_EQ(p.validate(), "");
  p.temperature = -1;
  EXPECT_NE(p.validate().find("temperature"), std::string::npos);
  p = SamplingParams();
  p.topP = 0;
  EXPECT_NE(p.validate().find("top_p"), std::string::npos);
  p.topP = 1.5;
  EXPECT_NE(p.validate().find("top_p"), std::string::npos);
  p = SamplingParams();
  p.repetitionPenalty = 0;
  EXPECT_NE(p.validate().find("repetition_penalty"), std::string::npos);
  TopPStyle style;
  EXPECT_TRUE(parseTopPStyle("pldr", style));
  EXPECT_EQ(style, TopPStyle::Pldr);
  EXPECT_FALSE(parseTopPStyle("nucleus", style));
}

} // namespace
