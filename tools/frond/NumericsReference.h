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
  /// "bf16"/"f16": the attention tiles of the run; `matmulTiles`
  /// "tf32"/"bf16"/"f16" its matmul tiles. When either is not "f32",
  /// outputsTiles / gradsTiles are the reference with softmax attention as
  /// eager attention in that type and the dense products' operands rounded
  /// (the same-dtype yardstick).
  std::string tiles = "f32", matmulTiles = "f32";
  TensorMap outputsTiles, gradsTiles;
  bool reducedTiles() const { return tiles != "f32" || matmulTiles != "f32"; }
  /// The yardstick's name: "eager bf16 attention", "tf32 matmul operands", ...
  std::string tilesName() const;
  std::string loss;              ///< the differentiated output; "" for none
  /// What the batch was made with: experiment, model, batch, seq_len,
  /// seed, init_std (a saved reference must match the run's).
  std::map<std::string, std::string> about;
  enum class Grads { F32, F64, Tiles };
  /// Live references compute gradients when first needed (F64: the
  /// yardstick, only once a tensor is beyond tolerance); false after
  /// diagnostics. Empty for a saved reference, which holds them all.
  std::function<bool(Grads)> computeGrads;
};

/// How a tensor beyond the fp32 tolerance is judged. With `eagerRule`
/// (GPU runs and bf16/f16 attention tiles, FlexAttention's rule) it is
/// still within when the JIT's mean abs error from the fp64 reference is
/// at most twice the same-dtype eager computation's: libtorch with the
/// run's attention tiles (NumericsReference::tiles), else libtorch fp32.
struct NumericsRule {
  bool eagerRule = false;
};

/// Writes `ref` (with both gradient sets) to `path` as safetensors.
bool saveNumericsReference(const std::string &path, const NumericsReference &ref,
                           std::string &error);
/// Reads a file written by saveNumericsReference.
bool loadNumericsReference(const std::string &path, NumericsReference &ref, std::string &error);

/// Every output of the JIT against the reference's, a line each:
/// |jit - ref| <= 1e-5 + 1e-4 |ref| per element, with the distances of
/// both from fp64, or `rule`'s eager rule. True when all are within.
bool compareOutputs(const NamedTensors &outputs, const NumericsReference &ref,
                    NumericsRule rule = {});

/// The JIT's "grad:<path>" results against the reference's gradients, a
/// line each: |jit - ref| <= 1e-4 max|ref| + 1e-7 per tensor (the fp32
/// relative tolerance, normwise: gradients are small and an absolute floor
/// like the outputs' would hide wrong ones), or `rule`'s eager rule. False
/// when one is beyond, or after diagnostics from computeGrads (`failed`
/// then set).
bool compareGradients(const NamedTensors &jitGrads, NumericsReference &ref, bool &failed,
                      NumericsRule rule = {});

/// The eager rule on one tensor: mean |jit - ref64| <= 2 mean |eager -
/// ref64| (a non-finite mismatch is an infinite error). `jitMean` and
/// `eagerMean` get the two errors.
bool withinTwiceEager(const runtime::Tensor &jit, const runtime::Tensor &eager,
                      const runtime::Tensor &ref64, double &jitMean, double &eagerMean);

} // namespace frond::cli
