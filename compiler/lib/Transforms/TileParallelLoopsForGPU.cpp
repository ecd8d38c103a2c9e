//===- TileParallelLoopsForGPU.cpp - scf.parallel → blocks x threads ------===//
//
// The frond-tile-parallel-loops-for-gpu pass (see Passes.td): each
// outermost scf.parallel is tiled by `block-size` along its innermost
// dimension with upstream's scf::tileParallelLoop (in-bounds guard, so the
// inner loop's extents are constants and become the launch's block size).
// A loop of more than three dimensions first has its leading ones merged
// into one (scf's collapseParallelLoops) and is mapped here: upstream's
// gpu-map-parallel-loops maps three dimensions to the hardware and runs the
// others serially in each thread, and with four, innermost-first, that was
// the innermost (the threads of a block): one-thread blocks. A loop whose
// innermost extent is below a warp (a [b, t, 1] fill) is merged into one
// dimension, so that its blocks are full.
//
//===----------------------------------------------------------------------===//
#include "frond/Transforms/Passes.h"
#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

#include "mlir/Dialect/SCF/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/Utils/Utils.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/GPU/Transforms/ParallelLoopMapper.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "llvm/Support/MathExtras.h"

namespace mlir::frond {
#define GEN_PASS_DEF_FRONDTILEPARALLELLOOPSFORGPU
#include "frond/Transforms/Passes.h.inc"
} // namespace mlir::frond

using namespace mlir;

namespace {

/// The static trip count of `loop`'s innermost dimension, if it has one.
std::optional<int64_t> innermostTrips(scf::ParallelOp loop) {
  unsigned last = loop.getNumLoops() - 1;
  std::optional<int64_t> lb = getConstantIntValue(loop.getLowerBound()[last]);
  std::optional<int64_t> ub = getConstantIntValue(loop.getUpperBound()[last]);
  std::optional<int64_t> step = getConstantIntValue(loop.getStep()[last]);
  if (!lb || !ub || !step || *step <= 0)
    return std::nullopt;
  return llvm::divideCeil(*ub - *lb, *step);
}

/// Threads along the innermost dimension: `blockSize`, or a static trip
/// count below it rounded up to a warp of 32.
int64_t innermostTile(std::optional<int64_t> trips, int64_t blockSize) {
  if (!trips)
    return blockSize;
  return std::min(blockSize, std::max<int64_t>(32, llvm::alignTo(*trips, 32)));
}

/// `loop` with its dimensions merged by `groups` (delinearized in the
/// body): the new loop; null if it is not found.
scf::ParallelOp collapse(IRRewriter &rewriter, scf::ParallelOp loop,
                         ArrayRef<std::vector<unsigned>> groups) {
  // collapseParallelLoops builds the new loop just before the old one,
  // which it erases.
  Operation *next = loop->getNextNode();
  collapseParallelLoops(rewriter, loop, groups);
  return next ? dyn_cast_or_null<scf::ParallelOp>(next->getPrevNode()) : nullptr;
}

/// Maps a tiled 2-D loop by hand: its rows (every leading dimension, up to
/// 2^31 - 1 of them) to blocks x, the tiles of the innermost dimension to
/// blocks y, the threads of a tile to threads x. (The default mapping would
/// put the rows on blocks y, at most 65535.) gpu-map-parallel-loops leaves
/// mapped loops alone.
void mapRowsToBlocksX(scf::ParallelOp blocks, scf::ParallelOp threads) {
  Builder b(blocks.getContext());
  auto dim = [&](gpu::Processor p) {
    return b.getAttr<gpu::ParallelLoopDimMappingAttr>(p, b.getDimIdentityMap(),
                                                       b.getDimIdentityMap());
  };
  (void)gpu::setMappingAttr(blocks, {dim(gpu::Processor::BlockX), dim(gpu::Processor::BlockY)});
  (void)gpu::setMappingAttr(threads,
                            {dim(gpu::Processor::ThreadY), dim(gpu::Processor::ThreadX)});
}

struct FrondTileParallelLoopsForGPU
    : frond::impl::FrondTileParallelLoopsForGPUBase<FrondTileParallelLoopsForGPU> {
  using Base::Base;
  void runOnOperation() override {
    if (blockSize < 1 || blockSize > 1024) {
      getOperation().emitError("block-size must be in [1, 1024], found ") << int64_t(blockSize);
      return signalPassFailure();
    }
    SmallVector<scf::ParallelOp> outermost;
    getOperation().walk([&](scf::ParallelOp loop) {
      if (!loop->getParentOfType<scf::ParallelOp>() && loop.getNumReductions() == 0)
        outermost.push_back(loop);
    });
    IRRewriter rewriter(&getContext());
    for (scf::ParallelOp loop : outermost) {
      unsigned n = loop.getNumLoops();
      // Read before collapsing: the bounds are no longer constants after.
      std::optional<int64_t> trips = innermostTrips(loop);
      std::vector<unsigned> leading, all;
      for (unsigned d = 0; d < n; ++d)
        (d + 1 < n ? leading : all).push_back(d);
      all.insert(all.begin(), leading.begin(), leading.end());
      // Fewer than a warp along the innermost dimension (a [b, t, 1] fill):
      // one dimension of every element, a block of threads along it.
      bool flatten = n > 1 && trips && *trips < 32;
      bool rows = !flatten && n > 3;
      int64_t threads = flatten ? int64_t(blockSize) : innermostTile(trips, blockSize);
      if (flatten && !(loop = collapse(rewriter, loop, {all})))
        continue;
      if (rows && !(loop = collapse(rewriter, loop, {leading, {n - 1}})))
        continue;
      SmallVector<int64_t> sizes(loop.getNumLoops(), 1);
      sizes.back() = threads;
      auto [blockLoop, threadLoop] = scf::tileParallelLoop(loop, sizes, /*noMinMaxBounds=*/true);
      if (rows)
        mapRowsToBlocksX(blockLoop, threadLoop);
    }
  }
};

} // namespace
