//===- FuseElementwise.cpp - elementwise fusion without recomputation -----===//
//
// The frond-fuse-elementwise pass (see Passes.td): upstream's elementwise
// producer/consumer fusion (the patterns of -linalg-fuse-elementwise-ops),
// with one more condition. A producer is fused into a consumer only when
// the consumer reads it through a permutation of all its loops, so each
// produced value is still computed once. Upstream also fuses a layer norm
// into the linear that reads it, or a GELU into the next matmul: the
// contraction's body then recomputes the producer for every output column
// (256 to 1024 times here) and is no longer a plain multiply-accumulate that
// frond-tile-and-vectorize can turn into FMAs.
//
//===----------------------------------------------------------------------===//
#include "frond/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Tensor/Transforms/Transforms.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::frond {
#define GEN_PASS_DEF_FRONDFUSEELEMENTWISE
#include "frond/Transforms/Passes.h.inc"
} // namespace mlir::frond

using namespace mlir;

namespace {

struct FrondFuseElementwise
    : frond::impl::FrondFuseElementwiseBase<FrondFuseElementwise> {
  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    // Upstream's condition (the producer has no other user), plus: no
    // consumer loop is missing from the map the operand is read through.
    linalg::ControlFusionFn noRecompute = [](OpOperand *fused) {
      Operation *producer = fused->get().getDefiningOp();
      if (!producer || !producer->hasOneUse())
        return false;
      auto consumer = dyn_cast<linalg::LinalgOp>(fused->getOwner());
      return consumer && consumer.getMatchingIndexingMap(fused).isPermutation();
    };
    linalg::ControlFusionFn oneUse = [](OpOperand *fused) {
      Operation *producer = fused->get().getDefiningOp();
      return producer && producer->hasOneUse();
    };
    RewritePatternSet patterns(ctx);
    linalg::populateElementwiseOpsFusionPatterns(patterns, noRecompute);
    linalg::populateFoldReshapeOpsByExpansionPatterns(patterns, oneUse);
    tensor::populateBubbleUpExpandShapePatterns(patterns);
    affine::AffineApplyOp::getCanonicalizationPatterns(patterns, ctx);
    linalg::GenericOp::getCanonicalizationPatterns(patterns, ctx);
    tensor::ExpandShapeOp::getCanonicalizationPatterns(patterns, ctx);
    tensor::CollapseShapeOp::getCanonicalizationPatterns(patterns, ctx);
    ctx->getLoadedDialect<linalg::LinalgDialect>()->getCanonicalizationPatterns(patterns);
    linalg::populateConstantFoldLinalgOperations(patterns, oneUse);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns),
                                     GreedyRewriteConfig().setUseTopDownTraversal())))
      return signalPassFailure();
  }
};

} // namespace
