//===- decode_cpu.cpp - cached decode: Frond vs a libtorch KV-cache loop ---===//
//
//   decode_cpu [--set K=V]... [--batch N] [--context T]... [--tokens N]
//              [--warmup N] [--recompute N] [--seed S] [SPEC]
//
// For each context length T (default 512 and 2048), in one process:
// - Frond: the cached decoder (tools/frond/CachedDecoder.cpp: the
//   compiler's prefill + one-token decode, K/V written in place) prefills a
//   prompt of T tokens per sequence, then decodes --tokens tokens;
// - libtorch: a KV-cached decode loop written here with ATen ops for the
//   baseline GPT (pre-LN, learned positions, causal softmax attention, GELU
//   MLP, tied head) on bit-identical parameters: preallocated [b, h, max, D]
//   caches, the new K/V copied in, attention over the first p + 1 slots;
// - optionally (--recompute N) Frond's full recompute: the forward over the
//   whole sequence for each of N tokens.
// It refuses to time anything unless Frond's and libtorch's logits agree to
// 1e-4 relative after prefill and after the first decode step. Decode steps
// of the two engines are interleaved; it prints ms per step, tokens/s
// (batch x steps / time) and the ratio libtorch_ms / frond_ms (> 1: Frond
// faster).
//
// The model must be the baseline's GPT (experiments/baseline.spec); its
// max_len is raised to cover T + warmup + tokens positions.
//
//===----------------------------------------------------------------------===//
#include "../common/BenchSupport.h"
#include "Decoder.h"

#include "frond/JIT/Jit.h"
#include "frond/MLIRGen/MLIRGen.h"
#include "frond/reference/Reference.h"
#include "frond/runtime/Init.h"

#include "mlir/IR/MLIRContext.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <thread>

using namespace frond;
using runtime::DType;
using runtime::Tensor;

namespace {

using bench::Clock;
using bench::msSince;

/// decode_cpu's own settings; batch, warmup, seed, --set and SPEC are the
/// common ones (bench::Options).
struct Decode {
  std::vector<long long> contexts;
  long long tokens = 32, recompute = 1;
};

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n == 0 ? 0 : n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

long long arg(const ModelInstance &m, const char *name) {
  for (auto &[k, v] : m.args)
    if (k == name && v.kind == Value::Int)
      return v.i;
  return 0;
}

/// The baseline GPT's KV-cached decode, with ATen tensor ops only.
class TorchGpt {
public:
  TorchGpt(const reference::ParamStore &p, long long layers, long long heads, long long batch,
           long long maxTokens)
      : p(p), layers(layers), heads(heads) {
    long long d = P("tok.weight").size(1);
    for (long long l = 0; l < layers; ++l) {
      k.push_back(at::zeros({batch, heads, maxTokens, d / heads}));
      v.push_back(at::zeros({batch, heads, maxTokens, d / heads}));
    }
  }

  /// Logits [b, V] of the token ids [b, t] placed at positions pos..pos+t-1
  /// (prefill: pos 0, t = prompt; decode: t = 1), appending their K/V.
  at::Tensor forward(const at::Tensor &ids, long long pos) {
    long long t = ids.size(1);
    at::Tensor x = at::embedding(P("tok.weight"), ids) +
                   P("pos.weight").narrow(0, pos, t).unsqueeze(0);
    long long d = x.size(2), D = d / heads;
    for (long long l = 0; l < layers; ++l) {
      std::string L = "layer." + std::to_string(l) + ".";
      at::Tensor h = ln(x, L + "layernorm");
      auto split = [&](const at::Tensor &y) {
        return y.view({y.size(0), t, heads, D}).transpose(1, 2);
      };
      at::Tensor q = split(at::linear(h, P(L + "attn.wq")));
      k[size_t(l)].narrow(2, pos, t).copy_(split(at::linear(h, P(L + "attn.wk"))));
      v[size_t(l)].narrow(2, pos, t).copy_(split(at::linear(h, P(L + "attn.wv"))));
      at::Tensor keys = k[size_t(l)].narrow(2, 0, pos + t);
      at::Tensor values = v[size_t(l)].narrow(2, 0, pos + t);
      at::Tensor s = at::matmul(q, keys.transpose(2, 3)) / std::sqrt(double(D));
      if (t > 1) // causal within the new positions
        s = s.masked_fill(at::ones({t, pos + t}, at::kBool).triu(pos + 1), -INFINITY);
      at::Tensor o = at::matmul(at::softmax(s, -1), values).transpose(1, 2).reshape({-1, t, d});
      x = x + at::linear(o, P(L + "attn.wo"));
      h = ln(x, L + "layernorm_1");
      h = at::gelu(at::linear(h, P(L + "mlp.linear.weight"), P(L + "mlp.linear.bias")));
      x = x + at::linear(h, P(L + "mlp.linear_1.weight"), P(L + "mlp.linear_1.bias"));
    }
    x = ln(x.select(1, t - 1), "layernorm");
    return at::linear(x, P("tok.weight"));
  }

private:
  const reference::ParamStore &p;
  long long layers, heads;
  std::vector<at::Tensor> k, v;

  const at::Tensor &P(const std::string &name) const {
    static at::Tensor none;
    auto it = p.tensors.find(name);
    if (it == p.tensors.end()) {
      std::fprintf(stderr, "decode_cpu: the model has no parameter '%s': it must be the "
                           "baseline GPT\n", name.c_str());
      std::exit(1);
    }
    return it->second;
  }
  at::Tensor ln(const at::Tensor &x, const std::string &name) const {
    return at::layer_norm(x, {x.size(-1)}, P(name + ".weight"), P(name + ".bias"), 1e-5);
  }
};

/// max |a - b| / max(max|b|, 1e-30) over a [b, V] logits pair.
double relDiff(const gen::Logits &a, const at::Tensor &b) {
  at::Tensor t = b.contiguous();
  const float *r = t.data_ptr<float>();
  double err = 0, scale = 1e-30;
  for (size_t i = 0; i < a.data.size(); ++i) {
    err = std::max(err, double(std::fabs(a.data[i] - r[i])));
    scale = std::max(scale, double(std::fabs(r[i])));
  }
  return err / scale;
}

int runContext(const bench::Options &o, const Decode &dc, long long context) {
  bench::Options withLength = o;
  long long maxTokens = context + o.warmup + dc.tokens + 1;
  withLength.overrides.push_back({"model.max_len", Value::ofInt(maxTokens), "decode_cpu"});
  graph::Graph graph;
  std::optional<ExperimentInstance> inst = bench::loadExperiment(withLength, graph);
  if (!inst)
    return 1;
  DiagEngine diags;
  const ModelInstance &m = inst->model;
  long long vocab = arg(m, "vocab");

  gen::DecoderInputs in;
  in.model = &m;
  in.graph = &graph;
  in.params = runtime::initParams(m, uint64_t(o.seed));
  in.maxTokens = maxTokens;
  std::string error;
  auto t0 = Clock::now();
  auto dec = gen::makeCachedDecoder(in, error); // no disk cache: real compile time
  if (!dec) {
    std::fprintf(stderr, "decode_cpu: %s\n", error.c_str());
    return 1;
  }
  double compileMs = msSince(t0);
  reference::ParamStore store = reference::initParams(m, uint64_t(o.seed));
  at::NoGradGuard noGrad;
  TorchGpt torch(store, arg(m, "layers"), arg(m, "heads"), o.batch, maxTokens);

  std::mt19937_64 rng(uint64_t(o.seed));
  std::vector<std::vector<int64_t>> prompts(size_t(o.batch));
  at::Tensor ids = at::zeros({o.batch, context}, at::kLong);
  for (long long b = 0; b < o.batch; ++b)
    for (long long i = 0; i < context; ++i) {
      prompts[size_t(b)].push_back(int64_t(rng() % uint64_t(vocab)));
      ids[b][i] = prompts[size_t(b)].back();
    }
  gen::Logits logits;
  t0 = Clock::now();
  if (!dec->prefill(prompts, logits, error)) {
    std::fprintf(stderr, "decode_cpu: %s\n", error.c_str());
    return 1;
  }
  double frondPrefill = msSince(t0);
  t0 = Clock::now();
  at::Tensor ref = torch.forward(ids, 0);
  double torchPrefill = msSince(t0);
  double prefillDiff = relDiff(logits, ref);

  // Greedy tokens from Frond's logits feed both engines.
  std::vector<double> frondMs, torchMs;
  double stepDiff = 0;
  std::vector<std::vector<int64_t>> seqs = prompts;
  for (long long s = 0; s < o.warmup + dc.tokens; ++s) {
    if (context + s + 1 > maxTokens)
      break;
    std::vector<int64_t> next;
    at::Tensor nextIds = at::zeros({o.batch, 1}, at::kLong);
    for (long long b = 0; b < o.batch; ++b) {
      const float *row = logits.row(b);
      next.push_back(std::max_element(row, row + logits.vocab) - row);
      nextIds[b][0] = next.back();
      seqs[size_t(b)].push_back(next.back());
    }
    auto t = Clock::now();
    if (!dec->step(next, logits, error)) {
      std::fprintf(stderr, "decode_cpu: %s\n", error.c_str());
      return 1;
    }
    double f = msSince(t);
    t = Clock::now();
    ref = torch.forward(nextIds, context + s);
    double r = msSince(t);
    stepDiff = std::max(stepDiff, relDiff(logits, ref));
    if (s >= o.warmup)
      frondMs.push_back(f), torchMs.push_back(r);
  }
  std::printf("context %lld: logits rel diff frond vs libtorch: prefill %.2e, decode %.2e\n",
              context, prefillDiff, stepDiff);
  if (prefillDiff > 1e-4 || stepDiff > 1e-4) {
    std::fprintf(stderr, "decode_cpu: the engines disagree beyond 1e-4 relative; no timing\n");
    return 1;
  }

  // Full recompute: the forward over each whole sequence, per token.
  double recomputeMs = 0;
  if (dc.recompute > 0) {
    mlir::MLIRContext ctx;
    auto module = mlirGen(ctx, graph, m, diags);
    auto fwd = module ? jit::CompiledModel::compile(std::move(module), error) : nullptr;
    if (!fwd) {
      std::fprintf(stderr, "decode_cpu: %s%s\n", diags.render().c_str(), error.c_str());
      return 1;
    }
    std::vector<double> ms;
    for (long long r = 0; r < dc.recompute; ++r) {
      long long T = context + r + 1;
      Tensor tokens = Tensor::zeros(DType::I64, {o.batch, T});
      for (long long b = 0; b < o.batch; ++b)
        std::copy(seqs[size_t(b)].begin(), seqs[size_t(b)].begin() + T,
                  tokens.i64.begin() + b * T);
      std::vector<const Tensor *> args;
      for (const jit::Slot &a : fwd->arguments())
        args.push_back(a.name == "tokens" ? &tokens : &in.params.at(a.name));
      std::vector<Tensor> outs;
      auto t = Clock::now();
      if (!fwd->run(args, outs, error)) {
        std::fprintf(stderr, "decode_cpu: %s\n", error.c_str());
        return 1;
      }
      ms.push_back(msSince(t));
    }
    recomputeMs = median(ms);
  }

  double f = median(frondMs), r = median(torchMs);
  std::printf("  model %s (%s), batch %lld, context %lld, %lld warmup + %lld timed decode "
              "steps (interleaved)\n",
              m.name.c_str(), o.spec.c_str(), o.batch, context, o.warmup,
              (long long)frondMs.size());
  std::printf("  frond compile (prefill + decode): %.0f ms; %s\n", compileMs,
              dec->describe().c_str());
  std::printf("  prefill: frond %.1f ms, libtorch %.1f ms\n", frondPrefill, torchPrefill);
  std::printf("  frond    decode: median %8.3f ms/step  %9.1f tokens/s\n", f,
              1e3 * double(o.batch) / f);
  std::printf("  libtorch decode: median %8.3f ms/step  %9.1f tokens/s\n", r,
              1e3 * double(o.batch) / r);
  std::printf("  ratio libtorch/frond (median): %.3f  (%s)\n", r / f,
              r > f ? "Frond faster" : "libtorch faster");
  if (recomputeMs > 0)
    std::printf("  frond full recompute: %.1f ms/token (median of %lld), %.1fx the cached "
                "step\n",
                recomputeMs, dc.recompute, recomputeMs / f);
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  bench::Options o;
  Decode dc;
  o.batch = 1;
  o.warmup = 2;
  o.extraInts = {{"--context", [&](long long n) { dc.contexts.push_back(n); }},
                 {"--tokens", [&](long long n) { dc.tokens = n; }},
                 {"--recompute", [&](long long n) { dc.recompute = n; }}};
  o.extraUsage = " [--context T]... [--tokens N] [--recompute N]";
  int rc = bench::parseArgs(argc, argv, "decode_cpu",
                            "cached decode: Frond vs a libtorch KV-cache loop", o);
  if (rc >= 0)
    return rc;
  if (dc.contexts.empty())
    dc.contexts = {512, 2048};
  if (dc.tokens < 1) {
    std::fprintf(stderr, "decode_cpu: needs --tokens >= 1\n");
    return 2;
  }
  rc = 0;
  runOnLargeStack([&] {
    bench::printEnvironment();
    for (long long c : dc.contexts)
      if ((rc = runContext(o, dc, c)))
        return;
  });
  return rc;
}
