//===- SlicesToLinalg.cpp - frond.slice and its gradient to tensor/linalg -===//
//
// slice: extract_slice for static or index bounds, a gathering
// linalg.generic for per-sample bounds. slice_grad, its transpose:
// insert_slice into zeros, or a linalg.generic over the input's shape that
// reads the gradient where the slice read the input. Both normalise bounds
// the same way (Python negatives, then clamped to the extent).
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

/// Python semantics for a slice bound: negative counts from the end, then
/// clamp to [0, extent].
Value normaliseBound(OpBuilder &b, Location loc, Value v, Value extent) {
  Value zero = cIdx(b, loc, 0);
  Value neg = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, v, zero);
  v = arith::SelectOp::create(b, loc, neg, arith::AddIOp::create(b, loc, v, extent), v);
  v = arith::MaxSIOp::create(b, loc, v, zero);
  return arith::MinSIOp::create(b, loc, v, extent);
}

/// One bound as an index: `sample` reads a per-sample [b] bound (null when
/// the bound is not per-sample); absent bounds give `dflt`.
Value sliceBound(OpBuilder &b, Location loc, Value v, std::optional<uint64_t> s, Value dflt,
                 Value extent, Value sample) {
  if (v && isa<RankedTensorType>(v.getType())) {
    Value e = tensor::ExtractOp::create(b, loc, v, ValueRange{sample});
    v = arith::IndexCastOp::create(b, loc, b.getIndexType(), e);
  }
  if (!v && !s)
    return dflt;
  if (!v)
    v = cIdx(b, loc, int64_t(*s));
  return normaliseBound(b, loc, v, extent);
}

/// The normalised (start, end) of a slice or slice_grad along its dim of
/// `extent`, for the sample `sample` (per-sample bounds) or any.
struct Bounds {
  Value start, end;
  std::optional<uint64_t> staticStart, staticEnd;
  Value extent;
  bool perSample = false;

  template <typename OpTy>
  Bounds(OpTy op, Value extent)
      : start(op.getStart()), end(op.getEnd()), staticStart(op.getStaticStart()),
        staticEnd(op.getStaticEnd()), extent(extent) {
    for (Value bound : {start, end})
      perSample |= bound && isa<RankedTensorType>(bound.getType());
  }

  std::pair<Value, Value> at(OpBuilder &b, Location loc, Value sample) const {
    return {sliceBound(b, loc, start, staticStart, cIdx(b, loc, 0), extent, sample),
            sliceBound(b, loc, end, staticEnd, extent, extent, sample)};
  }
};

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

/// The linalg.index values of every dimension of a generic's body.
SmallVector<Value> indices(OpBuilder &b, Location loc, int64_t rank) {
  SmallVector<Value> idx;
  for (int64_t d = 0; d < rank; ++d)
    idx.push_back(linalg::IndexOp::create(b, loc, d));
  return idx;
}

struct SliceLowering : OpRewritePattern<SliceOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(SliceOp op, PatternRewriter &rw) const final {
    Location loc = op.getLoc();
    Value input = op.getInput();
    auto type = cast<RankedTensorType>(op.getType());
    int64_t dim = op.getDim();
    Bounds bounds(op, dimOf(rw, loc, input, dim));
    if (bounds.perSample)
      return lowerPerSample(op, rw, bounds);

    auto [start, end] = bounds.at(rw, loc, Value());
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
  LogicalResult lowerPerSample(SliceOp op, PatternRewriter &rw, const Bounds &bounds) const {
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
                                 auto [start, end] = bounds.at(b, l, bi);
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
          SmallVector<Value> idx = indices(b, l, type.getRank());
          auto [start, end] = bounds.at(b, l, idx[0]);
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

struct SliceGradLowering : OpRewritePattern<SliceGradOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(SliceGradOp op, PatternRewriter &rw) const final {
    Location loc = op.getLoc();
    Value input = op.getInput(), grad = op.getGrad();
    auto type = cast<RankedTensorType>(op.getType());
    unsigned rank = type.getRank();
    int64_t dim = op.getDim();
    Type elem = type.getElementType();
    Bounds bounds(op, dimOf(rw, loc, input, dim));
    SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(rw, loc, input);
    Value zeros = filledTensor(rw, loc, sizes, cFloat(rw, loc, elem, 0.0));
    Value result;
    if (!bounds.perSample) {
      SmallVector<OpFoldResult> offsets(rank, rw.getIndexAttr(0)), strides(rank, rw.getIndexAttr(1));
      offsets[dim] = bounds.at(rw, loc, Value()).first;
      result = tensor::InsertSliceOp::create(rw, loc, grad, zeros, offsets,
                                             tensor::getMixedSizes(rw, loc, grad), strides);
    } else {
      // result[b, .., j, ..] = grad[b, .., j - start_b, ..] for
      // start_b <= j < end_b within grad's extent; zeros for an empty grad.
      Value len = dimOf(rw, loc, grad, dim);
      Value nonEmpty = arith::CmpIOp::create(rw, loc, arith::CmpIPredicate::sgt, len, cIdx(rw, loc, 0));
      auto gather = [&](OpBuilder &b, Location l) {
        Value r = buildGeneric(
            b, l, ValueRange{}, emptyTensor(b, l, sizes, elem), {b.getMultiDimIdentityMap(rank)},
            SmallVector<utils::IteratorType>(rank, utils::IteratorType::parallel),
            [&](OpBuilder &nb, Location nl, ValueRange) -> Value {
              SmallVector<Value> idx = indices(nb, nl, rank);
              auto [start, end] = bounds.at(nb, nl, idx[0]);
              Value i = arith::SubIOp::create(nb, nl, idx[dim], start);
              auto cmp = [&](arith::CmpIPredicate p, Value x, Value y) -> Value {
                return arith::CmpIOp::create(nb, nl, p, x, y);
              };
              Value inside = arith::AndIOp::create(
                  nb, nl,
                  arith::AndIOp::create(nb, nl, cmp(arith::CmpIPredicate::sge, i, cIdx(nb, nl, 0)),
                                        cmp(arith::CmpIPredicate::slt, idx[dim], end)),
                  cmp(arith::CmpIPredicate::slt, i, len));
              idx[dim] = arith::SelectOp::create(nb, nl, inside, i, cIdx(nb, nl, 0));
              Value g = tensor::ExtractOp::create(nb, nl, grad, idx);
              return arith::SelectOp::create(nb, nl, inside, g, cFloat(nb, nl, elem, 0.0));
            });
        scf::YieldOp::create(b, l, r);
      };
      result = scf::IfOp::create(rw, loc, nonEmpty, gather,
                                 [&](OpBuilder &b, Location l) { scf::YieldOp::create(b, l, zeros); })
                   .getResult(0);
    }
    if (result.getType() != type)
      result = tensor::CastOp::create(rw, loc, type, result);
    rw.replaceOp(op, result);
    return success();
  }
};

} // namespace

void mlir::frond::populateSlicesToLinalgPatterns(RewritePatternSet &patterns) {
  patterns.add<SliceLowering, SliceGradLowering>(patterns.getContext());
}
