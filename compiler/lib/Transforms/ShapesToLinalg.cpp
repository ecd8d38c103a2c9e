//===- ShapesToLinalg.cpp - frond shape ops to tensor/linalg --------------===//
//
// split_heads / merge_heads (expand/collapse_shape), transpose
// (linalg.transpose), slice (extract_slice for static or index bounds; a
// gathering linalg.generic for per-sample bounds), concat (insert_slice
// chain) and cache_write (one insert_slice per sample in an scf.for).
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

/// Python semantics for a slice bound: negative counts from the end, then
/// clamp to [0, extent].
Value normaliseBound(OpBuilder &b, Location loc, Value v, Value extent) {
  Value zero = cIdx(b, loc, 0);
  Value neg = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, v, zero);
  v = arith::SelectOp::create(b, loc, neg, arith::AddIOp::create(b, loc, v, extent), v);
  v = arith::MaxSIOp::create(b, loc, v, zero);
  return arith::MinSIOp::create(b, loc, v, extent);
}

/// One bound of `op` as an index: `sample` reads a per-sample [b] bound
/// (null when the bound is not per-sample); absent bounds give `dflt`.
Value sliceBound(OpBuilder &b, Location loc, Value v, std::optional<int64_t> s,
                 Value dflt, Value extent, Value sample) {
  if (v && isa<RankedTensorType>(v.getType())) {
    Value e = tensor::ExtractOp::create(b, loc, v, ValueRange{sample});
    v = arith::IndexCastOp::create(b, loc, b.getIndexType(), e);
  }
  if (!v && !s)
    return dflt;
  if (!v)
    v = cIdx(b, loc, *s);
  return normaliseBound(b, loc, v, extent);
}

/// The sizes of a slice's result: static extents, `len` along `dim`, the
/// input's extents elsewhere.
SmallVector<OpFoldResult> resultSizes(OpBuilder &b, Location loc, RankedTensorType type,
                                      Value input, int64_t dim, Value len) {
  SmallVector<OpFoldResult> sizes;
  for (int64_t d = 0; d < type.getRank(); ++d) {
    if (!type.isDynamicDim(d))
      sizes.push_back(b.getIndexAttr(type.getDimSize(d)));
    else if (d == dim)
      sizes.push_back(len);
    else
      sizes.push_back(dimOf(b, loc, input, d));
  }
  return sizes;
}

struct SliceLowering : OpRewritePattern<SliceOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(SliceOp op, PatternRewriter &rw) const final {
    Location loc = op.getLoc();
    Value input = op.getInput();
    auto type = cast<RankedTensorType>(op.getType());
    int64_t dim = op.getDim();
    Value extent = dimOf(rw, loc, input, dim);
    auto staticOf = [](std::optional<uint64_t> s) -> std::optional<int64_t> {
      if (!s)
        return std::nullopt;
      return int64_t(*s);
    };
    auto bounds = [&](OpBuilder &b, Value sample) -> std::pair<Value, Value> {
      Value start = sliceBound(b, loc, op.getStart(), staticOf(op.getStaticStart()),
                               cIdx(b, loc, 0), extent, sample);
      Value end = sliceBound(b, loc, op.getEnd(), staticOf(op.getStaticEnd()), extent,
                             extent, sample);
      return {start, end};
    };
    bool perSample = false;
    for (Value bound : {op.getStart(), op.getEnd()})
      perSample |= bound && isa<RankedTensorType>(bound.getType());
    if (perSample)
      return lowerPerSample(op, rw, bounds);

    auto [start, end] = bounds(rw, Value());
    Value size = arith::MaxSIOp::create(rw, loc, arith::SubIOp::create(rw, loc, end, start),
                                        cIdx(rw, loc, 0));
    unsigned rank = type.getRank();
    SmallVector<OpFoldResult> offsets(rank, rw.getIndexAttr(0)), strides(rank, rw.getIndexAttr(1));
    SmallVector<OpFoldResult> sizes = resultSizes(rw, loc, type, input, dim, size);
    offsets[dim] = start;
    rw.replaceOpWithNewOp<tensor::ExtractSliceOp>(op, type, input, offsets, sizes, strides);
    return success();
  }

  /// result[b, .., i, ..] = input[b, .., start_b + i, ..] while
  /// start_b + i < end_b, else `pad`. A dynamic result extent is the longest
  /// sample, max_b(end_b - start_b), found by a loop over the batch.
  LogicalResult
  lowerPerSample(SliceOp op, PatternRewriter &rw,
                 function_ref<std::pair<Value, Value>(OpBuilder &, Value)> bounds) const {
    Location loc = op.getLoc();
    Value input = op.getInput();
    auto type = cast<RankedTensorType>(op.getType());
    int64_t dim = op.getDim();
    Type elem = type.getElementType();
    Value c0 = cIdx(rw, loc, 0), c1 = cIdx(rw, loc, 1);
    Value len;
    if (!type.isDynamicDim(dim)) {
      len = cIdx(rw, loc, type.getDimSize(dim));
    } else {
      Value batch = dimOf(rw, loc, input, 0);
      len = scf::ForOp::create(rw, loc, c0, batch, c1, ValueRange{c0},
                               [&](OpBuilder &b, Location l, Value bi, ValueRange it) {
                                 auto [start, end] = bounds(b, bi);
                                 Value n = arith::SubIOp::create(b, l, end, start);
                                 scf::YieldOp::create(b, l, ValueRange{arith::MaxSIOp::create(b, l, it[0], n)});
                               })
                .getResult(0);
    }
    SmallVector<OpFoldResult> sizes = resultSizes(rw, loc, type, input, dim, len);
    TypedAttr padAttr = op.getPadAttr() ? cast<TypedAttr>(op.getPadAttr())
                                        : TypedAttr(rw.getZeroAttr(elem));
    Value result = buildGeneric(
        rw, loc, ValueRange{}, emptyTensor(rw, loc, sizes, elem),
        {rw.getMultiDimIdentityMap(type.getRank())},
        SmallVector<utils::IteratorType>(type.getRank(), utils::IteratorType::parallel),
        [&](OpBuilder &b, Location l, ValueRange) -> Value {
          SmallVector<Value> idx;
          for (int64_t d = 0; d < type.getRank(); ++d)
            idx.push_back(linalg::IndexOp::create(b, l, d));
          auto [start, end] = bounds(b, idx[0]);
          Value src = arith::AddIOp::create(b, l, start, idx[dim]);
          Value inside = arith::CmpIOp::create(b, l, arith::CmpIPredicate::slt, src, end);
          idx[dim] = arith::SelectOp::create(b, l, inside, src, cIdx(b, l, 0));
          Value x = tensor::ExtractOp::create(b, l, input, idx);
          Value pad = arith::ConstantOp::create(b, l, convertPad(padAttr, elem));
          return arith::SelectOp::create(b, l, inside, x, pad);
        });
    rw.replaceOp(op, result);
    return success();
  }

  /// The pad attribute in the result's element type.
  static TypedAttr convertPad(TypedAttr pad, Type elem) {
    if (pad.getType() == elem)
      return pad;
    if (auto f = dyn_cast<FloatType>(elem)) {
      double v = isa<FloatAttr>(pad) ? cast<FloatAttr>(pad).getValueAsDouble()
                                     : double(cast<IntegerAttr>(pad).getInt());
      return FloatAttr::get(f, v);
    }
    int64_t v = isa<IntegerAttr>(pad) ? cast<IntegerAttr>(pad).getInt()
                                      : int64_t(cast<FloatAttr>(pad).getValueAsDouble());
    return IntegerAttr::get(elem, v);
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
    Value c0 = cIdx(rw, loc, 0), c1 = cIdx(rw, loc, 1);
    Value batch = dimOf(rw, loc, update, 0);
    SmallVector<OpFoldResult> sizes{rw.getIndexAttr(1)};
    for (unsigned d = 1; d < rank; ++d)
      sizes.push_back(type.isDynamicDim(d) ? OpFoldResult(dimOf(rw, loc, update, d))
                                           : OpFoldResult(rw.getIndexAttr(type.getDimSize(d))));
    SmallVector<OpFoldResult> strides(rank, rw.getIndexAttr(1));
    auto loop = scf::ForOp::create(
        rw, loc, c0, batch, c1, ValueRange{op.getCache()},
        [&](OpBuilder &b, Location l, Value bi, ValueRange it) {
          Value p = tensor::ExtractOp::create(b, l, op.getPositions(), ValueRange{bi});
          p = arith::IndexCastOp::create(b, l, b.getIndexType(), p);
          SmallVector<OpFoldResult> from(rank, b.getIndexAttr(0)), to(rank, b.getIndexAttr(0));
          from[0] = bi;
          to[0] = bi;
          to[dim] = p;
          Value row = tensor::ExtractSliceOp::create(b, l, update, from, sizes, strides);
          Value written = tensor::InsertSliceOp::create(b, l, row, it[0], to, sizes, strides);
          scf::YieldOp::create(b, l, written);
        });
    rw.replaceOp(op, loop.getResult(0));
    return success();
  }
};

} // namespace

void mlir::frond::populateShapesToLinalgPatterns(RewritePatternSet &patterns) {
  patterns.add<SplitHeadsLowering, MergeHeadsLowering, TransposeLowering,
               SliceLowering, ConcatLowering, CacheWriteLowering>(patterns.getContext());
}
