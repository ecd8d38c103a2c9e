//===- Generation.cpp - model, parameters and settings for generation ----===//
#include "Generation.h"

#include "CheckpointInput.h"

#include "frond/runtime/Init.h"

#include <cstdio>


namespace frond::gen {

using runtime::Tensor;

namespace {

bool failed(const std::string &what, const std::string &fix = "") {
  cli::fail(what, fix);
  return false;
}

std::string unquote(std::string v) {
  if (v.size() >= 2 && v.front() == '"' && v.back() == '"')
    v = v.substr(1, v.size() - 2);
  return v;
}

/// generate { } settings, then the command line's overrides.
bool readSettings(const cli::Options &o, const ExperimentInstance &e, GenerateSettings &s) {
  auto get = [&](const char *key) { return cli::setting(e, std::string("generate.") + key); };
  runtime::SamplingParams &p = s.sampling;
  if (auto v = get("max_tokens"); !v.empty())
    s.maxTokens = std::atoll(v.c_str());
  if (auto v = get("temperature"); !v.empty())
    p.temperature = std::atof(v.c_str());
  if (auto v = get("top_k"); !v.empty())
    p.topK = std::atoll(v.c_str());
  if (auto v = get("top_p"); !v.empty())
    p.topP = std::atof(v.c_str());
  if (auto v = get("repetition_penalty"); !v.empty())
    p.repetitionPenalty = std::atof(v.c_str());
  if (auto v = get("greedy"); !v.empty())
    p.greedy = v == "true";
  if (auto v = unquote(get("top_p_style")); !v.empty() && !runtime::parseTopPStyle(v, p.topPStyle))
    return failed("experiment '" + e.name + "': generate.top_p_style is \"" + v + "\"",
                "write top_p_style = \"hf\" (keeps the token that crosses top_p) or \"pldr\" "
                "(drops it)");
  if (std::atoll(get("min_length").c_str()) > 0)
    std::fprintf(stderr, "frond: note: generate.min_length has no effect: the tokenizers have "
                         "no end-of-sequence token, so every sequence runs to max_tokens\n");
  if (std::string err = p.validate(); !err.empty())
    return failed("experiment '" + e.name + "': generate { }: " + err,
                "correct the experiment's generate { } section");
  if (o.maxTokens > 0)
    s.maxTokens = o.maxTokens;
  if (o.temperature >= 0)
    p.temperature = o.temperature;
  if (o.topK >= 0)
    p.topK = o.topK;
  if (o.topP > 0)
    p.topP = o.topP;
  if (o.repetitionPenalty > 0)
    p.repetitionPenalty = o.repetitionPenalty;
  if (!o.topPStyle.empty())
    runtime::parseTopPStyle(o.topPStyle, p.topPStyle); // checked when parsed
  if (o.greedy)
    p.greedy = true;
  std::string trainSeed = cli::setting(e, "train.seed");
  s.seed = uint64_t(o.seed >= 0 ? o.seed : trainSeed.empty() ? 1 : std::atoll(trainSeed.c_str()));
  return true;
}

} // namespace

int64_t contextLimit(const ModelInstance &m) {
  for (auto &[k, v] : m.args)
    if ((k == "max_len" || k == "max_seq_len" || k == "context") && v.kind == Value::Int &&
        v.i > 0)
      return v.i;
  return 0;
}

bool prepareGeneration(const cli::Options &o, const Program &program,
                       const std::vector<Override> &overrides, DiagEngine &diags,
                       GenerationModel &g, DecoderInputs &inputs) {
  // The checkpoint first: it names the experiment and variant it was trained as.
  cli::CheckpointInput ck{"", o.experiment, o.variant, {}};
  if (!o.checkpoint.empty() && !cli::openCheckpoint(o, "generate", ck))
    return false;
  std::string experiment = ck.experiment, variant = ck.variant;
  std::map<std::string, Tensor> params;

  g.inst = resolveExperiment(program, experiment, variant, diags, overrides, &g.graph);
  if (!g.inst || diags.hasErrors())
    return cli::printDiagnostics(diags), false;
  cli::printDiagnostics(diags); // warnings
  const ExperimentInstance &e = *g.inst;
  const ModelInstance &m = e.model;
  if (!readSettings(o, e, g.defaults))
    return false;
  if (!o.checkpoint.empty()) {
    if (!cli::loadCheckpointParams(ck, m, "generate", params))
      return false;
    g.paramsNote = cli::describe(ck);
  } else {
    params = runtime::initParams(m, g.defaults.seed, 0.02);
    g.paramsNote = "freshly initialised parameters (seed " + std::to_string(g.defaults.seed) + ")";
    std::fprintf(stderr, "frond: note: no --checkpoint: generating with freshly initialised "
                         "parameters (seed %llu); the text will be noise\n",
                 (unsigned long long)g.defaults.seed);
  }
  int64_t vocab = cli::modelVocab(m);
  g.tokenizer = Tokenizer::forData(cli::setting(e, "data"), vocab > 0 ? vocab : 256);
  g.contextLimit = contextLimit(m);
  g.modelId = e.name + (e.variant.empty() ? "" : "/" + e.variant);

  inputs.model = &g.inst->model;
  inputs.graph = &g.graph;
  inputs.params = std::move(params);
  inputs.compile = cli::jitOptions(o);
  // --no-cache means the KV cache here (makeDecoder), not the JIT's.
  inputs.compile.refreshCache = false;
  return true;
}

bool makeDecoder(DecoderInputs &inputs, bool noCache, int64_t tokens, GenerationModel &g) {
  inputs.maxTokens = tokens;
  g.decoderTokens = tokens;
  std::string error;
  const ModelInstance &m = g.inst->model;
  if (!noCache) {
    if (m.caches.empty()) {
      std::fprintf(stderr,
                   "frond: note: model '%s' declares no cache (`cache kv`); using full "
                   "recompute\n",
                   m.name.c_str());
    } else {
      g.decoder = makeCachedDecoder(inputs, error);
      if (!g.decoder)
        std::fprintf(stderr, "frond: note: %s; using full recompute\n", error.c_str());
    }
  }
  if (!g.decoder)
    g.decoder = makeRecomputeDecoder(inputs, error);
  if (!g.decoder)
    return failed("cannot generate with model '" + m.name + "': " + error);
  return true;
}

} // namespace frond::gen
