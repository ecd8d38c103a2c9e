//===- AttentionUtils.cpp - pieces of the tiled attention lowerings ------===//
#include "AttentionUtils.h"
#include "frond/Dialect/Frond/IR/FrondOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/IRMapping.h"

using namespace mlir;
using namespace mlir::frond;
using utils::IteratorType;

namespace mlir::frond::lowering {

/// `k <= q + offset` when `v` is such a comparison of the block's q/k args.
std::optional<int64_t> causalOffset(Value v, Value q, Value k) {
  auto cmp = v.getDefiningOp<arith::CmpIOp>();
  if (!cmp)
    return std::nullopt;
  using P = arith::CmpIPredicate;
  Value l = cmp.getLhs(), r = cmp.getRhs();
  P p = cmp.getPredicate();
  if (l == k && r == q) {
    if (p == P::sle || p == P::ule)
      return 0;
    if (p == P::slt || p == P::ult)
      return -1;
  }
  if (l == q && r == k) {
    if (p == P::sge || p == P::uge)
      return 0;
    if (p == P::sgt || p == P::ugt)
      return -1;
  }
  return std::nullopt;
}

std::optional<CausalMask> analyseMask(Region &mask) {
  if (mask.empty())
    return std::nullopt;
  Block &block = mask.front();
  Value q = block.getArgument(2), k = block.getArgument(3);
  Value visible = cast<YieldOp>(block.getTerminator()).getValue();
  if (auto off = causalOffset(visible, q, k))
    return CausalMask{*off, /*pure=*/block.getOperations().size() == 2};
  if (auto orOp = visible.getDefiningOp<arith::OrIOp>())
    for (Value operand : {orOp.getLhs(), orOp.getRhs()})
      if (auto off = causalOffset(operand, q, k))
        return CausalMask{*off, /*pure=*/false};
  return std::nullopt;
}

/// Clones `region`'s body at `b` with its arguments bound to `args` then
/// `captures`; returns the yielded value.
Value inlineRegion(OpBuilder &b, Region &region, ArrayRef<Value> args,
                   ValueRange captures) {
  Block &block = region.front();
  IRMapping map;
  SmallVector<Value> all(args);
  all.append(captures.begin(), captures.end());
  for (auto [arg, v] : llvm::zip(block.getArguments(), all))
    map.map(arg, v);
  for (Operation &op : block.without_terminator())
    b.clone(op, map);
  return map.lookupOrDefault(cast<YieldOp>(block.getTerminator()).getValue());
}

/// C[i, j] (+)= Σ_r A[i, r] · B[...] with `bMap` over (i, j, r).
Value contract(OpBuilder &b, Location loc, Value a, Value bT, AffineMap bMap,
               Value init) {
  MLIRContext *ctx = b.getContext();
  return buildGeneric(
      b, loc, {a, bT}, init, {dimsMap(ctx, 3, {0, 2}), bMap, dimsMap(ctx, 3, {0, 1})},
      {IteratorType::parallel, IteratorType::parallel, IteratorType::reduction},
      [](OpBuilder &nb, Location l, ValueRange x) -> Value {
        return arith::AddFOp::create(nb, l, x[2], arith::MulFOp::create(nb, l, x[0], x[1]));
      });
}

/// A [rows, cols] tile of a [b, h, t, D] tensor at (bi, hi, t0).
Value tileOf(OpBuilder &b, Location loc, Value t, Value bi, Value hi, Value t0,
             Value rows, Type to) {
  auto type = cast<RankedTensorType>(t.getType());
  int64_t cols = type.getDimSize(3);
  SmallVector<OpFoldResult> offsets{bi, hi, t0, b.getIndexAttr(0)};
  SmallVector<OpFoldResult> sizes{b.getIndexAttr(1), b.getIndexAttr(1), rows,
                                  ShapedType::isDynamic(cols)
                                      ? OpFoldResult(dimOf(b, loc, t, 3))
                                      : OpFoldResult(b.getIndexAttr(cols))};
  SmallVector<OpFoldResult> strides(4, b.getIndexAttr(1));
  auto tileType = RankedTensorType::get({ShapedType::kDynamic, cols}, type.getElementType());
  Value tile = tensor::ExtractSliceOp::create(b, loc, tileType, t, offsets, sizes, strides);
  if (type.getElementType() == to)
    return tile;
  return buildElementwise(b, loc, RankedTensorType::get(tileType.getShape(), to), tile,
                          [&](OpBuilder &nb, Location l, ValueRange a) {
                            return convertScalar(nb, l, a[0], to);
                          });
}

ValueRange tileLoop(OpBuilder &b, Location loc, Value lb, Value ub, Value step, ValueRange init,
                    LoopBody body) {
  return scf::ForOp::create(b, loc, lb, ub, step, init,
                            [&](OpBuilder &nb, Location, Value iv, ValueRange it) {
                              scf::YieldOp::create(nb, loc, body(nb, iv, it));
                            })
      .getResults();
}

Value contractMaps(OpBuilder &b, Location loc, Value a, AffineMap aMap, Value bT, AffineMap bMap,
                   Value init) {
  MLIRContext *ctx = b.getContext();
  return buildGeneric(
      b, loc, {a, bT}, init, {aMap, bMap, dimsMap(ctx, 3, {0, 1})},
      {IteratorType::parallel, IteratorType::parallel, IteratorType::reduction},
      [](OpBuilder &nb, Location l, ValueRange x) -> Value {
        return arith::AddFOp::create(nb, l, x[2], arith::MulFOp::create(nb, l, x[0], x[1]));
      });
}

} // namespace mlir::frond::lowering
