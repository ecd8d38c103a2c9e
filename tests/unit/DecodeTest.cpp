//===- DecodeTest.cpp - cached generation against full recomputation -----===//
//
// For each causal experiment (and variant) the cached decoder supports:
// random parameters, three prompts of different lengths in one batch, then
// greedy decoding through prefill + one-token decode steps. At every step
// the logits of each sequence are compared with a full recompute: the
// JIT-compiled forward run on that sequence alone (batch 1, its exact
// length), reading the head at the last position.
//
// Tolerance (fp32): |cached - recompute| <= 1e-5 * max(1, max|recompute|)
// over each sequence's logits, and the greedy tokens must be identical.
//
//===----------------------------------------------------------------------===//
#include "TestUtil.h"

#include "Decoder.h"

#include "frond/MLIRGen/MLIRGen.h"
#include "frond/runtime/Init.h"

#include "mlir/IR/MLIRContext.h"

#include <algorithm>
#include <cmath>
#include <random>

using namespace frond;
using runtime::DType;
using runtime::Tensor;

namespace {

constexpr double kTolerance = 1e-5;

struct Case {
  std::string name, file, variant;
  std::vector<std::pair<std::string, long long>> sets; ///< model.* overrides
  std::vector<int64_t> promptLengths = {3, 7, 5};
  double initStd = 0.3;
  int steps = 6;
};

std::ostream &operator<<(std::ostream &os, const Case &c) { return os << c.name; }

/// An experiment elaborated with its graph, parameters and compiled forward.
struct Model {
  Program program;
  DiagEngine diags;
  std::optional<ExperimentInstance> inst;
  graph::Graph graph;
  std::map<std::string, Tensor> params;
  std::shared_ptr<jit::CompiledModel> forward;
  jit::CompileOptions compile;
  std::string head;

  bool load(const Case &c) {
    program.stdlibDir = std::string(FROND_SOURCE_DIR) + "/stdlib";
    if (!program.load(std::string(FROND_SOURCE_DIR) + "/experiments/" + c.file, diags))
      return false;
    std::vector<Override> ov;
    for (auto &[k, v] : c.sets)
      ov.push_back({"model." + k, Value::ofInt(v), "test"});
    inst = resolveExperiment(program, "", c.variant, diags, ov, &graph);
    if (!inst || diags.hasErrors())
      return false;
    params = runtime::initParams(inst->model, 7, c.initStd);
    compile.cacheDir = std::string(FROND_BINARY_DIR) + "/decode-jit-cache";
    mlir::MLIRContext ctx;
    auto module = mlirGen(ctx, graph, inst->model, diags);
    if (!module)
      return false;
    std::string error;
    forward = jit::CompiledModel::compile(std::move(module), error, compile);
    if (!forward) {
      diags.error(error);
      return false;
    }
    for (auto &[name, id] : graph.outputs)
      if (head.empty() && name.rfind("head:", 0) == 0)
        head = name;
    return true;
  }

  /// Next-token logits of `seq` by the forward over the whole sequence.
  std::vector<float> recompute(const std::vector<int64_t> &seq, int64_t promptLength) {
    Tensor tokens = Tensor::zeros(DType::I64, {1, int64_t(seq.size())});
    tokens.i64 = seq;
    Tensor perSample = Tensor::zeros(DType::I64, {1});
    perSample.i64[0] = promptLength; // src_len: the prompt is the source
    std::vector<const Tensor *> args;
    for (const jit::Slot &s : forward->arguments())
      args.push_back(s.name == "tokens" ? &tokens
                     : params.count(s.name) ? &params.at(s.name)
                                            : &perSample);
    std::vector<Tensor> outs;
    std::string error;
    EXPECT_TRUE(forward->run(args, outs, error)) << error;
    for (size_t i = 0; i < outs.size(); ++i)
      if (forward->results()[i].name == head) {
        const Tensor &t = outs[i];
        int64_t V = t.shape[2], T = t.shape[1];
        return std::vector<float>(t.f32.begin() + (T - 1) * V, t.f32.begin() + T * V);
      }
    ADD_FAILURE() << "no head output";
    return {};
  }
};

int64_t argmax(const float *x, int64_t n) { return std::max_element(x, x + n) - x; }

class CachedVsRecompute : public ::testing::TestWithParam<Case> {};

TEST_P(CachedVsRecompute, GreedyTokensAndLogitsMatch) {
  const Case &c = GetParam();
  Model m;
  ASSERT_TRUE(m.load(c)) << m.diags.render();
  gen::DecoderInputs in;
  in.model = &m.inst->model;
  in.graph = &m.graph;
  in.params = m.params;
  in.maxTokens = *std::max_element(c.promptLengths.begin(), c.promptLengths.end()) + c.steps;
  in.compile = m.compile;
  std::string error;
  auto dec = gen::makeCachedDecoder(in, error);
  ASSERT_TRUE(dec) << error;

  std::mt19937_64 rng(11);
  std::vector<std::vector<int64_t>> seqs;
  std::vector<int64_t> promptLength;
  gen::Logits logits;
  ASSERT_TRUE(dec->prefill({}, logits, error) == false);
  for (int64_t n : c.promptLengths) {
    std::vector<int64_t> p;
    for (int64_t i = 0; i < n; ++i)
      p.push_back(int64_t(rng() % 16) + 1);
    seqs.push_back(p);
    promptLength.push_back(n);
  }
  ASSERT_TRUE(dec->prefill(seqs, logits, error)) << error;
  int64_t vocab = logits.vocab;
  for (int step = 0; step <= c.steps; ++step) {
    std::vector<int64_t> next;
    for (size_t s = 0; s < seqs.size(); ++s) {
      std::vector<float> ref = m.recompute(seqs[s], promptLength[s]);
      ASSERT_EQ(int64_t(ref.size()), vocab);
      double scale = 1, err = 0;
      for (int64_t v = 0; v < vocab; ++v) {
        scale = std::max(scale, double(std::fabs(ref[size_t(v)])));
        err = std::max(err, double(std::fabs(ref[size_t(v)] - logits.row(int64_t(s))[v])));
      }
      EXPECT_LE(err, kTolerance * scale)
          << c.name << ": sequence " << s << " at length " << seqs[s].size();
      int64_t token = argmax(logits.row(int64_t(s)), vocab);
      EXPECT_EQ(token, argmax(ref.data(), vocab))
          << c.name << ": sequence " << s << " at length " << seqs[s].size();
      next.push_back(token);
    }
    if (step == c.steps)
      break;
    for (size_t s = 0; s < seqs.size(); ++s)
      seqs[s].push_back(next[s]);
    ASSERT_TRUE(dec->step(next, logits, error)) << error;
  }
  // Past max tokens: an error, not a write out of bounds.
  EXPECT_FALSE(dec->step(std::vector<int64_t>(seqs.size(), 1), logits, error));
  EXPECT_NE(error.find("max tokens"), std::string::npos) << error;
}

const std::vector<Case> kCases = {
    {"baseline", "baseline.spec", "", {{"layers", 2}, {"d", 64}, {"max_len", 64}}},
};

INSTANTIATE_TEST_SUITE_P(Experiments, CachedVsRecompute, ::testing::ValuesIn(kCases),
                         [](const auto &info) { return info.param.name; });

} // namespace
