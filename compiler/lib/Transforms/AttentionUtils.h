//===- AttentionUtils.h - pieces of the tiled attention lowerings -*- C++ -*-===//
//
// Shared by the forward (LowerAttention.cpp) and backward
// (AttentionGradLowering.h) tiled attention lowerings: what a mask region
// is known to be, cloning a region inline, tiles of [b, h, t, D] tensors,
// small contractions on tiles, and derivatives of the score region.
//
//===----------------------------------------------------------------------===//
#ifndef FROND_LIB_TRANSFORMS_ATTENTIONUTILS_H
#define FROND_LIB_TRANSFORMS_ATTENTIONUTILS_H

#include "LoweringUtils.h"
#include "frond/Dialect/Frond/IR/FrondOps.h"
#include "mlir/IR/IRMapping.h"

#include <optional>

namespace mlir::frond::lowering {

/// What the mask is known to be: `k <= q + offset` exactly (`pure`), or a
/// disjunction containing that comparison.
struct CausalMask {
  int64_t offset = 0;
  bool pure = false;
};

/// `k <= q + offset` when `v` is such a comparison of the block's q/k args.
std::optional<int64_t> causalOffset(Value v, Value q, Value k);

/// The causal structure of a mask region (nullopt: none known).
std::optional<CausalMask> analyseMask(Region &mask);

/// Clones `region`'s body at `b` with its arguments bound to `args` then
/// `captures`; returns the yielded value.
Value inlineRegion(OpBuilder &b, Region &region, ArrayRef<Value> args, ValueRange captures);

/// C[i, j] (+)= Σ_r A[i, r] · B[...] with `bMap` over (i, j, r).
Value contract(OpBuilder &b, Location loc, Value a, Value bT, AffineMap bMap, Value init);

/// A [rows, cols] tile of a [b, h, t, D] tensor at (bi, hi, t0), converted
/// to element type `to`.
Value tileOf(OpBuilder &b, Location loc, Value t, Value bi, Value hi, Value t0,
             Value rows, Type to);

/// C[m] (+)= Σ A[aMap] · B[bMap] over a 3-d iteration space (two parallel
/// dims, then the reduced one), C indexed by (d0, d1).
Value contractMaps(OpBuilder &b, Location loc, Value a, AffineMap aMap, Value bT, AffineMap bMap,
                   Value init);

/// The derivatives of the score region's yield with respect to each of
/// `seeds` (values of the region: its argument s, or results such as the
/// `tensor.extract` of a captured element), by forward mode over its scalar
/// body, cloned once at `b` with `args` then `captures` bound; `map` maps
/// the region's values to their clones. Fails after an error on an op the
/// forward mode does not know (ScoreDerivatives.cpp). `cloneOp` clones one
/// op of the body, mapping its results (default: OpBuilder::clone; the GPU
/// kernels read captured buffers instead of tensors).
using CloneFn = function_ref<void(OpBuilder &, Operation &, IRMapping &)>;
FailureOr<SmallVector<Value>> scoreDerivatives(OpBuilder &b, Region &score, ArrayRef<Value> args,
                                               ValueRange captures, ArrayRef<Value> seeds,
                                               IRMapping &map, CloneFn cloneOp = {});

/// The derivative with respect to `s` alone; null after an error.
Value scoreDerivative(OpBuilder &b, Region &score, ArrayRef<Value> args, ValueRange captures);

using LoopBody = function_ref<SmallVector<Value>(OpBuilder &, Value, ValueRange)>;

/// scf.for from `lb` to `ub` by `step` carrying `init`; `body(builder, iv,
/// iter_args)` returns what the iteration yields.
ValueRange tileLoop(OpBuilder &b, Location loc, Value lb, Value ub, Value step, ValueRange init,
                    LoopBody body);

/// Replaces `op` by its tiled backward (AttentionGradLowering.h).
LogicalResult lowerAttentionGrad(AttentionGradOp op, int64_t queryTile, int64_t keyTile);

} // namespace mlir::frond::lowering
#endif // FROND_LIB_TRANSFORMS_ATTENTIONUTILS_H
