//===- GPUAttentionGradKernels.cpp - flash-attention backward, a row each --===//
//
// Both backward kernels recompute the probabilities from the forward's
// log-sum-exp, P_ij = exp(s_ij - lse_i), and with dP_ij = dO_i·v_j and
// delta_i = dO_i·O_i take the score gradient G_ij = P_ij (dP_ij - delta_i)
// and dS_ij = G_ij · score'(x_ij) · scale (x = scale · q·k, the score
// region's input; its derivative by forward mode, ScoreDerivatives.cpp):
//   - dQ kernel, one thread per query row: dQ_i = Σ_j dS_ij k_j over the
//     key tiles (staged in workgroup memory, empty tiles skipped as in the
//     forward); a captured tensor c the score region reads gets
//     G_ij · ∂score/∂c added atomically at the element read;
//   - dK/dV kernel, one thread per key row: dV_j = Σ_i P_ij dO_i and
//     dK_j = Σ_i dS_ij q_i over the query heads sharing the K/V head and
//     their query tiles (Q and dO staged), reading delta from the first.
// Rows without a visible key saved lse = -inf; read as +inf, their P is 0.
// Emulating bf16/f16 tiles (AttentionKernel::roundTo), q, k, v and dO
// (in dP and delta) are rounded through that type, so that P is taken over
// the scores the forward's log-sum-exp came from, and P and dS are rounded
// before they multiply, where the mma.sync backward
// (GPUAttentionGradMmaKernels.cpp) rounds them.
// The other kinds follow LowerAttentionGrad.cpp with the forward's saved
// normaliser L: linear P = w / L, G = (dP - delta) / L; relaxed_linear
// P = w, G = dP (w = s where visible, else 0). aft (LowerAftGrad.cpp) has
// no q·k: with U = scale · q ⊙ dO the dQ kernel sums A = Σ_j w_ij k_j ⊙ v_j
// (dQ = scale · dO ⊙ A; captures get U_i · (k_j ⊙ v_j)) and the dK/dV
// kernel d(k ⊙ v)_j = Σ_i w_ij U_i.
//
//===----------------------------------------------------------------------===//
#include "AttentionUtils.h"
#include "GPUAttentionGrad.h"
#include "LoweringUtils.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

#include <limits>

using namespace mlir;
using namespace mlir::frond;
using namespace mlir::frond::gpuattn;
using lowering::cFloat;
using lowering::cIdx;
using P = arith::CmpIPredicate;

namespace {

/// Stores `row` (vector<n x f32>) as row `t` of `dst` [b, h, t, n].
void storeVectorRow(OpBuilder &b, Location loc, Value row, Value dst, Value bi, Value hi, Value t) {
  Type elem = cast<MemRefType>(dst.getType()).getElementType();
  int64_t n = cast<VectorType>(row.getType()).getDimSize(0);
  for (int64_t d = 0; d < n; ++d) {
    Value x = lowering::convertScalar(b, loc, vector::ExtractOp::create(b, loc, row, d), elem);
    memref::StoreOp::create(b, loc, x, dst, ValueRange{bi, hi, t, cIdx(b, loc, d)});
  }
}

Value dot(OpBuilder &b, Location loc, Value x, Value y) {
  return vector::ReductionOp::create(b, loc, vector::CombiningKind::ADD,
                                     arith::MulFOp::create(b, loc, x, y));
}

/// acc + a · row (a scalar, broadcast).
Value axpy(OpBuilder &b, Location loc, Value a, Value row, Value acc) {
  return vector::FMAOp::create(b, loc, vector::BroadcastOp::create(b, loc, row.getType(), a), row,
                               acc);
}

Value zeros(OpBuilder &b, Location loc, int64_t n) {
  auto type = VectorType::get({n}, b.getF32Type());
  return arith::ConstantOp::create(b, loc, type, DenseElementsAttr::get(type, 0.0f));
}

/// scale · x ⊙ y for rows x, y: aft's dL/dA = scale · q ⊙ dO, and its
/// dQ = scale · dO ⊙ A.
Value scaledProduct(OpBuilder &b, const AttentionKernel &f, Value x, Value y) {
  Value c = vector::BroadcastOp::create(b, f.loc, x.getType(), cFloat(b, f.loc, b.getF32Type(), f.scale));
  return arith::MulFOp::create(b, f.loc, arith::MulFOp::create(b, f.loc, x, y), c);
}

} // namespace

Value gpuattn::savedStat(OpBuilder &b, const AttentionKernel &f, Value bi, Value hi, Value qi) {
  Location loc = f.loc;
  Type f32 = b.getF32Type();
  if (!isSoftmaxKind(f.kind) && f.kind != AttentionKind::Linear)
    return cFloat(b, loc, f32, 0.0);
  Value x = memref::LoadOp::create(b, loc, f.lse, ValueRange{bi, hi, qi});
  if (f.kind == AttentionKind::Linear) {
    Value none = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ, x, cFloat(b, loc, f32, 0.0));
    return arith::SelectOp::create(b, loc, none, cFloat(b, loc, f32, 0.0),
                                   arith::DivFOp::create(b, loc, cFloat(b, loc, f32, 1.0), x));
  }
  double inf = std::numeric_limits<double>::infinity();
  Value empty = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ, x, cFloat(b, loc, f32, -inf));
  return arith::SelectOp::create(b, loc, empty, cFloat(b, loc, f32, inf), x);
}

std::pair<Value, Value> gpuattn::visibleWeight(OpBuilder &b, Location loc, Value s) {
  Type f32 = s.getType();
  Value negInf = cFloat(b, loc, f32, -std::numeric_limits<double>::infinity());
  Value visible = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::ONE, s, negInf);
  return {visible, arith::SelectOp::create(b, loc, visible, s, cFloat(b, loc, f32, 0.0))};
}

FailureOr<ScoreSlopes> gpuattn::scoreSlopes(OpBuilder &b, const AttentionGradKernel &kernel,
                                   const BlockCoords &block, Value x, Value qi, Value kj,
                                   bool withCaptures) {
  const AttentionKernel &f = kernel.fwd;
  Location loc = f.loc;
  ScoreSlopes r;
  if (!f.score) {
    r.slopes.push_back(cFloat(b, loc, x.getType(), 1.0));
    return r;
  }
  Block &body = f.score->front();
  unsigned leading = body.getNumArguments() - f.captures.size();
  SmallVector<Value> seeds{body.getArgument(0)};
  SmallVector<unsigned> seedGrad;
  if (withCaptures)
    for (auto [n, grad] : llvm::enumerate(kernel.captureGrads))
      for (Operation *user : body.getArgument(leading + grad.first).getUsers()) {
        seeds.push_back(cast<tensor::ExtractOp>(user).getResult());
        seedGrad.push_back(n);
      }
  Value one = cIdx(b, loc, 1);
  Value qc = arith::MinSIOp::create(b, loc, qi, arith::SubIOp::create(b, loc, f.TQ, one));
  Value kc = arith::MinSIOp::create(b, loc, kj, arith::SubIOp::create(b, loc, f.TK, one));
  IRMapping map;
  FailureOr<SmallVector<Value>> d = lowering::scoreDerivatives(
      b, *f.score, {x, block.b, block.h, qc, kc}, f.captures, seeds, map,
      [](OpBuilder &cb, Operation &op, IRMapping &m) { cloneOnBuffers(cb, op, m); });
  if (failed(d))
    return failure();
  r.slopes = std::move(*d);
  for (auto [seed, n] : llvm::zip(ArrayRef<Value>(seeds).drop_front(), seedGrad)) {
    r.reads.push_back(map.lookup(seed).getDefiningOp<memref::LoadOp>());
    r.readGrad.push_back(n);
  }
  return r;
}

FailureOr<ScoredPair> gpuattn::scorePair(OpBuilder &b, const AttentionGradKernel &kernel,
                                         const BlockCoords &block, Value raw, Value qi, Value kj,
                                         bool withChecks, bool withCaptures, bool checkKeys) {
  const AttentionKernel &f = kernel.fwd;
  Value s = scoreElement(b, f, block, raw, qi, kj, withChecks, checkKeys);
  Value x = arith::MulFOp::create(b, f.loc, raw, cFloat(b, f.loc, raw.getType(), scoreScale(f)));
  FailureOr<ScoreSlopes> slopes = scoreSlopes(b, kernel, block, x, qi, kj, withCaptures);
  if (failed(slopes))
    return failure();
  return ScoredPair{s, std::move(*slopes)};
}

PairGrads gpuattn::pairGrads(OpBuilder &b, const AttentionKernel &f, Value s, Value dP, Value stat,
                    Value delta, Value slope) {
  Location loc = f.loc;
  Type f32 = s.getType();
  Value p, g;
  if (isSoftmaxKind(f.kind)) {
    Value log2e = cFloat(b, loc, f32, M_LOG2E);
    p = math::Exp2Op::create(
        b, loc, arith::MulFOp::create(b, loc, arith::SubFOp::create(b, loc, s, stat), log2e),
        arith::FastMathFlags::afn);
    g = arith::MulFOp::create(b, loc, p, arith::SubFOp::create(b, loc, dP, delta));
  } else {
    auto [visible, w] = visibleWeight(b, loc, s);
    Value zero = cFloat(b, loc, f32, 0.0);
    if (f.kind == AttentionKind::Linear) {
      p = arith::MulFOp::create(b, loc, w, stat);
      dP = arith::MulFOp::create(b, loc, arith::SubFOp::create(b, loc, dP, delta), stat);
    } else {
      p = w;
    }
    g = arith::SelectOp::create(b, loc, visible, dP, zero);
  }
  Value ds = arith::MulFOp::create(
      b, loc, arith::MulFOp::create(b, loc, g, slope), cFloat(b, loc, f32, f.scale));
  return {p, g, ds};
}

void gpuattn::addCaptureGrads(OpBuilder &b, const AttentionGradKernel &kernel, const ScoreSlopes &slopes,
                     Value g, Value when) {
  if (slopes.reads.empty())
    return;
  Location loc = kernel.fwd.loc;
  scf::IfOp::create(b, loc, when, [&](OpBuilder &tb, Location) {
    for (auto [read, slope, n] :
         llvm::zip(slopes.reads, ArrayRef<Value>(slopes.slopes).drop_front(), slopes.readGrad)) {
      Value grad = kernel.captureGrads[n].second;
      Type elem = cast<MemRefType>(grad.getType()).getElementType();
      Value add = lowering::convertScalar(tb, loc, arith::MulFOp::create(tb, loc, g, slope), elem);
      memref::LoadOp at = read;
      memref::AtomicRMWOp::create(tb, loc, arith::AtomicRMWKind::addf, add, grad, at.getIndices());
    }
    scf::YieldOp::create(tb, loc);
  });
}

LogicalResult gpuattn::buildGradQueryKernel(OpBuilder &b, const AttentionGradKernel &kernel,
                                            const BlockCoords &block, const ThreadEnv &env,
                                            Value ks, Value vs) {
  const AttentionKernel &f = kernel.fwd;
  Location loc = f.loc;
  Type f32 = b.getF32Type();
  Value qi = arith::AddIOp::create(b, loc, block.q0, env.threadId);
  Value last = arith::SubIOp::create(b, loc, f.TQ, cIdx(b, loc, 1));
  Value qc = arith::MinSIOp::create(b, loc, qi, last); // rows past the end read the last
  Value valid = arith::CmpIOp::create(b, loc, P::slt, qi, f.TQ);
  Value qRow = roundThrough(b, loc, loadRow(b, loc, f.q, block.b, block.h, qc, f.headDim), f.roundTo);
  Value doRow = loadRow(b, loc, kernel.dout, block.b, block.h, qc, f.valueDim);
  // dO as the mma.sync kernel takes it, for dP and delta alike: a delta
  // of the unrounded dO is off by the rounding from Σ_j P_ij dP_ij, and
  // that shift reaches every gradient (PLDR's went to 3x eager bf16's error).
  Value doRounded = roundThrough(b, loc, doRow, f.roundTo);
  Value delta = dot(b, loc, doRounded, loadRow(b, loc, f.out, block.b, block.h, qc, f.valueDim));
  Value stat = savedStat(b, f, block.b, block.h, qc);
  bool aft = f.kind == AttentionKind::Aft;
  Value u = aft ? scaledProduct(b, f, qRow, doRow) : Value(); // dL/dA

  auto stage = [&](OpBuilder &sb, Value k0) { stageKeyValueTile(sb, f, block, env, k0, ks, vs); };
  bool failedRegion = false;
  auto compute = [&](OpBuilder &cb, Value k0, bool withChecks, ValueRange st) {
    return forEachKeyInTile(
        cb, f, k0, st, [&](OpBuilder &lb, Value j, Value kj, ValueRange it) {
          Value kRow = roundThrough(lb, loc, tileRow(lb, loc, ks, j, f.headDim), f.roundTo);
          Value vRow = roundThrough(lb, loc, tileRow(lb, loc, vs, j, f.valueDim), f.roundTo);
          Value raw = aft ? cFloat(lb, loc, f32, 1.0) : dot(lb, loc, qRow, kRow);
          FailureOr<ScoredPair> pair =
              scorePair(lb, kernel, block, raw, qi, kj, withChecks, /*withCaptures=*/true);
          if (failed(pair)) {
            failedRegion = true;
            scf::YieldOp::create(lb, loc, it);
            return;
          }
          // g = dL/d(score); the state accumulates dQ (aft: A = Σ w k ⊙ v).
          Value g, next;
          if (aft) {
            Value kv = arith::MulFOp::create(lb, loc, kRow, vRow);
            auto [visible, w] = visibleWeight(lb, loc, pair->s);
            g = arith::SelectOp::create(lb, loc, visible, dot(lb, loc, u, kv), cFloat(lb, loc, f32, 0.0));
            next = axpy(lb, loc, w, kv, it[0]);
          } else {
            Value dP = dot(lb, loc, doRounded, vRow);
            PairGrads pg = pairGrads(lb, f, pair->s, dP, stat, delta, pair->slopes.slopes.front());
            g = pg.g;
            next = axpy(lb, loc, roundThrough(lb, loc, pg.ds, f.roundTo), kRow, it[0]);
          }
          Value nonzero = arith::CmpFOp::create(lb, loc, arith::CmpFPredicate::ONE, g,
                                                cFloat(lb, loc, f32, 0.0));
          addCaptureGrads(lb, kernel, pair->slopes, g, arith::AndIOp::create(lb, loc, valid, nonzero));
          scf::YieldOp::create(lb, loc, next);
        });
  };
  SmallVector<Value> dq = forEachKeyTile(b, f, block, {zeros(b, loc, f.headDim)},
                                         /*checkKeys=*/false, stage, compute);
  if (failedRegion)
    return failure();
  // aft: dQ = scale · dO ⊙ A.
  Value dqRow = aft ? scaledProduct(b, f, dq[0], doRow) : dq[0];
  scf::IfOp::create(b, loc, valid, [&](OpBuilder &tb, Location) {
    storeVectorRow(tb, loc, dqRow, kernel.dq, block.b, block.h, qi);
    memref::StoreOp::create(tb, loc, delta, kernel.delta, ValueRange{block.b, block.h, qi});
    scf::YieldOp::create(tb, loc);
  });
  return success();
}

SmallVector<Value> gpuattn::forEachQueryTile(OpBuilder &b, const AttentionKernel &f,
                                             const BlockCoords &block, int64_t numKeys,
                                             int64_t rowsPerTile, ValueRange init,
                                             QueryStageFn stage, QueryComputeFn compute) {
  Location loc = f.loc;
  Value k0 = block.q0, one = cIdx(b, loc, 1), tileRows = cIdx(b, loc, rowsPerTile);
  // The block's keys, for the mask's bounds over a tile.
  Value kHi = arith::SubIOp::create(
      b, loc, arith::MinSIOp::create(b, loc, arith::AddIOp::create(b, loc, k0, cIdx(b, loc, numKeys)), f.TK),
      one);
  // One query tile: mask bounds (skip / drop the mask), staging, compute.
  auto queryTile = [&](OpBuilder &tb, const BlockCoords &head, Value qt, ValueRange st) {
    Value i0 = arith::MulIOp::create(tb, loc, qt, tileRows);
    Value iEnd = arith::MinSIOp::create(tb, loc, arith::AddIOp::create(tb, loc, i0, tileRows), f.TQ);
    Value rows = arith::SubIOp::create(tb, loc, iEnd, i0);
    MaskBounds bounds{};
    if (f.mask)
      bounds = maskBoundsOnTile(tb, loc, *f.mask, {head.b, head.h, i0, k0},
                                arith::SubIOp::create(tb, loc, iEnd, one), kHi, f.captures);
    return maskedTile(
        tb, loc, bounds.may, bounds.must, st, [&](OpBuilder &sb) { stage(sb, head, i0); },
        [&](OpBuilder &cb, bool withChecks) { return compute(cb, head, i0, rows, withChecks, st); });
  };

  Value numQTiles = arith::CeilDivUIOp::create(b, loc, f.TQ, tileRows);
  Value h0 = arith::MulIOp::create(b, loc, block.kvh, f.group);
  auto heads = scf::ForOp::create(
      b, loc, cIdx(b, loc, 0), f.group, one, init,
      [&](OpBuilder &hb, Location, Value g, ValueRange hs) {
        BlockCoords head{block.b, arith::AddIOp::create(hb, loc, h0, g), block.kvh, Value()};
        auto tiles = scf::ForOp::create(
            hb, loc, cIdx(hb, loc, 0), numQTiles, one, hs,
            [&](OpBuilder &qb, Location, Value qt, ValueRange st) {
              scf::YieldOp::create(qb, loc, queryTile(qb, head, qt, st));
            });
        scf::YieldOp::create(hb, loc, tiles.getResults());
      });
  return SmallVector<Value>(heads.getResults());
}

LogicalResult gpuattn::buildGradKeyKernel(OpBuilder &b, const AttentionGradKernel &kernel,
                                          const BlockCoords &block, const ThreadEnv &env,
                                          Value qs, Value dos, int64_t stagedRows) {
  const AttentionKernel &f = kernel.fwd;
  Location loc = f.loc;
  Value k0 = block.q0, one = cIdx(b, loc, 1);
  Value kj = arith::AddIOp::create(b, loc, k0, env.threadId);
  Value kc = arith::MinSIOp::create(b, loc, kj, arith::SubIOp::create(b, loc, f.TK, one));
  Value valid = arith::CmpIOp::create(b, loc, P::slt, kj, f.TK);
  Value kRow = roundThrough(b, loc, loadRow(b, loc, f.k, block.b, block.kvh, kc, f.headDim), f.roundTo);
  Value vRow = roundThrough(b, loc, loadRow(b, loc, f.v, block.b, block.kvh, kc, f.valueDim), f.roundTo);
  bool failedRegion = false, aft = f.kind == AttentionKind::Aft;

  auto stage = [&](OpBuilder &sb, const BlockCoords &head, Value i0) {
    env.together(sb, loc, [&](OpBuilder &gb, Value tid) {
      stageTile(gb, loc, tid, env.numThreads, f.q, head.b, head.h, i0, f.TQ, qs, false);
      stageTile(gb, loc, tid, env.numThreads, kernel.dout, head.b, head.h, i0, f.TQ, dos, false);
    });
  };
  // The query rows [i0, i0 + rows) of head h, staged.
  auto compute = [&](OpBuilder &cb, const BlockCoords &head, Value i0, Value rows,
                     bool withChecks, ValueRange st) {
    auto loop = scf::ForOp::create(
        cb, loc, cIdx(cb, loc, 0), rows, one, st,
        [&](OpBuilder &lb, Location, Value i, ValueRange it) {
          Value qi = arith::AddIOp::create(lb, loc, i0, i);
          Value qRow = roundThrough(lb, loc, tileRow(lb, loc, qs, i, f.headDim), f.roundTo);
          Value doRow = roundThrough(lb, loc, tileRow(lb, loc, dos, i, f.valueDim), f.roundTo);
          if (aft) { // d(k ⊙ v) += w · scale · q ⊙ dO
            Value s = scoreElement(lb, f, head, cFloat(lb, loc, lb.getF32Type(), 1.0), qi, kj,
                                   withChecks, /*checkKeys=*/false);
            Value w = visibleWeight(lb, loc, s).second;
            scf::YieldOp::create(
                lb, loc, ValueRange{axpy(lb, loc, w, scaledProduct(lb, f, qRow, doRow), it[0]), it[1]});
            return;
          }
          Value raw = dot(lb, loc, qRow, kRow);
          FailureOr<ScoredPair> pair =
              scorePair(lb, kernel, head, raw, qi, kj, withChecks, /*withCaptures=*/false);
          if (failed(pair)) {
            failedRegion = true;
            scf::YieldOp::create(lb, loc, it);
            return;
          }
          Value stat = savedStat(lb, f, head.b, head.h, qi);
          Value delta = memref::LoadOp::create(lb, loc, kernel.delta, ValueRange{head.b, head.h, qi});
          PairGrads pg = pairGrads(lb, f, pair->s, dot(lb, loc, doRow, vRow), stat, delta,
                                   pair->slopes.slopes.front());
          // Rounded as the mma.sync kernel feeds them to its products.
          Value ds = roundThrough(lb, loc, pg.ds, f.roundTo), p = roundThrough(lb, loc, pg.p, f.roundTo);
          scf::YieldOp::create(lb, loc, ValueRange{axpy(lb, loc, ds, qRow, it[0]),
                                                   axpy(lb, loc, p, doRow, it[1])});
        });
    return SmallVector<Value>(loop.getResults());
  };
  Value init[] = {zeros(b, loc, f.headDim), zeros(b, loc, f.valueDim)};
  SmallVector<Value> sums =
      forEachQueryTile(b, f, block, env.numThreads, stagedRows, init, stage, compute);
  if (failedRegion)
    return failure();
  Value dkRow = sums[0], dvRow = sums[1];
  if (aft) { // dK = v ⊙ d(k ⊙ v), dV = k ⊙ d(k ⊙ v)
    dkRow = arith::MulFOp::create(b, loc, vRow, sums[0]);
    dvRow = arith::MulFOp::create(b, loc, kRow, sums[0]);
  }
  scf::IfOp::create(b, loc, valid, [&](OpBuilder &tb, Location) {
    storeVectorRow(tb, loc, dkRow, kernel.dk, block.b, block.kvh, kj);
    storeVectorRow(tb, loc, dvRow, kernel.dv, block.b, block.kvh, kj);
    scf::YieldOp::create(tb, loc);
  });
  return success();
}
