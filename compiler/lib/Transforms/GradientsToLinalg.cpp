//===- GradientsToLinalg.cpp - the gradient ops to linalg/scf ------------===//
//
// embedding_grad: an scf.for over the (flattened) positions adding each
// gradient row into its id's row, O(N·D). cross_entropy_grad: the
// softmax statistics of the forward, then one linalg.generic over the
// logits' shape (inserted into zeros under `shift`).
//
//===----------------------------------------------------------------------===//
#include "LoweringUtils.h"
#include "frond/Dialect/Frond/IR/FrondOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

using namespace mlir;
using namespace mlir::frond;
using namespace mlir::frond::lowering;

namespace {

/// `t` with its first `keep` dimensions collapsed into one (rank ≥ 1).
Value collapseLeading(OpBuilder &b, Location loc, Value t, int64_t keep) {
  auto type = cast<RankedTensorType>(t.getType());
  if (keep == 1)
    return t;
  SmallVector<ReassociationIndices> groups(1);
  for (int64_t d = 0; d < keep; ++d)
    groups[0].push_back(d);
  for (int64_t d = keep; d < type.getRank(); ++d)
    groups.push_back({d});
  return tensor::CollapseShapeOp::create(b, loc, t, groups);
}

struct EmbeddingGradLowering : OpRewritePattern<EmbeddingGradOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(EmbeddingGradOp op, PatternRewriter &rw) const final {
    Location loc = op.getLoc();
    auto type = cast<RankedTensorType>(op.getType());
    int64_t n = cast<RankedTensorType>(op.getIds().getType()).getRank();
    if (n == 0)
      return op.emitError("embedding_grad of a single id is not lowered yet");
    Value ids = collapseLeading(rw, loc, op.getIds(), n);   // [N]
    Value grad = collapseLeading(rw, loc, op.getGrad(), n); // [N, D]
    Type f = type.getElementType();
    SmallVector<OpFoldResult> tableSizes{rw.getIndexAttr(type.getDimSize(0)),
                                         type.isDynamicDim(1) ? OpFoldResult(dimOf(rw, loc, grad, 1))
                                                              : OpFoldResult(rw.getIndexAttr(type.getDimSize(1)))};
    Value acc0 = filledTensor(rw, loc, tableSizes, cFloat(rw, loc, f, 0.0));
    Value c0 = cIdx(rw, loc, 0), c1 = cIdx(rw, loc, 1);
    Value count = dimOf(rw, loc, ids, 0);
    OpFoldResult d = tableSizes[1];
    auto rowType = RankedTensorType::get({1, type.getDimSize(1)}, f);
    auto loop = scf::ForOp::create(
        rw, loc, c0, count, c1, ValueRange{acc0},
        [&](OpBuilder &b, Location l, Value i, ValueRange it) {
          Value id = arith::IndexCastOp::create(b, l, b.getIndexType(),
                                                tensor::ExtractOp::create(b, l, ids, ValueRange{i}));
          SmallVector<OpFoldResult> one{b.getIndexAttr(1), b.getIndexAttr(1)};
          SmallVector<OpFoldResult> sizes{b.getIndexAttr(1), d};
          Value g = tensor::ExtractSliceOp::create(b, l, rowType, grad,
                                                   SmallVector<OpFoldResult>{i, b.getIndexAttr(0)}, sizes, one);
          SmallVector<OpFoldResult> at{id, b.getIndexAttr(0)};
          Value row = tensor::ExtractSliceOp::create(b, l, rowType, it[0], at, sizes, one);
          Value sum = buildElementwise(b, l, rowType, {row, g},
                                       [](OpBuilder &nb, Location nl, ValueRange a) -> Value {
                                         return arith::AddFOp::create(nb, nl, a[0], a[1]);
                                       });
          scf::YieldOp::create(b, l, ValueRange{tensor::InsertSliceOp::create(b, l, sum, it[0], at, sizes, one)});
        });
    rw.replaceOp(op, loop.getResult(0));
    return success();
  }
};

struct CrossEntropyGradLowering : OpRewritePattern<CrossEntropyGradOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(CrossEntropyGradOp op, PatternRewriter &rw) const final {
    Location loc = op.getLoc();
    MLIRContext *ctx = rw.getContext();
    Value logits = op.getLogits(), targets = op.getTargets();
    auto type = cast<RankedTensorType>(op.getType());
    Type f = type.getElementType();
    unsigned n = cast<RankedTensorType>(targets.getType()).getRank();
    if (op.getShift()) {
      logits = shiftedForLoss(rw, loc, logits, n, /*dropFirst=*/false);
      targets = shiftedForLoss(rw, loc, targets, n, /*dropFirst=*/true);
    }
    auto [mx, sumExp] = softmaxStats(rw, loc, logits, n, f);
    Type tElem = cast<RankedTensorType>(targets.getType()).getElementType();
    Value ignore = arith::ConstantOp::create(rw, loc, tElem, rw.getIntegerAttr(tElem, op.getIgnoreIndex()));
    SmallVector<int64_t> all;
    for (unsigned d = 0; d < n; ++d)
      all.push_back(d);
    Value count = buildReduction(rw, loc, targets, all, cFloat(rw, loc, f, 0.0),
                                 [&](OpBuilder &b, Location l, ValueRange a) -> Value {
                                   Value valid = arith::CmpIOp::create(b, l, arith::CmpIPredicate::ne, a[0], ignore);
                                   return arith::AddFOp::create(b, l, a[1], arith::UIToFPOp::create(b, l, f, valid));
                                 });
    double eps = op.getLabelSmoothing().convertToDouble();
    Value V = indexToFloat(rw, loc, dimOf(rw, loc, logits, n), f);
    unsigned rank = n + 1;
    AffineMap full = AffineMap::getMultiDimIdentityMap(rank, ctx);
    AffineMap pos = droppedDimsMap(ctx, rank, {int64_t(n)});
    AffineMap scalar = AffineMap::get(rank, 0, ctx);
    SmallVector<utils::IteratorType> its(rank, utils::IteratorType::parallel);
    Value g = buildGeneric(
        rw, loc, {logits, targets, mx, sumExp, count, op.getGrad()},
        emptyTensor(rw, loc, tensor::getMixedSizes(rw, loc, logits), f),
        {full, pos, pos, pos, scalar, scalar, full}, its,
        [&](OpBuilder &b, Location l, ValueRange a) -> Value {
          Value x = convertScalar(b, l, a[0], f);
          Value p = arith::DivFOp::create(b, l, math::ExpOp::create(b, l, arith::SubFOp::create(b, l, x, a[2])), a[3]);
          Value v = arith::IndexCastOp::create(b, l, tElem, linalg::IndexOp::create(b, l, n));
          Value hit = arith::CmpIOp::create(b, l, arith::CmpIPredicate::eq, v, a[1]);
          Value onehot = arith::UIToFPOp::create(b, l, f, hit);
          Value r = arith::SubFOp::create(b, l, p, arith::MulFOp::create(b, l, onehot, cFloat(b, l, f, 1.0 - eps)));
          if (eps != 0.0)
            r = arith::SubFOp::create(b, l, r, arith::DivFOp::create(b, l, cFloat(b, l, f, eps), V));
          r = arith::MulFOp::create(b, l, r, arith::DivFOp::create(b, l, convertScalar(b, l, a[5], f), a[4]));
          Value valid = arith::CmpIOp::create(b, l, arith::CmpIPredicate::ne, a[1], ignore);
          return arith::SelectOp::create(b, l, valid, r, cFloat(b, l, f, 0.0));
        });
    if (op.getShift()) {
      Value zeros = filledTensor(rw, loc, tensor::getMixedSizes(rw, loc, op.getLogits()), cFloat(rw, loc, f, 0.0));
      SmallVector<OpFoldResult> offsets(rank, rw.getIndexAttr(0)), strides(rank, rw.getIndexAttr(1));
      g = tensor::InsertSliceOp::create(rw, loc, g, zeros, offsets, tensor::getMixedSizes(rw, loc, g), strides);
    }
    if (g.getType() != type)
      g = tensor::CastOp::create(rw, loc, type, g);
    rw.replaceOp(op, g);
    return success();
  }
};

} // namespace

void mlir::frond::populateGradientsToLinalgPatterns(RewritePatternSet &patterns) {
  patterns.add<EmbeddingGradLowering, CrossEntropyGradLowering>(patterns.getContext());
}
