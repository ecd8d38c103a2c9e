//===- LowerAttentionGrad.cpp - frond.attention_grad to tiled loops ------===//
//
// Flash-style backward (softmax): per (batch, head) and query tile, one
// sweep over the key tiles recomputes the row max and sum (the forward's
// log-sum-exp), then a second sweep recomputes each probability tile and
// accumulates dV += Pᵀ dO, dS = P ∘ (dO Vᵀ − rowsum(dO ∘ O)) (times the
// score region's derivative), dQ += scale · dS K and dK += scale · dSᵀ Q.
// Only [query tile, key tile] tensors exist; key tiles after a causal
// query tile are skipped in both sweeps.
//
//===----------------------------------------------------------------------===//
#include "AttentionUtils.h"
#include "frond/Dialect/Frond/IR/FrondOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

#include <limits>

using namespace mlir;
using namespace mlir::frond;
using namespace mlir::frond::lowering;
using utils::IteratorType;

namespace {

/// t[bi, hi, t0 : t0 + rows, :] += tile.
Value addTile(OpBuilder &b, Location loc, Value t, Value tile, Value bi, Value hi, Value t0,
              Value rows) {
  Value cur = tileOf(b, loc, t, bi, hi, t0, rows, cast<RankedTensorType>(t.getType()).getElementType());
  Value sum = buildElementwise(b, loc, cast<RankedTensorType>(cur.getType()), {cur, tile},
                               [](OpBuilder &nb, Location l, ValueRange a) -> Value {
                                 return arith::AddFOp::create(nb, l, a[0], a[1]);
                               });
  auto type = cast<RankedTensorType>(t.getType());
  SmallVector<OpFoldResult> offsets{bi, hi, t0, b.getIndexAttr(0)};
  SmallVector<OpFoldResult> sizes{b.getIndexAttr(1), b.getIndexAttr(1), rows,
                                  type.isDynamicDim(3) ? OpFoldResult(dimOf(b, loc, t, 3))
                                                       : OpFoldResult(b.getIndexAttr(type.getDimSize(3)))};
  SmallVector<OpFoldResult> strides(4, b.getIndexAttr(1));
  return tensor::InsertSliceOp::create(b, loc, sum, t, offsets, sizes, strides);
}

} // namespace

LogicalResult mlir::frond::lowering::lowerAttentionGrad(AttentionGradOp op, int64_t queryTile,
                                                        int64_t keyTile) {
  OpBuilder b(op);
  Location loc = op.getLoc();
  MLIRContext *ctx = b.getContext();
  Value q = op.getQ(), k = op.getK(), v = op.getV(), o = op.getOut(), dO = op.getDout();
  Type S = AttentionOp::getScoreType(cast<RankedTensorType>(q.getType()).getElementType());
  if (cast<RankedTensorType>(q.getType()).getElementType() != S)
    return op.emitError("attention_grad is lowered for f32/f64 operands only");
  SmallVector<Value> captures(op.getCaptures());
  Region &maskRegion = op.getMask(), &scoreRegion = op.getScore();
  bool hasMask = !maskRegion.empty(), hasScore = !scoreRegion.empty();
  std::optional<CausalMask> causal = analyseMask(maskRegion);
  double scale = op.getScale().convertToDouble();

  Value c0 = cIdx(b, loc, 0), c1 = cIdx(b, loc, 1);
  Value B = dimOf(b, loc, q, 0), H = dimOf(b, loc, q, 1), TQ = dimOf(b, loc, q, 2);
  Value Hkv = dimOf(b, loc, k, 1), TK = dimOf(b, loc, k, 2);
  Value group = arith::DivUIOp::create(b, loc, H, Hkv);
  Value tq = cIdx(b, loc, queryTile), tk = cIdx(b, loc, keyTile);
  Value negInf = cFloat(b, loc, S, -std::numeric_limits<double>::infinity());
  Value zero = cFloat(b, loc, S, 0.0);
  auto zerosLike = [&](Value t) {
    return filledTensor(b, loc, tensor::getMixedSizes(b, loc, t), zero);
  };
  Value dq0 = zerosLike(q), dk0 = zerosLike(k), dv0 = zerosLike(v);
  AffineMap ij = dimsMap(ctx, 2, {0, 1}), i = dimsMap(ctx, 2, {0});
  SmallVector<IteratorType> par2(2, IteratorType::parallel);
  SmallVector<IteratorType> rowRed{IteratorType::parallel, IteratorType::reduction};

  auto forLoop = [&](OpBuilder &ob, Value ub, Value step, ValueRange init, LoopBody body) {
    return tileLoop(ob, loc, c0, ub, step, init, body);
  };
  bool failedRegion = false;

  ValueRange result = forLoop(b, B, c1, {dq0, dk0, dv0}, [&](OpBuilder &b1, Value bi, ValueRange it1) {
    return SmallVector<Value>(forLoop(b1, H, c1, it1, [&](OpBuilder &b2, Value hi, ValueRange it2) {
      Value kvh = arith::DivUIOp::create(b2, loc, hi, group);
      return SmallVector<Value>(forLoop(b2, TQ, tq, it2, [&](OpBuilder &b3, Value q0, ValueRange it3) {
        Value qlen = arith::MinSIOp::create(b3, loc, tq, arith::SubIOp::create(b3, loc, TQ, q0));
        Value qLast = arith::SubIOp::create(b3, loc, arith::AddIOp::create(b3, loc, q0, qlen), c1);
        Value qTile = tileOf(b3, loc, q, bi, hi, q0, qlen, S);
        Value oTile = tileOf(b3, loc, o, bi, hi, q0, qlen, S);
        Value doTile = tileOf(b3, loc, dO, bi, hi, q0, qlen, S);
        SmallVector<OpFoldResult> rowSizes{qlen};

        // Scaled, scored, masked score tile (-inf where masked) and the raw
        // scaled scores (for the score region's derivative).
        auto scoreTiles = [&](OpBuilder &b5, Value k0, Value klen, Value kTile) {
          SmallVector<OpFoldResult> sSizes{qlen, klen};
          Value dots = contract(b5, loc, qTile, kTile, dimsMap(ctx, 3, {1, 2}),
                                filledTensor(b5, loc, sSizes, zero));
          auto tileType = RankedTensorType::get({ShapedType::kDynamic, ShapedType::kDynamic}, S);
          Value s = buildElementwise(b5, loc, tileType, dots, [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
            Value x = arith::MulFOp::create(nb, l, a[0], cFloat(nb, l, S, scale));
            Value qi = arith::AddIOp::create(nb, l, q0, linalg::IndexOp::create(nb, l, 0));
            Value kj = arith::AddIOp::create(nb, l, k0, linalg::IndexOp::create(nb, l, 1));
            if (hasScore)
              x = inlineRegion(nb, scoreRegion, {x, bi, hi, qi, kj}, captures);
            if (hasMask) {
              Value vis = inlineRegion(nb, maskRegion, {bi, hi, qi, kj}, captures);
              x = arith::SelectOp::create(nb, l, vis, x, negInf);
            }
            return x;
          });
          return std::make_pair(s, dots);
        };
        auto skipTile = [&](OpBuilder &b4, Value k0) -> Value {
          if (!causal || !causal->pure)
            return Value();
          return arith::CmpIOp::create(b4, loc, arith::CmpIPredicate::sgt, k0,
                                       arith::AddIOp::create(b4, loc, qLast, cIdx(b4, loc, causal->offset)));
        };
        auto maybeSkip = [&](OpBuilder &b4, Value k0, ValueRange st,
                             function_ref<SmallVector<Value>(OpBuilder &)> update) -> SmallVector<Value> {
          Value skip = skipTile(b4, k0);
          if (!skip)
            return update(b4);
          auto ifOp = scf::IfOp::create(
              b4, loc, skip, [&](OpBuilder &tb, Location) { scf::YieldOp::create(tb, loc, st); },
              [&](OpBuilder &eb, Location) { scf::YieldOp::create(eb, loc, update(eb)); });
          return SmallVector<Value>(ifOp.getResults());
        };

        // Sweep 1: row max m and Σ exp(s - m).
        Value m0 = filledTensor(b3, loc, rowSizes, negInf), l0 = filledTensor(b3, loc, rowSizes, zero);
        ValueRange ml = forLoop(b3, TK, tk, {m0, l0}, [&](OpBuilder &b4, Value k0, ValueRange st) {
          return maybeSkip(b4, k0, st, [&](OpBuilder &b5) -> SmallVector<Value> {
            Value klen = arith::MinSIOp::create(b5, loc, tk, arith::SubIOp::create(b5, loc, TK, k0));
            Value s = scoreTiles(b5, k0, klen, tileOf(b5, loc, k, bi, kvh, k0, klen, S)).first;
            Value mNew = buildGeneric(b5, loc, s, st[0], {ij, i}, rowRed, [](OpBuilder &nb, Location l, ValueRange a) -> Value {
              return arith::MaximumFOp::create(nb, l, a[1], a[0]);
            });
            auto safe = [&](OpBuilder &nb, Location l, Value x) -> Value {
              Value isInf = arith::CmpFOp::create(nb, l, arith::CmpFPredicate::OEQ, x, negInf);
              return arith::SelectOp::create(nb, l, isInf, zero, x);
            };
            // l' = l·exp(m - m') + Σ exp(s - m')
            Value lScaled = buildGeneric(b5, loc, {st[1], st[0], mNew}, emptyTensor(b5, loc, rowSizes, S),
                                         {dimsMap(ctx, 1, {0}), dimsMap(ctx, 1, {0}), dimsMap(ctx, 1, {0}), dimsMap(ctx, 1, {0})},
                                         {IteratorType::parallel},
                                         [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
                                           Value d = arith::SubFOp::create(nb, l, safe(nb, l, a[1]), safe(nb, l, a[2]));
                                           return arith::MulFOp::create(nb, l, a[0], math::ExpOp::create(nb, l, d));
                                         });
            Value lNew = buildGeneric(b5, loc, {s, mNew}, lScaled, {ij, i, i}, rowRed,
                                      [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
                                        Value e = math::ExpOp::create(nb, l, arith::SubFOp::create(nb, l, a[0], safe(nb, l, a[1])));
                                        return arith::AddFOp::create(nb, l, a[2], e);
                                      });
            return {mNew, lNew};
          });
        });
        // lse = m + log l (+inf for a row without a visible key: P = 0 there).
        Value lse = buildGeneric(b3, loc, {ml[0], ml[1]}, emptyTensor(b3, loc, rowSizes, S),
                                 {dimsMap(ctx, 1, {0}), dimsMap(ctx, 1, {0}), dimsMap(ctx, 1, {0})}, {IteratorType::parallel},
                                 [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
                                   Value none = arith::CmpFOp::create(nb, l, arith::CmpFPredicate::OEQ, a[1], zero);
                                   Value v = arith::AddFOp::create(nb, l, a[0], math::LogOp::create(nb, l, a[1]));
                                   return arith::SelectOp::create(nb, l, none, cFloat(nb, l, S, std::numeric_limits<double>::infinity()), v);
                                 });
        // D_i = Σ_e dO[i, e] O[i, e]
        Value dRow = buildGeneric(b3, loc, {doTile, oTile}, filledTensor(b3, loc, rowSizes, zero), {ij, ij, i}, rowRed,
                                  [](OpBuilder &nb, Location l, ValueRange a) -> Value {
                                    return arith::AddFOp::create(nb, l, a[2], arith::MulFOp::create(nb, l, a[0], a[1]));
                                  });

        // Sweep 2: gradients.
        SmallVector<OpFoldResult> dqSizes = tensor::getMixedSizes(b3, loc, qTile);
        Value dqAcc0 = filledTensor(b3, loc, dqSizes, zero);
        ValueRange acc = forLoop(b3, TK, tk, {dqAcc0, it3[1], it3[2]}, [&](OpBuilder &b4, Value k0, ValueRange st) {
          return maybeSkip(b4, k0, st, [&](OpBuilder &b5) -> SmallVector<Value> {
            Value klen = arith::MinSIOp::create(b5, loc, tk, arith::SubIOp::create(b5, loc, TK, k0));
            Value kTile = tileOf(b5, loc, k, bi, kvh, k0, klen, S);
            Value vTile = tileOf(b5, loc, v, bi, kvh, k0, klen, S);
            auto [s, dots] = scoreTiles(b5, k0, klen, kTile);
            SmallVector<OpFoldResult> sSizes{qlen, klen};
            Value p = buildGeneric(b5, loc, {s, lse}, emptyTensor(b5, loc, sSizes, S), {ij, i, ij}, par2,
                                   [](OpBuilder &nb, Location l, ValueRange a) -> Value {
                                     return math::ExpOp::create(nb, l, arith::SubFOp::create(nb, l, a[0], a[1]));
                                   });
            // dV[j, e] += Σ_i P[i, j] dO[i, e]
            SmallVector<OpFoldResult> kvSizes = tensor::getMixedSizes(b5, loc, vTile);
            Value dvTile = contractMaps(b5, loc, p, dimsMap(ctx, 3, {2, 0}), doTile, dimsMap(ctx, 3, {2, 1}),
                                        filledTensor(b5, loc, kvSizes, zero));
            // dP[i, j] = Σ_e dO[i, e] V[j, e]
            Value dp = contract(b5, loc, doTile, vTile, dimsMap(ctx, 3, {1, 2}), filledTensor(b5, loc, sSizes, zero));
            // dS = P (dP - D) · score'(s) · scale
            SmallVector<Value> ins{p, dp, dRow};
            SmallVector<AffineMap> maps{ij, ij, i};
            if (hasScore) {
              ins.push_back(dots);
              maps.push_back(ij);
            }
            maps.push_back(ij);
            Value ds = buildGeneric(b5, loc, ins, emptyTensor(b5, loc, sSizes, S), maps, par2,
                                    [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
                                      Value r = arith::MulFOp::create(nb, l, a[0], arith::SubFOp::create(nb, l, a[1], a[2]));
                                      if (hasScore) {
                                        Value x = arith::MulFOp::create(nb, l, a[3], cFloat(nb, l, S, scale));
                                        Value qi = arith::AddIOp::create(nb, l, q0, linalg::IndexOp::create(nb, l, 0));
                                        Value kj = arith::AddIOp::create(nb, l, k0, linalg::IndexOp::create(nb, l, 1));
                                        Value d = scoreDerivative(nb, scoreRegion, {x, bi, hi, qi, kj}, captures);
                                        if (!d) {
                                          failedRegion = true;
                                          d = cFloat(nb, l, S, 0.0);
                                        }
                                        r = arith::MulFOp::create(nb, l, r, d);
                                      }
                                      return arith::MulFOp::create(nb, l, r, cFloat(nb, l, S, scale));
                                    });
            // dQ[i, d] += Σ_j dS[i, j] K[j, d]; dK[j, d] = Σ_i dS[i, j] Q[i, d]
            Value dqAcc = contract(b5, loc, ds, kTile, dimsMap(ctx, 3, {2, 1}), st[0]);
            Value dkTile = contractMaps(b5, loc, ds, dimsMap(ctx, 3, {2, 0}), qTile, dimsMap(ctx, 3, {2, 1}),
                                        filledTensor(b5, loc, tensor::getMixedSizes(b5, loc, kTile), zero));
            Value dk = addTile(b5, loc, st[1], dkTile, bi, kvh, k0, klen);
            Value dv = addTile(b5, loc, st[2], dvTile, bi, kvh, k0, klen);
            return {dqAcc, dk, dv};
          });
        });
        Value dq = addTile(b3, loc, it3[0], acc[0], bi, hi, q0, qlen);
        return SmallVector<Value>{dq, acc[1], acc[2]};
      }));
    }));
  });
  if (failedRegion)
    return failure();
  op.getDq().replaceAllUsesWith(result[0]);
  op.getDk().replaceAllUsesWith(result[1]);
  op.getDv().replaceAllUsesWith(result[2]);
  op.erase();
  return success();
}
