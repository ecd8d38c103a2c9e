//===- GPUAttentionKernel.cpp - pieces both attention kernels share -------===//
//
// Thread primitives (ThreadEnv), staging tiles in workgroup memory, the
// loop over key tiles with its skip/full branches, and writing a row.
//
//===----------------------------------------------------------------------===//
#include "GPUAttention.h"
#include "LoweringUtils.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

#include <limits>

using namespace mlir;
using namespace mlir::frond;
using namespace mlir::frond::gpuattn;
using lowering::cFloat;
using lowering::cIdx;

void ThreadEnv::together(OpBuilder &b, Location loc,
                         function_ref<void(OpBuilder &, Value)> body) const {
  if (emulate) {
    lowering::forEach(b, loc, cIdx(b, loc, numThreads), body);
    return;
  }
  // The first barrier: nobody still reads the tile being overwritten.
  gpu::BarrierOp::create(b, loc);
  body(b, threadId);
  gpu::BarrierOp::create(b, loc);
}

// Approximate functions allowed: frond-nvvm-approx-math makes these
// ex2.approx / lg2.approx on the GPU; the CPU pipeline ignores the flag.
Value ThreadEnv::exp2(OpBuilder &b, Location loc, Value x) const {
  return math::Exp2Op::create(b, loc, x, arith::FastMathFlags::afn);
}

Value ThreadEnv::log2(OpBuilder &b, Location loc, Value x) const {
  return math::Log2Op::create(b, loc, x, arith::FastMathFlags::afn);
}

void gpuattn::readKernelSizes(OpBuilder &b, AttentionKernel &kernel) {
  Location loc = kernel.loc;
  kernel.TQ = memref::DimOp::create(b, loc, kernel.q, 2);
  kernel.TK = memref::DimOp::create(b, loc, kernel.k, 2);
  kernel.group = arith::DivUIOp::create(b, loc, memref::DimOp::create(b, loc, kernel.q, 1),
                                        memref::DimOp::create(b, loc, kernel.k, 1));
}

Value gpuattn::loadRow(OpBuilder &b, Location loc, Value src, Value bi, Value hi, Value t, int64_t n) {
  SmallVector<Value> elems;
  for (int64_t d = 0; d < n; ++d) {
    Value x = memref::LoadOp::create(b, loc, src, ValueRange{bi, hi, t, cIdx(b, loc, d)});
    elems.push_back(lowering::convertScalar(b, loc, x, b.getF32Type()));
  }
  return vector::FromElementsOp::create(b, loc, VectorType::get({n}, b.getF32Type()), elems);
}

Value gpuattn::roundThrough(OpBuilder &b, Location loc, Value x, Type type) {
  if (!type)
    return x;
  Type wide = x.getType(), narrow = type;
  if (auto vec = dyn_cast<VectorType>(wide))
    narrow = VectorType::get(vec.getShape(), type);
  Value rounded = arith::TruncFOp::create(b, loc, narrow, x);
  return arith::ExtFOp::create(b, loc, wide, rounded);
}

Value gpuattn::tileRow(OpBuilder &b, Location loc, Value tile, Value j, int64_t n) {
  llvm::MaybeAlign align(4 * std::min<int64_t>(4, n & -n));
  return vector::LoadOp::create(b, loc, VectorType::get({n}, b.getF32Type()), tile,
                                ValueRange{j, cIdx(b, loc, 0)}, false, align);
}

void gpuattn::stageTile(OpBuilder &b, Location loc, Value tid, int64_t numThreads, Value src,
                        Value bi, Value hi, Value row0, Value len, Value dst, bool transpose) {
  auto dstType = cast<MemRefType>(dst.getType());
  int64_t rows = dstType.getDimSize(transpose ? 1 : 0);
  int64_t padded = dstType.getDimSize(transpose ? 0 : 1);
  int64_t cols = cast<MemRefType>(src.getType()).getDimSize(3);
  Type elem = dstType.getElementType();
  // Consecutive threads read consecutive columns of a row.
  Value step = cIdx(b, loc, numThreads), total = cIdx(b, loc, rows * padded);
  scf::ForOp::create(
      b, loc, tid, total, step, ValueRange{}, [&](OpBuilder &lb, Location, Value idx, ValueRange) {
        Value width = cIdx(lb, loc, padded);
        Value r = arith::DivUIOp::create(lb, loc, idx, width);
        Value c = arith::RemUIOp::create(lb, loc, idx, width);
        Value t = arith::AddIOp::create(lb, loc, row0, r);
        Value inside = arith::CmpIOp::create(lb, loc, arith::CmpIPredicate::slt, t, len);
        if (padded != cols)
          inside = arith::AndIOp::create(
              lb, loc, inside,
              arith::CmpIOp::create(lb, loc, arith::CmpIPredicate::slt, c, cIdx(lb, loc, cols)));
        auto load = scf::IfOp::create(
            lb, loc, inside,
            [&](OpBuilder &ib, Location) {
              Value x = memref::LoadOp::create(ib, loc, src, ValueRange{bi, hi, t, c});
              scf::YieldOp::create(ib, loc, lowering::convertScalar(ib, loc, x, elem));
            },
            [&](OpBuilder &eb, Location) { scf::YieldOp::create(eb, loc, cFloat(eb, loc, elem, 0.0)); });
        SmallVector<Value> at = transpose ? SmallVector<Value>{c, r} : SmallVector<Value>{r, c};
        memref::StoreOp::create(lb, loc, load.getResult(0), dst, at);
        scf::YieldOp::create(lb, loc);
      });
}

void gpuattn::stageKeyValueTile(OpBuilder &b, const AttentionKernel &kernel,
                                const BlockCoords &block, const ThreadEnv &env, Value k0,
                                Value ks, Value vs) {
  env.together(b, kernel.loc, [&](OpBuilder &tb, Value tid) {
    stageTile(tb, kernel.loc, tid, env.numThreads, kernel.k, block.b, block.kvh, k0, kernel.TK,
              ks, /*transpose=*/false);
    stageTile(tb, kernel.loc, tid, env.numThreads, kernel.v, block.b, block.kvh, k0, kernel.TK,
              vs, /*transpose=*/false);
  });
}

SmallVector<Value> gpuattn::forEachKeyInTile(OpBuilder &b, const AttentionKernel &kernel, Value k0,
                                             ValueRange init, KeyFn body) {
  Location loc = kernel.loc;
  Value keys = arith::MinSIOp::create(b, loc, cIdx(b, loc, kernel.keyTile),
                                      arith::SubIOp::create(b, loc, kernel.TK, k0));
  auto loop = scf::ForOp::create(b, loc, cIdx(b, loc, 0), keys, cIdx(b, loc, 1), init,
                                 [&](OpBuilder &lb, Location, Value j, ValueRange it) {
                                   body(lb, j, arith::AddIOp::create(lb, loc, k0, j), it);
                                 });
  return SmallVector<Value>(loop.getResults());
}

SmallVector<Value> gpuattn::maskedTile(
    OpBuilder &b, Location loc, Value may, Value must, ValueRange st,
    function_ref<void(OpBuilder &)> stage,
    function_ref<SmallVector<Value>(OpBuilder &, bool withChecks)> compute) {
  auto tile = [&](OpBuilder &tb) -> SmallVector<Value> {
    stage(tb);
    if (!must)
      return compute(tb, /*withChecks=*/false);
    auto branch = scf::IfOp::create(
        tb, loc, must,
        [&](OpBuilder &fb, Location) { scf::YieldOp::create(fb, loc, compute(fb, false)); },
        [&](OpBuilder &pb, Location) { scf::YieldOp::create(pb, loc, compute(pb, true)); });
    return SmallVector<Value>(branch.getResults());
  };
  if (!may)
    return tile(b);
  auto skip = scf::IfOp::create(
      b, loc, may, [&](OpBuilder &tb, Location) { scf::YieldOp::create(tb, loc, tile(tb)); },
      [&](OpBuilder &eb, Location) { scf::YieldOp::create(eb, loc, st); });
  return SmallVector<Value>(skip.getResults());
}

SmallVector<Value> gpuattn::forEachKeyTile(OpBuilder &b, const AttentionKernel &kernel,
                                           const BlockCoords &block, ValueRange init,
                                           bool checkKeys, StageFn stage, ComputeFn compute) {
  Location loc = kernel.loc;
  using P = arith::CmpIPredicate;
  Value one = cIdx(b, loc, 1), tk = cIdx(b, loc, kernel.keyTile);
  Value numKTiles = arith::CeilDivUIOp::create(b, loc, kernel.TK, tk);
  auto loop = scf::ForOp::create(
      b, loc, cIdx(b, loc, 0), numKTiles, one, init,
      [&](OpBuilder &lb, Location, Value kt, ValueRange st) {
        Value k0 = arith::MulIOp::create(lb, loc, kt, tk);
        Value kEnd = arith::AddIOp::create(lb, loc, k0, tk);
        Value fullKeys =
            checkKeys ? arith::CmpIOp::create(lb, loc, P::sle, kEnd, kernel.TK).getResult() : Value();
        auto stageTile = [&](OpBuilder &sb) { stage(sb, k0); };
        auto computeTile = [&](OpBuilder &cb, bool withChecks) { return compute(cb, k0, withChecks, st); };
        if (!kernel.mask) {
          scf::YieldOp::create(lb, loc, maskedTile(lb, loc, Value(), fullKeys, st, stageTile, computeTile));
          return;
        }
        // The mask over the tile's box: skipped when it cannot be true,
        // computed without it when it must be.
        Value qEnd = arith::MinSIOp::create(
            lb, loc, arith::AddIOp::create(lb, loc, block.q0, cIdx(lb, loc, kernel.queryTile)),
            kernel.TQ);
        Value qHi = arith::SubIOp::create(lb, loc, qEnd, one);
        Value kHi = arith::SubIOp::create(lb, loc, arith::MinSIOp::create(lb, loc, kEnd, kernel.TK), one);
        MaskBounds bounds = maskBoundsOnTile(lb, loc, *kernel.mask, {block.b, block.h, block.q0, k0},
                                             qHi, kHi, kernel.captures);
        Value full = checkKeys ? arith::AndIOp::create(lb, loc, bounds.must, fullKeys) : bounds.must;
        scf::YieldOp::create(lb, loc, maskedTile(lb, loc, bounds.may, full, st, stageTile, computeTile));
      });
  return SmallVector<Value>(loop.getResults());
}

void gpuattn::storeRow(OpBuilder &b, const AttentionKernel &kernel, const BlockCoords &block,
                       const ThreadEnv &env, Value qi, Value m, Value l,
                       ArrayRef<std::pair<Value, Value>> columns, Value writeLse) {
  Location loc = kernel.loc;
  using P = arith::CmpIPredicate;
  Value valid = arith::CmpIOp::create(b, loc, P::slt, qi, kernel.TQ);
  scf::IfOp::create(b, loc, valid, [&](OpBuilder &tb, Location) {
    Type f32 = l.getType();
    Value zero = cFloat(tb, loc, f32, 0.0);
    Value empty = arith::CmpFOp::create(tb, loc, arith::CmpFPredicate::OEQ, l, zero);
    // A row that saw no key yields zeros. relaxed_linear and aft do not
    // normalise.
    bool normalise = kernel.kind != AttentionKind::RelaxedLinear && kernel.kind != AttentionKind::Aft;
    Value inv = normalise ? arith::SelectOp::create(tb, loc, empty, zero,
                                                    arith::DivFOp::create(tb, loc, cFloat(tb, loc, f32, 1.0), l))
                          : cFloat(tb, loc, f32, 1.0);
    Type elem = cast<MemRefType>(kernel.out.getType()).getElementType();
    Value dv = cIdx(tb, loc, kernel.valueDim);
    for (auto [col, acc] : columns) {
      SmallVector<Value> at{block.b, block.h, qi, col};
      Value x = lowering::convertScalar(tb, loc, arith::MulFOp::create(tb, loc, acc, inv), elem);
      // Columns are checked only where the mma kernel pads Dv to 8.
      std::optional<int64_t> fixed = getConstantIntValue(col);
      if ((fixed && *fixed < kernel.valueDim) || (!fixed && kernel.valueDim % 8 == 0)) {
        memref::StoreOp::create(tb, loc, x, kernel.out, at);
        continue;
      }
      scf::IfOp::create(tb, loc, arith::CmpIOp::create(tb, loc, P::slt, col, dv),
                        [&](OpBuilder &sb, Location) {
                          memref::StoreOp::create(sb, loc, x, kernel.out, at);
                          scf::YieldOp::create(sb, loc);
                        });
    }
    // lse = m + ln(l) = m + log2(l) · ln 2 (-inf for an empty row); the
    // other kinds keep l.
    auto lse = [&](OpBuilder &lb) {
      if (!isSoftmaxKind(kernel.kind)) {
        memref::StoreOp::create(lb, loc, l, kernel.lse, ValueRange{block.b, block.h, qi});
        return;
      }
      Value log = arith::MulFOp::create(lb, loc, env.log2(lb, loc, l), cFloat(lb, loc, f32, M_LN2));
      Value v = arith::SelectOp::create(
          lb, loc, empty, cFloat(lb, loc, f32, -std::numeric_limits<double>::infinity()),
          arith::AddFOp::create(lb, loc, m, log));
      memref::StoreOp::create(lb, loc, v, kernel.lse, ValueRange{block.b, block.h, qi});
    };
    if (!writeLse) {
      lse(tb);
    } else {
      scf::IfOp::create(tb, loc, writeLse, [&](OpBuilder &sb, Location) {
        lse(sb);
        scf::YieldOp::create(sb, loc);
      });
    }
    scf::YieldOp::create(tb, loc);
  });
}

