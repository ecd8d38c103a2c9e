//===- EvalInputs.cpp - eval --inputs: a batch from a safetensors file ----===//
#include "EvalInputs.h"

#include "frond/runtime/Checkpoint.h"

namespace frond::cli {

using runtime::DType;
using runtime::Tensor;

bool readEvalInputs(const std::string &path, std::map<std::string, Tensor> &given,
                    long long &batch, long long &seqLen, std::string &error) {
  std::map<std::string, std::string> metadata;
  if (!runtime::readSafetensors(path, given, metadata, error))
    return false;
  if (given.empty()) {
    error = path + " holds no tensors: write the model's inputs (e.g. tokens [b, t]) into it";
    return false;
  }
  for (auto &[name, t] : given) {
    if (batch == 0 && t.rank() >= 1)
      batch = t.shape[0];
    if (seqLen == 0 && t.rank() == 2)
      seqLen = t.shape[1];
  }
  return true;
}

bool applyEvalInputs(const std::string &path, const std::vector<InputInfo> &modelInputs,
                     std::map<std::string, Tensor> &given, std::map<std::string, Tensor> &inputs,
                     std::string &error) {
  std::string names;
  for (const InputInfo &in : modelInputs)
    names += (names.empty() ? "" : ", ") + in.name;
  for (auto &[name, t] : given) {
    auto seeded = inputs.find(name);
    if (seeded == inputs.end()) {
      error = path + ": tensor '" + name + "' is not an input of the model (its inputs: " +
              names + ")";
      return false;
    }
    const Tensor &want = seeded->second;
    if (t.dtype != want.dtype) {
      error = path + ": input '" + name + "' must be " + runtime::dtypeName(want.dtype) +
              " (the model declares it " + (want.isFloat() ? "float" : "int") + "), not " +
              runtime::dtypeName(t.dtype);
      return false;
    }
    if (t.shape != want.shape) {
      error = path + ": input '" + name + "' has shape " + t.shapeStr() + ", but this batch needs " +
              want.shapeStr() + " (batch and sequence length come from the file unless --batch "
              "and --seq-len are given)";
      return false;
    }
    seeded->second = std::move(t);
  }
  return true;
}

} // namespace frond::cli
