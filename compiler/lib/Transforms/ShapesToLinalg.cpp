//===- ShapesToLinalg.cpp - frond shape ops to tensor/linalg --------------===//
//
// split_heads / merge_heads (expand/collapse_shape), transpose
// (linalg.transpose), concat (insert_slice chain) and cache_write (one
// parallel_insert_slice per sample in an scf.forall). Slices are in SlicesToLinalg.cpp.
//
//===----------------------------------------------------------------------===//
#include "LoweringUtils.h"
#include "frond/Dialect/Frond/IR/FrondOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

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

/// One tensor.insert_slice per sample, at that sample's position along
/// `dim`, threaded through an scf.for so bufferization can write in place.
struct CacheWriteLowering : OpRewritePattern<CacheWriteOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(CacheWriteOp op, PatternRewriter &rw) const final {
    Location loc = op.getLoc();
    Value update = op.getUpdate();
    auto type = cast<RankedTensorType>(update.getType());
    int64_t dim = op.getDim();
    unsigned rank = type.getRank();
        Value batch = dimOf(rw, loc, update, 0);
    SmallVector<OpFoldResult> sizes{rw.getIndexAttr(1)};
    for (unsigned d = 1; d < rank; ++d)
      sizes.push_back(type.isDynamicDim(d) ? OpFoldResult(dimOf(rw, loc, update, d))
                                           : OpFoldResult(rw.getIndexAttr(type.getDimSize(d))));
    SmallVector<OpFoldResult> strides(rank, rw.getIndexAttr(1));
    // Samples write disjoint rows: an scf.forall, so that on the GPU the
    // positions are read by the kernel, not by host code (a decode step then
    // does the same work whatever the positions, and can be a CUDA graph).
    auto loop = scf::ForallOp::create(rw, loc, ArrayRef<OpFoldResult>{batch},
                                      ValueRange{op.getCache()}, /*mapping=*/std::nullopt);
    {
      OpBuilder::InsertionGuard guard(rw);
      rw.setInsertionPointToStart(loop.getBody());
      Value bi = loop.getInductionVar(0);
      Value p = tensor::ExtractOp::create(rw, loc, op.getPositions(), ValueRange{bi});
      p = arith::IndexCastOp::create(rw, loc, rw.getIndexType(), p);
      SmallVector<OpFoldResult> from(rank, rw.getIndexAttr(0)), to(rank, rw.getIndexAttr(0));
      from[0] = bi;
      to[0] = bi;
      to[dim] = p;
      Value row = tensor::ExtractSliceOp::create(rw, loc, update, from, sizes, strides);
      rw.setInsertionPointToStart(loop.getTerminator().getBody());
      tensor::ParallelInsertSliceOp::create(rw, loc, row, loop.getRegionIterArgs()[0], to, sizes,
                                            strides);
    }
    rw.replaceOp(op, loop.getResult(0));
    return success();
  }
};

} // namespace

void mlir::frond::populateShapesToLinalgPatterns(RewritePatternSet &patterns) {
  patterns.add<SplitHeadsLowering, MergeHeadsLowering, TransposeLowering,
               ConcatLowering, CacheWriteLowering>(patterns.getContext());
}
