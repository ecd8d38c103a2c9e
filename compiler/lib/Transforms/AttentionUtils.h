//===- AttentionUtils.h - pieces of the tiled attention lowerings -*- C++ -*-===//
//
// Shared by the forward (LowerAttention.cpp) and backward
// (LowerAttentionGrad.cpp) tiled attention lowerings: what a mask region is
// known to be, cloning a region inline, tiles of [b, h, t, D] tensors and
// small contractions on tiles.
//
//===----------------------------------------------------------------------===//
#ifndef FROND_LIB_TRANSFORMS_ATTENTIONUTILS_H
#define FROND_LIB_TRANSFORMS_ATTENTIONUTILS_H

#include "LoweringUtils.h"
#include "frond/Dialect/Frond/IR/FrondOps.h"

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

} // namespace mlir::frond::lowering



namespace mlir::frond::lowering {

/// C[m] (+)= Σ A[aMap] · B[bMap] over a 3-d iteration space (two parallel
/// dims, then the reduced one), C indexed by (d0, d1).
Value contractMaps(OpBuilder &b, Location loc, Value a, AffineMap aMap, Value bT, AffineMap bMap,
                   Value init);

/// The derivative with respect to `s` (the region's first argument) of the
/// score region's yield, by forward mode over its scalar body, cloned at
/// `b` with `args` then `captures` bound. Null after an error on an op the
/// forward mode does not know.
Value scoreDerivative(OpBuilder &b, Region &score, ArrayRef<Value> args, ValueRange captures);

using LoopBody = function_ref<SmallVector<Value>(OpBuilder &, Value, ValueRange)>;

/// scf.for from `lb` to `ub` by `step` carrying `init`; `body(builder, iv,
/// iter_args)` returns what the iteration yields.
ValueRange tileLoop(OpBuilder &b, Location loc, Value lb, Value ub, Value step, ValueRange init,
                    LoopBody body);

/// Replaces `op` by its tiled flash-style backward (LowerAttentionGrad.cpp).
LogicalResult lowerAttentionGrad(AttentionGradOp op, int64_t queryTile, int64_t keyTile);

} // namespace mlir::frond::lowering
#endif // FROND_LIB_TRANSFORMS_ATTENTIONUTILS_H
