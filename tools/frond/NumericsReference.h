//===- NumericsReference.h - what check --numerics compares the JIT with ---===//
//
// libtorch's results for one batch, computed now (frond-numerics) or saved
// by `check --numerics --save-reference FILE` and read back with
// `--reference FILE` where there is no libtorch: the portable frond on a
// GPU machine compares its CUDA results with a reference made elsewhere.
// The comparisons and their printed lines are the same either way.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "frond/runtime/Tensor.h"

#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace frond::cli {

using TensorMap = std::map<std::string, runtime::Tensor>;
using NamedTensors = std::vector<std::pair<std::string, runtime::Tensor>>;

struct NumericsReference {
  TensorMap params, inputs;      ///< what the reference ran on
  TensorMap outputs, outputs64;  ///< by graph output name; fp32 and fp64
  TensorMap grads, grads64;      ///< of `loss`, by parameter path
  std::string loss;              ///< the differentiated output; "" for none
  /// What the batch was made with: experiment, model, batch, seq_len,
  /// seed, init_std (a saved reference must match the run's).
  std::map<std::string, std::string> about;
  /// Live references compute gradients when first needed (fp64: the
  /// yardstick, only once a tensor is beyond tolerance); false after
  /// diagnostics. Empty for a saved reference, which holds both.
  std::function<bool(bool fp64)> computeGrads;
};

/// Writes `ref` (with both gradient sets) to `path` as safetensors.
bool saveNumericsReference(const std::string &path, const NumericsReference &ref,
                           std::string &error);
/// Reads a file written by saveNumericsReference.
bool loadNumericsReference(const std::string &path, NumericsReference &ref, std::string &error);

/// Every output of the JIT against the reference's, a line each:
/// |jit - ref| <= 1e-5 + 1e-4 |ref| per element, with the distances of
/// both from fp64. True when all are within.
bool compareOutputs(const NamedTensors &outputs, const NumericsReference &ref);

/// The JIT's "grad:<path>" results against the reference's gradients, a
/// line each: |jit - ref| <= 1e-4 max|ref| + 1e-7 per tensor (the fp32
/// relative tolerance, normwise: gradients are small and an absolute floor
/// like the outputs' would hide wrong ones). False when one is beyond, or
/// after diagnostics from computeGrads (`failed` then set).
bool compareGradients(const NamedTensors &jitGrads, NumericsReference &ref, bool &failed);

} // namespace frond::cli
