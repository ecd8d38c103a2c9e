//===- LowerAttention.cpp - frond.attention to tiled online softmax -------===//
//
// The frond-lower-attention pass (algorithm in Passes.td): per (batch, head)
// and query tile, an scf.for over key tiles carries the running max, sum and
// output accumulator; scores exist only as [query tile, key tile] tensors.
// The mask/score regions are cloned into the score tile's linalg.generic.
//
//===----------------------------------------------------------------------===//
#include "AttentionUtils.h"
#include "frond/Dialect/Frond/IR/FrondOps.h"
#include "frond/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/IRMapping.h"

#include <limits>

namespace mlir::frond {
#define GEN_PASS_DEF_FRONDLOWERATTENTION
#include "frond/Transforms/Passes.h.inc"
} // namespace mlir::frond

using namespace mlir;
using namespace mlir::frond;
using namespace mlir::frond::lowering;
using utils::IteratorType;

namespace {

LogicalResult lowerAttention(AttentionOp op, int64_t queryTile, int64_t keyTile) {
  AttentionKind kind = op.getKind();
  // aft: the pair weight is score(1.0) (no q·k product), values are k ⊙ v,
  // and the sum is multiplied by scale · q at the end.
  bool aft = kind == AttentionKind::Aft;
  bool softmax = kind == AttentionKind::Softmax || kind == AttentionKind::PowerLaw;
  OpBuilder b(op);
  Location loc = op.getLoc();
  MLIRContext *ctx = b.getContext();
  Value q = op.getQ(), k = op.getK(), v = op.getV();
  auto resType = cast<RankedTensorType>(op.getType());
  Type elem = resType.getElementType();
  Type S = op.getScoreType();
  SmallVector<Value> captures(op.getCaptures());
  Region &maskRegion = op.getMask(), &scoreRegion = op.getScore();
  bool hasMask = !maskRegion.empty(), hasScore = !scoreRegion.empty();
  std::optional<CausalMask> causal = analyseMask(maskRegion);
  double scale = op.getScale().convertToDouble();
  double scoreScale = aft ? 1.0 : scale;

  Value c0 = cIdx(b, loc, 0), c1 = cIdx(b, loc, 1);
  Value B = dimOf(b, loc, q, 0), H = dimOf(b, loc, q, 1), TQ = dimOf(b, loc, q, 2);
  Value Hkv = dimOf(b, loc, k, 1), TK = dimOf(b, loc, k, 2), DV = dimOf(b, loc, v, 3);
  Value group = arith::DivUIOp::create(b, loc, H, Hkv);
  Value tq = cIdx(b, loc, queryTile), tk = cIdx(b, loc, keyTile);
  Value negInf = cFloat(b, loc, S, -std::numeric_limits<double>::infinity());
  Value zero = cFloat(b, loc, S, 0.0);
  int64_t dvStatic = resType.getDimSize(3);
  OpFoldResult dvSize = ShapedType::isDynamic(dvStatic) ? OpFoldResult(DV)
                                                        : OpFoldResult(b.getIndexAttr(dvStatic));
  Value out = emptyTensor(b, loc, sizesFrom(b, loc, resType, {{q, 0}, {q, 1}, {q, 2}, {v, 3}}), elem);

  auto forLoop = [&](OpBuilder &ob, Value ub, Value step, ValueRange init, LoopBody body) {
    return tileLoop(ob, loc, c0, ub, step, init, body);
  };

  ValueRange result = forLoop(b, B, c1, out, [&](OpBuilder &b1, Value bi, ValueRange it1) {
    return SmallVector<Value>(forLoop(b1, H, c1, it1, [&](OpBuilder &b2, Value hi, ValueRange it2) {
      Value kvh = arith::DivUIOp::create(b2, loc, hi, group);
      return SmallVector<Value>(forLoop(b2, TQ, tq, it2, [&](OpBuilder &b3, Value q0, ValueRange it3) {
        Value qlen = arith::MinSIOp::create(b3, loc, tq, arith::SubIOp::create(b3, loc, TQ, q0));
        Value qTile = tileOf(b3, loc, q, bi, hi, q0, qlen, S);
        if (Value metric = op.getMetric()) {
          // q G kᵀ = (q G) kᵀ: fold G = metric[b, h] into the query tile.
          Value g = tileOf(b3, loc, metric, bi, hi, c0, dimOf(b3, loc, metric, 2), S);
          SmallVector<OpFoldResult> sz{qlen, tensor::getMixedSizes(b3, loc, g)[1]};
          qTile = contract(b3, loc, qTile, g, dimsMap(ctx, 3, {2, 1}), filledTensor(b3, loc, sz, zero));
        }
        SmallVector<OpFoldResult> rowSizes{qlen}, accSizes{qlen, dvSize};
        Value m0 = filledTensor(b3, loc, rowSizes, negInf);
        Value l0 = filledTensor(b3, loc, rowSizes, zero);
        Value acc0 = filledTensor(b3, loc, accSizes, zero);
        Value qLast = arith::SubIOp::create(b3, loc, arith::AddIOp::create(b3, loc, q0, qlen), c1);

        ValueRange state = forLoop(b3, TK, tk, {m0, l0, acc0}, [&](OpBuilder &b4, Value k0, ValueRange st) {
          Value klen = arith::MinSIOp::create(b4, loc, tk, arith::SubIOp::create(b4, loc, TK, k0));
          Value kLast = arith::SubIOp::create(b4, loc, arith::AddIOp::create(b4, loc, k0, klen), c1);
          Value skip, full;
          if (causal) {
            Value off = cIdx(b4, loc, causal->offset);
            if (causal->pure) // first key after the tile's last visible key
              skip = arith::CmpIOp::create(b4, loc, arith::CmpIPredicate::sgt, k0,
                                           arith::AddIOp::create(b4, loc, qLast, off));
            full = arith::CmpIOp::create(b4, loc, arith::CmpIPredicate::sle, kLast,
                                         arith::AddIOp::create(b4, loc, q0, off));
          }
          auto update = [&](OpBuilder &b5) -> SmallVector<Value> {
            Value m = st[0], l = st[1], acc = st[2];
            Value kTile = tileOf(b5, loc, k, bi, kvh, k0, klen, S);
            Value vTile = tileOf(b5, loc, v, bi, kvh, k0, klen, S);
            SmallVector<OpFoldResult> sSizes{qlen, klen};
            Value dots;
            if (aft) {
              dots = filledTensor(b5, loc, sSizes, cFloat(b5, loc, S, 1.0));
              vTile = buildElementwise(b5, loc, cast<RankedTensorType>(vTile.getType()), {kTile, vTile},
                                       [](OpBuilder &nb, Location l, ValueRange a) -> Value {
                                         return arith::MulFOp::create(nb, l, a[0], a[1]);
                                       });
            } else {
              dots = contract(b5, loc, qTile, kTile, dimsMap(ctx, 3, {1, 2}),
                              filledTensor(b5, loc, sSizes, zero));
            }
            // scale, score region, then mask (-inf for softmax, 0 otherwise).
            auto scores = [&](OpBuilder &b6, bool withMask) -> Value {
              auto tileType = RankedTensorType::get({ShapedType::kDynamic, ShapedType::kDynamic}, S);
              return buildElementwise(b6, loc, tileType, dots, [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
                Value s = arith::MulFOp::create(nb, l, a[0], cFloat(nb, l, S, scoreScale));
                Value qi = arith::AddIOp::create(nb, l, q0, linalg::IndexOp::create(nb, l, 0));
                Value kj = arith::AddIOp::create(nb, l, k0, linalg::IndexOp::create(nb, l, 1));
                if (hasScore)
                  s = inlineRegion(nb, scoreRegion, {s, bi, hi, qi, kj}, captures);
                if (withMask) {
                  Value vis = inlineRegion(nb, maskRegion, {bi, hi, qi, kj}, captures);
                  s = arith::SelectOp::create(nb, l, vis, s, softmax ? negInf : zero);
                }
                return s;
              });
            };
            Value s;
            if (hasMask && full) {
              auto ifOp = scf::IfOp::create(
                  b5, loc, full,
                  [&](OpBuilder &tb, Location) { scf::YieldOp::create(tb, loc, scores(tb, false)); },
                  [&](OpBuilder &eb, Location) { scf::YieldOp::create(eb, loc, scores(eb, true)); });
              s = ifOp.getResult(0);
            } else {
              s = scores(b5, hasMask);
            }
            AffineMap ij = dimsMap(ctx, 2, {0, 1}), i = dimsMap(ctx, 2, {0});
            SmallVector<IteratorType> par2(2, IteratorType::parallel);
            SmallVector<IteratorType> rowRed{IteratorType::parallel, IteratorType::reduction};
            Value p = s, mNew = m;
            if (softmax) {
              mNew = buildGeneric(b5, loc, s, m, {ij, i}, rowRed, [](OpBuilder &nb, Location l, ValueRange a) -> Value {
                return arith::MaximumFOp::create(nb, l, a[1], a[0]);
              });
              // A row that has seen only -inf keeps max 0 for exponentiation.
              auto safe = [&](OpBuilder &nb, Location l, Value x) -> Value {
                Value isInf = arith::CmpFOp::create(nb, l, arith::CmpFPredicate::OEQ, x, negInf);
                return arith::SelectOp::create(nb, l, isInf, zero, x);
              };
              p = buildGeneric(b5, loc, {s, mNew}, emptyTensor(b5, loc, sSizes, S), {ij, i, ij}, par2,
                               [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
                                 return math::ExpOp::create(nb, l, arith::SubFOp::create(nb, l, a[0], safe(nb, l, a[1])));
                               });
              Value alpha = buildGeneric(b5, loc, {m, mNew}, emptyTensor(b5, loc, rowSizes, S),
                                         {dimsMap(ctx, 1, {0}), dimsMap(ctx, 1, {0}), dimsMap(ctx, 1, {0})},
                                         {IteratorType::parallel},
                                         [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
                                           return math::ExpOp::create(nb, l, arith::SubFOp::create(nb, l, a[0], safe(nb, l, a[1])));
                                         });
              l = buildGeneric(b5, loc, {l, alpha}, emptyTensor(b5, loc, rowSizes, S),
                               {dimsMap(ctx, 1, {0}), dimsMap(ctx, 1, {0}), dimsMap(ctx, 1, {0})},
                               {IteratorType::parallel},
                               [](OpBuilder &nb, Location l2, ValueRange a) -> Value {
                                 return arith::MulFOp::create(nb, l2, a[0], a[1]);
                               });
              acc = buildGeneric(b5, loc, {acc, alpha}, emptyTensor(b5, loc, accSizes, S), {ij, i, ij}, par2,
                                 [](OpBuilder &nb, Location l2, ValueRange a) -> Value {
                                   return arith::MulFOp::create(nb, l2, a[0], a[1]);
                                 });
            }
            Value lNew = buildGeneric(b5, loc, p, l, {ij, i}, rowRed, [](OpBuilder &nb, Location l2, ValueRange a) -> Value {
              return arith::AddFOp::create(nb, l2, a[1], a[0]);
            });
            // acc[i, e] += Σ_j p[i, j] v[j, e]
            Value accNew = contract(b5, loc, p, vTile, dimsMap(ctx, 3, {2, 1}), acc);
            return {mNew, lNew, accNew};
          };
          if (!skip)
            return update(b4);
          auto ifOp = scf::IfOp::create(
              b4, loc, skip,
              [&](OpBuilder &tb, Location) { scf::YieldOp::create(tb, loc, st); },
              [&](OpBuilder &eb, Location) { scf::YieldOp::create(eb, loc, update(eb)); });
          return SmallVector<Value>(ifOp.getResults());
        });

        // out = acc / l (0 for rows with no visible key); relaxed: acc;
        // aft: scale · q ⊙ acc.
        SmallVector<Value> finalIn{state[2], state[1]};
        SmallVector<AffineMap> finalMaps{dimsMap(ctx, 2, {0, 1}), dimsMap(ctx, 2, {0})};
        if (aft) {
          finalIn.push_back(qTile);
          finalMaps.push_back(dimsMap(ctx, 2, {0, 1}));
        }
        finalMaps.push_back(dimsMap(ctx, 2, {0, 1}));
        Value o = buildGeneric(
            b3, loc, finalIn, emptyTensor(b3, loc, accSizes, elem), finalMaps,
            {IteratorType::parallel, IteratorType::parallel},
            [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
              Value r = a[0];
              if (aft)
                r = arith::MulFOp::create(nb, l, r,
                                          arith::MulFOp::create(nb, l, a[2], cFloat(nb, l, S, scale)));
              else if (kind != AttentionKind::RelaxedLinear)
                r = arith::DivFOp::create(nb, l, a[0], a[1]);
              if (softmax) {
                Value empty = arith::CmpFOp::create(nb, l, arith::CmpFPredicate::OEQ, a[1], zero);
                r = arith::SelectOp::create(nb, l, empty, zero, r);
              }
              return convertScalar(nb, l, r, elem);
            });
        SmallVector<OpFoldResult> offsets{bi, hi, q0, b3.getIndexAttr(0)};
        SmallVector<OpFoldResult> sizes{b3.getIndexAttr(1), b3.getIndexAttr(1), qlen, dvSize};
        SmallVector<OpFoldResult> strides(4, b3.getIndexAttr(1));
        return SmallVector<Value>{tensor::InsertSliceOp::create(b3, loc, o, it3[0], offsets, sizes, strides)};
      }));
    }));
  });
  op.replaceAllUsesWith(result[0]);
  op.erase();
  return success();
}

struct FrondLowerAttention
    : frond::impl::FrondLowerAttentionBase<FrondLowerAttention> {
  using Base::Base;
  void runOnOperation() override {
    if (queryTile < 1 || keyTile < 1) {
      getOperation().emitError("attention tile sizes must be positive, found query-tile=")
          << int64_t(queryTile) << " key-tile=" << int64_t(keyTile);
      return signalPassFailure();
    }
    SmallVector<AttentionOp> ops;
    getOperation().walk([&](AttentionOp op) { ops.push_back(op); });
    for (AttentionOp op : ops)
      if (failed(lowerAttention(op, queryTile, keyTile)))
        return signalPassFailure();
    SmallVector<AttentionGradOp> grads;
    getOperation().walk([&](AttentionGradOp op) { grads.push_back(op); });
    for (AttentionGradOp op : grads)
      if (failed(lowerAttentionGrad(op, queryTile, keyTile)))
        return signalPassFailure();
  }
};

} // namespace
