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
//===----------------------------------------------------------------------===//
#include "GPUAttention.h"
#include "LoweringUtils.h"
#include "frond/Transforms/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

namespace mlir::frond {
#define GEN_PASS_DEF_FRONDCONTRACTIONSTOGPU
#include "frond/Transforms/Passes.h.inc"
} // namespace mlir::frond

using namespace mlir;
using mlir::frond::lowering::cFloat;
using mlir::frond::lowering::cIdx;
using mlir::frond::lowering::forEach;

namespace {

/// Threads per block along M and along N.
constexpr int64_t kThreadRows = 16, kThreadCols = 16;
constexpr int64_t kThreads = kThreadRows * kThreadCols;

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
  Value a, b, out;
  SmallVector<Value> loopSizes; ///< one per loop of the op

  int64_t rowsPerThread() const { return tileM / kThreadRows; }
  int64_t colsPerThread() const { return tileN / kThreadCols; }
  int64_t accumulators() const { return rowsPerThread() * colsPerThread(); }
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

/// Copies the planned elements of `src` at depth `k0` into `dst`
/// [tile-k][rows + 1], zero outside the rows and K.
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
    memref::StoreOp::create(b, loc, read.getResult(0), dst, ValueRange{el.kk, el.rr});
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

/// C[m][n] += acc[i][j] for the thread's outputs inside M and N.
void accumulateOutputs(OpBuilder &b, Location loc, const TiledKernel &kernel,
                       const BlockOrigin &block, const GroupSizes &sizes, Value tid,
                       ValueRange acc) {
  auto [ty, tx] = threadCoords(b, loc, tid);
  const linalg::ContractionDimensions &dims = kernel.c->dims;
  // The coordinates of the thread's rows (its columns): an inside flag and
  // the M (N) loops' values.
  auto coords = [&](Value origin, Value first, int64_t stride, int64_t count, Value bound,
                    ArrayRef<unsigned> loops) {
    SmallVector<std::pair<Value, SmallVector<Value>>> out;
    for (int64_t i = 0; i < count; ++i) {
      Value x = arith::AddIOp::create(
          b, loc, origin, arith::AddIOp::create(b, loc, first, cIdx(b, loc, i * stride)));
      SmallVector<Value> iv(kernel.loopSizes.size(), Value());
      delinearizeInto(b, loc, x, kernel.loopSizes, loops, iv);
      out.push_back({lessThan(b, loc, x, bound), iv});
    }
    return out;
  };
  auto rows = coords(block.m0, ty, kThreadRows, kernel.rowsPerThread(), sizes.m, dims.m);
  auto cols = coords(block.n0, tx, kThreadCols, kernel.colsPerThread(), sizes.n, dims.n);
  for (auto [i, row] : llvm::enumerate(rows))
    for (auto [j, col] : llvm::enumerate(cols)) {
      Value inside = arith::AndIOp::create(b, loc, row.first, col.first);
      scf::IfOp::create(b, loc, inside, [&](OpBuilder &tb, Location tl) {
        SmallVector<Value> iv(block.iv);
        for (unsigned l : dims.m)
          iv[l] = row.second[l];
        for (unsigned l : dims.n)
          iv[l] = col.second[l];
        SmallVector<Value> at = operandIndices(tb, tl, kernel.c->mapC, iv);
        Value old = memref::LoadOp::create(tb, tl, kernel.out, at);
        Value sum = arith::AddFOp::create(tb, tl, old, acc[i * cols.size() + j]);
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
  if (!dims.batch.empty())
    delinearizeInto(b, loc, blockIds[2], loopSizes, dims.batch, block.iv);
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
  Value zero = cFloat(b, loc, b.getF32Type(), 0.0);
  auto k0Of = [&](OpBuilder &kb, Value kt) {
    return arith::MulIOp::create(kb, loc, kt, cIdx(kb, loc, kernel.tileK));
  };

  if (!emulate) {
    Plans plans = plan(b, tid);
    SmallVector<Value> init(kernel.accumulators(), zero);
    auto loop = scf::ForOp::create(
        b, loc, cIdx(b, loc, 0), depthTiles, cIdx(b, loc, 1), init,
        [&](OpBuilder &lb, Location ll, Value kt, ValueRange acc) {
          // The first barrier: nobody still reads the tiles being replaced.
          gpu::BarrierOp::create(lb, ll);
          stage(lb, plans, k0Of(lb, kt));
          gpu::BarrierOp::create(lb, ll);
          scf::YieldOp::create(lb, ll, multiplyTiles(lb, ll, kernel, tid, as, bs, acc));
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
  forEach(b, loc, depthTiles, [&](OpBuilder &lb, Value kt) {
    Value k0 = k0Of(lb, kt);
    forEach(lb, loc, threads, [&](OpBuilder &tb, Value t) { stage(tb, plan(tb, t), k0); });
    forEach(lb, loc, threads, [&](OpBuilder &tb, Value t) {
      storeAcc(tb, t, multiplyTiles(tb, loc, kernel, t, as, bs, loadAcc(tb, t)));
    });
  });
  forEach(b, loc, threads, [&](OpBuilder &tb, Value t) {
    accumulateOutputs(tb, loc, kernel, block, sizes, t, loadAcc(tb, t));
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
    ArrayRef<Value> hostSizes = ArrayRef<Value>(args).drop_front(3);

    frond::gpuattn::KernelLaunch launch;
    Value one = cIdx(b, loc, 1);
    auto blocks = [&](ArrayRef<unsigned> loops, int64_t tile) {
      return arith::CeilDivUIOp::create(b, loc, groupSize(b, loc, hostSizes, loops),
                                        cIdx(b, loc, tile));
    };
    launch.grid = {blocks(c.dims.n, tileN), blocks(c.dims.m, tileM),
                   c.dims.batch.empty() ? one : groupSize(b, loc, hostSizes, c.dims.batch)};
    // Contractions of the same maps and operand types (a layer's q, k and
    // v projections, every layer's) run the same kernel.
    std::string key = kernelKey(c);
    if (!emulate) {
      if (func::FuncOp launcher = launchers.lookup(key)) {
        SmallVector<Value> operands(launch.grid);
        operands.append(args);
        func::CallOp::create(b, loc, launcher, operands);
        op->erase();
        return;
      }
    }
    launch.name = frond::gpuattn::uniqueKernelName(getOperation(), op, counter, "matmul");
    Type f32 = b.getF32Type();
    // [tile-k][rows + 1]: a thread writing consecutive depths hits
    // different banks.
    MLIRContext *ctx = b.getContext();
    launch.tiles = {frond::gpuattn::workgroupTile(ctx, {tileK, tileM + 1}, f32, emulate),
                    frond::gpuattn::workgroupTile(ctx, {tileK, tileN + 1}, f32, emulate)};
    if (emulate) {
      launch.numThreads = 1; // buildBlock runs the block's threads itself
      launch.tiles.push_back(
          MemRefType::get({kThreads, (tileM / kThreadRows) * (tileN / kThreadCols)}, f32));
    } else {
      launch.numThreads = kThreads;
      launch.into = moduleForNextKernel(loc);
    }
    bool emulated = emulate;
    int64_t tm = tileM, tn = tileN, tk = tileK;
    launch.body = [&c, loc, emulated, tm, tn, tk](OpBuilder &kb, ValueRange kargs,
                                               ArrayRef<Value> blockIds, Value tid,
                                               ValueRange tiles) {
      TiledKernel kernel{&c, tm, tn, tk, kargs[0], kargs[1], kargs[2], {}};
      kernel.loopSizes.assign(kargs.begin() + 3, kargs.end());
      buildBlock(kb, loc, kernel, blockIds, tid, tiles, emulated);
    };
    frond::gpuattn::emitLaunch(b, loc, getOperation(), launch, args, emulate);
    if (!emulate)
      launchers[key] = getOperation().lookupSymbol<func::FuncOp>(launch.name + "_launch");
    op->erase();
  }
};

} // namespace
