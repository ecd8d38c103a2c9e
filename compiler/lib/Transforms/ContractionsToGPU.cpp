//===- ContractionsToGPU.cpp - matmuls as tiled GPU kernels ---------------===//
//
// The frond-contractions-to-gpu pass (see Passes.td). A block computes a
// tile-m x tile-n tile of C from A and B tiles staged in workgroup memory,
// 16 x 16 threads each accumulating (tile-m / 16) x (tile-n / 16) outputs
// in registers. The contraction's loops are taken in four groups (batch,
// M, N, K; several loops of a group flattened in their order), so the
// same kernel serves x·Wᵀ over batch x time, per-head projections and the
// weight gradients' sums over tokens: an element's indices are its group
// coordinates delinearized and read through the operand's indexing map.
//
// Emulated, the block's threads run one after another within each stage
// (staging, then the products), their accumulators kept in a buffer per
// thread between stages, as a GPU would keep them in registers.
//
// Split-K: a contraction with few output tiles (a weight gradient
// [d, d] summed over every token) would leave most of a GPU idle, each
// block walking all of K. When M, N and the batch loops are static and
// give fewer than kMinBlocks tiles, the depth tiles are divided among S
// blocks per output tile (S decided at run time from K); each writes its
// partial sums to a workspace [S, batch, M, N], and a second kernel adds
// them to C in split order, so the result does not depend on scheduling.
//
//===----------------------------------------------------------------------===//
#include "ContractionMma.h"
#include "GPUAttention.h"
#include "LoweringUtils.h"
#include "frond/Transforms/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

namespace mlir::frond {
#define GEN_PASS_DEF_FRONDCONTRACTIONSTOGPU
#include "frond/Transforms/Passes.h.inc"
} // namespace mlir::frond

using namespace mlir;
using mlir::frond::lowering::cFloat;
using mlir::frond::lowering::cIdx;
using mlir::frond::lowering::forEach;
using mlir::frond::matmul::TileType;

namespace {

/// Threads per block along M and along N.
constexpr int64_t kThreadRows = 16, kThreadCols = 16;
constexpr int64_t kThreads = kThreadRows * kThreadCols;

/// Split-K: contractions with fewer output tiles than kMinBlocks split K
/// into at most kMaxSplits parts of at least kMinDepthTilesPerSplit tiles.
constexpr int64_t kMinBlocks = 128, kMaxSplits = 16, kMinDepthTilesPerSplit = 8;

/// A contraction this pass rewrites: its operands and loop groups.
struct Contraction {
  linalg::LinalgOp op;
  linalg::ContractionDimensions dims;
  AffineMap mapA, mapB, mapC;
};

/// The contraction `op` is, when the kernel can compute it.
std::optional<Contraction> matchContraction(linalg::LinalgOp op) {
  if (!op.hasPureBufferSemantics() || op.getNumDpsInputs() != 2 || op.getNumDpsInits() != 1 ||
      frond::lowering::onDevice(op) || !linalg::isaContractionOpInterface(op))
    return std::nullopt;
  for (OpOperand &operand : op->getOpOperands()) {
    auto type = dyn_cast<MemRefType>(operand.get().getType());
    if (!type || !type.getElementType().isF32() ||
        !op.getMatchingIndexingMap(&operand).isProjectedPermutation(/*allowZeroInResults=*/true))
      return std::nullopt;
  }
  FailureOr<linalg::ContractionDimensions> dims = linalg::inferContractionDims(op);
  if (failed(dims) || dims->m.empty() || dims->n.empty() || dims->k.empty())
    return std::nullopt;
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  return Contraction{op, *dims, maps[0], maps[1], maps[2]};
}

/// The tile geometry and what a kernel body knows: the operands and the
/// loops' sizes as the body sees them (kernel arguments, or host values
/// when emulated).
struct TiledKernel {
  const Contraction *c;
  int64_t tileM, tileN, tileK;
  TileType type; ///< what the products are computed in
  bool mma;      ///< on tensor cores (the GPU with a type other than f32)
  Value a, b, out;
  SmallVector<Value> loopSizes; ///< one per loop of the op
  Value workspace, splits;      ///< split-K: [S, batch, M, N] and S; else null

  int64_t rowsPerThread() const { return tileM / kThreadRows; }
  int64_t colsPerThread() const { return tileN / kThreadCols; }
  frond::matmul::MmaTiling mmaTiling() const { return {tileM, tileN, tileK, type}; }
  int64_t accumulators() const {
    return mma ? mmaTiling().accumulators() : rowsPerThread() * colsPerThread();
  }
};

/// The product of the sizes of `loops`.
Value groupSize(OpBuilder &b, Location loc, ArrayRef<Value> sizes, ArrayRef<unsigned> loops) {
  Value n = cIdx(b, loc, 1);
  for (unsigned l : loops)
    n = arith::MulIOp::create(b, loc, n, sizes[l]);
  return n;
}

/// Sets `iv[l]` for the loops `loops` from their flattened coordinate.
void delinearizeInto(OpBuilder &b, Location loc, Value flat, ArrayRef<Value> sizes,
                     ArrayRef<unsigned> loops, SmallVectorImpl<Value> &iv) {
  if (loops.empty())
    return;
  if (loops.size() == 1) {
    iv[loops[0]] = flat;
    return;
  }
  SmallVector<Value> basis;
  for (unsigned l : loops)
    basis.push_back(sizes[l]);
  auto split = affine::AffineDelinearizeIndexOp::create(b, loc, flat, basis,
                                                        /*hasOuterBound=*/true);
  for (auto [l, v] : llvm::zip(loops, split.getResults()))
    iv[l] = v;
}

/// The indices of `map`'s operand at the loop coordinates `iv` (loops the
/// map does not use may be null).
SmallVector<Value> operandIndices(OpBuilder &b, Location loc, AffineMap map, ArrayRef<Value> iv) {
  SmallVector<Value> indices;
  for (AffineExpr e : map.getResults()) {
    if (auto dim = dyn_cast<AffineDimExpr>(e))
      indices.push_back(iv[dim.getPosition()]);
    else
      indices.push_back(cIdx(b, loc, cast<AffineConstantExpr>(e).getValue()));
  }
  return indices;
}

Value lessThan(OpBuilder &b, Location loc, Value x, Value bound) {
  return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, x, bound);
}

/// The sizes of the groups, computed where the body runs.
struct GroupSizes {
  Value m, n, k;
};

/// The block's coordinates: its batch loops' values and first row/column.
struct BlockOrigin {
  SmallVector<Value> iv; ///< batch loops set, others null
  Value m0, n0;
  Value batch, split; ///< split-K: the flat batch coordinate and the split
};

/// One element a thread stages from an operand at every depth step: its
/// place in the workgroup tile (depth kk, row rr), whether its row is
/// inside M (or N), and the loop coordinates of that row. None of it
/// depends on the depth, so the divisions are done once per thread.
struct StagedElement {
  Value kk, rr, rowInside;
  SmallVector<Value> iv; ///< batch and row loops set
};

/// What thread `tid` stages of one operand's tile: `rows` x tile-k elements
/// starting at row `r0` (an M or N coordinate, over `rowLoops`), elements
/// tid, tid + threads, ... Consecutive threads take consecutive depths
/// when the operand's last index is a K loop (k is contiguous in memory
/// then), else consecutive rows.
SmallVector<StagedElement> planStaging(OpBuilder &b, Location loc, const TiledKernel &kernel,
                                       const BlockOrigin &block, Value tid, AffineMap map,
                                       ArrayRef<unsigned> rowLoops, int64_t rows, Value r0,
                                       Value rowCount) {
  int64_t tileK = kernel.tileK;
  auto last = dyn_cast<AffineDimExpr>(map.getResults().back());
  bool kFastest = last && llvm::is_contained(kernel.c->dims.k, last.getPosition());
  SmallVector<StagedElement> plan;
  for (int64_t r = 0; r < rows * tileK / kThreads; ++r) {
    Value e = arith::AddIOp::create(b, loc, tid, cIdx(b, loc, r * kThreads));
    StagedElement el;
    Value fast = arith::RemUIOp::create(b, loc, e, cIdx(b, loc, kFastest ? tileK : rows));
    Value slow = arith::DivUIOp::create(b, loc, e, cIdx(b, loc, kFastest ? tileK : rows));
    el.kk = kFastest ? fast : slow;
    el.rr = kFastest ? slow : fast;
    Value row = arith::AddIOp::create(b, loc, r0, el.rr);
    el.rowInside = lessThan(b, loc, row, rowCount);
    el.iv = block.iv;
    delinearizeInto(b, loc, row, kernel.loopSizes, rowLoops, el.iv);
    plan.push_back(std::move(el));
  }
  return plan;
}

/// Copies the planned elements of `src` at depth `k0` into `dst`, zero
/// outside the rows and K, rounded to the kernel's type: [tile-k][rows + 1]
/// for the f32 products, [rows][stagedRow] for the tensor cores'.
void stageOperand(OpBuilder &b, Location loc, const TiledKernel &kernel, const GroupSizes &sizes,
                  ArrayRef<StagedElement> plan, Value src, AffineMap map, Value k0, Value dst) {
  for (const StagedElement &el : plan) {
    Value k = arith::AddIOp::create(b, loc, k0, el.kk);
    Value inside = arith::AndIOp::create(b, loc, el.rowInside, lessThan(b, loc, k, sizes.k));
    auto read = scf::IfOp::create(
        b, loc, inside,
        [&](OpBuilder &tb, Location tl) {
          SmallVector<Value> iv(el.iv);
          delinearizeInto(tb, tl, k, kernel.loopSizes, kernel.c->dims.k, iv);
          Value v = memref::LoadOp::create(tb, tl, src, operandIndices(tb, tl, map, iv));
          scf::YieldOp::create(tb, tl, v);
        },
        [&](OpBuilder &eb, Location el) {
          scf::YieldOp::create(eb, el, cFloat(eb, el, eb.getF32Type(), 0.0));
        });
    Value v = frond::matmul::roundForTiles(b, loc, read.getResult(0), kernel.type,
                                           /*asF32=*/!kernel.mma);
    memref::StoreOp::create(b, loc, v, dst,
                            kernel.mma ? ValueRange{el.rr, el.kk} : ValueRange{el.kk, el.rr});
  }
}

/// The thread's row and column within the block: (tid / 16, tid % 16).
std::pair<Value, Value> threadCoords(OpBuilder &b, Location loc, Value tid) {
  return {arith::DivUIOp::create(b, loc, tid, cIdx(b, loc, kThreadCols)),
          arith::RemUIOp::create(b, loc, tid, cIdx(b, loc, kThreadCols))};
}

/// acc[i][j] += As[kk][ty + 16 i] * Bs[kk][tx + 16 j] over the tile's depth,
/// as fused multiply-adds (arith.mulf + addf would become PTX mul.rn and
/// add.rn, which forbid the contraction).
SmallVector<Value> multiplyTiles(OpBuilder &b, Location loc, const TiledKernel &kernel, Value tid,
                                 Value as, Value bs, ValueRange acc) {
  auto [ty, tx] = threadCoords(b, loc, tid);
  auto loop = scf::ForOp::create(
      b, loc, cIdx(b, loc, 0), cIdx(b, loc, kernel.tileK), cIdx(b, loc, 1), acc,
      [&](OpBuilder &lb, Location ll, Value kk, ValueRange carried) {
        SmallVector<Value> as_, bs_;
        for (int64_t i = 0; i < kernel.rowsPerThread(); ++i) {
          Value row = arith::AddIOp::create(lb, ll, ty, cIdx(lb, ll, i * kThreadRows));
          as_.push_back(memref::LoadOp::create(lb, ll, as, ValueRange{kk, row}));
        }
        for (int64_t j = 0; j < kernel.colsPerThread(); ++j) {
          Value col = arith::AddIOp::create(lb, ll, tx, cIdx(lb, ll, j * kThreadCols));
          bs_.push_back(memref::LoadOp::create(lb, ll, bs, ValueRange{kk, col}));
        }
        SmallVector<Value> next;
        for (int64_t i = 0; i < kernel.rowsPerThread(); ++i)
          for (int64_t j = 0; j < kernel.colsPerThread(); ++j) {
            Value sum = carried[i * kernel.colsPerThread() + j];
            next.push_back(math::FmaOp::create(lb, ll, as_[i], bs_[j], sum));
          }
        scf::YieldOp::create(lb, ll, next);
      });
  return loop.getResults();
}

/// C[m][n] += the thread's accumulators for its outputs inside M and N:
/// rows ty + 16 i and columns tx + 16 j (acc[i][j]) for the f32 products,
/// the mma.sync fragments' places on tensor cores.
void accumulateOutputs(OpBuilder &b, Location loc, const TiledKernel &kernel,
                       const BlockOrigin &block, const GroupSizes &sizes, Value tid,
                       ValueRange acc) {
  SmallVector<Value> localRows, localCols;
  if (kernel.mma) {
    frond::matmul::mmaOutputCoords(b, loc, kernel.mmaTiling(), tid, localRows, localCols);
  } else {
    auto [ty, tx] = threadCoords(b, loc, tid);
    for (int64_t i = 0; i < kernel.rowsPerThread(); ++i)
      localRows.push_back(arith::AddIOp::create(b, loc, ty, cIdx(b, loc, i * kThreadRows)));
    for (int64_t j = 0; j < kernel.colsPerThread(); ++j)
      localCols.push_back(arith::AddIOp::create(b, loc, tx, cIdx(b, loc, j * kThreadCols)));
  }
  auto accIndex = [&](int64_t i, int64_t j) -> int64_t {
    return kernel.mma ? frond::matmul::mmaAccumulatorIndex(i, j)
                      : i * int64_t(localCols.size()) + j;
  };
  const linalg::ContractionDimensions &dims = kernel.c->dims;
  // The coordinates of the thread's rows (its columns): an inside flag and
  // the M (N) loops' values.
  struct Coord {
    Value inside, flat;
    SmallVector<Value> iv;
  };
  auto coords = [&](Value origin, ArrayRef<Value> locals, Value bound, ArrayRef<unsigned> loops) {
    SmallVector<Coord> out;
    for (Value local : locals) {
      Value x = arith::AddIOp::create(b, loc, origin, local);
      SmallVector<Value> iv(kernel.loopSizes.size(), Value());
      delinearizeInto(b, loc, x, kernel.loopSizes, loops, iv);
      out.push_back({lessThan(b, loc, x, bound), x, iv});
    }
    return out;
  };
  auto rows = coords(block.m0, localRows, sizes.m, dims.m);
  auto cols = coords(block.n0, localCols, sizes.n, dims.n);
  for (auto [i, row] : llvm::enumerate(rows))
    for (auto [j, col] : llvm::enumerate(cols)) {
      Value inside = arith::AndIOp::create(b, loc, row.inside, col.inside);
      scf::IfOp::create(b, loc, inside, [&](OpBuilder &tb, Location tl) {
        SmallVector<Value> iv(block.iv);
        for (unsigned l : dims.m)
          iv[l] = row.iv[l];
        for (unsigned l : dims.n)
          iv[l] = col.iv[l];
        Value partial = acc[accIndex(i, j)];
        if (kernel.workspace) { // split-K: the partial sums, added later
          memref::StoreOp::create(tb, tl, partial, kernel.workspace,
                                  ValueRange{block.split, block.batch, row.flat, col.flat});
          scf::YieldOp::create(tb, tl);
          return;
        }
        SmallVector<Value> at = operandIndices(tb, tl, kernel.c->mapC, iv);
        Value old = memref::LoadOp::create(tb, tl, kernel.out, at);
        Value sum = arith::AddFOp::create(tb, tl, old, partial);
        memref::StoreOp::create(tb, tl, sum, kernel.out, at);
        scf::YieldOp::create(tb, tl);
      });
    }
}

/// One block: on a GPU the body of thread `tid`; emulated (one thread per
/// launch) every thread of the block, stage by stage.
void buildBlock(OpBuilder &b, Location loc, const TiledKernel &kernel, ArrayRef<Value> blockIds,
                Value tid, ValueRange tiles, bool emulate) {
  const linalg::ContractionDimensions &dims = kernel.c->dims;
  ArrayRef<Value> loopSizes = kernel.loopSizes;
  GroupSizes sizes{groupSize(b, loc, loopSizes, dims.m), groupSize(b, loc, loopSizes, dims.n),
                   groupSize(b, loc, loopSizes, dims.k)};
  BlockOrigin block;
  block.iv.assign(loopSizes.size(), Value());
  // Grid z: batch x splits (split-K), the split fastest.
  block.batch = blockIds[2];
  if (kernel.splits) {
    block.batch = arith::DivUIOp::create(b, loc, blockIds[2], kernel.splits);
    block.split = arith::RemUIOp::create(b, loc, blockIds[2], kernel.splits);
  }
  if (!dims.batch.empty())
    delinearizeInto(b, loc, block.batch, loopSizes, dims.batch, block.iv);
  block.m0 = arith::MulIOp::create(b, loc, blockIds[1], cIdx(b, loc, kernel.tileM));
  block.n0 = arith::MulIOp::create(b, loc, blockIds[0], cIdx(b, loc, kernel.tileN));
  Value as = tiles[0], bs = tiles[1];
  // What a thread stages of A and B, and the staging at depth k0.
  using Plans = std::pair<SmallVector<StagedElement>, SmallVector<StagedElement>>;
  auto plan = [&](OpBuilder &pb, Value t) -> Plans {
    return {planStaging(pb, loc, kernel, block, t, kernel.c->mapA, dims.m, kernel.tileM,
                        block.m0, sizes.m),
            planStaging(pb, loc, kernel, block, t, kernel.c->mapB, dims.n, kernel.tileN,
                        block.n0, sizes.n)};
  };
  auto stage = [&](OpBuilder &sb, const Plans &plans, Value k0) {
    stageOperand(sb, loc, kernel, sizes, plans.first, kernel.a, kernel.c->mapA, k0, as);
    stageOperand(sb, loc, kernel, sizes, plans.second, kernel.b, kernel.c->mapB, k0, bs);
  };
  Value depthTiles = arith::CeilDivUIOp::create(b, loc, sizes.k, cIdx(b, loc, kernel.tileK));
  // The depth tiles this block takes: all, or its split's share.
  Value firstTile = cIdx(b, loc, 0), endTile = depthTiles;
  if (kernel.splits) {
    Value share = arith::CeilDivUIOp::create(b, loc, depthTiles, kernel.splits);
    firstTile = arith::MinUIOp::create(b, loc, arith::MulIOp::create(b, loc, block.split, share),
                                       depthTiles);
    endTile = arith::MinUIOp::create(b, loc, arith::AddIOp::create(b, loc, firstTile, share),
                                     depthTiles);
  }
  Value zero = cFloat(b, loc, b.getF32Type(), 0.0);
  auto k0Of = [&](OpBuilder &kb, Value kt) {
    return arith::MulIOp::create(kb, loc, kt, cIdx(kb, loc, kernel.tileK));
  };

  if (!emulate) {
    Plans plans = plan(b, tid);
    SmallVector<Value> init(kernel.accumulators(), zero);
    auto loop = scf::ForOp::create(
        b, loc, firstTile, endTile, cIdx(b, loc, 1), init,
        [&](OpBuilder &lb, Location ll, Value kt, ValueRange acc) {
          // The first barrier: nobody still reads the tiles being replaced.
          gpu::BarrierOp::create(lb, ll);
          stage(lb, plans, k0Of(lb, kt));
          gpu::BarrierOp::create(lb, ll);
          scf::YieldOp::create(
              lb, ll,
              kernel.mma
                  ? frond::matmul::multiplyTilesMma(lb, ll, kernel.mmaTiling(), tid, as, bs, acc)
                  : multiplyTiles(lb, ll, kernel, tid, as, bs, acc));
        });
    accumulateOutputs(b, loc, kernel, block, sizes, tid, loop.getResults());
    return;
  }

  // Emulated: accumulators of thread t in accs[t][*] between the stages.
  Value accs = tiles[2], threads = cIdx(b, loc, kThreads);
  auto loadAcc = [&](OpBuilder &lb, Value t) {
    SmallVector<Value> acc;
    for (int64_t r = 0; r < kernel.accumulators(); ++r)
      acc.push_back(memref::LoadOp::create(lb, loc, accs, ValueRange{t, cIdx(lb, loc, r)}));
    return acc;
  };
  auto storeAcc = [&](OpBuilder &sb, Value t, ValueRange acc) {
    for (auto [r, v] : llvm::enumerate(acc))
      memref::StoreOp::create(sb, loc, v, accs, ValueRange{t, cIdx(sb, loc, r)});
  };
  forEach(b, loc, threads, [&](OpBuilder &tb, Value t) {
    storeAcc(tb, t, SmallVector<Value>(kernel.accumulators(), zero));
  });
  forEach(b, loc, arith::SubIOp::create(b, loc, endTile, firstTile), [&](OpBuilder &lb, Value i) {
    Value k0 = k0Of(lb, arith::AddIOp::create(lb, loc, firstTile, i));
    forEach(lb, loc, threads, [&](OpBuilder &tb, Value t) { stage(tb, plan(tb, t), k0); });
    forEach(lb, loc, threads, [&](OpBuilder &tb, Value t) {
      storeAcc(tb, t, multiplyTiles(tb, loc, kernel, t, as, bs, loadAcc(tb, t)));
    });
  });
  forEach(b, loc, threads, [&](OpBuilder &tb, Value t) {
    accumulateOutputs(tb, loc, kernel, block, sizes, t, loadAcc(tb, t));
  });
}

/// Split-K applies when M, N and the batch loops are static and make fewer
/// than kMinBlocks output tiles, and K can have two splits. Returns the
/// number of output tiles then, else 0.
int64_t splitKTiles(const Contraction &c, int64_t tileM, int64_t tileN, int64_t tileK) {
  SmallVector<int64_t> ranges = linalg::LinalgOp(c.op).getStaticLoopRanges();
  auto size = [&](ArrayRef<unsigned> loops) -> int64_t {
    int64_t n = 1;
    for (unsigned l : loops) {
      if (ShapedType::isDynamic(ranges[l]))
        return -1;
      n *= ranges[l];
    }
    return n;
  };
  int64_t m = size(c.dims.m), n = size(c.dims.n), batch = size(c.dims.batch), k = size(c.dims.k);
  if (m < 0 || n < 0 || batch < 0)
    return 0;
  int64_t tiles = llvm::divideCeil(m, tileM) * llvm::divideCeil(n, tileN) * batch;
  bool deepEnough = k < 0 || llvm::divideCeil(k, tileK) >= 2 * kMinDepthTilesPerSplit;
  return tiles > 0 && tiles < kMinBlocks && deepEnough ? tiles : 0;
}

/// The split-K sum: thread e of the grid adds the partial sums
/// workspace[0 .. S, batch, m, n] in order to C at output e (flat over
/// batch x M x N). Emulated, the same body runs for each thread in turn.
void buildSplitSum(OpBuilder &b, Location loc, const Contraction &c, ValueRange args,
                   ArrayRef<Value> blockIds, Value tid) {
  Value out = args[0], workspace = args[1], splits = args[2];
  SmallVector<Value> sizes(args.begin() + 3, args.end());
  const linalg::ContractionDimensions &dims = c.dims;
  Value batch = groupSize(b, loc, sizes, dims.batch), m = groupSize(b, loc, sizes, dims.m),
        n = groupSize(b, loc, sizes, dims.n);
  Value e = arith::AddIOp::create(
      b, loc, arith::MulIOp::create(b, loc, blockIds[0], cIdx(b, loc, kThreads)), tid);
  Value total = arith::MulIOp::create(b, loc, arith::MulIOp::create(b, loc, batch, m), n);
  scf::IfOp::create(b, loc, lessThan(b, loc, e, total), [&](OpBuilder &tb, Location tl) {
    // e = (batch x M + m) x N + n (divisions rather than
    // affine.delinearize_index, whose lowering fails on a unit basis).
    Value nAt = arith::RemUIOp::create(tb, tl, e, n);
    Value rows = arith::DivUIOp::create(tb, tl, e, n);
    Value mAt = arith::RemUIOp::create(tb, tl, rows, m);
    Value bAt = arith::DivUIOp::create(tb, tl, rows, m);
    SmallVector<Value> iv(sizes.size(), Value());
    delinearizeInto(tb, tl, bAt, sizes, dims.batch, iv);
    delinearizeInto(tb, tl, mAt, sizes, dims.m, iv);
    delinearizeInto(tb, tl, nAt, sizes, dims.n, iv);
    SmallVector<Value> at = operandIndices(tb, tl, c.mapC, iv);
    Value old = memref::LoadOp::create(tb, tl, out, at);
    auto sum = scf::ForOp::create(
        tb, tl, cIdx(tb, tl, 0), splits, cIdx(tb, tl, 1), ValueRange{old},
        [&](OpBuilder &lb, Location ll, Value split, ValueRange acc) {
          Value part = memref::LoadOp::create(
              lb, ll, workspace,
              ValueRange{split, bAt, mAt, nAt});
          scf::YieldOp::create(lb, ll, ValueRange{arith::AddFOp::create(lb, ll, acc[0], part)});
        });
    memref::StoreOp::create(tb, tl, sum.getResult(0), out, at);
    scf::YieldOp::create(tb, tl);
  });
}

struct FrondContractionsToGPU
    : frond::impl::FrondContractionsToGPUBase<FrondContractionsToGPU> {
  using Base::Base;

  void runOnOperation() override {
    if (tileM % kThreadRows || tileN % kThreadCols || tileM <= 0 || tileN <= 0 || tileK <= 0 ||
        (tileM * tileK) % kThreads || (tileN * tileK) % kThreads) {
      getOperation().emitError("frond-contractions-to-gpu: tile-m and tile-n must be positive "
                               "multiples of 16, and tile-m x tile-k and tile-n x tile-k "
                               "multiples of 256");
      return signalPassFailure();
    }
    std::optional<TileType> parsed = frond::matmul::parseTileType(elementType);
    if (!parsed) {
      getOperation().emitError("frond-contractions-to-gpu: element-type must be f32, tf32, "
                               "bf16 or f16, not '")
          << elementType << "'";
      return signalPassFailure();
    }
    type = *parsed;
    if (type != TileType::F32 && !emulate) {
      std::string why = frond::matmul::checkMmaTiling(mmaTiling());
      if (!why.empty()) {
        getOperation().emitError("frond-contractions-to-gpu: with element-type=")
            << elementType << ", " << why;
        return signalPassFailure();
      }
    }
    // A pass instance may run again on another module.
    current = {};
    inCurrent = 0;
    launchers.clear();
    SmallVector<Contraction> found;
    getOperation().walk([&](linalg::LinalgOp op) {
      if (std::optional<Contraction> c = matchContraction(op))
        found.push_back(*c);
    });
    int64_t counter = 0;
    for (const Contraction &c : found)
      rewrite(c, counter);
  }

  /// The kernels share modules (and their workgroup tiles) of at most
  /// kKernelsPerModule: `gpu-module-to-binary` sets up LLVM once per
  /// module, and a few modules still compile concurrently.
  static constexpr int64_t kKernelsPerModule = 64;
  gpu::GPUModuleOp current;
  int64_t inCurrent = 0;
  TileType type = TileType::F32;
  frond::matmul::MmaTiling mmaTiling() const { return {tileM, tileN, tileK, type}; }

  gpu::GPUModuleOp moduleForNextKernel(Location loc) {
    if (!current || inCurrent == kKernelsPerModule) {
      ModuleOp top = getOperation();
      SymbolTable symbols(top);
      OpBuilder mb = OpBuilder::atBlockEnd(top.getBody());
      current = gpu::GPUModuleOp::create(mb, loc, "frond_matmuls");
      symbols.insert(current); // frond_matmuls_0, ... when the name is taken
      inCurrent = 0;
    }
    ++inCurrent;
    return current;
  }

  /// The launch declaration of each kernel built, by kernelKey.
  llvm::StringMap<func::FuncOp> launchers;

  /// What the kernel body depends on: the indexing maps and operand types.
  static std::string kernelKey(const Contraction &c) {
    std::string key;
    llvm::raw_string_ostream os(key);
    os << c.mapA << ';' << c.mapB << ';' << c.mapC;
    for (Value v : c.op->getOperands())
      os << ';' << v.getType();
    return key;
  }

  void rewrite(const Contraction &c, int64_t &counter) {
    linalg::LinalgOp op = c.op;
    Location loc = op.getLoc();
    OpBuilder b(op);
    SmallVector<Value> args{op.getDpsInputs()[0], op.getDpsInputs()[1], op.getDpsInits()[0]};
    for (Range range : op.createLoopRanges(b, loc))
      args.push_back(getValueOrCreateConstantIndexOp(b, loc, range.size));
    SmallVector<Value> hostSizes(args.begin() + 3, args.end()); // args grows below

    frond::gpuattn::KernelLaunch launch;
    Value one = cIdx(b, loc, 1);
    auto blocks = [&](ArrayRef<unsigned> loops, int64_t tile) {
      return arith::CeilDivUIOp::create(b, loc, groupSize(b, loc, hostSizes, loops),
                                        cIdx(b, loc, tile));
    };
    Value batch = c.dims.batch.empty() ? one : groupSize(b, loc, hostSizes, c.dims.batch);
    launch.grid = {blocks(c.dims.n, tileN), blocks(c.dims.m, tileM), batch};
    // Split-K: S = the depth tiles / kMinDepthTilesPerSplit, at most
    // kMaxSplits and at most what brings the blocks to kMinBlocks.
    Value workspace, splits;
    int64_t tiles = splitKTiles(c, tileM, tileN, tileK);
    if (tiles) {
      Value depthTiles = blocks(c.dims.k, tileK);
      Value bySize = arith::CeilDivUIOp::create(b, loc, depthTiles,
                                                cIdx(b, loc, kMinDepthTilesPerSplit));
      int64_t most = std::min<int64_t>(kMaxSplits, llvm::divideCeil(kMinBlocks, tiles));
      splits = arith::MaxUIOp::create(
          b, loc, one, arith::MinUIOp::create(b, loc, bySize, cIdx(b, loc, most)));
      launch.grid[2] = arith::MulIOp::create(b, loc, batch, splits);
      int64_t dyn = ShapedType::kDynamic;
      workspace = frond::gpuattn::allocLike(
          b, loc, {dyn, dyn, dyn, dyn}, b.getF32Type(),
          {splits, batch, groupSize(b, loc, hostSizes, c.dims.m),
           groupSize(b, loc, hostSizes, c.dims.n)});
      args.append({workspace, splits});
    }
    // Contractions of the same maps and operand types (a layer's q, k and
    // v projections, every layer's) run the same kernel.
    std::string key = kernelKey(c) + (tiles ? ";split" : "");
    if (!emulate) {
      if (func::FuncOp launcher = launchers.lookup(key)) {
        SmallVector<Value> operands(launch.grid);
        operands.append(args);
        func::CallOp::create(b, loc, launcher, operands);
        if (tiles)
          sumSplits(b, loc, c, key, args, counter);
        op->erase();
        return;
      }
    }
    launch.name = frond::gpuattn::uniqueKernelName(getOperation(), op, counter, "matmul");
    Type f32 = b.getF32Type();
    MLIRContext *ctx = b.getContext();
    bool mma = type != TileType::F32 && !emulate;
    if (mma) { // [rows][tile-k + 16 bytes]: see ContractionMma.h
      int64_t row = mmaTiling().stagedRow();
      Type elem = frond::matmul::stagedElementType(ctx, type);
      launch.tiles = {frond::gpuattn::workgroupTile(ctx, {tileM, row}, elem, false),
                      frond::gpuattn::workgroupTile(ctx, {tileN, row}, elem, false)};
    } else { // [tile-k][rows + 1]: a thread writing consecutive depths hits different banks
      launch.tiles = {frond::gpuattn::workgroupTile(ctx, {tileK, tileM + 1}, f32, emulate),
                      frond::gpuattn::workgroupTile(ctx, {tileK, tileN + 1}, f32, emulate)};
    }
    if (emulate) {
      launch.numThreads = 1; // buildBlock runs the block's threads itself
      launch.tiles.push_back(
          MemRefType::get({kThreads, (tileM / kThreadRows) * (tileN / kThreadCols)}, f32));
    } else {
      launch.numThreads = kThreads;
      launch.into = moduleForNextKernel(loc);
    }
    bool emulated = emulate, split = tiles != 0;
    int64_t tm = tileM, tn = tileN, tk = tileK, loops = int64_t(hostSizes.size());
    TileType tt = type;
    launch.body = [&c, loc, emulated, split, tm, tn, tk, tt, mma, loops](
                      OpBuilder &kb, ValueRange kargs, ArrayRef<Value> blockIds, Value tid,
                      ValueRange workgroupTiles) {
      TiledKernel kernel{&c, tm, tn, tk, tt, mma, kargs[0], kargs[1], kargs[2], {}, {}, {}};
      kernel.loopSizes.assign(kargs.begin() + 3, kargs.begin() + 3 + loops);
      if (split) {
        kernel.workspace = kargs[3 + loops];
        kernel.splits = kargs[4 + loops];
      }
      buildBlock(kb, loc, kernel, blockIds, tid, workgroupTiles, emulated);
    };
    frond::gpuattn::emitLaunch(b, loc, getOperation(), launch, args, emulate);
    if (!emulate)
      launchers[key] = getOperation().lookupSymbol<func::FuncOp>(launch.name + "_launch");
    if (tiles)
      sumSplits(b, loc, c, key, args, counter);
    op->erase();
  }

  /// After a split-K matmul (`args`: a, b, C, the loop sizes, the
  /// workspace, S): the kernel adding the partial sums to C, then the
  /// workspace freed.
  void sumSplits(OpBuilder &b, Location loc, const Contraction &c, const std::string &matmulKey,
                 ArrayRef<Value> args, int64_t &counter) {
    Value workspace = args[args.size() - 2], splits = args.back();
    ArrayRef<Value> sizes = args.slice(3, args.size() - 5);
    SmallVector<Value> sumArgs{args[2], workspace, splits};
    sumArgs.append(sizes.begin(), sizes.end());
    Value outputs = arith::MulIOp::create(
        b, loc,
        arith::MulIOp::create(b, loc, groupSize(b, loc, sizes, c.dims.batch),
                              groupSize(b, loc, sizes, c.dims.m)),
        groupSize(b, loc, sizes, c.dims.n));
    frond::gpuattn::KernelLaunch launch;
    Value one = cIdx(b, loc, 1);
    launch.grid = {arith::CeilDivUIOp::create(b, loc, outputs, cIdx(b, loc, kThreads)), one, one};
    std::string key = matmulKey + ";sum";
    func::FuncOp launcher = emulate ? func::FuncOp() : launchers.lookup(key);
    if (launcher) {
      SmallVector<Value> operands(launch.grid);
      operands.append(sumArgs);
      func::CallOp::create(b, loc, launcher, operands);
    } else {
      launch.name = frond::gpuattn::uniqueKernelName(getOperation(), c.op, counter, "splitk_sum");
      launch.numThreads = kThreads;
      if (!emulate)
        launch.into = moduleForNextKernel(loc);
      launch.body = [&c, loc](OpBuilder &kb, ValueRange kargs, ArrayRef<Value> blockIds,
                              Value tid, ValueRange) {
        buildSplitSum(kb, loc, c, kargs, blockIds, tid);
      };
      frond::gpuattn::emitLaunch(b, loc, getOperation(), launch, sumArgs, emulate);
      if (!emulate)
        launchers[key] = getOperation().lookupSymbol<func::FuncOp>(launch.name + "_launch");
    }
    memref::DeallocOp::create(b, loc, workspace);
  }
};

} // namespace
