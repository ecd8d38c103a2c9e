//===- CachedDecoder.cpp - generation through prefill + one-token decode --===//
//
// makeCachedDecoder compiles the two functions the compiler derives from
// the model (frond/MLIRGen/Generation.h) and drives them:
//
// - prefill: the prompts right-padded into one [b, t] batch with their
//   lengths; its results seed every cache. Append caches (K/V) are
//   allocated here for max tokens per sequence, once: [b, ..., max, ...].
// - step: one token per sequence at its own position. Its arguments stay
//   bound between steps (jit::ResidentCall: on the GPU the weights and
//   caches live in device memory, and from the third step on each step
//   replays a CUDA graph); only the tokens, positions and history are set
//   per step. Decode writes the new K/V into the caches in place (the
//   compiled code receives the caches' buffers) and also returns those
//   slices, which are stored again here at the same positions, so the
//   caches are right even where bufferization chose to copy. Running
//   states are replaced by the returned ones. Its linears read weights
//   transposed once here (GenerationPlan::packed).
//
// Per-sample inputs besides tokens (PALM's src_len) are the prompt lengths.
//
//===----------------------------------------------------------------------===//
#include "Decoder.h"

#include "frond/JIT/ResidentCall.h"
#include "frond/MLIRGen/Generation.h"

#include "mlir/IR/MLIRContext.h"

#include <algorithm>
#include <cstdio>
#include <cstring>

namespace frond::gen {

using runtime::DType;
using runtime::Tensor;

namespace {

/// dst[b, .., at[b] + i, ..] = src[b, .., i, ..] along `axis`, for every i
/// below src's extent there (both row-major, equal outside `axis`; `cap`
/// is dst's extent along `axis`).
void storeAlong(float *dst, int64_t cap, const Tensor &src, int64_t axis,
                const std::vector<int64_t> &at) {
  int64_t outer = 1, inner = 1;
  for (int64_t d = 1; d < axis; ++d)
    outer *= src.shape[size_t(d)];
  for (size_t d = size_t(axis) + 1; d < src.shape.size(); ++d)
    inner *= src.shape[d];
  int64_t n = src.shape[size_t(axis)];
  for (int64_t b = 0; b < src.shape[0]; ++b)
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t i = 0; i < n && at[size_t(b)] + i < cap; ++i)
        std::memcpy(&dst[size_t(((b * outer + o) * cap + at[size_t(b)] + i) * inner)],
                    &src.f32[size_t(((b * outer + o) * n + i) * inner)],
                    size_t(inner) * sizeof(float));
}

std::string mib(double bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f MiB", bytes / (1024.0 * 1024.0));
  return buf;
}

class CachedDecoder : public Decoder {
public:
  bool init(const DecoderInputs &in, std::string &error);
  bool prefill(const std::vector<std::vector<int64_t>> &prompts, Logits &out,
               std::string &error) override;
  bool step(const std::vector<int64_t> &tokens, Logits &out, std::string &error) override;
  std::string describe() const override;

private:
  GenerationPlan plan;
  std::shared_ptr<jit::CompiledModel> prefillFn, decodeFn;
  std::map<std::string, Tensor> params;
  std::map<std::string, Tensor> packed; ///< "packed:<path>": transposed weights
  std::vector<std::string> sampleInputs; ///< per-sample inputs: the lengths
  int64_t maxTokens = 0;

  // The batch being generated.
  int64_t batch = 0;
  std::vector<int64_t> pos; ///< each sequence's length so far
  Tensor lengths, history;
  std::unique_ptr<jit::ResidentCall> decodeCall; ///< bound at prefill
  std::map<std::string, size_t> decodeArg;        ///< argument index by name

  /// `fn`'s arguments: `named` values, then the parameters.
  bool arguments(const jit::CompiledModel &fn,
                 const std::map<std::string, const Tensor *> &named,
                 std::vector<const Tensor *> &args, std::string &error);
  /// `results` of `fn` by result name.
  static std::map<std::string, Tensor> byName(const jit::CompiledModel &fn,
                                              std::vector<Tensor> &results);
  static void toLogits(const Tensor &t, Logits &out);
};

bool CachedDecoder::init(const DecoderInputs &in, std::string &error) {
  if (!in.model || !in.graph) {
    error = "the cached decoder needs the model and its recorded graph";
    return false;
  }
  const ModelInstance &m = *in.model;
  if (m.caches.empty()) {
    error = "model '" + m.name + "' declares no cache (add e.g. `cache kv`); generate with "
            "full recomputation instead (--no-cache)";
    return false;
  }
  if (in.maxTokens < 1) {
    error = "max tokens must be at least 1";
    return false;
  }
  maxTokens = in.maxTokens;
  params = in.params;
  DiagEngine diags;
  mlir::MLIRContext ctx;
  GenerationOptions planning;
  // On the GPU (and when emulating its pipeline) each step is the same
  // kernels on the same buffers: one CUDA graph, replayed.
  planning.wholeCache =
      in.compile.target == jit::CompileOptions::Target::CUDA || in.compile.emulateGPUAttention;
  if (!planGeneration(*in.graph, m, plan, diags, planning)) {
    error = diags.render();
    return false;
  }
  // Inputs only a loss reads (labels) are not arguments of prefill/decode.
  auto reads = [](const graph::Graph &g, const std::string &name) {
    return std::any_of(g.nodes.begin(), g.nodes.end(), [&](const graph::Node &n) {
      return n.op == "input" && n.name == name;
    });
  };
  for (const InputInfo &input : m.inputs) {
    if (input.name == "tokens" || !(reads(plan.prefill, input.name) || reads(plan.decode, input.name)))
      continue;
    if (input.shape.size() != 1 || input.type != "int") {
      error = "cannot generate from model '" + m.name + "': input '" + input.name +
              "' is not a per-sample integer that the prompt could give";
      return false;
    }
    sampleInputs.push_back(input.name);
  }
  for (const std::string &path : plan.packed) {
    auto p = params.find(path);
    if (p == params.end() || p->second.shape.size() != 2) {
      error = "no 2-D parameter '" + path + "' to pack for decoding";
      return false;
    }
    const Tensor &w = p->second;
    int64_t rows = w.shape[0], cols = w.shape[1];
    Tensor t = Tensor::zeros(DType::F32, {cols, rows});
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t c = 0; c < cols; ++c)
        t.f32[size_t(c * rows + r)] = w.f32[size_t(r * cols + c)];
    packed["packed:" + path] = std::move(t);
  }
  for (auto [fn, g, suffix] : {std::tuple{&prefillFn, &plan.prefill, "_prefill"},
                               std::tuple{&decodeFn, &plan.decode, "_decode"}}) {
    auto module = mlirGenFunction(ctx, *g, m, diags, suffix);
    if (!module) {
      error = diags.render();
      return false;
    }
    jit::CompileOptions options = in.compile;
    options.gradient = false;
    options.entry = suffix;
    *fn = jit::CompiledModel::compile(std::move(module), error, options);
    if (!*fn)
      return false;
  }
  return true;
}

bool CachedDecoder::arguments(const jit::CompiledModel &fn,
                              const std::map<std::string, const Tensor *> &named,
                              std::vector<const Tensor *> &args, std::string &error) {
  args.clear();
  for (const jit::Slot &s : fn.arguments()) {
    auto it = named.find(s.name);
    auto p = params.find(s.name);
    if (it == named.end() && p == params.end()) {
      error = "no value for argument '" + s.name + "' of the generation functions";
      return false;
    }
    args.push_back(it != named.end() ? it->second : &p->second);
  }
  return true;
}

std::map<std::string, Tensor> CachedDecoder::byName(const jit::CompiledModel &fn,
                                                    std::vector<Tensor> &results) {
  std::map<std::string, Tensor> outs;
  for (size_t i = 0; i < results.size(); ++i)
    outs[fn.results()[i].name] = std::move(results[i]);
  return outs;
}

void CachedDecoder::toLogits(const Tensor &t, Logits &out) {
  out.batch = t.shape[0];
  out.vocab = t.shape[1];
  out.data = t.f32;
}

bool CachedDecoder::prefill(const std::vector<std::vector<int64_t>> &prompts, Logits &out,
                            std::string &error) {
  batch = int64_t(prompts.size());
  if (batch == 0) {
    error = "no prompts";
    return false;
  }
  int64_t longest = 0;
  for (size_t i = 0; i < prompts.size(); ++i) {
    int64_t n = int64_t(prompts[i].size());
    if (n < 1 || n > maxTokens) {
      error = "prompt " + std::to_string(i) + " has " + std::to_string(n) +
              " tokens; a prompt needs 1 to max tokens (" + std::to_string(maxTokens) + ")";
      return false;
    }
    if (n < plan.minPrompt) {
      error = "prompt " + std::to_string(i) + " has " + std::to_string(n) +
              " tokens, but the model reads its first " + std::to_string(plan.minPrompt) +
              " positions as a source that the cache computes once: give prompts of at "
              "least " + std::to_string(plan.minPrompt) + " tokens (or --no-cache)";
      return false;
    }
    longest = std::max(longest, n);
  }
  Tensor tokens = Tensor::zeros(DType::I64, {batch, longest});
  lengths = Tensor::zeros(DType::I64, {batch});
  history = Tensor::zeros(DType::I64, {batch, maxTokens});
  pos.assign(size_t(batch), 0);
  for (int64_t b = 0; b < batch; ++b) {
    const std::vector<int64_t> &p = prompts[size_t(b)];
    std::copy(p.begin(), p.end(), tokens.i64.begin() + b * longest);
    std::copy(p.begin(), p.end(), history.i64.begin() + b * maxTokens);
    lengths.i64[size_t(b)] = pos[size_t(b)] = int64_t(p.size());
  }
  std::map<std::string, const Tensor *> named{{"tokens", &tokens}, {"gen.lengths", &lengths}};
  for (const std::string &s : sampleInputs)
    named[s] = &lengths;
  std::vector<const Tensor *> args;
  std::vector<Tensor> results;
  decodeCall.reset(); // the last batch's buffers
  if (!arguments(*prefillFn, named, args, error) || !prefillFn->run(args, results, error))
    return false;
  std::map<std::string, Tensor> outs = byName(*prefillFn, results);
  for (const CacheSpec &c : plan.caches)
    if (!outs.count("cache:" + c.name)) {
      error = "prefill returned no cache '" + c.name + "'";
      return false;
    }
  // The decode step's arguments, bound until the next prefill: the caches
  // (append caches at max tokens, the prompt's part filled), the weights.
  std::map<std::string, Tensor> caches;
  for (const CacheSpec &c : plan.caches) {
    Tensor &first = outs["cache:" + c.name];
    if (c.update != CacheSpec::Append) {
      caches[c.name] = std::move(first);
      continue;
    }
    std::vector<int64_t> shape = first.shape;
    shape[size_t(c.seqAxis)] = maxTokens;
    Tensor &cache = caches[c.name] = Tensor::zeros(DType::F32, shape);
    storeAlong(cache.f32.data(), maxTokens, first, c.seqAxis,
               std::vector<int64_t>(size_t(batch), 0));
  }
  toLogits(outs["logits"], out);
  Tensor tokensNow = Tensor::zeros(DType::I64, {batch, 1});
  Tensor posNow = Tensor::zeros(DType::I64, {batch});
  std::map<std::string, const Tensor *> stepNamed{
      {"tokens", &tokensNow}, {"gen.pos", &posNow}, {"gen.history", &history}};
  for (const std::string &s : sampleInputs)
    stepNamed[s] = &lengths;
  for (auto &[name, t] : caches)
    stepNamed["cache:" + name] = &t;
  for (auto &[name, t] : packed)
    stepNamed[name] = &t;
  if (!arguments(*decodeFn, stepNamed, args, error) ||
      !(decodeCall = jit::ResidentCall::bind(decodeFn, args, error)))
    return false;
  decodeArg.clear();
  for (size_t i = 0; i < decodeFn->arguments().size(); ++i)
    decodeArg[decodeFn->arguments()[i].name] = i;
  return true;
}

bool CachedDecoder::step(const std::vector<int64_t> &next, Logits &out, std::string &error) {
  if (int64_t(next.size()) != batch || !decodeCall) {
    error = !decodeCall ? "step before prefill"
                        : "expected " + std::to_string(batch) + " tokens, one per sequence";
    return false;
  }
  Tensor tokens = Tensor::zeros(DType::I64, {batch, 1});
  Tensor at = Tensor::zeros(DType::I64, {batch});
  for (int64_t b = 0; b < batch; ++b) {
    int64_t p = pos[size_t(b)];
    if (p >= maxTokens) {
      error = "sequence " + std::to_string(b) + " already has max tokens (" +
              std::to_string(maxTokens) + ")";
      return false;
    }
    tokens.i64[size_t(b)] = next[size_t(b)];
    at.i64[size_t(b)] = p;
    history.i64[size_t(b * maxTokens + p)] = next[size_t(b)];
  }
  // Only what changed since the last step is set; the caches are where
  // the last step left them.
  for (auto [name, t] : {std::pair{"tokens", &tokens}, std::pair{"gen.pos", &at},
                         std::pair{"gen.history", &history}})
    if (auto it = decodeArg.find(name);
        it != decodeArg.end() && !decodeCall->set(it->second, *t, error))
      return false;
  std::vector<Tensor> results;
  if (!decodeCall->run(results, error))
    return false;
  std::map<std::string, Tensor> outs = byName(*decodeFn, results);
  for (const CacheSpec &c : plan.caches) {
    auto it = outs.find("cache:" + c.name);
    if (it == outs.end())
      continue; // Frozen: read only.
    size_t arg = decodeArg.at("cache:" + c.name);
    if (c.update == CacheSpec::Append)
      storeAlong(static_cast<float *>(decodeCall->data(arg)), maxTokens, it->second, c.seqAxis,
                 pos);
    else if (!decodeCall->set(arg, it->second, error))
      return false;
  }
  for (int64_t &p : pos)
    ++p;
  toLogits(outs["logits"], out);
  return true;
}

std::string CachedDecoder::describe() const {
  int layers = 0;
  double bytes = 0; // per sequence, for max tokens
  std::vector<std::string> others; // descriptions of the other caches
  for (const CacheSpec &c : plan.caches) {
    double n = 4;
    for (size_t d = 1; d < c.shape.size(); ++d)
      n *= int64_t(d) == c.seqAxis ? double(maxTokens) : double(std::max<int64_t>(c.shape[d], 1));
    if (c.kind == "kv" && c.update == CacheSpec::Append) {
      layers += c.name.size() > 2 && c.name.substr(c.name.size() - 2) == ".k";
      bytes += n;
    } else {
      std::string what = c.kind == "source_kv" ? "source K/V computed once at prefill"
                         : c.kind == "g" && c.update == CacheSpec::Frozen
                             ? "G cache (the metric from the prompt, frozen)"
                         : c.kind == "g" ? "G cache (running sum of q^T q, O(1) per token)"
                                         : "recurrent state (O(1) per token)";
      if (std::find(others.begin(), others.end(), what) == others.end())
        others.push_back(what);
    }
  }
  std::string s;
  if (layers) {
    int64_t seqs = std::max<int64_t>(batch, 1);
    s = "KV cache: " + std::to_string(layers) + " layer" + (layers == 1 ? "" : "s") + ", " +
        mib(bytes * double(seqs)) + " preallocated for " + std::to_string(maxTokens) +
        " tokens" + (batch > 1 ? " x " + std::to_string(batch) + " sequences" : "");
  }
  for (const std::string &k : others)
    s += (s.empty() ? "" : "; ") + k;
  for (const std::string &d : plan.differences)
    s += "; differs from a full recompute: " + d;
  if (decodeCall && decodeCall->onGPU())
    s += "; decode step: " + decodeCall->describe();
  return s;
}

} // namespace

std::unique_ptr<Decoder> makeCachedDecoder(const DecoderInputs &in, std::string &error) {
  auto d = std::make_unique<CachedDecoder>();
  if (!d->init(in, error))
    return nullptr;
  return d;
}

} // namespace frond::gen
