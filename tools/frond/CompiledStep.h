//===- CompiledStep.h - the experiment's optimizer as compiled code -------===//
//
// Between runtime::Optimizer (the rules, their settings, the schedule and
// the state) and jit::TrainStepPlan (the update compiled into the
// gradient function): which rules the compiled step can take, the values
// that change each step, and the state as the step's arguments.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "frond/JIT/TrainStep.h"
#include "frond/runtime/Optimizer.h"

#include <map>
#include <memory>
#include <string>

namespace frond::cli {

/// The compiled form of `opt`'s update over `accumulate` micro-batches
/// per update, or null with `whyNot` set when it
/// stays on the host (Muon's faithful bf16 form or a Muon parameter of
/// rank other than 2, or nothing to train).
std::shared_ptr<jit::TrainStepPlan> trainStepPlan(const runtime::Optimizer &opt, int accumulate,
                                                  std::string &whyNot);

/// The `hyper` values of update `step` (0-based): per rule of `plan`, its
/// three values from the scheduled lr and the update count, computed in
/// double as the host optimizer does, and `apply` 0 (the caller sets it for
/// the last micro-batch). Counts the update in `opt`'s slots.
runtime::Tensor trainStepHyper(const jit::TrainStepPlan &plan, runtime::Optimizer &opt,
                               int64_t step);

/// The step's state arguments, "<state>:<path>" (from the optimizer's
/// slots, in the parameters' shapes), and "hyper" (zeros).
std::map<std::string, runtime::Tensor> trainStepState(const jit::TrainStepPlan &plan,
                                                      const runtime::Optimizer &opt);

/// Copies `state` (as trainStepState names it) back into `opt`'s slots.
void storeTrainStepState(const std::map<std::string, runtime::Tensor> &state,
                         runtime::Optimizer &opt);

} // namespace frond::cli
