//===- GPUAttentionMmaKernel.cpp - flash attention on tensor cores --------===//
//
// Tq / 16 warps per block, each owning 16 query rows. Q, K and Vᵀ tiles are
// staged in bf16/f16; S = Q Kᵀ and O += P V are nvvm.mma.sync m16n8k16
// with f32 accumulators (GPUMmaFragments.h): the S fragments of two
// neighbouring 8-key blocks are the A fragment of P for 16 keys. Row
// maxima and sums are combined over the 4 lanes of a row with shuffles.
//
//===----------------------------------------------------------------------===//
#include "GPUAttention.h"
#include "GPUMmaFragments.h"
#include "LoweringUtils.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

#include <limits>

using namespace mlir;
using namespace mlir::frond;
using namespace mlir::frond::gpuattn;
using lowering::cFloat;
using lowering::cIdx;

void gpuattn::buildMmaKernel(OpBuilder &b, const AttentionKernel &kernel, const BlockCoords &block,
                             const ThreadEnv &env, Value qs, Value ks, Value vts) {
  Location loc = kernel.loc;
  Type f32 = b.getF32Type();
  int64_t tk = kernel.keyTile;
  int64_t dp = cast<MemRefType>(qs.getType()).getDimSize(1);
  int64_t dvp = cast<MemRefType>(vts.getType()).getDimSize(0);
  Value c32 = cIdx(b, loc, 32), c4 = cIdx(b, loc, 4);
  Value warp = arith::DivUIOp::create(b, loc, env.threadId, c32);
  Value lane = arith::RemUIOp::create(b, loc, env.threadId, c32);
  MmaFragments frag{b, loc, kernel.tileType, arith::DivUIOp::create(b, loc, lane, c4),
                    arith::RemUIOp::create(b, loc, lane, c4)};
  Value row0 = arith::MulIOp::create(b, loc, warp, cIdx(b, loc, 16));
  // Query rows of this lane: [0] = g, [1] = g + 8.
  Value qRow[2];
  qRow[0] = arith::AddIOp::create(b, loc, arith::AddIOp::create(b, loc, block.q0, row0), frag.g);
  qRow[1] = frag.add(qRow[0], 8);
  Value col2t = frag.col2t();

  env.together(b, loc, [&](OpBuilder &tb, Value tid) {
    stageTile(tb, loc, tid, env.numThreads, kernel.q, block.b, block.h, block.q0, kernel.TQ, qs,
              /*transpose=*/false);
  });
  // The warp's Q fragments stay in registers for every key tile.
  SmallVector<SmallVector<Value>> qFrag;
  for (int64_t k = 0; k < dp; k += 16)
    qFrag.push_back(frag.a(qs, row0, k));

  Value negInf = cFloat(b, loc, f32, -std::numeric_limits<double>::infinity());
  Value zero = cFloat(b, loc, f32, 0.0), log2e = cFloat(b, loc, f32, M_LOG2E);
  // State: m[2], l[2] (this lane's partial sums), acc[dvp / 8][4].
  SmallVector<Value> init{negInf, negInf, zero, zero};
  init.append(dvp / 2, zero);

  auto stage = [&](OpBuilder &sb, Value k0) {
    env.together(sb, loc, [&](OpBuilder &tb, Value tid) {
      stageTile(tb, loc, tid, env.numThreads, kernel.k, block.b, block.kvh, k0, kernel.TK, ks,
                /*transpose=*/false);
      stageTile(tb, loc, tid, env.numThreads, kernel.v, block.b, block.kvh, k0, kernel.TK, vts,
                /*transpose=*/true);
    });
  };
  auto compute = [&](OpBuilder &cb, Value k0, bool withChecks, ValueRange st) {
    MmaFragments f{cb, loc, frag.elem, frag.g, frag.t};
    // S = Q Kᵀ: s[n][i] for keys 8n + 2t + (i % 2), rows g + 8 (i / 2).
    SmallVector<Value> s;
    for (int64_t n = 0; n < tk / 8; ++n) {
      SmallVector<Value> c(4, zero);
      for (int64_t k = 0; k < dp / 16; ++k)
        c = f.mma(qFrag[k], f.bT(ks, n * 8, k * 16), c);
      for (int64_t i = 0; i < 4; ++i) {
        Value kj = arith::AddIOp::create(cb, loc, arith::AddIOp::create(cb, loc, k0, cIdx(cb, loc, n * 8 + i % 2)), col2t);
        s.push_back(scoreElement(cb, kernel, block, c[i], qRow[i / 2], kj, withChecks, withChecks));
      }
    }
    // Online softmax per row; p = 2^((s - m') log2 e) in place of s.
    SmallVector<Value> next(st.begin(), st.end());
    Value alpha[2];
    for (int64_t row = 0; row < 2; ++row) {
      Value mx = negInf;
      for (int64_t n = 0; n < tk / 8; ++n)
        for (int64_t j = 0; j < 2; ++j)
          mx = arith::MaximumFOp::create(cb, loc, mx, s[n * 4 + row * 2 + j]);
      mx = f.quad(mx, [&](Value x, Value y) -> Value { return arith::MaximumFOp::create(cb, loc, x, y); });
      Value mNew = arith::MaximumFOp::create(cb, loc, st[row], mx);
      Value none = arith::CmpFOp::create(cb, loc, arith::CmpFPredicate::OEQ, mNew, negInf);
      Value mScaled = arith::MulFOp::create(
          cb, loc, arith::SelectOp::create(cb, loc, none, zero, mNew), log2e);
      auto expm = [&](Value x) {
        Value e = arith::SubFOp::create(cb, loc, arith::MulFOp::create(cb, loc, x, log2e), mScaled);
        return env.exp2(cb, loc, e);
      };
      alpha[row] = expm(st[row]);
      Value sum = zero;
      for (int64_t n = 0; n < tk / 8; ++n)
        for (int64_t j = 0; j < 2; ++j) {
          Value &p = s[n * 4 + row * 2 + j];
          p = expm(p);
          sum = arith::AddFOp::create(cb, loc, sum, p);
        }
      next[row] = mNew;
      next[2 + row] = arith::AddFOp::create(cb, loc, arith::MulFOp::create(cb, loc, st[2 + row], alpha[row]), sum);
    }
    // O = α O + P V, 16 keys (two S blocks) per mma step.
    for (int64_t nv = 0; nv < dvp / 8; ++nv) {
      SmallVector<Value> c;
      for (int64_t i = 0; i < 4; ++i)
        c.push_back(arith::MulFOp::create(cb, loc, st[4 + nv * 4 + i], alpha[i / 2]));
      for (int64_t kk = 0; kk < tk / 16; ++kk) {
        c = f.mma(f.accToA(s, kk), f.bT(vts, nv * 8, kk * 16), c);
      }
      for (int64_t i = 0; i < 4; ++i)
        next[4 + nv * 4 + i] = c[i];
    }
    return next;
  };
  SmallVector<Value> state =
      forEachKeyTile(b, kernel, block, init, /*checkKeys=*/true, stage, compute);

  // Rows are complete once the 4 lanes' partial sums are added.
  Value first = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, frag.t, cIdx(b, loc, 0));
  for (int64_t row = 0; row < 2; ++row) {
    Value l = frag.quad(state[2 + row], [&](Value x, Value y) -> Value {
      return arith::AddFOp::create(b, loc, x, y);
    });
    SmallVector<std::pair<Value, Value>> columns;
    for (int64_t nv = 0; nv < dvp / 8; ++nv)
      for (int64_t j = 0; j < 2; ++j)
        columns.push_back({arith::AddIOp::create(b, loc, col2t, cIdx(b, loc, nv * 8 + j)),
                           state[4 + nv * 4 + row * 2 + j]});
    storeRow(b, kernel, block, env, qRow[row], state[row], l, columns, first);
  }
}
