//===- TrainRunDir.h - frond train's run directory ------------------------===//
//
// The settings a run resolves once, and its directory: a fresh one (named
// after the experiment, variant and start time), its run.json, and resuming
// from its checkpoint with the checks that keep a resumed run identical to
// an uninterrupted one.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "Cli.h"

#include "frond/runtime/Optimizer.h"
#include "frond/runtime/Tensor.h"

#include <filesystem>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace frond::runtime {
class DataSource;
}

namespace frond::cli {

/// The run's settings, resolved once.
struct TrainPlan {
  long long total = 0, stopAt = 0, batch = 0, seqLen = 0, accumulate = 1;
  long long evalEvery = 0, checkpointEvery = 0, valBatches = 0;
  uint64_t seed = 1;
};

/// What a run carries over from its checkpoint and metrics.jsonl.
struct ResumedRun {
  long long startStep = 0;
  double priorTime = 0;                   ///< seconds of training before
  std::vector<std::string> keptLines;     ///< metrics.jsonl rows up to the checkpoint
  size_t droppedLines = 0;                ///< rows written after it
  bool metricsExisted = false;
  std::vector<std::pair<long long, double>> history, valHistory; ///< (step, loss)
};

/// How to continue the run in `dir`: the same spec, experiment, variant,
/// configuration and overrides.
std::string resumeCommand(const Options &o, const std::string &dir);

/// Loads the checkpoint of the run `o.resume` into `params` and `opt`,
/// refusing one written by another experiment, variant, model or data
/// layout. Returns -1 to go on training, else the exit status (0 when the
/// run is complete already).
int resumeRun(const Options &o, const ExperimentInstance &e, const TrainPlan &plan,
              const std::string &modelHash, runtime::Optimizer &opt,
              std::map<std::string, runtime::Tensor> &params, std::filesystem::path &runDir,
              ResumedRun &resumed);

/// A fresh run's directory: --out (which must not hold anything), else
/// runs/<experiment>/<variant>-<time>. Returns -1 to go on, else the exit status.
int newRunDir(const Options &o, const ExperimentInstance &e, std::filesystem::path &runDir);

/// Writes run.json: the resolved settings, spec, variant, seed and command.
bool writeRunJson(const Options &o, const ExperimentInstance &e, const TrainPlan &plan,
                  const runtime::DataSource &data, const std::string &modelHash,
                  const std::filesystem::path &runDir, std::string &error);

/// "base" for the experiment itself, else the variant's name.
inline std::string variantName(const ExperimentInstance &e) {
  return e.variant.empty() ? "base" : e.variant;
}

} // namespace frond::cli
