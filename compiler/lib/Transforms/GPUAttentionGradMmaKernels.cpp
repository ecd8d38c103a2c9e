//===- GPUAttentionGradMmaKernels.cpp - attention backward on tensor cores ===//
//
// The two backward kernels of GPUAttentionGradKernels.cpp (same maths,
// same launches) for softmax kinds after a forward on bf16/f16 tiles: warps
// of nvvm.mma.sync m16n8k16 with f32 accumulators (GPUMmaFragments.h), each
// warp owning 16 rows of its block.
//   - dQ: the warp keeps its Q and dO rows as A fragments; per key tile
//     (K and V staged row-major) S = Q Kᵀ and dP = dO Vᵀ, then per element
//     P, G and dS (pairGrads, captures' gradients added atomically), and
//     dQ += dS K with dS from the accumulators as the A fragment;
//   - dK/dV: the warp keeps its K and V rows; per query tile (Q and dO
//     staged row-major) Sᵀ = K Qᵀ and dPᵀ = V dOᵀ, then dV += Pᵀ dO and
//     dK += dSᵀ Q.
// Both take the staged tile 16 rows at a time (a loop), so that few values
// are live beside the accumulators: ptxas (sm_80) gives the dK/dV kernel
// 122, 167 and 255 registers at head sizes 32, 64 and 128, without spills
// (K, V and dK/dV alone fill 192 at 128).
// A row-major staged operand that is a product's B (K for dQ, Q and dO for
// dK/dV) is read two rows per register (MmaFragments::bRows). delta =
// dO·O per row (dO rounded as in dP) is summed in f32 by the 4 lanes of
// the row. P and dS are rounded to the tile type where they enter a
// product, as FlashAttention does; the emulated f32 kernels round at the
// same places.
//
//===----------------------------------------------------------------------===//
#include "GPUAttentionGrad.h"
#include "GPUMmaFragments.h"
#include "LoweringUtils.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

using namespace mlir;
using namespace mlir::frond;
using namespace mlir::frond::gpuattn;
using lowering::cFloat;
using lowering::cIdx;
using P = arith::CmpIPredicate;

namespace {

/// One warp's view: its fragments helper and its first row in the block.
struct Warp {
  MmaFragments frag;
  Value row0; ///< block's first row + 16 · warp
};

Warp warpOf(OpBuilder &b, const AttentionKernel &f, const ThreadEnv &env, Value blockRow0) {
  Location loc = f.loc;
  Value c32 = cIdx(b, loc, 32), c4 = cIdx(b, loc, 4);
  Value warp = arith::DivUIOp::create(b, loc, env.threadId, c32);
  Value lane = arith::RemUIOp::create(b, loc, env.threadId, c32);
  MmaFragments frag{b, loc, f.tileType, arith::DivUIOp::create(b, loc, lane, c4),
                    arith::RemUIOp::create(b, loc, lane, c4)};
  return {frag, arith::AddIOp::create(b, loc, blockRow0, arith::MulIOp::create(b, loc, warp, cIdx(b, loc, 16)))};
}

/// The A fragments of 16 rows of `src` from `row0`, every 16 columns of `cols`.
SmallVector<SmallVector<Value>> rowFragments(MmaFragments &f, Value src, Value bi, Value hi,
                                             Value row0, Value len, int64_t cols) {
  SmallVector<SmallVector<Value>> frags;
  for (int64_t k = 0; k < cols; k += 16)
    frags.push_back(f.aGlobal(src, bi, hi, row0, k, len));
  return frags;
}

/// C = Σ_k A_k B_k over two 8-column blocks j (16 columns): 4 accumulators
/// per block, B of block j and depth step k from `bOf(j, k)`.
SmallVector<Value> products(MmaFragments &f, ArrayRef<SmallVector<Value>> a,
                            function_ref<SmallVector<Value>(int64_t j, int64_t k)> bOf) {
  Value zero = cFloat(f.b, f.loc, f.b.getF32Type(), 0.0);
  SmallVector<Value> acc;
  for (int64_t j = 0; j < 2; ++j) {
    SmallVector<Value> c(4, zero);
    for (int64_t k = 0; k < int64_t(a.size()); ++k)
      c = f.mma(a[k], bOf(j, k), c);
    acc.append(c);
  }
  return acc;
}

/// scf.for over the 16-row chunks [16 c, 16 c + 16) of a staged tile of
/// `rows` rows, carrying `init`: `body` gets the chunk's first row and
/// the carried values and returns the next. A loop rather than C++
/// unrolling keeps the kernels small (the canonicalizer took 3 s on the
/// unrolled ones of a 4-layer model); LLVM unrolls what pays.
SmallVector<Value> forEachChunk(OpBuilder &b, Location loc, int64_t rows, ValueRange init,
                                function_ref<SmallVector<Value>(OpBuilder &, Value row0, ValueRange)> body) {
  auto loop = scf::ForOp::create(
      b, loc, cIdx(b, loc, 0), cIdx(b, loc, rows), cIdx(b, loc, 16), init,
      [&](OpBuilder &lb, Location, Value row0, ValueRange it) {
        scf::YieldOp::create(lb, loc, body(lb, row0, it));
      });
  return SmallVector<Value>(loop.getResults());
}

/// acc += X B over the 8-column blocks n of acc: X (16 x 16) given as 8
/// accumulators (two 8-column blocks), B of block n from `bOf(n)`.
SmallVector<Value> accumulate(MmaFragments &f, ArrayRef<Value> acc, ArrayRef<Value> x,
                              function_ref<SmallVector<Value>(int64_t n)> bOf) {
  SmallVector<Value> next;
  SmallVector<Value> a = f.accToA(x, 0);
  for (int64_t n = 0; n < int64_t(acc.size()) / 4; ++n)
    next.append(f.mma(a, bOf(n), acc.slice(n * 4, 4)));
  return next;
}

/// Stores accumulators `acc` (4 per 8 columns) of rows row0 + g (+ 8) to
/// `dst` [b, h, t, n] where the row is below `len` and the column below n.
void storeAccumulators(MmaFragments &f, ArrayRef<Value> acc, Value dst, Value bi, Value hi,
                       Value row0, Value len) {
  OpBuilder &b = f.b;
  Location loc = f.loc;
  auto type = cast<MemRefType>(dst.getType());
  int64_t cols = type.getDimSize(3);
  Value rows[2];
  rows[0] = f.add(row0, f.g);
  rows[1] = f.add(rows[0], 8);
  Value col2t = f.col2t();
  for (int64_t half = 0; half < 2; ++half) {
    Value valid = arith::CmpIOp::create(b, loc, P::slt, rows[half], len);
    scf::IfOp::create(b, loc, valid, [&](OpBuilder &sb, Location) {
      for (int64_t n = 0; n < int64_t(acc.size()) / 4; ++n)
        for (int64_t j = 0; j < 2; ++j) {
          Value col = arith::AddIOp::create(sb, loc, col2t, cIdx(sb, loc, n * 8 + j));
          Value x = lowering::convertScalar(sb, loc, acc[n * 4 + half * 2 + j], type.getElementType());
          SmallVector<Value> at{bi, hi, rows[half], col};
          if ((n + 1) * 8 <= cols) {
            memref::StoreOp::create(sb, loc, x, dst, at);
            continue;
          }
          scf::IfOp::create(sb, loc, arith::CmpIOp::create(sb, loc, P::slt, col, cIdx(sb, loc, cols)),
                            [&](OpBuilder &ib, Location) {
                              memref::StoreOp::create(ib, loc, x, dst, at);
                              scf::YieldOp::create(ib, loc);
                            });
        }
      scf::YieldOp::create(sb, loc);
    });
  }
}

/// Row `row`'s dO·O summed over its 4 lanes (each takes every 4th column),
/// dO rounded to the tile type as the dP products take it.
Value rowDelta(MmaFragments &f, const AttentionGradKernel &kernel, const BlockCoords &block,
               Value row) {
  OpBuilder &b = f.b;
  Location loc = f.loc;
  Type f32 = b.getF32Type();
  const AttentionKernel &fwd = kernel.fwd;
  auto loop = scf::ForOp::create(
      b, loc, f.t, cIdx(b, loc, fwd.valueDim), cIdx(b, loc, 4), ValueRange{cFloat(b, loc, f32, 0.0)},
      [&](OpBuilder &lb, Location, Value d, ValueRange sum) {
        SmallVector<Value> at{block.b, block.h, row, d};
        // dO rounded as dP takes it: delta must be Σ_j P_ij dP_ij.
        Value dO = roundThrough(
            lb, loc, lowering::convertScalar(lb, loc, memref::LoadOp::create(lb, loc, kernel.dout, at), f32),
            f.elem);
        Value o = lowering::convertScalar(lb, loc, memref::LoadOp::create(lb, loc, fwd.out, at), f32);
        scf::YieldOp::create(lb, loc, ValueRange{arith::AddFOp::create(
                                          lb, loc, sum[0], arith::MulFOp::create(lb, loc, dO, o))});
      });
  return f.quad(loop.getResult(0),
                [&](Value x, Value y) -> Value { return arith::AddFOp::create(b, loc, x, y); });
}

int64_t padded16(Value tile) { return cast<MemRefType>(tile.getType()).getDimSize(1); }

} // namespace

LogicalResult gpuattn::buildGradQueryMmaKernel(OpBuilder &b, const AttentionGradKernel &kernel,
                                               const BlockCoords &block, const ThreadEnv &env,
                                               Value ks, Value vs) {
  const AttentionKernel &f = kernel.fwd;
  Location loc = f.loc;
  Type f32 = b.getF32Type();
  int64_t tk = f.keyTile, dp = padded16(ks), dvp = padded16(vs);
  Warp w = warpOf(b, f, env, block.q0);
  MmaFragments &frag = w.frag;
  Value one = cIdx(b, loc, 1), last = arith::SubIOp::create(b, loc, f.TQ, one);
  SmallVector<SmallVector<Value>> qFrag = rowFragments(frag, f.q, block.b, block.h, w.row0, f.TQ, dp);
  SmallVector<SmallVector<Value>> doFrag =
      rowFragments(frag, kernel.dout, block.b, block.h, w.row0, f.TQ, dvp);
  // Per row of this lane (g, g + 8): index, validity, saved statistic, delta.
  Value qi[2], valid[2], stat[2], delta[2];
  qi[0] = frag.add(w.row0, frag.g);
  qi[1] = frag.add(qi[0], 8);
  for (int64_t r = 0; r < 2; ++r) {
    valid[r] = arith::CmpIOp::create(b, loc, P::slt, qi[r], f.TQ);
    Value qc = arith::MinSIOp::create(b, loc, qi[r], last);
    stat[r] = savedStat(b, f, block.b, block.h, qc);
    delta[r] = rowDelta(frag, kernel, block, qc);
  }

  auto stage = [&](OpBuilder &sb, Value k0) { stageKeyValueTile(sb, f, block, env, k0, ks, vs); };
  bool failedRegion = false;
  // Per 16 keys of the tile (few values live at a time): S and dP for
  // them, then dQ += dS K over those keys (K row-major is B [key, d]).
  auto compute = [&](OpBuilder &cb, Value k0, bool withChecks, ValueRange st) {
    return forEachChunk(cb, loc, tk, st, [&](OpBuilder &lb, Value key0, ValueRange acc) {
      MmaFragments m{lb, loc, frag.elem, frag.g, frag.t};
      auto row = [&](int64_t j) { return m.add(key0, j * 8); };
      SmallVector<Value> s = products(m, qFrag, [&](int64_t j, int64_t k) { return m.bT(ks, row(j), k * 16); });
      SmallVector<Value> dP = products(m, doFrag, [&](int64_t j, int64_t k) { return m.bT(vs, row(j), k * 16); });
      Value first = m.add(m.add(k0, key0), m.col2t());
      SmallVector<Value> ds;
      for (int64_t e = 0; e < 8; ++e) {
        int64_t j = e / 4, i = e % 4, r = i / 2;
        Value kj = m.add(first, j * 8 + i % 2);
        FailureOr<ScoredPair> pair = scorePair(lb, kernel, block, s[e], qi[r], kj, withChecks,
                                               /*withCaptures=*/true, /*checkKeys=*/withChecks);
        if (failed(pair)) {
          failedRegion = true;
          return SmallVector<Value>(acc.begin(), acc.end());
        }
        PairGrads pg = pairGrads(lb, f, pair->s, dP[e], stat[r], delta[r], pair->slopes.slopes.front());
        Value nonzero = arith::CmpFOp::create(lb, loc, arith::CmpFPredicate::ONE, pg.g, cFloat(lb, loc, f32, 0.0));
        addCaptureGrads(lb, kernel, pair->slopes, pg.g, arith::AndIOp::create(lb, loc, valid[r], nonzero));
        ds.push_back(pg.ds);
      }
      SmallVector<Value> dq(acc.begin(), acc.end());
      return accumulate(m, dq, ds, [&](int64_t n) { return m.bRows(ks, key0, n * 8); });
    });
  };
  SmallVector<Value> init(dp / 8 * 4, cFloat(b, loc, f32, 0.0));
  SmallVector<Value> dq = forEachKeyTile(b, f, block, init, /*checkKeys=*/true, stage, compute);
  if (failedRegion)
    return failure();
  storeAccumulators(frag, dq, kernel.dq, block.b, block.h, w.row0, f.TQ);
  Value first = arith::CmpIOp::create(b, loc, P::eq, frag.t, cIdx(b, loc, 0));
  for (int64_t r = 0; r < 2; ++r)
    scf::IfOp::create(b, loc, arith::AndIOp::create(b, loc, first, valid[r]), [&](OpBuilder &tb, Location) {
      memref::StoreOp::create(tb, loc, delta[r], kernel.delta, ValueRange{block.b, block.h, qi[r]});
      scf::YieldOp::create(tb, loc);
    });
  return success();
}

LogicalResult gpuattn::buildGradKeyMmaKernel(OpBuilder &b, const AttentionGradKernel &kernel,
                                             const BlockCoords &block, const ThreadEnv &env,
                                             Value qs, Value dos, int64_t stagedRows) {
  const AttentionKernel &f = kernel.fwd;
  Location loc = f.loc;
  Type f32 = b.getF32Type();
  int64_t dp = padded16(qs), dvp = padded16(dos);
  Warp w = warpOf(b, f, env, block.q0);
  MmaFragments &frag = w.frag;
  SmallVector<SmallVector<Value>> kFrag = rowFragments(frag, f.k, block.b, block.kvh, w.row0, f.TK, dp);
  SmallVector<SmallVector<Value>> vFrag = rowFragments(frag, f.v, block.b, block.kvh, w.row0, f.TK, dvp);
  Value kj[2];
  kj[0] = frag.add(w.row0, frag.g);
  kj[1] = frag.add(kj[0], 8);
  int64_t numKeys = env.numThreads / 32 * 16;
  bool failedRegion = false;

  auto stage = [&](OpBuilder &sb, const BlockCoords &head, Value i0) {
    env.together(sb, loc, [&](OpBuilder &gb, Value tid) {
      stageTile(gb, loc, tid, env.numThreads, f.q, head.b, head.h, i0, f.TQ, qs, false);
      stageTile(gb, loc, tid, env.numThreads, kernel.dout, head.b, head.h, i0, f.TQ, dos, false);
    });
  };
  // Per 16 query rows of the tile: Sᵀ and dPᵀ for them, then dK += dSᵀ Q
  // and dV += Pᵀ dO over those rows (Q and dO row-major are B [query, d]).
  auto compute = [&](OpBuilder &cb, const BlockCoords &head, Value i0, Value, bool withChecks,
                     ValueRange st) {
    Value last = arith::SubIOp::create(cb, loc, f.TQ, cIdx(cb, loc, 1));
    return forEachChunk(cb, loc, stagedRows, st, [&](OpBuilder &lb, Value row0, ValueRange acc) {
      MmaFragments m{lb, loc, frag.elem, frag.g, frag.t};
      auto row = [&](int64_t j) { return m.add(row0, j * 8); };
      SmallVector<Value> sT = products(m, kFrag, [&](int64_t j, int64_t k) { return m.bT(qs, row(j), k * 16); });
      SmallVector<Value> dPT = products(m, vFrag, [&](int64_t j, int64_t k) { return m.bT(dos, row(j), k * 16); });
      Value zero = cFloat(lb, loc, f32, 0.0), first = m.add(m.add(i0, row0), m.col2t());
      SmallVector<Value> p, ds;
      for (int64_t e = 0; e < 8; ++e) {
        int64_t j = e / 4, i = e % 4;
        Value qi = m.add(first, j * 8 + i % 2);
        Value validQ = arith::CmpIOp::create(lb, loc, P::slt, qi, f.TQ);
        Value qc = arith::MinSIOp::create(lb, loc, qi, last);
        FailureOr<ScoredPair> pair =
            scorePair(lb, kernel, head, sT[e], qi, kj[i / 2], withChecks, /*withCaptures=*/false);
        if (failed(pair)) {
          failedRegion = true;
          return SmallVector<Value>(acc.begin(), acc.end());
        }
        Value stat = savedStat(lb, f, head.b, head.h, qc);
        Value delta = memref::LoadOp::create(lb, loc, kernel.delta, ValueRange{head.b, head.h, qc});
        PairGrads pg = pairGrads(lb, f, pair->s, dPT[e], stat, delta, pair->slopes.slopes.front());
        // Query rows past the sequence (staged as zeros) contribute nothing.
        p.push_back(arith::SelectOp::create(lb, loc, validQ, pg.p, zero));
        ds.push_back(arith::SelectOp::create(lb, loc, validQ, pg.ds, zero));
      }
      SmallVector<Value> carried(acc.begin(), acc.end());
      ArrayRef<Value> all(carried);
      int64_t nk = dp / 8 * 4;
      SmallVector<Value> next =
          accumulate(m, all.take_front(nk), ds, [&](int64_t n) { return m.bRows(qs, row0, n * 8); });
      next.append(accumulate(m, all.drop_front(nk), p, [&](int64_t n) { return m.bRows(dos, row0, n * 8); }));
      return next;
    });
  };
  SmallVector<Value> init((dp + dvp) / 8 * 4, cFloat(b, loc, f32, 0.0));
  SmallVector<Value> sums = forEachQueryTile(b, f, block, numKeys, stagedRows, init, stage, compute);
  if (failedRegion)
    return failure();
  ArrayRef<Value> all(sums);
  storeAccumulators(frag, all.take_front(dp / 8 * 4), kernel.dk, block.b, block.kvh, w.row0, f.TK);
  storeAccumulators(frag, all.drop_front(dp / 8 * 4), kernel.dv, block.b, block.kvh, w.row0, f.TK);
  return success();
}
