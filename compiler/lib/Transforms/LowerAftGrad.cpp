//===- LowerAftGrad.cpp - backward of aft ---------------------------------===//
//
// aft: out_i = scale · q_i ⊙ A_i with A_i = Σ_j W_ij (k_j ⊙ v_j) and the
// pair weight W = m · score(1.0) (elementwise over channels). With
// U = scale · q ⊙ dO (dL/dA), one sweep over the key tiles gives
//   A_i           += Σ_j W_ij (k_j ⊙ v_j)        (for dQ = scale · dO ⊙ A)
//   d(k ⊙ v)_j    += Σ_i W_ij U_i                 (dK = v ⊙ ·, dV = k ⊙ ·)
//   dL/dW_ij       = m · U_i · (k_j ⊙ v_j)        (for captured tensors)
// W does not depend on q or k, so the score region is differentiated only
// with respect to the captures it reads.
//
//===----------------------------------------------------------------------===//
#include "AttentionGradLowering.h"
#include "mlir/Dialect/Arith/IR/Arith.h"

using namespace mlir;
using namespace mlir::frond;
using namespace mlir::frond::lowering;

SmallVector<Value> AttentionGradLowering::aftQueryTile(OpBuilder &b3, const QueryTile &t,
                                                       ValueRange acc) {
  Value qTile = tileOf(b3, loc, q, t.bi, t.hi, t.q0, t.qlen, S);
  Value doTile = tileOf(b3, loc, op.getDout(), t.bi, t.hi, t.q0, t.qlen, S);
  auto rowType = cast<RankedTensorType>(qTile.getType());
  Value u = buildElementwise(b3, loc, rowType, {qTile, doTile}, [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
    return arith::MulFOp::create(nb, l, arith::MulFOp::create(nb, l, a[0], a[1]), cFloat(nb, l, S, scale));
  });
  SmallVector<OpFoldResult> rowSizes = tensor::getMixedSizes(b3, loc, qTile);

  // State: A for this tile, dk, dv, the captures' accumulators.
  SmallVector<Value> init{filledTensor(b3, loc, rowSizes, zero), acc[kDk], acc[kDv]};
  init.append(acc.begin() + firstCaptureSlot(), acc.end());
  SmallVector<Value> st2 = keyLoop(b3, t, init, [&](OpBuilder &b5, Value k0, Value klen, ValueRange st) {
    Value kTile = tileOf(b5, loc, k, t.bi, t.kvh, k0, klen, S);
    Value vTile = tileOf(b5, loc, v, t.bi, t.kvh, k0, klen, S);
    Value kv = multiplyElementwise(b5, loc, kTile, vTile);
    SmallVector<OpFoldResult> sSizes{t.qlen, klen};
    Value ones = filledTensor(b5, loc, sSizes, cFloat(b5, loc, S, 1.0));
    Value w = scoreTile(b5, t, k0, ones, zero);
    SmallVector<Value> next(st);
    // A[i, e] += Σ_j W[i, j] kv[j, e]
    next[0] = contract(b5, loc, w, kv, dimsMap(ctx, 3, {2, 1}), st[0]);
    // d(kv)[j, e] = Σ_i W[i, j] U[i, e]
    Value dkv = contractMaps(b5, loc, w, dimsMap(ctx, 3, {2, 0}), u, dimsMap(ctx, 3, {2, 1}),
                             filledTensor(b5, loc, tensor::getMixedSizes(b5, loc, kv), zero));
    next[1] = addTile(b5, loc, st[1], multiplyElementwise(b5, loc, vTile, dkv), t.bi, t.kvh, k0, klen);
    next[2] = addTile(b5, loc, st[2], multiplyElementwise(b5, loc, kTile, dkv), t.bi, t.kvh, k0, klen);
    if (!wantedCaptureGrads.empty()) {
      // dL/dW[i, j] = Σ_e U[i, e] kv[j, e] where visible.
      Value dw = contract(b5, loc, u, kv, dimsMap(ctx, 3, {1, 2}), filledTensor(b5, loc, sSizes, zero));
      AffineMap ij = dimsMap(ctx, 2, {0, 1});
      dw = buildGeneric(b5, loc, dw, emptyTensor(b5, loc, sSizes, S), {ij, ij},
                        {utils::IteratorType::parallel, utils::IteratorType::parallel},
                        [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
                          return visibleOr(nb, l, t, k0, a[0], zero);
                        });
      addCaptureGrads(b5, t, k0, dw, ones, MutableArrayRef<Value>(next).drop_front(3));
    }
    return next;
  });

  // dQ = scale · dO ⊙ A
  Value dqTile = buildElementwise(b3, loc, rowType, {doTile, st2[0]}, [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
    return arith::MulFOp::create(nb, l, arith::MulFOp::create(nb, l, a[0], a[1]), cFloat(nb, l, S, scale));
  });
  SmallVector<Value> out(acc);
  out[kDq] = addTile(b3, loc, acc[kDq], dqTile, t.bi, t.hi, t.q0, t.qlen);
  out[kDk] = st2[1];
  out[kDv] = st2[2];
  std::copy(st2.begin() + 3, st2.end(), out.begin() + firstCaptureSlot());
  return out;
}
