//===- TrainLoop.h - frond train's steps, validation and summary ----------===//
//
// What runs once `frond train` has its experiment, compiled functions,
// parameters and run directory (TrainCommand.cpp): the optimizer steps
// (gradients accumulated over micro-batches), validation and checkpoints
// on their schedules, progress lines, a clean stop on Ctrl-C with the
// command that continues, and the summary.
//
//===----------------------------------------------------------------------===//
#pragma once
#include "Cli.h"
#include "TrainRunDir.h"

#include "frond/JIT/Jit.h"
#include "frond/JIT/ResidentCall.h"
#include "frond/JIT/TrainStep.h"
#include "frond/runtime/Data.h"
#include "frond/runtime/Optimizer.h"
#include "frond/runtime/Tensor.h"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace frond::cli {

/// A compiled function with its arguments bound: inputs by name from each
/// batch, parameters by path (stable pointers into the parameter map).
struct BoundFunction {
  std::shared_ptr<jit::CompiledModel> fn;
  std::vector<const runtime::Tensor *> args;
  std::vector<std::string> inputNames; ///< per argument: "" for a parameter
  int lossIndex = -1;

  /// Binds parameters, `state` (the compiled optimizer step's arguments,
  /// if any) and inputs, and finds the one loss (or the total "loss");
  /// false with `error` otherwise.
  bool bind(std::map<std::string, runtime::Tensor> &params, const std::set<std::string> &inputs,
            std::string &error, std::map<std::string, runtime::Tensor> *state = nullptr);
  /// Runs on batch `b`'s inputs.
  bool run(const runtime::Batch &b, std::vector<runtime::Tensor> &outs, std::string &error);

  /// For a function that updates its arguments (the compiled optimizer
  /// step), or on the GPU one called on many batches with the same
  /// parameters (validation's forward): parameters and optimizer state
  /// stay in the call's buffers (jit::ResidentCall, on the CPU too), copied
  /// in once; only the inputs and "hyper" are copied at each call.
  /// pullArguments copies the kept ones back into the host tensors they
  /// were bound from.
  bool keepArguments = false;
  void pullArguments();
  /// The other way: the host tensors into the call's buffers, after the
  /// host changed them (the forward before validating).
  bool pushArguments(std::string &error);
  /// The result named `name`, -1 if none.
  int resultIndex(const std::string &name) const;

  /// On the GPU, when the compiled host code can be replayed: the
  /// arguments kept in device buffers between calls (the parameters and
  /// the batch copied in at each call) and, from the third call with the
  /// same shapes, the call replayed as one CUDA graph (jit::ResidentCall).
  std::unique_ptr<jit::ResidentCall> resident;

private:
  std::vector<runtime::Tensor *> kept; ///< per argument: the host tensor kept in the call
};

/// Everything the loop works with, set up by trainCommand.
struct TrainSetup {
  const Options &o;
  const ExperimentInstance &e;
  const TrainPlan &plan;
  runtime::DataSource &data;
  BoundFunction &grad, &fwd;
  std::map<std::string, runtime::Tensor> &params;
  runtime::Optimizer &opt;
  /// With the optimizer's update compiled into `grad` (--optimizer-step
  /// compiled): its plan and its state arguments; null: opt.step on the host.
  const jit::TrainStepPlan *trainStep;
  std::map<std::string, runtime::Tensor> *stepState;
  std::filesystem::path runDir;
  ResumedRun &resumed;
  std::string modelHash;
  std::FILE *metrics; ///< metrics.jsonl, open for appending; closed by the loop
  double compileSec = 0;
  std::chrono::steady_clock::time_point wall0;
};

/// Trains from resumed.startStep to plan.stopAt (validating first on a
/// fresh run), then prints the summary. Returns the exit status: 0, 1 on
/// an error (named), 130 when interrupted after saving a checkpoint.
int runTrainLoop(TrainSetup &s);

} // namespace frond::cli
