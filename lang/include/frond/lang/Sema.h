//===- Sema.h - semantic checks and the resolved model ---------*- C++ -*-===//
//
// Semantic analysis resolves names and imports, binds parameters, infers
// static shapes over named dimensions, and checks masks, scores, losses,
// caches, adapters, trainable patterns, experiments, variants and sweeps.
// Its product, a ModelInstance, is what `frond explain` shows and what the
// compiler will consume.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "frond/lang/Loader.h"
#include "frond/lang/Values.h"

namespace frond::graph {
struct Graph;
}

#include <optional>

namespace frond {

/// One learnable tensor.
struct ParamInfo {
  std::string path;      ///< "layer.0.attn.wq"
  Shape shape;
  long long count = 0;   ///< 0 when tied to another parameter
  std::string component; ///< "embedding", "attention", "partial attention", ...
  bool trainable = true;
  std::string tiedTo;    ///< Path of the parameter this one shares storage with
  std::string initFrom;  ///< Path this one is initialised from
  Loc loc;
};

struct InputInfo {
  std::string name, type;
  Shape shape;
};

/// One attention call, resolved.
struct AttentionInfo {
  std::string path, kind;
  long long heads = 0, kvHeads = 0, headDim = 0;
  std::string mask, score, pos;
  std::string kvSource; ///< Shape of the K/V source for partial/cross attention
  bool qkNorm = false;
  std::vector<std::string> flags; ///< "captures scores", "faithful", ...
  Loc loc;
};

struct HeadInfo {
  std::string name;
  Shape shape;
  std::string tiedTo, initFrom;
};

struct LossInfo {
  std::string name; ///< Empty for the total.
  std::string expr;
  Loc loc;
};

/// A model elaborated with concrete parameter values.
struct ModelInstance {
  std::string name;
  std::vector<std::pair<std::string, Value>> args; ///< Every parameter, resolved
  std::vector<InputInfo> inputs;
  std::vector<ParamInfo> params;
  std::vector<AttentionInfo> attentions;
  std::vector<HeadInfo> heads;
  std::vector<LossInfo> losses;
  std::vector<std::string> caches;
  std::vector<std::string> points;   ///< Named values adapters can attach to
  std::vector<std::string> adapters; ///< "beam at layer.attn"
  std::vector<std::string> recursion; ///< "recur 4 (shared weights): label"
  long long totalParams() const;
  long long trainableParams() const;
};

/// An experiment's settings after variants, sweeps and config overrides.
struct ExperimentInstance {
  std::string name, variant; ///< variant "" is the base experiment
  bool modelOnly = false;    ///< The file has no experiment: its model alone
  ModelInstance model;
  std::vector<std::pair<std::string, std::string>> settings; ///< "train.steps" -> "2000"
  std::vector<std::string> variants;
  std::vector<std::string> sweeps; ///< "sae_weight in [0.1, 0.5]"
  std::vector<std::string> evals;
  long long seeds = 1;
};

/// Overrides from the run configuration (model.* / train.* / data.*).
struct Override {
  std::string key;   ///< "model.layers", "train.steps"
  Value value;
  std::string origin; ///< "frond.toml:3" or "--set model.layers=4"
};

/// Checks every declaration of the program: each experiment with each of its
/// variants and sweep values, each model whose parameters all have defaults,
/// and name resolution inside every block. Returns false on any error.
bool checkProgram(const Program &program, DiagEngine &diags,
                  const std::vector<Override> &overrides = {});

/// Elaborates one experiment (or, when the root declares none, its last
/// model with defaults) for `frond explain`. `experiment` and `variant` may
/// be empty (the only experiment; the base variant).
/// With `record`, the model's dataflow is recorded into it (Graph.h);
/// constructs the compiler cannot lower yet are then reported as errors.
std::optional<ExperimentInstance>
resolveExperiment(const Program &program, const std::string &experiment,
                  const std::string &variant, DiagEngine &diags,
                  const std::vector<Override> &overrides = {},
                  graph::Graph *record = nullptr);

/// The language's builtin functions with signatures, for `frond help builtins`.
std::string builtinsHelp();

/// Renders an ExperimentInstance for `frond explain`.
std::string explainText(const ExperimentInstance &e);

/// Glob match with '*' (any run of characters, dots included) and '?' (one
/// character): trainable/frozen patterns and optimizer parameter groups.
bool globMatch(const std::string &pattern, const std::string &text);

} // namespace frond
