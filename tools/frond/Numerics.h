//===- Numerics.h - the libtorch reference behind a torch-free API --------===//
//
// Only Numerics.cpp includes libtorch headers (it is compiled only when the
// FrondReference library exists, FROND_HAVE_REFERENCE); frond.cpp talks to
// it through host tensors.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "frond/lang/Diagnostics.h"
#include "frond/lang/Graph.h"
#include "frond/lang/Sema.h"
#include "frond/runtime/Tensor.h"

#include <map>
#include <string>

namespace frond::numerics {

/// Runs the reference on `g` with its own initParams(m, seed, initStd) and `inputs`
/// (by input name). Fills `outputs` by graph output name and `params` with
/// the reference's parameters (f32) by path; `outputs64` with the same
/// reference computed in double precision (rounded to f32 on the way out),
/// the yardstick for rounding. False after diagnostics.
bool runReference(const graph::Graph &g, const ModelInstance &m, uint64_t seed,
                  double initStd,
                  const std::map<std::string, runtime::Tensor> &inputs,
                  std::map<std::string, runtime::Tensor> &outputs,
                  std::map<std::string, runtime::Tensor> &params,
                  std::map<std::string, runtime::Tensor> &outputs64,
                  DiagEngine &diags);

/// The reference's outputs with softmax attention computed as eager
/// attention in `attentionTiles` ("bf16" or "f16": every attention op's
/// result rounded to it, reference::runReference's attentionType) and the
/// operands of its dense products rounded to `matmulTiles` ("tf32",
/// "bf16", "f16"), the rest in f32: the same-dtype yardstick for reduced
/// attention or matmul tiles.
bool referenceInTiles(const std::string &attentionTiles, const std::string &matmulTiles,
                      const graph::Graph &g, const ModelInstance &m, uint64_t seed,
                      double initStd, const std::map<std::string, runtime::Tensor> &inputs,
                      std::map<std::string, runtime::Tensor> &outputs, DiagEngine &diags);

/// The reference's gradients (libtorch autograd, fp32) of output `loss`
/// with respect to every trainable parameter, by path (a tied parameter's
/// gradient is its owner's). With `fp64` the model and its backward run in
/// double precision (the gradients are rounded to f32 on the way out): the
/// yardstick for rounding. With `attentionTiles` "bf16" or "f16", softmax
/// attention as eager attention in that type, and with `matmulTiles` the
/// dense products' operands rounded (referenceInTiles), their backward
/// too. False after diagnostics.
bool referenceGradients(const graph::Graph &g, const ModelInstance &m, uint64_t seed,
                        double initStd, const std::map<std::string, runtime::Tensor> &inputs,
                        const std::string &loss, std::map<std::string, runtime::Tensor> &grads,
                        DiagEngine &diags, bool fp64 = false,
                        const std::string &attentionTiles = "f32",
                        const std::string &matmulTiles = "f32");

} // namespace frond::numerics
