//===- FoldBatchSums.cpp - a sum over a contraction's batch loops folded in -===//
//
// The frond-fold-batch-sums pass (see Passes.td).
//
//===----------------------------------------------------------------------===//
#include "frond/Transforms/Passes.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"

#include "mlir/Dialect/Linalg/IR/LinalgInterfaces.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::frond {
#define GEN_PASS_DEF_FRONDFOLDBATCHSUMS
#include "frond/Transforms/Passes.h.inc"
} // namespace mlir::frond

using namespace mlir;

namespace {

/// Whether the body of `op` (one input, one init) yields in + out.
bool isSumBody(linalg::GenericOp op) {
  Block &body = op.getRegion().front();
  auto yield = cast<linalg::YieldOp>(body.getTerminator());
  auto add = yield.getNumOperands() == 1
                 ? yield.getOperand(0).getDefiningOp<arith::AddFOp>()
                 : arith::AddFOp();
  if (!add || &body.front() != add.getOperation())
    return false;
  Value in = body.getArgument(0), out = body.getArgument(1);
  return (add.getLhs() == in && add.getRhs() == out) ||
         (add.getLhs() == out && add.getRhs() == in);
}

/// Whether `v` is a tensor filled with 0.0 (linalg.fill).
bool isZeroFilled(Value v) {
  auto fill = v.getDefiningOp<linalg::FillOp>();
  if (!fill)
    return false;
  auto c = fill.getInputs()[0].getDefiningOp<arith::ConstantOp>();
  auto f = c ? dyn_cast<FloatAttr>(c.getValue()) : FloatAttr();
  return f && f.getValue().isZero();
}

/// sum over some dims of (contraction C = 0 + A·B) → one contraction that
/// also reduces over those dims, accumulating into the sum's init.
struct FoldSumIntoContraction : OpRewritePattern<linalg::GenericOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(linalg::GenericOp sum, PatternRewriter &rewriter) const override {
    if (!sum.hasPureTensorSemantics() || sum.getNumDpsInputs() != 1 ||
        sum.getNumDpsInits() != 1 || !isSumBody(sum))
      return failure();
    AffineMap inMap = sum.getIndexingMapsArray()[0], outMap = sum.getIndexingMapsArray()[1];
    if (!inMap.isIdentity() || !outMap.isProjectedPermutation())
      return failure();
    for (auto [i, kind] : llvm::enumerate(sum.getIteratorTypesArray()))
      if ((kind == utils::IteratorType::parallel) != outMap.isFunctionOfDim(i))
        return failure();
    auto con = sum.getDpsInputs()[0].getDefiningOp<linalg::GenericOp>();
    if (!con || !con->hasOneUse() || !con.hasPureTensorSemantics() ||
        con.getNumDpsInputs() != 2 || con.getNumDpsInits() != 1 ||
        !linalg::isaContractionOpInterface(con) || !isZeroFilled(con.getDpsInits()[0]))
      return failure();
    SmallVector<AffineMap> maps = con.getIndexingMapsArray();
    if (!maps[2].isProjectedPermutation())
      return failure();
    // The contraction's loops that the sum reduces become reductions.
    AffineMap fusedOut = outMap.compose(maps[2]);
    SmallVector<utils::IteratorType> kinds = con.getIteratorTypesArray();
    for (unsigned l = 0; l < kinds.size(); ++l)
      if (!fusedOut.isFunctionOfDim(l))
        kinds[l] = utils::IteratorType::reduction;
    Value init = sum.getDpsInits()[0];
    auto fused = linalg::GenericOp::create(
        rewriter, sum.getLoc(), TypeRange{init.getType()}, con.getDpsInputs(), ValueRange{init},
        ArrayRef<AffineMap>{maps[0], maps[1], fusedOut}, kinds);
    rewriter.inlineRegionBefore(con.getRegion(), fused.getRegion(), fused.getRegion().begin());
    rewriter.replaceOp(sum, fused->getResults());
    rewriter.eraseOp(con);
    return success();
  }
};

struct FrondFoldBatchSums : frond::impl::FrondFoldBatchSumsBase<FrondFoldBatchSums> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<FoldSumIntoContraction>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
