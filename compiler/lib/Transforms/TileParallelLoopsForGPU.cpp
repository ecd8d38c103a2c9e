//===- TileParallelLoopsForGPU.cpp - scf.parallel → blocks x threads ------===//
//
// The frond-tile-parallel-loops-for-gpu pass (see Passes.td): each
// outermost scf.parallel is tiled by `block-size` along its innermost
// dimension with upstream's scf::tileParallelLoop (in-bounds guard, so the
// inner loop's extents are constants and become the launch's block size).
//
//===----------------------------------------------------------------------===//
#include "frond/Transforms/Passes.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

#include "mlir/Dialect/SCF/Transforms/Transforms.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "llvm/Support/MathExtras.h"

namespace mlir::frond {
#define GEN_PASS_DEF_FRONDTILEPARALLELLOOPSFORGPU
#include "frond/Transforms/Passes.h.inc"
} // namespace mlir::frond

using namespace mlir;

namespace {

/// Threads along the innermost dimension: `blockSize`, or a static trip
/// count below it rounded up to a warp of 32.
int64_t innermostTile(scf::ParallelOp loop, int64_t blockSize) {
  unsigned last = loop.getNumLoops() - 1;
  std::optional<int64_t> lb = getConstantIntValue(loop.getLowerBound()[last]);
  std::optional<int64_t> ub = getConstantIntValue(loop.getUpperBound()[last]);
  std::optional<int64_t> step = getConstantIntValue(loop.getStep()[last]);
  if (!lb || !ub || !step || *step <= 0)
    return blockSize;
  int64_t trips = llvm::divideCeil(*ub - *lb, *step);
  return std::min(blockSize, std::max<int64_t>(32, llvm::alignTo(trips, 32)));
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
    for (scf::ParallelOp loop : outermost) {
      SmallVector<int64_t> sizes(loop.getNumLoops(), 1);
      sizes.back() = innermostTile(loop, blockSize);
      scf::tileParallelLoop(loop, sizes, /*noMinMaxBounds=*/true);
    }
  }
};

} // namespace
