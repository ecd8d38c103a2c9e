//===- EvalInputs.h - eval --inputs: a batch from a safetensors file -*- C++ -*-===//
//
// `frond eval --inputs FILE` runs the model on tensors the user supplies
// (token ids, per-sample lengths, document ids, float features) instead of
// the experiment's data or seeded values: e.g. a benchmark that builds the
// same batch for Frond and for PyTorch. Inputs the file does not hold keep
// their seeded values.
//
//===----------------------------------------------------------------------===//
#ifndef FROND_TOOLS_EVALINPUTS_H
#define FROND_TOOLS_EVALINPUTS_H

#include "frond/lang/Sema.h"
#include "frond/runtime/Tensor.h"

#include <map>
#include <string>
#include <vector>

namespace frond::cli {

/// Reads FILE's tensors; `batch` and `seqLen` (when 0) become the sizes
/// they imply: dimension 0 of every tensor, dimension 1 of a matrix.
bool readEvalInputs(const std::string &path, std::map<std::string, runtime::Tensor> &given,
                    long long &batch, long long &seqLen, std::string &error);

/// Replaces `inputs` (the seeded batch) by the given tensors. Each must be
/// an input of the model, of its element type (int: i64, float: f32) and of
/// the seeded tensor's shape.
bool applyEvalInputs(const std::string &path, const std::vector<InputInfo> &modelInputs,
                     std::map<std::string, runtime::Tensor> &given,
                     std::map<std::string, runtime::Tensor> &inputs, std::string &error);

} // namespace frond::cli

#endif // FROND_TOOLS_EVALINPUTS_H
