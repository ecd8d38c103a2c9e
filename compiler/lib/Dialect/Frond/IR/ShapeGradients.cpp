//===- ShapeGradients.cpp - gradient rules of shape ops and reductions ---===//
//
// transpose, heads, slice, concat, reduce, softmax and cumsum.
//
//===----------------------------------------------------------------------===//
#include "frond/Dialect/Frond/IR/GradientBuilder.h"

#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace mlir::frond;
using namespace mlir::frond::detail;

static RankedTensorType tensorOf(Value v) { return cast<RankedTensorType>(v.getType()); }
static bool isFloat(Value v) { return isa<FloatType>(tensorOf(v).getElementType()); }

LogicalResult TransposeOp::buildGradients(OpBuilder &b, ValueRange resultGrads,
                                          MutableArrayRef<Value> operandGrads) {
  Value g = resultGrads[0];
  if (!g)
    return success();
  ArrayRef<int64_t> perm = getPermutation();
  SmallVector<int64_t> inverse(perm.size());
  for (size_t i = 0; i < perm.size(); ++i)
    inverse[perm[i]] = int64_t(i);
  GradientBuilder gb(b, getLoc());
  operandGrads[0] = gb.transpose(g, inverse);
  return success();
}

LogicalResult SplitHeadsOp::buildGradients(OpBuilder &b, ValueRange resultGrads,
                                           MutableArrayRef<Value> operandGrads) {
  if (Value g = resultGrads[0])
    operandGrads[0] = MergeHeadsOp::create(b, getLoc(), getInput().getType(), g);
  return success();
}

LogicalResult MergeHeadsOp::buildGradients(OpBuilder &b, ValueRange resultGrads,
                                           MutableArrayRef<Value> operandGrads) {
  if (Value g = resultGrads[0]) {
    RankedTensorType in = tensorOf(getInput());
    operandGrads[0] = SplitHeadsOp::create(b, getLoc(), in, g, in.getDimSize(in.getRank() - 2));
  }
  return success();
}

/// `g` (the reduced shape) with the reduced dimensions back as extent 1.
static Value keepReducedDims(OpBuilder &b, Location loc, Value g, RankedTensorType input,
                             ArrayRef<int64_t> dims, bool kept) {
  if (kept)
    return g;
  // Each kept dimension groups with the reduced ones after it; reduced
  // dimensions before the first kept one join its group.
  SmallVector<int64_t> shape;
  SmallVector<ReassociationIndices> groups;
  ReassociationIndices leading;
  for (int64_t d = 0; d < input.getRank(); ++d) {
    bool reduced = llvm::is_contained(dims, d);
    shape.push_back(reduced ? 1 : input.getDimSize(d));
    if (!reduced) {
      leading.push_back(d);
      groups.push_back(leading);
      leading.clear();
    } else if (groups.empty()) {
      leading.push_back(d);
    } else {
      groups.back().push_back(d);
    }
  }
  auto type = RankedTensorType::get(shape, tensorOf(g).getElementType());
  if (tensorOf(g).getRank() == 0)
    return tensor::ExpandShapeOp::create(b, loc, type, g, ArrayRef<ReassociationIndices>{});
  return tensor::ExpandShapeOp::create(b, loc, type, g, groups);
}

LogicalResult ReduceOp::buildGradients(OpBuilder &b, ValueRange resultGrads,
                                       MutableArrayRef<Value> operandGrads) {
  Value g = resultGrads[0], x = getInput();
  if (!g || !isFloat(x))
    return success();
  GradientBuilder gb(b, getLoc());
  RankedTensorType in = tensorOf(x);
  Type e = in.getElementType();
  Value gk = keepReducedDims(b, getLoc(), g, in, getDims(), getKeepDims());
  Value ones = gb.add(gb.mul(x, gb.constant(0.0, e)), gb.constant(1.0, e));
  switch (getKind()) {
  case ReduceKind::Sum:
    operandGrads[0] = gb.mul(ones, gk);
    break;
  case ReduceKind::Mean: // g / (number of reduced elements)
    operandGrads[0] = gb.div(gb.mul(ones, gk), gb.reduce(ReduceKind::Sum, ones, getDims(), true));
    break;
  case ReduceKind::Max:
  case ReduceKind::Min: { // to every position equal to the extremum
    Value y = keepReducedDims(b, getLoc(), getResult(), in, getDims(), getKeepDims());
    operandGrads[0] = gb.mul(gk, gb.indicator(CompareKind::Eq, x, y, e));
    break;
  }
  }
  return success();
}

LogicalResult SoftmaxOp::buildGradients(OpBuilder &b, ValueRange resultGrads,
                                        MutableArrayRef<Value> operandGrads) {
  Value g = resultGrads[0], y = getResult();
  if (!g)
    return success();
  GradientBuilder gb(b, getLoc());
  // dx = y (g - Σ_dim g y)
  Value s = gb.reduce(ReduceKind::Sum, gb.mul(g, y), {int64_t(getDim())}, /*keep=*/true);
  operandGrads[0] = gb.mul(y, gb.sub(g, s));
  return success();
}

LogicalResult CumsumOp::buildGradients(OpBuilder &b, ValueRange resultGrads,
                                       MutableArrayRef<Value> operandGrads) {
  // Input t reaches every output s >= t (s <= t when reversed).
  Value g = resultGrads[0];
  if (g && isFloat(getInput()))
    operandGrads[0] = CumsumOp::create(b, getLoc(), g.getType(), g, getDimAttr(),
                                       getReverse() ? UnitAttr() : b.getUnitAttr());
  return success();
}

LogicalResult SliceOp::buildGradients(OpBuilder &b, ValueRange resultGrads,
                                      MutableArrayRef<Value> operandGrads) {
  Value g = resultGrads[0];
  if (g && isFloat(getInput()))
    operandGrads[0] = SliceGradOp::create(b, getLoc(), getInput().getType(), g, getInput(),
                                          getStart(), getEnd(), getDimAttr(),
                                          getStaticStartAttr(), getStaticEndAttr());
  return success();
}

LogicalResult ConcatOp::buildGradients(OpBuilder &b, ValueRange resultGrads,
                                       MutableArrayRef<Value> operandGrads) {
  Value g = resultGrads[0];
  if (!g || !isFloat(getResult()))
    return success();
  // Each input's gradient is its range of g along `dim`.
  GradientBuilder gb(b, getLoc());
  int64_t dim = getDim();
  OpFoldResult offset = b.getIndexAttr(0);
  for (auto [i, x] : llvm::enumerate(getInputs())) {
    OpFoldResult end = gb.addExtents(offset, gb.extent(x, dim));
    Value part = gb.slice(g, dim, offset, end);
    if (part.getType() != x.getType())
      part = tensor::CastOp::create(b, getLoc(), x.getType(), part);
    operandGrads[i] = part;
    offset = end;
  }
  return success();
}
