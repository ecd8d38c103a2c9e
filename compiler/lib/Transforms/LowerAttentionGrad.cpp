//===- LowerAttentionGrad.cpp - backward of the probability kinds ---------===//
//
// softmax, power_law, linear and relaxed_linear share one shape: per query
// tile, out_i = Σ_j P_ij v_j with P from the scored tile s,
//   softmax, power_law: P = exp(s − lse)          (s = -inf where masked)
//   linear:             P = m·s / L,  L = Σ_j m·s
//   relaxed_linear:     P = m·s
// A first sweep over the key tiles recomputes the row statistic (lse, or
// L); a second recomputes P tile by tile and accumulates dV += Pᵀ dO, and
// with dP = dO Vᵀ and D_i = dO_i · O_i the score gradient
//   G = P (dP − D) | m (dP − D) / L | m dP,
// then dS = G · score'(x) · scale, dQ += dS K and dK += dSᵀ Q. For
// power_law the scores are (q G) kᵀ: dK uses q G, and at the end of the
// query tile dQ = d(qG) Gᵀ and dG += qᵀ d(qG). Captured tensors the score
// region reads get G · ∂score/∂c (AttentionCaptureGrads.cpp).
//
//===----------------------------------------------------------------------===//
#include "AttentionGradLowering.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"

#include <limits>

using namespace mlir;
using namespace mlir::frond;
using namespace mlir::frond::lowering;
using utils::IteratorType;

SmallVector<Value> AttentionGradLowering::probabilityQueryTile(OpBuilder &b3, const QueryTile &t,
                                                               ValueRange acc) {
  AttentionKind kind = op.getKind();
  bool softmax = kind == AttentionKind::Softmax || kind == AttentionKind::PowerLaw;
  bool relaxed = kind == AttentionKind::RelaxedLinear;
  double inf = std::numeric_limits<double>::infinity();
  Value negInf = cFloat(b3, loc, S, -inf);
  AffineMap ij = dimsMap(ctx, 2, {0, 1}), i = dimsMap(ctx, 2, {0}), row = dimsMap(ctx, 1, {0});
  SmallVector<IteratorType> par2(2, IteratorType::parallel), par1{IteratorType::parallel};
  SmallVector<IteratorType> rowRed{IteratorType::parallel, IteratorType::reduction};
  SmallVector<OpFoldResult> rowSizes{t.qlen};

  Value qTile = tileOf(b3, loc, q, t.bi, t.hi, t.q0, t.qlen, S);
  Value oTile = tileOf(b3, loc, op.getOut(), t.bi, t.hi, t.q0, t.qlen, S);
  Value doTile = tileOf(b3, loc, op.getDout(), t.bi, t.hi, t.q0, t.qlen, S);
  // The rows the scores are taken with: q, or q G for power_law.
  Value g, qScored = qTile;
  if (metric) {
    g = tileOf(b3, loc, metric, t.bi, t.hi, c0, dimOf(b3, loc, metric, 2), S);
    SmallVector<OpFoldResult> sz{t.qlen, tensor::getMixedSizes(b3, loc, g)[1]};
    qScored = contract(b3, loc, qTile, g, dimsMap(ctx, 3, {2, 1}), filledTensor(b3, loc, sz, zero));
  }
  auto scores = [&](OpBuilder &b, Value k0, Value klen, Value kTile) {
    SmallVector<OpFoldResult> sSizes{t.qlen, klen};
    Value dots = contract(b, loc, qScored, kTile, dimsMap(ctx, 3, {1, 2}), filledTensor(b, loc, sSizes, zero));
    return std::make_pair(scoreTile(b, t, k0, dots, softmax ? negInf : zero), dots);
  };

  // Sweep 1: the row statistic. softmax: lse = m + log Σ exp(s - m) (+inf
  // for a row without a visible key: P = 0 there); linear: L = Σ m·s.
  Value stat;
  if (softmax) {
    auto safe = [&](OpBuilder &nb, Location l, Value x) -> Value {
      Value isInf = arith::CmpFOp::create(nb, l, arith::CmpFPredicate::OEQ, x, negInf);
      return arith::SelectOp::create(nb, l, isInf, zero, x);
    };
    Value m0 = filledTensor(b3, loc, rowSizes, negInf), l0 = filledTensor(b3, loc, rowSizes, zero);
    SmallVector<Value> ml = keyLoop(b3, t, {m0, l0}, [&](OpBuilder &b5, Value k0, Value klen, ValueRange st) {
      Value s = scores(b5, k0, klen, tileOf(b5, loc, k, t.bi, t.kvh, k0, klen, S)).first;
      Value mNew = buildGeneric(b5, loc, s, st[0], {ij, i}, rowRed, [](OpBuilder &nb, Location l, ValueRange a) -> Value {
        return arith::MaximumFOp::create(nb, l, a[1], a[0]);
      });
      // l' = l·exp(m - m') + Σ exp(s - m'). Only m' is made safe: a row
      // that has seen no visible key (m = -inf, l = 0) must scale by
      // exp(-inf) = 0, not exp(0 - m'), which overflows to inf when m' is
      // very negative (0 · inf = NaN), as the forward does.
      Value lScaled = buildGeneric(b5, loc, {st[1], st[0], mNew}, emptyTensor(b5, loc, rowSizes, S),
                                   {row, row, row, row}, par1, [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
                                     Value d = arith::SubFOp::create(nb, l, a[1], safe(nb, l, a[2]));
                                     return arith::MulFOp::create(nb, l, a[0], math::ExpOp::create(nb, l, d));
                                   });
      Value lNew = buildGeneric(b5, loc, {s, mNew}, lScaled, {ij, i, i}, rowRed, [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
        Value e = math::ExpOp::create(nb, l, arith::SubFOp::create(nb, l, a[0], safe(nb, l, a[1])));
        return arith::AddFOp::create(nb, l, a[2], e);
      });
      return SmallVector<Value>{mNew, lNew};
    });
    stat = buildGeneric(b3, loc, {ml[0], ml[1]}, emptyTensor(b3, loc, rowSizes, S), {row, row, row}, par1,
                        [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
                          Value none = arith::CmpFOp::create(nb, l, arith::CmpFPredicate::OEQ, a[1], zero);
                          Value v = arith::AddFOp::create(nb, l, a[0], math::LogOp::create(nb, l, a[1]));
                          return arith::SelectOp::create(nb, l, none, cFloat(nb, l, S, inf), v);
                        });
  } else if (!relaxed) {
    stat = keyLoop(b3, t, {filledTensor(b3, loc, rowSizes, zero)}, [&](OpBuilder &b5, Value k0, Value klen, ValueRange st) {
      Value s = scores(b5, k0, klen, tileOf(b5, loc, k, t.bi, t.kvh, k0, klen, S)).first;
      return SmallVector<Value>{buildGeneric(b5, loc, s, st[0], {ij, i}, rowRed, [](OpBuilder &nb, Location l, ValueRange a) -> Value {
        return arith::AddFOp::create(nb, l, a[1], a[0]);
      })};
    })[0];
  }
  // D_i = Σ_e dO[i, e] O[i, e] (relaxed_linear has no normaliser to differentiate).
  Value dRow;
  if (!relaxed)
    dRow = buildGeneric(b3, loc, {doTile, oTile}, filledTensor(b3, loc, rowSizes, zero), {ij, ij, i}, rowRed,
                        [](OpBuilder &nb, Location l, ValueRange a) -> Value {
                          return arith::AddFOp::create(nb, l, a[2], arith::MulFOp::create(nb, l, a[0], a[1]));
                        });

  // Sweep 2: the gradients. The state is d(qScored) for this tile, then the
  // accumulators dk, dv and the captures' (dq and dmetric are added after).
  SmallVector<Value> init{filledTensor(b3, loc, tensor::getMixedSizes(b3, loc, qScored), zero), acc[kDk], acc[kDv]};
  init.append(acc.begin() + firstCaptureSlot(), acc.end());
  SmallVector<Value> st2 = keyLoop(b3, t, init, [&](OpBuilder &b5, Value k0, Value klen, ValueRange st) {
    Value kTile = tileOf(b5, loc, k, t.bi, t.kvh, k0, klen, S);
    Value vTile = tileOf(b5, loc, v, t.bi, t.kvh, k0, klen, S);
    auto [s, dots] = scores(b5, k0, klen, kTile);
    SmallVector<OpFoldResult> sSizes{t.qlen, klen};
    Value p = s;
    if (!relaxed)
      p = buildGeneric(b5, loc, {s, stat}, emptyTensor(b5, loc, sSizes, S), {ij, i, ij}, par2,
                       [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
                         if (softmax)
                           return math::ExpOp::create(nb, l, arith::SubFOp::create(nb, l, a[0], a[1]));
                         Value none = arith::CmpFOp::create(nb, l, arith::CmpFPredicate::OEQ, a[1], zero);
                         return arith::SelectOp::create(nb, l, none, zero, arith::DivFOp::create(nb, l, a[0], a[1]));
                       });
    // dV[j, e] += Σ_i P[i, j] dO[i, e]
    SmallVector<OpFoldResult> kvSizes = tensor::getMixedSizes(b5, loc, vTile);
    Value dvTile = contractMaps(b5, loc, p, dimsMap(ctx, 3, {2, 0}), doTile, dimsMap(ctx, 3, {2, 1}),
                                filledTensor(b5, loc, kvSizes, zero));
    // dP[i, j] = Σ_e dO[i, e] V[j, e]
    Value dp = contract(b5, loc, doTile, vTile, dimsMap(ctx, 3, {1, 2}), filledTensor(b5, loc, sSizes, zero));
    // G = dL/ds (0 where masked).
    SmallVector<Value> gIn{dp};
    SmallVector<AffineMap> gMaps{ij};
    if (!relaxed) {
      gIn.append({p, dRow, stat});
      gMaps.append({ij, i, i});
    }
    gMaps.push_back(ij);
    Value gTile = buildGeneric(b5, loc, gIn, emptyTensor(b5, loc, sSizes, S), gMaps, par2,
                               [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
                                 if (relaxed)
                                   return visibleOr(nb, l, t, k0, a[0], zero);
                                 Value centred = arith::SubFOp::create(nb, l, a[0], a[2]);
                                 if (softmax)
                                   return arith::MulFOp::create(nb, l, a[1], centred);
                                 Value none = arith::CmpFOp::create(nb, l, arith::CmpFPredicate::OEQ, a[3], zero);
                                 Value r = arith::SelectOp::create(nb, l, none, zero, arith::DivFOp::create(nb, l, centred, a[3]));
                                 return visibleOr(nb, l, t, k0, r, zero);
                               });
    SmallVector<Value> next{Value(), Value(), Value()};
    next.append(st.begin() + 3, st.end());
    MutableArrayRef<Value> captureState(next.data() + 3, next.size() - 3);
    addCaptureGrads(b5, t, k0, gTile, dots, captureState);
    // dS = G · score'(x) · scale
    SmallVector<Value> dsIn{gTile};
    if (hasScore)
      dsIn.push_back(dots);
    SmallVector<AffineMap> dsMaps(dsIn.size() + 1, ij);
    Value ds = buildGeneric(b5, loc, dsIn, emptyTensor(b5, loc, sSizes, S), dsMaps, par2,
                            [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
                              Value r = a[0];
                              if (hasScore)
                                r = arith::MulFOp::create(nb, l, r, scoreSlope(nb, l, t, k0, a[1]));
                              return arith::MulFOp::create(nb, l, r, cFloat(nb, l, S, scale));
                            });
    // d(qScored)[i, d] += Σ_j dS[i, j] K[j, d]; dK[j, d] = Σ_i dS[i, j] qScored[i, d]
    next[0] = contract(b5, loc, ds, kTile, dimsMap(ctx, 3, {2, 1}), st[0]);
    Value dkTile = contractMaps(b5, loc, ds, dimsMap(ctx, 3, {2, 0}), qScored, dimsMap(ctx, 3, {2, 1}),
                                filledTensor(b5, loc, tensor::getMixedSizes(b5, loc, kTile), zero));
    next[1] = addTile(b5, loc, st[1], dkTile, t.bi, t.kvh, k0, klen);
    next[2] = addTile(b5, loc, st[2], dvTile, t.bi, t.kvh, k0, klen);
    return next;
  });

  SmallVector<Value> out(acc);
  Value dqTile = st2[0];
  if (metric) {
    // qScored = q G: dq = d(qScored) Gᵀ, dG[d, e] += Σ_i q[i, d] d(qScored)[i, e].
    dqTile = contract(b3, loc, st2[0], g, dimsMap(ctx, 3, {1, 2}),
                      filledTensor(b3, loc, tensor::getMixedSizes(b3, loc, qTile), zero));
    SmallVector<OpFoldResult> gSizes = tensor::getMixedSizes(b3, loc, g);
    Value dgTile = contractMaps(b3, loc, qTile, dimsMap(ctx, 3, {2, 0}), st2[0], dimsMap(ctx, 3, {2, 1}),
                                filledTensor(b3, loc, gSizes, zero));
    out[metricSlot()] = addTile(b3, loc, acc[metricSlot()], dgTile, t.bi, t.hi, c0, dimOf(b3, loc, g, 0));
  }
  out[kDq] = addTile(b3, loc, acc[kDq], dqTile, t.bi, t.hi, t.q0, t.qlen);
  out[kDk] = st2[1];
  out[kDv] = st2[2];
  std::copy(st2.begin() + 3, st2.end(), out.begin() + firstCaptureSlot());
  return out;
}
