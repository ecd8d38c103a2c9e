//===- Reference.h - the libtorch numerical oracle --------------*- C++ -*-===//
//
// An eager interpreter of a recorded model Graph (frond/lang/Graph.h) over
// libtorch tensors. It is the independent ORACLE that the MLIR engine's
// numbers are checked against, never the engine itself: every node kind is
// evaluated straight from the op semantics written in FrondOps.td, with
// plain ATen ops and no fusion.
//
// Parameters come from initParams, a deterministic counter-based generator
// that does not use libtorch's RNG, so any other engine can reproduce the
// same values bit for bit from (seed, parameter path, element index):
//
//   key   = splitmix64(seed ^ fnv1a64(path))
//   u(j)  = ((splitmix64(key + j) >> 11) + 1) · 2⁻⁵³          in (0, 1]
//   z(i)  = sqrt(-2 ln u(2i)) · cos(2π u(2i+1))   (Box–Muller, in double)
//   value = float(std · z(i))                      for row-major element i
//
// Defaults by parameter (see initParams): norm weights 1, biases 0,
// everything else N(0, 0.02²). A parameter tied to another shares its
// tensor; one initialised from another starts as a copy of it.
//
// Tensors: "float" is f32, "int" and "index" are i64, "bool" is bool.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "frond/lang/Diagnostics.h"
#include "frond/lang/Graph.h"
#include "frond/lang/Sema.h"

#include <ATen/ATen.h>

#include <cstdint>
#include <map>
#include <string>

namespace frond::reference {

/// The model's learnable tensors by parameter path. Tied parameters are the
/// same at::Tensor (shared storage, one gradient).
struct ParamStore {
  std::map<std::string, at::Tensor> tensors;
  /// The tensor at `path`, or an undefined tensor.
  at::Tensor get(const std::string &path) const {
    auto it = tensors.find(path);
    return it == tensors.end() ? at::Tensor() : it->second;
  }
};

/// Graph outputs by name ("head:<name>", "loss:<name>", "loss"); empty
/// when evaluation failed (the diagnostics say where).
using Outputs = std::map<std::string, at::Tensor>;

/// The generator above: one standard normal value, element `i` of the
/// parameter at `path`.
double normalAt(uint64_t seed, const std::string &path, uint64_t i);

/// Deterministic fp32 parameters for `m` (see the file comment). Norm
/// weights (component "norm", path not ending in "bias") are ones, paths
/// whose last segment starts with "bias" are zeros, every other tensor is
/// N(0, std²). With `requiresGrad`, trainable leaves record gradients.
ParamStore initParams(const ModelInstance &m, uint64_t seed,
                      double std = 0.02, bool requiresGrad = false);

/// Evaluates every node of `g` eagerly. `inputs` are bound by input name
/// (integers are converted to i64, floats to f32 or f64), parameters by path. An
/// unknown node kind, a missing input/parameter or a libtorch error gives a
/// diagnostic at that node's location and an empty result. With `fp64`
/// every float value (parameters included) is computed in double
/// precision: the yardstick that tells rounding from real differences.
/// With `attentionType` at::kBFloat16 or at::kHalf, softmax and power_law
/// attention compute as eager attention in that type does (the rest stays
/// f32): q (after the metric), k, v, the scores, the probabilities and the
/// output are rounded to it, the arithmetic between in f32 — the
/// same-dtype yardstick for attention kernels with bf16/f16 tiles. With
/// `matmulTiles` "tf32", "bf16" or "f16", the operands of linear,
/// lowrank_linear and matmul (f32) are rounded to it (tf32: to nearest,
/// ties away), and so is the gradient reaching their result: the
/// yardstick for matmul kernels on tensor cores.
Outputs runReference(const graph::Graph &g,
                     const std::map<std::string, at::Tensor> &inputs,
                     const ParamStore &params, DiagEngine &diags,
                     bool fp64 = false, at::ScalarType attentionType = at::kFloat,
                     const std::string &matmulTiles = "f32");

} // namespace frond::reference
