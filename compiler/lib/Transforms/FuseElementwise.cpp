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
// Upstream fuses a producer with other users by recomputing it (the
// producer stays for them). FuseSharedProducer instead makes the producer's
// value an extra result of the fused op, so an elementwise chain that
// branches (an optimizer's m and v, both read by the parameter's update and
// both written back) becomes one loop nest computing each value once.
//
//===----------------------------------------------------------------------===//
#include "LoweringUtils.h"
#include "frond/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Tensor/Transforms/Transforms.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::frond {
#define GEN_PASS_DEF_FRONDFUSEELEMENTWISE
#include "frond/Transforms/Passes.h.inc"
} // namespace mlir::frond

using namespace mlir;
using mlir::frond::lowering::isElementwise;

namespace {

/// Whether `producer` (with users besides `consumer`) can be merged into
/// `consumer`: both elementwise over the same loops, the consumer reading
/// every produced value through the identity map; every other user comes
/// after the consumer in the block (so the merged op dominates them), and
/// nothing in between has memory effects (the producer's reads move down to
/// the consumer: past a write into an argument's buffer, they would see the
/// new values).
bool canShare(linalg::GenericOp producer, linalg::GenericOp consumer) {
  if (producer->hasOneUse() || !producer.hasPureTensorSemantics() || !isElementwise(producer) ||
      !isElementwise(consumer) || producer.getNumLoops() != consumer.getNumLoops() ||
      producer.getStaticLoopRanges() != consumer.getStaticLoopRanges())
    return false;
  Operation *at = consumer.getOperation();
  if (producer->getBlock() != at->getBlock())
    return false;
  for (OpOperand &operand : at->getOpOperands())
    if (operand.get().getDefiningOp() == producer &&
        (!consumer.isDpsInput(&operand) || !consumer.getMatchingIndexingMap(&operand).isIdentity()))
      return false;
  for (Operation *user : producer->getUsers())
    if (user != at && (user->getBlock() != at->getBlock() || !at->isBeforeInBlock(user)))
      return false;
  for (Operation *op = producer->getNextNode(); op != at; op = op->getNextNode())
    if (!isMemoryEffectFree(op))
      return false;
  return true;
}

/// Merges an elementwise producer that has other users into an elementwise
/// consumer over the same loops: one generic computing the producer's
/// payload, then the consumer's, yielding the consumer's values and those
/// of the producer's values still used elsewhere, which replace the
/// producer's. Each value is still computed once. (Upstream's fusion of a
/// producer with other users keeps the producer for them and recomputes it
/// in the consumer; it also takes one operand at a time, so a consumer
/// reading two of the producer's results would read the merged op itself.)
struct FuseSharedProducer : OpRewritePattern<linalg::GenericOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(linalg::GenericOp consumer,
                                PatternRewriter &rewriter) const override {
    for (OpOperand *operand : consumer.getDpsInputOperands())
      if (auto producer = operand->get().getDefiningOp<linalg::GenericOp>())
        if (canShare(producer, consumer)) {
          merge(producer, consumer, rewriter);
          return success();
        }
    return failure();
  }

  static void merge(linalg::GenericOp producer, linalg::GenericOp consumer,
                    PatternRewriter &rewriter) {
    auto fromProducer = [&](Value v) { return v.getDefiningOp() == producer.getOperation(); };
    SmallVector<Value> inputs, inits;
    SmallVector<AffineMap> maps;
    SmallVector<Type> types;
    for (OpOperand *in : producer.getDpsInputOperands()) {
      inputs.push_back(in->get());
      maps.push_back(producer.getMatchingIndexingMap(in));
    }
    for (OpOperand *in : consumer.getDpsInputOperands())
      if (!fromProducer(in->get())) {
        inputs.push_back(in->get());
        maps.push_back(consumer.getMatchingIndexingMap(in));
      }
    // The producer's values used past the consumer stay results.
    SmallVector<OpResult> kept;
    for (OpResult r : producer->getResults())
      if (llvm::any_of(r.getUsers(), [&](Operation *u) { return u != consumer.getOperation(); }))
        kept.push_back(r);
    for (OpResult r : kept) {
      inits.push_back(producer.getDpsInitOperand(r.getResultNumber())->get());
      types.push_back(r.getType());
    }
    for (OpOperand &init : consumer.getDpsInitsMutable()) {
      inits.push_back(init.get());
      types.push_back(init.get().getType());
    }
    maps.append(inits.size(), rewriter.getMultiDimIdentityMap(consumer.getNumLoops()));

    rewriter.setInsertionPoint(consumer);
    auto merged = linalg::GenericOp::create(rewriter, consumer.getLoc(), types, inputs, inits,
                                            maps, consumer.getIteratorTypesArray());
    Block &pBody = producer.getRegion().front(), &cBody = consumer.getRegion().front();
    Block *body = rewriter.createBlock(&merged.getRegion());
    IRMapping map;
    auto addArg = [&](BlockArgument arg) {
      map.map(arg, body->addArgument(arg.getType(), arg.getLoc()));
    };
    for (OpOperand *in : producer.getDpsInputOperands())
      addArg(producer.getMatchingBlockArgument(in));
    for (OpOperand *in : consumer.getDpsInputOperands())
      if (!fromProducer(in->get()))
        addArg(consumer.getMatchingBlockArgument(in));
    for (OpResult r : kept)
      addArg(producer.getMatchingBlockArgument(producer.getDpsInitOperand(r.getResultNumber())));
    for (OpOperand &init : consumer.getDpsInitsMutable())
      addArg(consumer.getMatchingBlockArgument(&init));
    // Both iterate the same loops, so linalg.index ops clone unchanged.
    for (Operation &op : pBody.without_terminator())
      rewriter.clone(op, map);
    auto pYield = cast<linalg::YieldOp>(pBody.getTerminator());
    for (OpOperand *in : consumer.getDpsInputOperands())
      if (fromProducer(in->get()))
        map.map(consumer.getMatchingBlockArgument(in),
                map.lookupOrDefault(pYield.getOperand(cast<OpResult>(in->get()).getResultNumber())));
    for (Operation &op : cBody.without_terminator())
      rewriter.clone(op, map);
    SmallVector<Value> yields;
    for (OpResult r : kept)
      yields.push_back(map.lookupOrDefault(pYield.getOperand(r.getResultNumber())));
    for (Value v : cBody.getTerminator()->getOperands())
      yields.push_back(map.lookupOrDefault(v));
    linalg::YieldOp::create(rewriter, consumer.getLoc(), yields);

    for (auto [i, r] : llvm::enumerate(kept))
      rewriter.replaceAllUsesExcept(r, merged->getResult(i), consumer);
    rewriter.replaceOp(consumer, merged->getResults().drop_front(kept.size()));
    rewriter.eraseOp(producer);
  }
};

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
    patterns.add<FuseSharedProducer>(ctx);
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
