//===- Generation.cpp - model, parameters and settings for generation ----===//
#include "Generation.h"

#include "frond/runtime/Checkpoint.h"
#include "frond/runtime/Init.h"

#include <cstdio>
#include <filesystem>

namespace fs = std::filesystem;

namespace frond::gen {

using runtime::Tensor;

namespace {

bool fail(const std::string &what, const std::string &fix = "") {
  std::fprintf(stderr, "frond: error: %s\n", what.c_str());
  if (!fix.empty())
    std::fprintf(stderr, "  fix: %s\n", fix.c_str());
  return false;
}

/// The checkpoint directory of --checkpoint PATH: PATH/checkpoint (a run
/// directory) or PATH itself (a checkpoint directory).
bool findCheckpoint(const std::string &path, std::string &dir) {
  const std::string fix = "pass a run directory written by frond train "
                          "(runs/<experiment>/<variant>-<time>/) or its checkpoint/ directory";
  std::error_code ec;
  if (!fs::exists(path, ec))
    return fail("--checkpoint " + path + ": no such file or directory", fix);
  if (fs::exists(fs::path(path) / "checkpoint" / "model.safetensors", ec))
    dir = (fs::path(path) / "checkpoint").string();
  else if (fs::exists(fs::path(path) / "model.safetensors", ec))
    dir = path;
  else
    return fail("--checkpoint " + path + " holds no checkpoint (no " +
                    (fs::path(path) / "checkpoint" / "model.safetensors").string() + ")",
                fix + "; a run stopped before its first checkpoint has none");
  return true;
}

/// `error` ("<file>: <what>; fix: <how>") with its fix replaced by `fix`.
std::string withFix(const std::string &error, const std::string &fix) {
  size_t at = error.find("; fix: ");
  return (at == std::string::npos ? error : error.substr(0, at)) + "\n  fix: " + fix;
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
    return fail("experiment '" + e.name + "': generate.top_p_style is \"" + v + "\"",
                "write top_p_style = \"hf\" (keeps the token that crosses top_p) or \"pldr\" "
                "(drops it)");
  if (std::atoll(get("min_length").c_str()) > 0)
    std::fprintf(stderr, "frond: note: generate.min_length has no effect: the tokenizers have "
                         "no end-of-sequence token, so every sequence runs to max_tokens\n");
  if (std::string err = p.validate(); !err.empty())
    return fail("experiment '" + e.name + "': generate { }: " + err,
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
  std::string ckDir, experiment = o.experiment, variant = o.variant;
  std::map<std::string, Tensor> params, optState;
  runtime::TrainingState state;
  if (!o.checkpoint.empty()) {
    if (!findCheckpoint(o.checkpoint, ckDir))
      return false;
    std::string error;
    if (!runtime::loadCheckpoint(ckDir, {}, params, optState, state, error))
      return fail("cannot read the checkpoint: " +
                  withFix(error, "pass a checkpoint written by frond train (the file is "
                                 "damaged, or not a Frond checkpoint)"));
    auto was = [&](const char *key) {
      auto it = state.extra.find(key);
      return it == state.extra.end() ? std::string() : it->second;
    };
    std::string ckExperiment = was("experiment"), ckVariant = was("variant");
    if (ckVariant == "base")
      ckVariant = "";
    if (experiment.empty())
      experiment = ckExperiment;
    if (o.variant.empty())
      variant = ckVariant;
    if (!ckExperiment.empty() && experiment != ckExperiment)
      return fail(ckDir + " was trained by experiment '" + ckExperiment + "', not '" +
                      experiment + "'",
                  "generate with --experiment " + ckExperiment + " (or omit --experiment)");
    if (!o.variant.empty() && o.variant != ckVariant)
      return fail(ckDir + " was trained as " +
                      (ckVariant.empty() ? "the base experiment" : "variant '" + ckVariant + "'") +
                      ", not variant '" + o.variant + "'",
                  ckVariant.empty() ? std::string("generate without --variant")
                                    : "generate with --variant " + ckVariant +
                                          " (or omit --variant)");
  }

  g.inst = resolveExperiment(program, experiment, variant, diags, overrides, &g.graph);
  if (!g.inst || diags.hasErrors())
    return cli::printDiagnostics(diags), false;
  cli::printDiagnostics(diags); // warnings
  const ExperimentInstance &e = *g.inst;
  const ModelInstance &m = e.model;
  if (!readSettings(o, e, g.defaults))
    return false;
  if (!o.checkpoint.empty()) {
    std::string error;
    std::string run = fs::path(ckDir).parent_path().string();
    if (!runtime::loadCheckpoint(ckDir, m.params, params, optState, state, error))
      return fail("the checkpoint does not fit model '" + m.name + "': " +
                  withFix(error, "generate with the spec, --experiment, --variant and --set "
                                 "model.* overrides that trained it (see " +
                                     (fs::path(run) / "run.json").string() + ")"));
    g.paramsNote = "checkpoint " + ckDir + " (step " + std::to_string(state.step) + ")";
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
  inputs.compile.cacheDir = o.cacheDir;
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
    return fail("cannot generate with model '" + m.name + "': " + error);
  return true;
}

} // namespace frond::gen
