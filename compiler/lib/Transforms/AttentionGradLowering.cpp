//===- AttentionGradLowering.cpp - the attention backward's loop nest -----===//
//
// The (batch, head, query tile) loops carrying the gradient accumulators,
// and the pieces every kind's query-tile body uses (AttentionGradLowering.h).
//
//===----------------------------------------------------------------------===//
#include "AttentionGradLowering.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

using namespace mlir;
using namespace mlir::frond;

namespace mlir::frond::lowering {

Value addTile(OpBuilder &b, Location loc, Value t, Value tile, Value bi, Value hi, Value t0,
              Value rows) {
  auto type = cast<RankedTensorType>(t.getType());
  Value cur = tileOf(b, loc, t, bi, hi, t0, rows, type.getElementType());
  Value sum = buildElementwise(b, loc, cast<RankedTensorType>(cur.getType()), {cur, tile},
                               [](OpBuilder &nb, Location l, ValueRange a) -> Value {
                                 return arith::AddFOp::create(nb, l, a[0], a[1]);
                               });
  SmallVector<OpFoldResult> offsets{bi, hi, t0, b.getIndexAttr(0)};
  SmallVector<OpFoldResult> sizes{b.getIndexAttr(1), b.getIndexAttr(1), rows,
                                  type.isDynamicDim(3) ? OpFoldResult(dimOf(b, loc, t, 3))
                                                       : OpFoldResult(b.getIndexAttr(type.getDimSize(3)))};
  SmallVector<OpFoldResult> strides(4, b.getIndexAttr(1));
  return tensor::InsertSliceOp::create(b, loc, sum, t, offsets, sizes, strides);
}

AttentionGradLowering::AttentionGradLowering(AttentionGradOp op, int64_t queryTile,
                                             int64_t keyTile)
    : op(op), loc(op.getLoc()), ctx(op.getContext()), queryTile(queryTile), keyTile(keyTile),
      S(AttentionOp::getScoreType(op.getQ().getType().getElementType())), q(op.getQ()),
      k(op.getK()), v(op.getV()), metric(op.getMetric()), captures(op.getCaptures()),
      maskRegion(op.getMask()), scoreRegion(op.getScore()), hasMask(!maskRegion.empty()),
      hasScore(!scoreRegion.empty()), causal(analyseMask(maskRegion)),
      scale(op.getScale().convertToDouble()),
      scoreScale(op.getKind() == AttentionKind::Aft ? 1.0 : scale) {
  // Only the capture gradients something reads are computed.
  unsigned resultIndex = 0;
  for (auto [i, c] : llvm::enumerate(captures)) {
    if (!AttentionGradOp::isDifferentiableCapture(c))
      continue;
    if (!op.getCaptureGrads()[resultIndex].use_empty())
      wantedCaptureGrads.push_back({unsigned(i), resultIndex});
    ++resultIndex;
  }
}

LogicalResult AttentionGradLowering::run() {
  if (op.getQ().getType().getElementType() != S)
    return op.emitError("attention_grad is lowered for f32/f64 operands only");
  OpBuilder b(op);
  c0 = cIdx(b, loc, 0);
  c1 = cIdx(b, loc, 1);
  zero = cFloat(b, loc, S, 0.0);
  tk = cIdx(b, loc, keyTile);
  TK = dimOf(b, loc, k, 2);
  Value B = dimOf(b, loc, q, 0), H = dimOf(b, loc, q, 1), TQ = dimOf(b, loc, q, 2);
  Value group = arith::DivUIOp::create(b, loc, H, dimOf(b, loc, k, 1));
  Value tq = cIdx(b, loc, queryTile);
  auto zerosLike = [&](Value t) {
    Type elem = cast<RankedTensorType>(t.getType()).getElementType();
    return filledTensor(b, loc, tensor::getMixedSizes(b, loc, t), cFloat(b, loc, elem, 0.0));
  };
  SmallVector<Value> init{zerosLike(q), zerosLike(k), zerosLike(v)};
  if (metric)
    init.push_back(zerosLike(metric));
  for (auto [capture, result] : wantedCaptureGrads)
    init.push_back(zerosLike(captures[capture]));

  bool aft = op.getKind() == AttentionKind::Aft;
  ValueRange result = tileLoop(b, loc, c0, B, c1, init, [&](OpBuilder &b1, Value bi, ValueRange it1) {
    return SmallVector<Value>(tileLoop(b1, loc, c0, H, c1, it1, [&](OpBuilder &b2, Value hi, ValueRange it2) {
      Value kvh = arith::DivUIOp::create(b2, loc, hi, group);
      return SmallVector<Value>(tileLoop(b2, loc, c0, TQ, tq, it2, [&](OpBuilder &b3, Value q0, ValueRange it3) {
        Value qlen = arith::MinSIOp::create(b3, loc, tq, arith::SubIOp::create(b3, loc, TQ, q0));
        QueryTile t{bi, hi, kvh, q0, qlen};
        return aft ? aftQueryTile(b3, t, it3) : probabilityQueryTile(b3, t, it3);
      }));
    }));
  });
  if (failedRegion)
    return failure();
  op.getDq().replaceAllUsesWith(result[kDq]);
  op.getDk().replaceAllUsesWith(result[kDk]);
  op.getDv().replaceAllUsesWith(result[kDv]);
  if (metric)
    op.getDmetric().replaceAllUsesWith(result[metricSlot()]);
  for (auto [n, wanted] : llvm::enumerate(wantedCaptureGrads))
    op.getCaptureGrads()[wanted.second].replaceAllUsesWith(result[firstCaptureSlot() + n]);
  op.erase();
  return success();
}

SmallVector<Value> AttentionGradLowering::keyLoop(OpBuilder &b, const QueryTile &t,
                                                  ValueRange init, KeyTileBody body) {
  // The first key after the query tile's last visible one, for a pure
  // causal mask (other masks see every tile).
  Value firstHidden;
  if (causal && causal->pure)
    firstHidden = arith::AddIOp::create(b, loc, arith::AddIOp::create(b, loc, t.q0, t.qlen),
                                        cIdx(b, loc, causal->offset));
  return SmallVector<Value>(tileLoop(b, loc, c0, TK, tk, init, [&](OpBuilder &b4, Value k0, ValueRange st) {
    auto update = [&](OpBuilder &b5) {
      Value klen = arith::MinSIOp::create(b5, loc, tk, arith::SubIOp::create(b5, loc, TK, k0));
      return body(b5, k0, klen, st);
    };
    if (!firstHidden)
      return update(b4);
    Value skip = arith::CmpIOp::create(b4, loc, arith::CmpIPredicate::sge, k0, firstHidden);
    auto ifOp = scf::IfOp::create(
        b4, loc, skip, [&](OpBuilder &tb, Location) { scf::YieldOp::create(tb, loc, st); },
        [&](OpBuilder &eb, Location) { scf::YieldOp::create(eb, loc, update(eb)); });
    return SmallVector<Value>(ifOp.getResults());
  }));
}

/// The query and key positions of a tile element inside its linalg.generic.
static std::pair<Value, Value> tilePositions(OpBuilder &nb, Location l, const QueryTile &t,
                                             Value k0) {
  return {arith::AddIOp::create(nb, l, t.q0, linalg::IndexOp::create(nb, l, 0)),
          arith::AddIOp::create(nb, l, k0, linalg::IndexOp::create(nb, l, 1))};
}

Value AttentionGradLowering::scoreInput(OpBuilder &b, Location l, Value dot) {
  return arith::MulFOp::create(b, l, dot, cFloat(b, l, S, scoreScale));
}

Value AttentionGradLowering::scoreTile(OpBuilder &b, const QueryTile &t, Value k0, Value dots,
                                       Value masked) {
  auto tileType = RankedTensorType::get({ShapedType::kDynamic, ShapedType::kDynamic}, S);
  return buildElementwise(b, loc, tileType, dots, [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
    Value x = scoreInput(nb, l, a[0]);
    if (hasScore) {
      auto [qi, kj] = tilePositions(nb, l, t, k0);
      x = inlineRegion(nb, scoreRegion, {x, t.bi, t.hi, qi, kj}, captures);
    }
    return visibleOr(nb, l, t, k0, x, masked);
  });
}

Value AttentionGradLowering::visibleOr(OpBuilder &nb, Location l, const QueryTile &t, Value k0,
                                       Value x, Value otherwise) {
  if (!hasMask)
    return x;
  auto [qi, kj] = tilePositions(nb, l, t, k0);
  Value visible = inlineRegion(nb, maskRegion, {t.bi, t.hi, qi, kj}, captures);
  return arith::SelectOp::create(nb, l, visible, x, otherwise);
}

Value AttentionGradLowering::scoreSlope(OpBuilder &nb, Location l, const QueryTile &t, Value k0,
                                        Value dot) {
  if (!hasScore)
    return cFloat(nb, l, S, 1.0);
  auto [qi, kj] = tilePositions(nb, l, t, k0);
  Value d = scoreDerivative(nb, scoreRegion, {scoreInput(nb, l, dot), t.bi, t.hi, qi, kj}, captures);
  if (d)
    return d;
  failedRegion = true;
  return cFloat(nb, l, S, 0.0);
}

LogicalResult lowerAttentionGrad(AttentionGradOp op, int64_t queryTile, int64_t keyTile) {
  return AttentionGradLowering(op, queryTile, keyTile).run();
}

} // namespace mlir::frond::lowering
