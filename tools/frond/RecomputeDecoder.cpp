//===- RecomputeDecoder.cpp - next-token logits by full recompute --------===//
//
// The yardstick decoder: the JIT-compiled forward (@<model>_forward, dynamic
// batch and length) over each whole sequence at every step; the logits of
// the last position are the next token's. Sequences of equal length run as
// one batch, so rows never see padding and every row's logits are exactly
// what the forward gives for that sequence alone.
//
//===----------------------------------------------------------------------===//
#include "Decoder.h"

#include "frond/MLIRGen/MLIRGen.h"

#include "mlir/IR/MLIRContext.h"

#include <algorithm>
#include <map>

namespace frond::gen {

using runtime::DType;
using runtime::Tensor;

namespace {

/// What one argument of the forward receives.
enum class ArgRole { Tokens, PromptLength, Parameter };

class RecomputeDecoder : public Decoder {
public:
  bool init(const DecoderInputs &in, std::string &error);

  bool prefill(const std::vector<std::vector<int64_t>> &prompts, Logits &out,
               std::string &error) override;
  bool step(const std::vector<int64_t> &tokens, Logits &out, std::string &error) override;
  std::string describe() const override { return "full recompute (no cache)"; }

private:
  /// Runs the forward over every sequence and fills `out`.
  bool run(Logits &out, std::string &error);
  bool checkTokens(const std::vector<int64_t> &tokens, std::string &error) const;

  std::unique_ptr<mlir::MLIRContext> ctx;
  std::shared_ptr<jit::CompiledModel> fn;
  std::map<std::string, Tensor> params;
  std::vector<ArgRole> roles;
  std::vector<const Tensor *> paramArgs; ///< per argument; null for inputs
  size_t logitsResult = 0;
  int64_t vocab = 0, maxTokens = 0;
  std::vector<std::vector<int64_t>> seqs;
  std::vector<int64_t> promptLen;
};

bool RecomputeDecoder::init(const DecoderInputs &in, std::string &error) {
  if (!in.model || !in.graph) {
    error = "the decoder needs a resolved model and its recorded graph";
    return false;
  }
  const ModelInstance &m = *in.model;
  maxTokens = in.maxTokens;
  params = in.params;
  ctx = std::make_unique<mlir::MLIRContext>();
  DiagEngine diags;
  auto module = mlirGen(*ctx, *in.graph, m, diags);
  if (!module || diags.hasErrors()) {
    error = diags.render();
    if (error.empty())
      error = "lowering the model to MLIR failed";
    return false;
  }
  fn = jit::CompiledModel::compile(std::move(module), error, in.compile);
  if (!fn)
    return false;

  // The logits: the first head (in declaration order) shaped [b, t, vocab].
  bool found = false;
  for (const HeadInfo &h : m.heads) {
    for (size_t i = 0; i < fn->results().size() && !found; ++i) {
      const jit::Slot &r = fn->results()[i];
      if (r.name == "head:" + h.name && r.dtype == DType::F32 && r.shape.size() == 3 &&
          r.shape[2] > 0) {
        logitsResult = i;
        vocab = r.shape[2];
        found = true;
      }
    }
    if (found)
      break;
  }
  if (!found) {
    error = "model '" + m.name +
            "' has no head shaped [batch, tokens, vocab] to generate from; fix: declare "
            "`head logits = linear(h, vocab)` in the model";
    return false;
  }

  // Arguments: `tokens`, per-sample integers (the prompt's length: the
  // prompt is the source), and parameters.
  for (const jit::Slot &a : fn->arguments()) {
    auto p = params.find(a.name);
    if (p != params.end()) {
      roles.push_back(ArgRole::Parameter);
      paramArgs.push_back(&p->second);
    } else if (a.name == "tokens" && a.dtype == DType::I64 && a.shape.size() == 2) {
      roles.push_back(ArgRole::Tokens);
      paramArgs.push_back(nullptr);
    } else if (a.dtype == DType::I64 && a.shape.size() == 1) {
      roles.push_back(ArgRole::PromptLength);
      paramArgs.push_back(nullptr);
    } else {
      error = "generation cannot feed the model's argument '" + a.name +
              "' (it takes `tokens[b, t]` and per-sample lengths such as `src_len[b]`); "
              "fix: give the model's other inputs defaults, or generate from a model that "
              "reads only its tokens";
      return false;
    }
  }
  if (std::find(roles.begin(), roles.end(), ArgRole::Tokens) == roles.end()) {
    error = "model '" + m.name + "' has no `input tokens[b, t]` to generate into";
    return false;
  }
  return true;
}

bool RecomputeDecoder::checkTokens(const std::vector<int64_t> &tokens,
                                   std::string &error) const {
  for (int64_t t : tokens)
    if (t < 0 || t >= vocab) {
      error = "token " + std::to_string(t) + " is outside the model's vocabulary [0, " +
              std::to_string(vocab) + ")";
      return false;
    }
  return true;
}

bool RecomputeDecoder::prefill(const std::vector<std::vector<int64_t>> &prompts, Logits &out,
                               std::string &error) {
  seqs.clear();
  promptLen.clear();
  for (size_t i = 0; i < prompts.size(); ++i) {
    const auto &p = prompts[i];
    if (p.empty()) {
      error = "prompt " + std::to_string(i) + " is empty";
      return false;
    }
    if (maxTokens > 0 && int64_t(p.size()) > maxTokens) {
      error = "prompt " + std::to_string(i) + " has " + std::to_string(p.size()) +
              " tokens, more than the " + std::to_string(maxTokens) + " this decoder holds";
      return false;
    }
    if (!checkTokens(p, error))
      return false;
    seqs.push_back(p);
    promptLen.push_back(int64_t(p.size()));
  }
  return run(out, error);
}

bool RecomputeDecoder::step(const std::vector<int64_t> &tokens, Logits &out,
                            std::string &error) {
  if (tokens.size() != seqs.size()) {
    error = "step got " + std::to_string(tokens.size()) + " tokens for a batch of " +
            std::to_string(seqs.size());
    return false;
  }
  if (!checkTokens(tokens, error))
    return false;
  for (size_t i = 0; i < seqs.size(); ++i) {
    if (maxTokens > 0 && int64_t(seqs[i].size()) >= maxTokens) {
      error = "sequence " + std::to_string(i) + " is at the decoder's limit of " +
              std::to_string(maxTokens) + " tokens";
      return false;
    }
    seqs[i].push_back(tokens[i]);
  }
  return run(out, error);
}

bool RecomputeDecoder::run(Logits &out, std::string &error) {
  out.batch = int64_t(seqs.size());
  out.vocab = vocab;
  out.data.assign(size_t(out.batch * vocab), 0.0f);
  std::map<size_t, std::vector<size_t>> byLength;
  for (size_t i = 0; i < seqs.size(); ++i)
    byLength[seqs[i].size()].push_back(i);
  for (auto &[len, rows] : byLength) {
    int64_t n = int64_t(rows.size()), t = int64_t(len);
    Tensor tokens = Tensor::zeros(DType::I64, {n, t});
    Tensor lengths = Tensor::zeros(DType::I64, {n});
    for (int64_t r = 0; r < n; ++r) {
      std::copy(seqs[rows[size_t(r)]].begin(), seqs[rows[size_t(r)]].end(),
                tokens.i64.begin() + r * t);
      lengths.i64[size_t(r)] = promptLen[rows[size_t(r)]];
    }
    std::vector<const Tensor *> args;
    for (size_t a = 0; a < roles.size(); ++a)
      args.push_back(roles[a] == ArgRole::Tokens         ? &tokens
                     : roles[a] == ArgRole::PromptLength ? &lengths
                                                         : paramArgs[a]);
    std::vector<Tensor> outs;
    if (!fn->run(args, outs, error))
      return false;
    const Tensor &logits = outs[logitsResult];
    if (logits.shape != std::vector<int64_t>{n, t, vocab}) {
      error = "the model's logits are " + logits.shapeStr() + ", expected [" +
              std::to_string(n) + ", " + std::to_string(t) + ", " + std::to_string(vocab) + "]";
      return false;
    }
    for (int64_t r = 0; r < n; ++r) {
      const float *last = logits.f32.data() + (r * t + (t - 1)) * vocab;
      std::copy(last, last + vocab, out.data.begin() + int64_t(rows[size_t(r)]) * vocab);
    }
  }
  return true;
}

} // namespace

std::unique_ptr<Decoder> makeRecomputeDecoder(const DecoderInputs &in, std::string &error) {
  auto d = std::make_unique<RecomputeDecoder>();
  if (!d->init(in, error))
    return nullptr;
  return d;
}

} // namespace frond::gen
