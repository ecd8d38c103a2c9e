//===- ShapesToLinalg.cpp - frond shape ops to tensor/linalg --------------===//
//
// split_heads / merge_heads (expand/collapse_shape), transpose
// (linalg.transpose) and concat (insert_slice chain). Slices are in
// SlicesToLinalg.cpp.
//
//===----------------------------------------------------------------------===//
#include "LoweringUtils.h"
#include "frond/Dialect/Frond/IR/FrondOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"

using namespace mlir;
using namespace mlir::frond;
using namespace mlir::frond::lowering;

namespace {

/// Reassociation grouping the last two dims of a rank-`rank` shape.
SmallVector<ReassociationIndices> lastTwoGrouped(int64_t rank) {
  SmallVector<ReassociationIndices> groups;
  for (int64_t d = 0; d + 2 < rank; ++d)
    groups.push_back({d});
  groups.push_back({rank - 2, rank - 1});
  return groups;
}

struct SplitHeadsLowering : OpRewritePattern<SplitHeadsOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(SplitHeadsOp op, PatternRewriter &rw) const final {
    auto type = cast<RankedTensorType>(op.getType());
    rw.replaceOpWithNewOp<tensor::ExpandShapeOp>(op, type, op.getInput(),
                                                 lastTwoGrouped(type.getRank()));
    return success();
  }
};

struct MergeHeadsLowering : OpRewritePattern<MergeHeadsOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(MergeHeadsOp op, PatternRewriter &rw) const final {
    auto inType = cast<RankedTensorType>(op.getInput().getType());
    rw.replaceOpWithNewOp<tensor::CollapseShapeOp>(
        op, op.getType(), op.getInput(), lastTwoGrouped(inType.getRank()));
    return success();
  }
};

struct TransposeLowering : OpRewritePattern<TransposeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(TransposeOp op, PatternRewriter &rw) const final {
    Location loc = op.getLoc();
    auto type = cast<RankedTensorType>(op.getType());
    ArrayRef<int64_t> perm = op.getPermutation();
    SmallVector<std::pair<Value, int64_t>> dims;
    for (int64_t p : perm)
      dims.push_back({op.getInput(), p});
    Value init = emptyTensor(rw, loc, sizesFrom(rw, loc, type, dims), type.getElementType());
    rw.replaceOp(op, linalg::TransposeOp::create(rw, loc, op.getInput(), init, perm)
                         .getResult()[0]);
    return success();
  }
};

struct ConcatLowering : OpRewritePattern<ConcatOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ConcatOp op, PatternRewriter &rw) const final {
    Location loc = op.getLoc();
    auto type = cast<RankedTensorType>(op.getType());
    int64_t dim = op.getDim();
    unsigned rank = type.getRank();
    Value total = cIdx(rw, loc, 0);
    for (Value in : op.getInputs())
      total = arith::AddIOp::create(rw, loc, total, dimOf(rw, loc, in, dim));
    SmallVector<OpFoldResult> sizes;
    for (unsigned d = 0; d < rank; ++d) {
      if (!type.isDynamicDim(d))
        sizes.push_back(rw.getIndexAttr(type.getDimSize(d)));
      else if (d == dim)
        sizes.push_back(total);
      else
        sizes.push_back(dimOf(rw, loc, op.getInputs().front(), d));
    }
    Value result = emptyTensor(rw, loc, sizes, type.getElementType());
    Value offset = cIdx(rw, loc, 0);
    for (Value in : op.getInputs()) {
      SmallVector<OpFoldResult> offsets(rank, rw.getIndexAttr(0)), strides(rank, rw.getIndexAttr(1));
      offsets[dim] = offset;
      SmallVector<OpFoldResult> inSizes = tensor::getMixedSizes(rw, loc, in);
      result = tensor::InsertSliceOp::create(rw, loc, in, result, offsets, inSizes, strides);
      offset = arith::AddIOp::create(rw, loc, offset, dimOf(rw, loc, in, dim));
    }
    rw.replaceOp(op, result);
    return success();
  }
};

} // namespace

void mlir::frond::populateShapesToLinalgPatterns(RewritePatternSet &patterns) {
  patterns.add<SplitHeadsLowering, MergeHeadsLowering, TransposeLowering,
               ConcatLowering>(patterns.getContext());
}
