//===- CheckpointInput.h - --checkpoint for generate, serve and eval -*- C++ -*-===//
//
// A checkpoint named on the command line: its directory (a run directory or
// its checkpoint/), the experiment and variant it was trained as (which the
// command adopts unless --experiment / --variant name others, in which case
// they must agree), and its parameters for the resolved model.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "Cli.h"

#include "frond/runtime/Checkpoint.h"

#include <map>
#include <string>

namespace frond::cli {

struct CheckpointInput {
  std::string dir;                 ///< the checkpoint directory
  std::string experiment, variant; ///< to resolve (variant "" = the base)
  runtime::TrainingState state;
};

/// Reads the checkpoint of `o.checkpoint` and settles the experiment and
/// variant from it and the command line. `command` ("generate", "eval")
/// names the command in fixes. Prints the error; false on error.
bool openCheckpoint(const Options &o, const char *command, CheckpointInput &ck);

/// The checkpoint's parameters for model `m` (every declared parameter,
/// shapes checked). Prints the error, naming the run's run.json; false on
/// error.
bool loadCheckpointParams(const CheckpointInput &ck, const ModelInstance &m, const char *command,
                          std::map<std::string, runtime::Tensor> &params);

/// "checkpoint <dir> (step N)", for headers.
std::string describe(const CheckpointInput &ck);

} // namespace frond::cli
