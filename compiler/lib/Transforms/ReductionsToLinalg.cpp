//===- ReductionsToLinalg.cpp - frond reductions and losses to linalg -----===//
//
// reduce (a table keyed by the reduce kind: init and combiner), softmax
// (max / sum-exp / normalise), cumsum (scf.for over the scanned dim, either
// way) and
// cross_entropy (log-sum-exp per position, gathered target, masked mean).
//
//===----------------------------------------------------------------------===//
#include "LoweringUtils.h"
#include "frond/Dialect/Frond/IR/FrondOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

#include <limits>

using namespace mlir;
using namespace mlir::frond;
using namespace mlir::frond::lowering;

namespace {

Value cTyped(OpBuilder &b, Location l, Type t, double f, int64_t i) {
  if (isa<FloatType>(t))
    return cFloat(b, l, t, f);
  return arith::ConstantOp::create(b, l, t, b.getIntegerAttr(t, i));
}

/// Init value and combiner of each reduce kind (mean sums, then divides).
struct ReduceEntry {
  ReduceKind kind;
  Value (*init)(OpBuilder &, Location, Type);
  Value (*combine)(OpBuilder &, Location, Value, Value);
};
const ReduceEntry kReduceTable[] = {
    {ReduceKind::Sum, zeroOf, addOf},
    {ReduceKind::Mean, zeroOf, addOf},
    {ReduceKind::Max,
     [](OpBuilder &b, Location l, Type t) {
       return cTyped(b, l, t, -std::numeric_limits<double>::infinity(),
                     APInt::getSignedMinValue(t.getIntOrFloatBitWidth()).getSExtValue());
     },
     [](OpBuilder &b, Location l, Value x, Value y) -> Value {
       return isa<FloatType>(x.getType()) ? Value(arith::MaximumFOp::create(b, l, x, y))
                                          : Value(arith::MaxSIOp::create(b, l, x, y));
     }},
    {ReduceKind::Min,
     [](OpBuilder &b, Location l, Type t) {
       return cTyped(b, l, t, std::numeric_limits<double>::infinity(),
                     APInt::getSignedMaxValue(t.getIntOrFloatBitWidth()).getSExtValue());
     },
     [](OpBuilder &b, Location l, Value x, Value y) -> Value {
       return isa<FloatType>(x.getType()) ? Value(arith::MinimumFOp::create(b, l, x, y))
                                          : Value(arith::MinSIOp::create(b, l, x, y));
     }},
};

/// How a reduction's result with its reduced dims dropped maps to the
/// input's rank: each kept dim groups with the reduced (extent 1) dims
/// before it; trailing reduced dims join the last group (none at all for a
/// reduction into a scalar).
SmallVector<ReassociationIndices> keptDimGroups(int64_t rank, ArrayRef<int64_t> dims) {
  SmallVector<ReassociationIndices> groups;
  ReassociationIndices current;
  for (int64_t d = 0; d < rank; ++d) {
    current.push_back(d);
    if (!llvm::is_contained(dims, d)) {
      groups.push_back(current);
      current.clear();
    }
  }
  if (!current.empty() && !groups.empty())
    groups.back().append(current.begin(), current.end());
  return groups;
}

struct ReduceLowering : OpRewritePattern<ReduceOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ReduceOp op, PatternRewriter &rw) const final {
    Location loc = op.getLoc();
    Value x = op.getInput();
    auto inType = cast<RankedTensorType>(x.getType());
    auto type = cast<RankedTensorType>(op.getType());
    ArrayRef<int64_t> dims = op.getDims();
    // Over dims of extent 1 every kind is the element itself: a view, not a
    // loop nest (on the GPU, the fill and two reduction kernels of a
    // reduction into a scalar).
    if (llvm::all_of(dims, [&](int64_t d) { return inType.getDimSize(d) == 1; })) {
      Value view = x;
      if (!op.getKeepDims() && !dims.empty())
        view = tensor::CollapseShapeOp::create(rw, loc, type, x,
                                               keptDimGroups(inType.getRank(), dims));
      rw.replaceOp(op, view);
      return success();
    }
    Type elem = inType.getElementType();
    Type acc = accumulationType(elem);
    const ReduceEntry *e = llvm::find_if(
        kReduceTable, [&](const ReduceEntry &r) { return r.kind == op.getKind(); });
    Value red = buildReduction(rw, loc, x, dims, e->init(rw, loc, acc),
                               [&](OpBuilder &b, Location l, ValueRange a) {
                                 return e->combine(b, l, a[1], convertScalar(b, l, a[0], acc));
                               });
    auto redType = cast<RankedTensorType>(red.getType());
    Value count;
    if (op.getKind() == ReduceKind::Mean) {
      Value n = cIdx(rw, loc, 1);
      for (int64_t d : dims)
        n = arith::MulIOp::create(rw, loc, n, dimOf(rw, loc, x, d));
      count = indexToFloat(rw, loc, n, acc);
    }
    auto outType = RankedTensorType::get(redType.getShape(), elem);
    red = buildElementwise(rw, loc, outType, red,
                           [&](OpBuilder &b, Location l, ValueRange a) {
                             Value v = a[0];
                             if (count)
                               v = arith::DivFOp::create(b, l, v, count);
                             return convertScalar(b, l, v, elem);
                           });
    if (op.getKeepDims())
      red = tensor::ExpandShapeOp::create(rw, loc, type, red, keptDimGroups(inType.getRank(), dims));
    rw.replaceOp(op, red);
    return success();
  }
};

struct SoftmaxLowering : OpRewritePattern<SoftmaxOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(SoftmaxOp op, PatternRewriter &rw) const final {
    Location loc = op.getLoc();
    Value x = op.getInput();
    auto type = cast<RankedTensorType>(x.getType());
    Type elem = type.getElementType(), acc = accumulationType(elem);
    int64_t dim = op.getDim();
    auto [mx, sum] = softmaxStats(rw, loc, x, dim, acc);
    MLIRContext *ctx = rw.getContext();
    unsigned rank = type.getRank();
    AffineMap id = AffineMap::getMultiDimIdentityMap(rank, ctx);
    AffineMap red = droppedDimsMap(ctx, rank, {dim});
    Value init = emptyTensor(rw, loc, tensor::getMixedSizes(rw, loc, x), elem);
    SmallVector<utils::IteratorType> its(rank, utils::IteratorType::parallel);
    rw.replaceOp(op, buildGeneric(rw, loc, {x, mx, sum}, init, {id, red, red, id}, its,
                                  [&](OpBuilder &b, Location l, ValueRange a) {
                                    Value d = arith::SubFOp::create(b, l, convertScalar(b, l, a[0], acc), a[1]);
                                    Value p = arith::DivFOp::create(b, l, math::ExpOp::create(b, l, d), a[2]);
                                    return convertScalar(b, l, p, elem);
                                  }));
    return success();
  }
};

/// A size-1 slice of `t` at `pos` along `dim`, keeping the rank.
Value sliceAt(OpBuilder &b, Location loc, Value t, int64_t dim, Value pos) {
  auto type = cast<RankedTensorType>(t.getType());
  unsigned rank = type.getRank();
  SmallVector<OpFoldResult> offsets(rank, b.getIndexAttr(0)), strides(rank, b.getIndexAttr(1));
  SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, t);
  offsets[dim] = pos;
  sizes[dim] = b.getIndexAttr(1);
  return tensor::ExtractSliceOp::create(b, loc, t, offsets, sizes, strides);
}

struct CumsumLowering : OpRewritePattern<CumsumOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(CumsumOp op, PatternRewriter &rw) const final {
    Location loc = op.getLoc();
    Value x = op.getInput();
    int64_t dim = op.getDim();
    // Float running sums accumulate in f64, as libtorch's CPU cumsum does:
    // in f32 they drift by ~n ulps over n positions, which PLDR's causal
    // metric (A = layernorm(cumsum(q qᵀ)), then a power law) amplifies.
    auto inType = cast<RankedTensorType>(x.getType());
    Type elem = inType.getElementType();
    bool widen = isa<FloatType>(elem) && !elem.isF64();
    auto convert = [&](Value t, Type to) {
      return buildElementwise(rw, loc, cast<RankedTensorType>(t.getType()).clone(to), t,
                              [&](OpBuilder &nb, Location l, ValueRange a) {
                                return convertScalar(nb, l, a[0], to);
                              });
    };
    if (widen)
      x = convert(x, rw.getF64Type());
    Value n = dimOf(rw, loc, x, dim);
    Value one = cIdx(rw, loc, 1);
    // result[t] = result[t-1] + input[t], in place on a copy of the input;
    // reversed, result[t] = result[t+1] + input[t] from the end.
    bool reverse = op.getReverse();
    auto loop = scf::ForOp::create(
        rw, loc, one, n, one, ValueRange{x},
        [&](OpBuilder &b, Location l, Value k, ValueRange iters) {
          Value res = iters[0];
          Value t = k, before;
          if (reverse) {
            t = arith::SubIOp::create(b, l, arith::SubIOp::create(b, l, n, one), k);
            before = arith::AddIOp::create(b, l, t, one);
          } else {
            before = arith::SubIOp::create(b, l, t, one);
          }
          Value prev = sliceAt(b, l, res, dim, before);
          Value cur = sliceAt(b, l, res, dim, t);
          Value sum = buildElementwise(b, l, cast<RankedTensorType>(cur.getType()), {prev, cur},
                                       [](OpBuilder &nb, Location nl, ValueRange a) {
                                         return addOf(nb, nl, a[0], a[1]);
                                       });
          auto type = cast<RankedTensorType>(res.getType());
          unsigned rank = type.getRank();
          SmallVector<OpFoldResult> offsets(rank, b.getIndexAttr(0)), strides(rank, b.getIndexAttr(1));
          offsets[dim] = t;
          SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, l, sum);
          Value next = tensor::InsertSliceOp::create(b, l, sum, res, offsets, sizes, strides);
          scf::YieldOp::create(b, l, next);
        });
    Value result = loop.getResult(0);
    rw.replaceOp(op, widen ? convert(result, elem) : result);
    return success();
  }
};

} // namespace

Value mlir::frond::lowering::shiftedForLoss(OpBuilder &b, Location loc, Value t, unsigned n,
                                            bool dropFirst) {
  auto type = cast<RankedTensorType>(t.getType());
  unsigned rank = type.getRank();
  SmallVector<OpFoldResult> offsets(rank, b.getIndexAttr(0)), strides(rank, b.getIndexAttr(1));
  SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, t);
  Value len = dimOf(b, loc, t, n - 1);
  sizes[n - 1] = Value(arith::SubIOp::create(b, loc, len, cIdx(b, loc, 1)));
  if (dropFirst)
    offsets[n - 1] = b.getIndexAttr(1);
  SmallVector<int64_t> shape(type.getShape());
  shape[n - 1] = ShapedType::kDynamic;
  return tensor::ExtractSliceOp::create(b, loc, RankedTensorType::get(shape, type.getElementType()),
                                        t, offsets, sizes, strides)
      .getResult();
}

std::pair<Value, Value> mlir::frond::lowering::softmaxStats(OpBuilder &b, Location loc,
                                                            Value logits, int64_t vDim, Type f) {
  Value mx = buildReduction(b, loc, logits, {vDim},
                            cFloat(b, loc, f, -std::numeric_limits<double>::infinity()),
                            [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
                              return arith::MaximumFOp::create(nb, l, a[1], convertScalar(nb, l, a[0], f));
                            });
  Value sumExp = buildReduction(b, loc, {logits, mx}, {vDim}, cFloat(b, loc, f, 0.0),
                                [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
                                  Value d = arith::SubFOp::create(nb, l, convertScalar(nb, l, a[0], f), a[1]);
                                  return arith::AddFOp::create(nb, l, a[2], math::ExpOp::create(nb, l, d));
                                });
  return {mx, sumExp};
}

namespace {

struct CrossEntropyLowering : OpRewritePattern<CrossEntropyOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(CrossEntropyOp op, PatternRewriter &rw) const final {
    Location loc = op.getLoc();
    MLIRContext *ctx = rw.getContext();
    Value logits = op.getLogits(), targets = op.getTargets();
    auto resType = cast<RankedTensorType>(op.getType());
    Type f = resType.getElementType();
    unsigned n = cast<RankedTensorType>(targets.getType()).getRank(); // N dims
    if (op.getShift()) {
      logits = shiftedForLoss(rw, loc, logits, n, /*dropFirst=*/false);
      targets = shiftedForLoss(rw, loc, targets, n, /*dropFirst=*/true);
    }
    int64_t vDim = n;
    Value zero = cFloat(rw, loc, f, 0.0);
    auto [mx, sumExp] = softmaxStats(rw, loc, logits, vDim, f);
    double eps = op.getLabelSmoothing().convertToDouble();
    Value sumX;
    if (eps != 0.0)
      sumX = buildReduction(rw, loc, logits, {vDim}, zero,
                            [&](OpBuilder &b, Location l, ValueRange a) -> Value {
                              return arith::AddFOp::create(b, l, a[1], convertScalar(b, l, a[0], f));
                            });
    Value V = indexToFloat(rw, loc, dimOf(rw, loc, logits, vDim), f);
    Type tElem = cast<RankedTensorType>(targets.getType()).getElementType();
    Value ignore = arith::ConstantOp::create(rw, loc, tElem,
                                             rw.getIntegerAttr(tElem, int64_t(op.getIgnoreIndex())));
    // Per position: loss (0 where ignored) and validity (1/0), as f.
    SmallVector<Value> inputs{targets, mx, sumExp};
    if (sumX)
      inputs.push_back(sumX);
    SmallVector<AffineMap> maps(inputs.size() + 1, AffineMap::getMultiDimIdentityMap(n, ctx));
    SmallVector<utils::IteratorType> its(n, utils::IteratorType::parallel);
    SmallVector<OpFoldResult> posSizes = tensor::getMixedSizes(rw, loc, targets);
    Value loss = buildGeneric(
        rw, loc, inputs, emptyTensor(rw, loc, posSizes, f), maps, its,
        [&](OpBuilder &b, Location l, ValueRange a) -> Value {
          Value valid = arith::CmpIOp::create(b, l, arith::CmpIPredicate::ne, a[0], ignore);
          Value zeroT = arith::ConstantOp::create(b, l, tElem, b.getIntegerAttr(tElem, 0));
          Value t = arith::SelectOp::create(b, l, valid, a[0], zeroT);
          SmallVector<Value> idx;
          for (unsigned d = 0; d < n; ++d)
            idx.push_back(linalg::IndexOp::create(b, l, d));
          idx.push_back(arith::IndexCastOp::create(b, l, b.getIndexType(), t));
          Value xt = convertScalar(b, l, tensor::ExtractOp::create(b, l, logits, idx), f);
          Value lse = arith::AddFOp::create(b, l, a[1], math::LogOp::create(b, l, a[2]));
          Value logp = arith::SubFOp::create(b, l, xt, lse);
          Value r = arith::MulFOp::create(b, l, logp, cFloat(b, l, f, -(1.0 - eps)));
          if (sumX) {
            // -ε/V Σ_v log p_v = -ε/V (Σ_v x_v - V lse)
            Value s = arith::SubFOp::create(b, l, a[3], arith::MulFOp::create(b, l, V, lse));
            Value sm = arith::MulFOp::create(b, l, arith::DivFOp::create(b, l, s, V), cFloat(b, l, f, -eps));
            r = arith::AddFOp::create(b, l, r, sm);
          }
          return arith::SelectOp::create(b, l, valid, r, zero);
        });
    Value validF = buildElementwise(
        rw, loc, RankedTensorType::get(cast<RankedTensorType>(targets.getType()).getShape(), f), targets,
        [&](OpBuilder &b, Location l, ValueRange a) -> Value {
          Value valid = arith::CmpIOp::create(b, l, arith::CmpIPredicate::ne, a[0], ignore);
          return arith::UIToFPOp::create(b, l, f, valid);
        });
    SmallVector<int64_t> all;
    for (unsigned d = 0; d < n; ++d)
      all.push_back(d);
    auto sumAll = [&](Value t) {
      return buildReduction(rw, loc, t, all, zero, [](OpBuilder &b, Location l, ValueRange a) -> Value {
        return arith::AddFOp::create(b, l, a[1], a[0]);
      });
    };
    Value total = sumAll(loss), count = sumAll(validF);
    // No valid position: 0 / 0 = NaN, as in PyTorch.
    rw.replaceOp(op, buildElementwise(rw, loc, resType, {total, count},
                                      [](OpBuilder &b, Location l, ValueRange a) -> Value {
                                        return arith::DivFOp::create(b, l, a[0], a[1]);
                                      }));
    return success();
  }
};

} // namespace

void mlir::frond::populateReductionsToLinalgPatterns(RewritePatternSet &patterns) {
  patterns.add<ReduceLowering, SoftmaxLowering, CumsumLowering, CrossEntropyLowering>(
      patterns.getContext());
}
