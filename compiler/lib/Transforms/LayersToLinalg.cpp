//===- LayersToLinalg.cpp - frond layer ops to linalg ---------------------===//
//
// embedding (gather in a linalg.generic), linear / lowrank_linear / matmul
// (contraction generics; batch broadcasting in the maps), rms_norm and
// layer_norm (reductions in at least f32) and rope (one generic reading each
// element's rotation partner with tensor.extract).
//
//===----------------------------------------------------------------------===//
#include "LoweringUtils.h"
#include "frond/Dialect/Frond/IR/FrondOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"

using namespace mlir;
using namespace mlir::frond;
using namespace mlir::frond::lowering;

namespace mlir::frond::lowering {
Value applyUnary(OpBuilder &b, Location loc, UnaryKind kind, Value x);
} // namespace mlir::frond::lowering

namespace {

using utils::IteratorType;

/// `input[N..., in] · weightᵀ (+ bias)` as a contraction generic.
Value linear(OpBuilder &b, Location loc, Value input, Value weight, Value bias,
             RankedTensorType resultType) {
  MLIRContext *ctx = b.getContext();
  unsigned rank = resultType.getRank(); // domain: rank parallel + 1 reduction
  SmallVector<std::pair<Value, int64_t>> dims;
  for (unsigned d = 0; d + 1 < rank; ++d)
    dims.push_back({input, d});
  dims.push_back({weight, 0});
  SmallVector<OpFoldResult> sizes = sizesFrom(b, loc, resultType, dims);
  Type elem = resultType.getElementType();
  Value init;
  if (bias) {
    Value empty = emptyTensor(b, loc, sizes, elem);
    SmallVector<IteratorType> its(rank, IteratorType::parallel);
    init = buildGeneric(b, loc, bias, empty,
                        {dimsMap(ctx, rank, {rank - 1}),
                         AffineMap::getMultiDimIdentityMap(rank, ctx)},
                        its, [](OpBuilder &, Location, ValueRange a) { return a[0]; });
  } else {
    init = filledTensor(b, loc, sizes, cFloat(b, loc, elem, 0.0));
  }
  SmallVector<unsigned> inDims, outDims;
  for (unsigned d = 0; d + 1 < rank; ++d)
    inDims.push_back(d);
  inDims.push_back(rank);
  for (unsigned d = 0; d < rank; ++d)
    outDims.push_back(d);
  SmallVector<IteratorType> its(rank, IteratorType::parallel);
  its.push_back(IteratorType::reduction);
  return buildGeneric(
      b, loc, {input, weight}, init,
      {dimsMap(ctx, rank + 1, inDims), dimsMap(ctx, rank + 1, {rank - 1, rank}),
       dimsMap(ctx, rank + 1, outDims)},
      its, [](OpBuilder &nb, Location l, ValueRange a) -> Value {
        return arith::AddFOp::create(nb, l, a[2],
                                     arith::MulFOp::create(nb, l, a[0], a[1]));
      });
}

struct EmbeddingLowering : OpRewritePattern<EmbeddingOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(EmbeddingOp op, PatternRewriter &rw) const final {
    Location loc = op.getLoc();
    auto type = cast<RankedTensorType>(op.getType());
    unsigned rank = type.getRank();
    SmallVector<std::pair<Value, int64_t>> dims;
    for (unsigned d = 0; d + 1 < rank; ++d)
      dims.push_back({op.getIds(), d});
    dims.push_back({op.getTable(), 1});
    Value init = emptyTensor(rw, loc, sizesFrom(rw, loc, type, dims), type.getElementType());
    SmallVector<unsigned> idDims;
    for (unsigned d = 0; d + 1 < rank; ++d)
      idDims.push_back(d);
    MLIRContext *ctx = rw.getContext();
    SmallVector<IteratorType> its(rank, IteratorType::parallel);
    Value table = op.getTable();
    rw.replaceOp(op, buildGeneric(
                         rw, loc, op.getIds(), init,
                         {dimsMap(ctx, rank, idDims), AffineMap::getMultiDimIdentityMap(rank, ctx)},
                         its, [&](OpBuilder &b, Location l, ValueRange a) -> Value {
                           Value row = arith::IndexCastOp::create(b, l, b.getIndexType(), a[0]);
                           Value col = linalg::IndexOp::create(b, l, rank - 1);
                           return tensor::ExtractOp::create(b, l, table, ValueRange{row, col});
                         }));
    return success();
  }
};

struct LinearLowering : OpRewritePattern<LinearOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(LinearOp op, PatternRewriter &rw) const final {
    rw.replaceOp(op, linear(rw, op.getLoc(), op.getInput(), op.getWeight(),
                            op.getBias(), cast<RankedTensorType>(op.getType())));
    return success();
  }
};

struct LowRankLinearLowering : OpRewritePattern<LowRankLinearOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(LowRankLinearOp op, PatternRewriter &rw) const final {
    Location loc = op.getLoc();
    auto type = cast<RankedTensorType>(op.getType());
    auto w1 = cast<RankedTensorType>(op.getW1().getType());
    SmallVector<int64_t> midShape(type.getShape());
    midShape.back() = w1.getDimSize(0);
    auto midType = RankedTensorType::get(midShape, type.getElementType());
    Value mid = linear(rw, loc, op.getInput(), op.getW1(), Value(), midType);
    std::optional<UnaryKind> act = op.getActivationKind();
    if (act)
      mid = buildElementwise(rw, loc, midType, mid,
                             [&](OpBuilder &b, Location l, ValueRange a) {
                               return applyUnary(b, l, *act, a[0]);
                             });
    rw.replaceOp(op, linear(rw, loc, mid, op.getW2(), Value(), type));
    return success();
  }
};

struct MatmulLowering : OpRewritePattern<MatmulOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(MatmulOp op, PatternRewriter &rw) const final {
    Location loc = op.getLoc();
    MLIRContext *ctx = rw.getContext();
    auto type = cast<RankedTensorType>(op.getType());
    auto lhsT = cast<RankedTensorType>(op.getLhs().getType());
    auto rhsT = cast<RankedTensorType>(op.getRhs().getType());
    unsigned rank = type.getRank(), k = rank;
    // Batch dims broadcast like elementwise operands; then (m, k) / (k, n).
    auto operandMap = [&](RankedTensorType t, bool isLhs) {
      SmallVector<AffineExpr> exprs;
      unsigned batch = t.getRank() - 2, rBatch = rank - 2;
      for (unsigned i = 0; i < batch; ++i) {
        unsigned d = rBatch - batch + i;
        if (t.getDimSize(i) == 1 && type.getDimSize(d) != 1)
          exprs.push_back(getAffineConstantExpr(0, ctx));
        else
          exprs.push_back(getAffineDimExpr(d, ctx));
      }
      if (isLhs) {
        exprs.push_back(getAffineDimExpr(rank - 2, ctx));
        exprs.push_back(getAffineDimExpr(k, ctx));
      } else {
        exprs.push_back(getAffineDimExpr(k, ctx));
        exprs.push_back(getAffineDimExpr(rank - 1, ctx));
      }
      return AffineMap::get(rank + 1, 0, exprs, ctx);
    };
    SmallVector<std::pair<Value, int64_t>> dims;
    for (unsigned d = 0; d + 2 < rank; ++d) {
      int64_t li = int64_t(d) - int64_t(rank - lhsT.getRank());
      int64_t ri = int64_t(d) - int64_t(rank - rhsT.getRank());
      if (li >= 0 && lhsT.getDimSize(li) != 1)
        dims.push_back({op.getLhs(), li});
      else
        dims.push_back({op.getRhs(), ri});
    }
    dims.push_back({op.getLhs(), lhsT.getRank() - 2});
    dims.push_back({op.getRhs(), rhsT.getRank() - 1});
    Value init = filledTensor(rw, loc, sizesFrom(rw, loc, type, dims),
                              cFloat(rw, loc, type.getElementType(), 0.0));
    SmallVector<IteratorType> its(rank, IteratorType::parallel);
    its.push_back(IteratorType::reduction);
    SmallVector<unsigned> outDims;
    for (unsigned d = 0; d < rank; ++d)
      outDims.push_back(d);
    rw.replaceOp(op, buildGeneric(
                         rw, loc, {op.getLhs(), op.getRhs()}, init,
                         {operandMap(lhsT, true), operandMap(rhsT, false),
                          dimsMap(ctx, rank + 1, outDims)},
                         its, [](OpBuilder &b, Location l, ValueRange a) -> Value {
                           return arith::AddFOp::create(b, l, a[2],
                                                        arith::MulFOp::create(b, l, a[0], a[1]));
                         }));
    return success();
  }
};

/// Shared by both norms: the last-dimension extent as an accumulator float.
Value lastExtent(OpBuilder &b, Location loc, Value input, Type acc) {
  auto t = cast<RankedTensorType>(input.getType());
  return indexToFloat(b, loc, dimOf(b, loc, input, t.getRank() - 1), acc);
}

/// Applies the optional per-channel weight and bias, then the final
/// elementwise map over `[N..., D]`, reading `stats` (reduced over D).
Value normalise(OpBuilder &b, Location loc, Value input, ValueRange stats,
                Value weight, Value bias,
                function_ref<Value(OpBuilder &, Location, Value, ValueRange)> fn) {
  MLIRContext *ctx = b.getContext();
  auto type = cast<RankedTensorType>(input.getType());
  unsigned rank = type.getRank();
  Type acc = accumulationType(type.getElementType());
  SmallVector<Value> inputs{input};
  SmallVector<AffineMap> maps{AffineMap::getMultiDimIdentityMap(rank, ctx)};
  for (Value s : stats) {
    inputs.push_back(s);
    maps.push_back(droppedDimsMap(ctx, rank, {int64_t(rank) - 1}));
  }
  for (Value v : {weight, bias})
    if (v) {
      inputs.push_back(v);
      maps.push_back(dimsMap(ctx, rank, {rank - 1}));
    }
  maps.push_back(AffineMap::getMultiDimIdentityMap(rank, ctx));
  Value init = emptyTensor(b, loc, tensor::getMixedSizes(b, loc, input), type.getElementType());
  SmallVector<IteratorType> its(rank, IteratorType::parallel);
  unsigned nStats = stats.size();
  return buildGeneric(b, loc, inputs, init, maps, its,
                      [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
                        Value x = convertScalar(nb, l, a[0], acc);
                        Value y = fn(nb, l, x, a.slice(1, nStats));
                        unsigned next = 1 + nStats;
                        if (weight)
                          y = arith::MulFOp::create(nb, l, y, convertScalar(nb, l, a[next++], acc));
                        if (bias)
                          y = arith::AddFOp::create(nb, l, y, convertScalar(nb, l, a[next++], acc));
                        return convertScalar(nb, l, y, type.getElementType());
                      });
}

struct RMSNormLowering : OpRewritePattern<RMSNormOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(RMSNormOp op, PatternRewriter &rw) const final {
    Location loc = op.getLoc();
    Value x = op.getInput();
    auto type = cast<RankedTensorType>(x.getType());
    Type acc = accumulationType(type.getElementType());
    int64_t last = type.getRank() - 1;
    Value sumsq = buildReduction(rw, loc, x, {last}, cFloat(rw, loc, acc, 0.0),
                                 [&](OpBuilder &b, Location l, ValueRange a) -> Value {
                                   Value v = convertScalar(b, l, a[0], acc);
                                   return arith::AddFOp::create(b, l, a[1],
                                                                arith::MulFOp::create(b, l, v, v));
                                 });
    Value d = lastExtent(rw, loc, x, acc);
    Value eps = cFloat(rw, loc, acc, op.getEps().convertToDouble());
    rw.replaceOp(op, normalise(rw, loc, x, sumsq, op.getWeight(), Value(),
                               [&](OpBuilder &b, Location l, Value v, ValueRange s) -> Value {
                                 Value ms = arith::DivFOp::create(b, l, s[0], d);
                                 Value r = math::RsqrtOp::create(b, l, arith::AddFOp::create(b, l, ms, eps));
                                 return arith::MulFOp::create(b, l, v, r);
                               }));
    return success();
  }
};

struct LayerNormLowering : OpRewritePattern<LayerNormOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(LayerNormOp op, PatternRewriter &rw) const final {
    Location loc = op.getLoc();
    Value x = op.getInput();
    auto type = cast<RankedTensorType>(x.getType());
    Type acc = accumulationType(type.getElementType());
    int64_t last = type.getRank() - 1;
    Value zero = cFloat(rw, loc, acc, 0.0);
    Value d = lastExtent(rw, loc, x, acc);
    Value sum = buildReduction(rw, loc, x, {last}, zero,
                               [&](OpBuilder &b, Location l, ValueRange a) -> Value {
                                 return arith::AddFOp::create(b, l, a[1], convertScalar(b, l, a[0], acc));
                               });
    // Two-pass (biased) variance: Σ (x - mean)².
    Value var = buildReduction(rw, loc, {x, sum}, {last}, zero,
                               [&](OpBuilder &b, Location l, ValueRange a) -> Value {
                                 Value mean = arith::DivFOp::create(b, l, a[1], d);
                                 Value c = arith::SubFOp::create(b, l, convertScalar(b, l, a[0], acc), mean);
                                 return arith::AddFOp::create(b, l, a[2], arith::MulFOp::create(b, l, c, c));
                               });
    Value eps = cFloat(rw, loc, acc, op.getEps().convertToDouble());
    rw.replaceOp(op, normalise(rw, loc, x, {sum, var}, op.getWeight(), op.getBias(),
                               [&](OpBuilder &b, Location l, Value v, ValueRange s) -> Value {
                                 Value mean = arith::DivFOp::create(b, l, s[0], d);
                                 Value vr = arith::DivFOp::create(b, l, s[1], d);
                                 Value r = math::RsqrtOp::create(b, l, arith::AddFOp::create(b, l, vr, eps));
                                 return arith::MulFOp::create(b, l, arith::SubFOp::create(b, l, v, mean), r);
                               }));
    return success();
  }
};

struct RopeLowering : OpRewritePattern<RopeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(RopeOp op, PatternRewriter &rw) const final {
    Location loc = op.getLoc();
    MLIRContext *ctx = rw.getContext();
    Value x = op.getInput();
    auto type = cast<RankedTensorType>(x.getType());
    int64_t D = type.getDimSize(3);
    if (ShapedType::isDynamic(D))
      return op.emitError("rope lowering needs a static head dimension, found ")
             << type;
    Type elem = type.getElementType();
    Type f = elem.isF64() ? elem : Type(rw.getF32Type());
    double theta = op.getTheta().convertToDouble();
    double scale = op.getScale().convertToDouble();
    RopeLayout layout = op.getLayout();
    Value init = emptyTensor(rw, loc, tensor::getMixedSizes(rw, loc, x), elem);
    SmallVector<IteratorType> its(4, IteratorType::parallel);
    AffineMap id = AffineMap::getMultiDimIdentityMap(4, ctx);
    rw.replaceOp(op, buildGeneric(
        rw, loc, {x, op.getPositions()}, init, {id, dimsMap(ctx, 4, {0, 1}), id}, its,
        [&](OpBuilder &b, Location l, ValueRange a) -> Value {
          Value d = linalg::IndexOp::create(b, l, 3);
          Value d64 = arith::IndexCastOp::create(b, l, b.getI64Type(), d);
          auto ci = [&](int64_t v) -> Value {
            return arith::ConstantOp::create(b, l, b.getI64Type(), b.getI64IntegerAttr(v));
          };
          // i: frequency index; partner: the other element of the pair;
          // first: whether this element is the pair's first.
          Value i, partner, first;
          if (layout == RopeLayout::Interleaved) {
            i = arith::DivUIOp::create(b, l, d64, ci(2));
            partner = arith::XOrIOp::create(b, l, d64, ci(1));
            first = arith::CmpIOp::create(b, l, arith::CmpIPredicate::eq,
                                          arith::AndIOp::create(b, l, d64, ci(1)), ci(0));
          } else {
            first = arith::CmpIOp::create(b, l, arith::CmpIPredicate::slt, d64, ci(D / 2));
            i = arith::RemUIOp::create(b, l, d64, ci(D / 2));
            partner = arith::SelectOp::create(b, l, first, arith::AddIOp::create(b, l, d64, ci(D / 2)),
                                              arith::SubIOp::create(b, l, d64, ci(D / 2)));
          }
          Value fi = arith::SIToFPOp::create(b, l, f, i);
          Value omega;
          if (layout == RopeLayout::Truncated) {
            // (1/theta)^linspace(0, 1, D/4) for i < D/4, then zeros.
            int64_t q = D / 4;
            double step = q > 1 ? 1.0 / double(q - 1) : 0.0;
            Value expo = arith::MulFOp::create(b, l, fi, cFloat(b, l, f, -step * std::log(theta)));
            Value w = math::ExpOp::create(b, l, expo);
            Value low = arith::CmpIOp::create(b, l, arith::CmpIPredicate::slt, i, ci(q));
            omega = arith::SelectOp::create(b, l, low, w, cFloat(b, l, f, 0.0));
          } else {
            // theta^(-2i/D)
            Value expo = arith::MulFOp::create(b, l, fi, cFloat(b, l, f, -2.0 * std::log(theta) / double(D)));
            omega = math::ExpOp::create(b, l, expo);
          }
          Value pos = arith::SIToFPOp::create(b, l, f, a[1]);
          Value angle = arith::MulFOp::create(
              b, l, arith::MulFOp::create(b, l, pos, cFloat(b, l, f, 1.0 / scale)), omega);
          Value c = math::CosOp::create(b, l, angle), s = math::SinOp::create(b, l, angle);
          Value idx[4] = {linalg::IndexOp::create(b, l, 0), linalg::IndexOp::create(b, l, 1),
                          linalg::IndexOp::create(b, l, 2),
                          arith::IndexCastOp::create(b, l, b.getIndexType(), partner)};
          Value xp = convertScalar(b, l, tensor::ExtractOp::create(b, l, x, idx), f);
          Value xv = convertScalar(b, l, a[0], f);
          // y = x cos ∓ partner sin; the sign of the sin term is − for the
          // pair's first element (half/interleaved) and + for truncated.
          Value xs = arith::MulFOp::create(b, l, xp, s);
          Value neg = arith::NegFOp::create(b, l, xs);
          Value sinTerm = layout == RopeLayout::Truncated
                              ? Value(arith::SelectOp::create(b, l, first, xs, neg))
                              : Value(arith::SelectOp::create(b, l, first, neg, xs));
          Value y = arith::AddFOp::create(b, l, arith::MulFOp::create(b, l, xv, c), sinTerm);
          return convertScalar(b, l, y, elem);
        }));
    return success();
  }
};

} // namespace

void mlir::frond::populateLayersToLinalgPatterns(RewritePatternSet &patterns) {
  patterns.add<EmbeddingLowering, LinearLowering, LowRankLinearLowering,
               MatmulLowering, RMSNormLowering, LayerNormLowering, RopeLowering>(
      patterns.getContext());
}
