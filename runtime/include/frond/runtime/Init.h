//===- Init.h - deterministic parameters without libtorch -------*- C++ -*-===//
//
// The same parameters as the libtorch reference's initParams
// (runtime/reference/include/frond/reference/Reference.h), bit for bit:
//
//   key   = splitmix64(seed ^ fnv1a64(path))
//   u(j)  = ((splitmix64(key + j) >> 11) + 1) · 2⁻⁵³          in (0, 1]
//   z(i)  = sqrt(-2 ln u(2i)) · cos(2π u(2i+1))   (Box–Muller, in double)
//   value = float(std · z(i))                      for row-major element i
//
// Biases (last path segment "bias*", or "b"/"bX"/"bXY"... of at most two
// characters) are zeros, norm weights (component "norm" or "norm" anywhere
// in the path) ones, everything else N(0, std²). A parameter initialised
// from another (initFrom) starts as a copy of it; a tied one (tiedTo,
// following chains) has the same values as its owner.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "frond/lang/Sema.h"
#include "frond/runtime/Tensor.h"

#include <cstdint>
#include <map>
#include <string>

namespace frond::runtime {

/// One standard normal value: element `i` of the parameter at `path`.
double normalAt(uint64_t seed, const std::string &path, uint64_t i);

/// The parameter a tied parameter finally shares (its tiedTo, followed
/// through chains of ties), or "" when `p` is not tied.
std::string tieOwner(const ModelInstance &m, const ParamInfo &p);

/// Deterministic f32 parameters for every parameter path of `m`.
std::map<std::string, Tensor> initParams(const ModelInstance &m, uint64_t seed,
                                         double std = 0.02);

} // namespace frond::runtime
