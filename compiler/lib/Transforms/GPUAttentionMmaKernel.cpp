//===- GPUAttentionMmaKernel.cpp - flash attention on tensor cores --------===//
//
// Tq / 16 warps per block, each owning 16 query rows. Q, K and Vᵀ tiles are
// staged in bf16/f16; S = Q Kᵀ and O += P V are nvvm.mma.sync m16n8k16
// with f32 accumulators. Lane (g = lane / 4, t = lane % 4) holds, of every
// 16x8 accumulator, rows g and g + 8 at columns 2t and 2t + 1 (PTX ISA,
// "Matrix Fragments for mma.m16n8k16"), so the S fragments of two
// neighbouring 8-key blocks are exactly the A fragment of P for 16 keys.
// Row maxima and sums are combined over the 4 lanes of a row with shuffles.
//
//===----------------------------------------------------------------------===//
#include "GPUAttention.h"
#include "LoweringUtils.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

#include <limits>

using namespace mlir;
using namespace mlir::frond;
using namespace mlir::frond::gpuattn;
using lowering::cFloat;
using lowering::cIdx;

namespace {

/// Fragment plumbing for one warp: registers are i32 pairs for bf16 and
/// vector<2xf16> for f16, as nvvm.mma.sync expects them.
struct Fragments {
  OpBuilder &b;
  Location loc;
  Type elem; // bf16 or f16
  Value g, t;

  Value idx(int64_t v) { return cIdx(b, loc, v); }
  Value add(Value x, Value y) { return arith::AddIOp::create(b, loc, x, y); }
  Value add(Value x, int64_t y) { return add(x, idx(y)); }

  /// A register from a pair of elements as a vector<2 x elem>.
  Value reg(Value pair) {
    if (elem.isF16())
      return pair;
    auto asInt = vector::BitCastOp::create(b, loc, VectorType::get({1}, b.getI32Type()), pair);
    return vector::ExtractOp::create(b, loc, asInt, 0);
  }
  /// buf[row][col], buf[row][col + 1] (col is even: 4-byte aligned).
  Value load(Value buf, Value row, Value col) {
    auto type = VectorType::get({2}, elem);
    return reg(vector::LoadOp::create(b, loc, type, buf, ValueRange{row, col}, false,
                                      llvm::MaybeAlign(4)));
  }
  /// Two f32 values rounded to a register.
  Value pack(Value lo, Value hi) {
    Value pair = vector::FromElementsOp::create(
        b, loc, VectorType::get({2}, elem),
        ValueRange{arith::TruncFOp::create(b, loc, elem, lo), arith::TruncFOp::create(b, loc, elem, hi)});
    return reg(pair);
  }
  /// D = A B + C over a 16x8x16 tile; C and D are 4 f32 each.
  SmallVector<Value> mma(ArrayRef<Value> a, ArrayRef<Value> bb, ArrayRef<Value> c) {
    MLIRContext *ctx = b.getContext();
    Type f32 = b.getF32Type();
    auto result = LLVM::LLVMStructType::getLiteral(ctx, {f32, f32, f32, f32});
    NVVM::MMATypes type = elem.isF16() ? NVVM::MMATypes::f16 : NVVM::MMATypes::bf16;
    auto op = NVVM::MmaOp::create(b, loc, result, a, bb, c, {16, 8, 16}, std::nullopt,
                                  std::nullopt, std::array<NVVM::MMATypes, 2>{type, type},
                                  std::array<NVVM::MMALayout, 2>{NVVM::MMALayout::row,
                                                                 NVVM::MMALayout::col});
    SmallVector<Value> d;
    for (int64_t i = 0; i < 4; ++i)
      d.push_back(LLVM::ExtractValueOp::create(b, loc, op, i));
    return d;
  }
  /// The A fragment of rows [row0, row0 + 16), columns [col0, col0 + 16)
  /// of a row-major buffer; also the B fragment (two registers, `rows8`)
  /// of an [n, k] buffer read as its transpose.
  SmallVector<Value> a(Value buf, Value row0, int64_t col0) {
    Value r = add(row0, g), c = add(idx(col0), arith::MulIOp::create(b, loc, t, idx(2)));
    return {load(buf, r, c), load(buf, add(r, 8), c), load(buf, r, add(c, 8)),
            load(buf, add(r, 8), add(c, 8))};
  }
  SmallVector<Value> bT(Value buf, int64_t n0, int64_t k0) {
    Value r = add(idx(n0), g), c = add(idx(k0), arith::MulIOp::create(b, loc, t, idx(2)));
    return {load(buf, r, c), load(buf, r, add(c, 8))};
  }
  /// Combines `x` over the 4 lanes of a row with `combine`.
  Value quad(Value x, function_ref<Value(Value, Value)> combine) {
    Value width = arith::ConstantIntOp::create(b, loc, 32, 32);
    for (int64_t offset : {1, 2}) {
      Value off = arith::ConstantIntOp::create(b, loc, offset, 32);
      Value other =
          gpu::ShuffleOp::create(b, loc, x, off, width, gpu::ShuffleMode::XOR).getShuffleResult();
      x = combine(x, other);
    }
    return x;
  }
};

} // namespace

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
  Fragments frag{b, loc, kernel.tileType, arith::DivUIOp::create(b, loc, lane, c4),
                 arith::RemUIOp::create(b, loc, lane, c4)};
  Value row0 = arith::MulIOp::create(b, loc, warp, cIdx(b, loc, 16));
  // Query rows of this lane: [0] = g, [1] = g + 8.
  Value qRow[2];
  qRow[0] = arith::AddIOp::create(b, loc, arith::AddIOp::create(b, loc, block.q0, row0), frag.g);
  qRow[1] = frag.add(qRow[0], 8);
  Value col2t = arith::MulIOp::create(b, loc, frag.t, cIdx(b, loc, 2));

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
    Fragments f{cb, loc, frag.elem, frag.g, frag.t};
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
        ArrayRef<Value> lo = ArrayRef<Value>(s).slice(kk * 8, 4), hi = ArrayRef<Value>(s).slice(kk * 8 + 4, 4);
        SmallVector<Value> pA{f.pack(lo[0], lo[1]), f.pack(lo[2], lo[3]), f.pack(hi[0], hi[1]),
                              f.pack(hi[2], hi[3])};
        c = f.mma(pA, f.bT(vts, nv * 8, kk * 16), c);
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
