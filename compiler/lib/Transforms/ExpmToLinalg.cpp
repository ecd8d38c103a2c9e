//===- ExpmToLinalg.cpp - frond.expm to scf/linalg -------------------------===//
//
// The matrix exponential by scaling and squaring, one matrix at a time (an
// scf.for over the flattened batch): s = ceil(log2(‖A‖₁ / θ)) squarings,
// chosen at run time from the matrix's 1-norm (0 when ‖A‖₁ ≤ θ), make
// ‖X‖₁ ≤ θ = 1/2 for X = A / 2^s; then exp(X) by its degree-12 Taylor
// polynomial in Horner form, E = I + X E / k for k = 12..1, whose
// truncation error is below θ^13 e^θ / 13! ≈ 3e-14 relative (f64 accurate);
// then s squarings E ← E E. Computed in at least f32.
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
using utils::IteratorType;

namespace {

constexpr double kTheta = 0.5;
constexpr int64_t kTaylorDegree = 12;
/// More squarings than any finite norm needs (f64: log2(1.8e308 / θ) <
/// 1026); an infinite or NaN norm gives NaNs either way.
constexpr double kMaxSquarings = 1100;

/// x · y for [D, D] matrices, as a linalg contraction.
Value matmul(OpBuilder &b, Location loc, Value x, Value y) {
  MLIRContext *ctx = b.getContext();
  Type f = cast<RankedTensorType>(x.getType()).getElementType();
  Value init = filledTensor(b, loc, tensor::getMixedSizes(b, loc, x), cFloat(b, loc, f, 0.0));
  return buildGeneric(b, loc, {x, y}, init,
                      {dimsMap(ctx, 3, {0, 2}), dimsMap(ctx, 3, {2, 1}), dimsMap(ctx, 3, {0, 1})},
                      {IteratorType::parallel, IteratorType::parallel, IteratorType::reduction},
                      [](OpBuilder &nb, Location l, ValueRange a) -> Value {
                        return arith::AddFOp::create(nb, l, a[2],
                                                     arith::MulFOp::create(nb, l, a[0], a[1]));
                      });
}

/// 1.0 on the diagonal of a generic's [D, D] iteration, else 0.0.
Value diagonalOne(OpBuilder &b, Location loc, Type f) {
  Value diag = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq,
                                     linalg::IndexOp::create(b, loc, 0),
                                     linalg::IndexOp::create(b, loc, 1));
  return arith::UIToFPOp::create(b, loc, f, diag);
}

/// `x · c` elementwise (c a scalar), plus the identity with `addIdentity`.
Value scaled(OpBuilder &b, Location loc, Value x, Value c, bool addIdentity) {
  auto type = cast<RankedTensorType>(x.getType());
  return buildElementwise(b, loc, type, x, [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
    Value v = arith::MulFOp::create(nb, l, a[0], c);
    if (!addIdentity)
      return v;
    return arith::AddFOp::create(nb, l, v, diagonalOne(nb, l, type.getElementType()));
  });
}

/// The identity matrix of `like`'s type.
Value identityLike(OpBuilder &b, Location loc, Value like) {
  auto type = cast<RankedTensorType>(like.getType());
  return buildGeneric(b, loc, ValueRange{},
                      emptyTensor(b, loc, tensor::getMixedSizes(b, loc, like), type.getElementType()),
                      {b.getMultiDimIdentityMap(2)}, {IteratorType::parallel, IteratorType::parallel},
                      [&](OpBuilder &nb, Location l, ValueRange) -> Value {
                        return diagonalOne(nb, l, type.getElementType());
                      });
}

/// max_j Σ_i |a_ij| of a [D, D] matrix, as a scalar.
Value oneNorm(OpBuilder &b, Location loc, Value a) {
  Type f = cast<RankedTensorType>(a.getType()).getElementType();
  Value zero = cFloat(b, loc, f, 0.0);
  Value columns = buildReduction(b, loc, a, {0}, zero, [](OpBuilder &nb, Location l, ValueRange v) -> Value {
    return arith::AddFOp::create(nb, l, v[1], math::AbsFOp::create(nb, l, v[0]));
  });
  Value norm = buildReduction(b, loc, columns, {0}, zero, [](OpBuilder &nb, Location l, ValueRange v) -> Value {
    return arith::MaximumFOp::create(nb, l, v[1], v[0]); // NaN propagates
  });
  return tensor::ExtractOp::create(b, loc, norm, ValueRange{});
}

/// exp(a) of one [D, D] matrix in float type `f`.
Value expmOfMatrix(OpBuilder &b, Location loc, Value a) {
  Type f = cast<RankedTensorType>(a.getType()).getElementType();
  Value norm = oneNorm(b, loc, a);
  // s = ceil(log2(norm / θ)) when norm > θ (false for NaN), else 0.
  Value big = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, norm, cFloat(b, loc, f, kTheta));
  Value log2 = math::Log2Op::create(b, loc, arith::DivFOp::create(b, loc, norm, cFloat(b, loc, f, kTheta)));
  Value sf = arith::SelectOp::create(b, loc, big, math::CeilOp::create(b, loc, log2), cFloat(b, loc, f, 0.0));
  sf = arith::MinimumFOp::create(b, loc, sf, cFloat(b, loc, f, kMaxSquarings));
  Value x = scaled(b, loc, a, math::Exp2Op::create(b, loc, arith::NegFOp::create(b, loc, sf)), false);
  Value s = arith::IndexCastOp::create(b, loc, b.getIndexType(),
                                       arith::FPToSIOp::create(b, loc, b.getI64Type(), sf));
  Value c0 = cIdx(b, loc, 0), c1 = cIdx(b, loc, 1);
  // Horner: E = I; E = I + X E / k for k = degree..1.
  Value identity = identityLike(b, loc, x);
  Value taylor = scf::ForOp::create(
                     b, loc, c0, cIdx(b, loc, kTaylorDegree), c1, ValueRange{identity},
                     [&](OpBuilder &nb, Location l, Value j, ValueRange it) {
                       Value k = arith::SubIOp::create(nb, l, cIdx(nb, l, kTaylorDegree), j);
                       Value inv = arith::DivFOp::create(nb, l, cFloat(nb, l, f, 1.0),
                                                         indexToFloat(nb, l, k, f));
                       scf::YieldOp::create(nb, l, scaled(nb, l, matmul(nb, l, x, it[0]), inv, true));
                     })
                     .getResult(0);
  return scf::ForOp::create(b, loc, c0, s, c1, ValueRange{taylor},
                            [&](OpBuilder &nb, Location l, Value, ValueRange it) {
                              scf::YieldOp::create(nb, l, matmul(nb, l, it[0], it[0]));
                            })
      .getResult(0);
}

/// Converts every element of `x` to `to` (a no-op when it already is).
Value convertElements(OpBuilder &b, Location loc, Value x, Type to) {
  auto type = cast<RankedTensorType>(x.getType());
  if (type.getElementType() == to)
    return x;
  return buildElementwise(b, loc, type.clone(to), x,
                          [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
                            return convertScalar(nb, l, a[0], to);
                          });
}

struct ExpmLowering : OpRewritePattern<ExpmOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ExpmOp op, PatternRewriter &rw) const final {
    Location loc = op.getLoc();
    Value x = op.getInput();
    auto type = cast<RankedTensorType>(x.getType());
    int64_t rank = type.getRank();
    Type elem = type.getElementType(), f = accumulationType(elem);
    // One matrix at a time over the N = prod(B...) batch entries, the loop
    // index delinearized into [B...]. (No collapse to [N, D, D]: expanding
    // back a group with two dynamic sizes crashes expand-strided-metadata.)
    SmallVector<OpFoldResult> inSizes = tensor::getMixedSizes(rw, loc, x);
    Value c0 = cIdx(rw, loc, 0), c1 = cIdx(rw, loc, 1);
    Value n = c1;
    for (int64_t dim = 0; dim + 2 < rank; ++dim)
      n = arith::MulIOp::create(rw, loc, n, dimOf(rw, loc, x, dim));
    auto matType = RankedTensorType::get({type.getDimSize(rank - 2), type.getDimSize(rank - 1)}, elem);
    SmallVector<OpFoldResult> sizes(rank, rw.getIndexAttr(1));
    sizes[rank - 2] = inSizes[rank - 2];
    sizes[rank - 1] = inSizes[rank - 1];
    SmallVector<OpFoldResult> strides(rank, rw.getIndexAttr(1));
    Value result = scf::ForOp::create(
                       rw, loc, c0, n, c1, ValueRange{emptyTensor(rw, loc, inSizes, elem)},
                       [&](OpBuilder &b, Location l, Value i, ValueRange it) {
                         SmallVector<OpFoldResult> at(rank, b.getIndexAttr(0));
                         Value rest = i;
                         for (int64_t dim = rank - 3; dim >= 0; --dim) {
                           Value size = dimOf(b, l, x, dim);
                           at[dim] = arith::RemUIOp::create(b, l, rest, size).getResult();
                           rest = arith::DivUIOp::create(b, l, rest, size);
                         }
                         Value a = tensor::ExtractSliceOp::create(b, l, matType, x, at, sizes, strides);
                         Value e = expmOfMatrix(b, l, convertElements(b, l, a, f));
                         e = convertElements(b, l, e, elem);
                         scf::YieldOp::create(
                             b, l, ValueRange{tensor::InsertSliceOp::create(b, l, e, it[0], at, sizes, strides)});
                       })
                       .getResult(0);
    rw.replaceOp(op, result);
    return success();
  }
};

} // namespace

void mlir::frond::populateExpmToLinalgPatterns(RewritePatternSet &patterns) {
  patterns.add<ExpmLowering>(patterns.getContext());
}
