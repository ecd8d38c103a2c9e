//===- GradientBuilder.cpp - frond ops for gradient rules ----------------===//
#include "frond/Dialect/Frond/IR/GradientBuilder.h"
#include "ShapeUtils.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"

using namespace mlir;
using namespace mlir::frond;
using namespace mlir::frond::detail;

static RankedTensorType tensorOf(Value v) { return cast<RankedTensorType>(v.getType()); }

Value GradientBuilder::constant(double v, Type elem) {
  auto type = RankedTensorType::get({}, elem);
  TypedAttr attr = isa<FloatType>(elem) ? TypedAttr(b.getFloatAttr(elem, v))
                                        : TypedAttr(b.getIntegerAttr(elem, int64_t(v)));
  return FillOp::create(b, loc, type, attr, ValueRange{});
}

Value GradientBuilder::unary(UnaryKind kind, Value x) {
  return UnaryOp::create(b, loc, x.getType(), UnaryKindAttr::get(b.getContext(), kind), x);
}

Value GradientBuilder::binary(BinaryKind kind, Value x, Value y) {
  RankedTensorType tx = tensorOf(x), ty = tensorOf(y);
  std::optional<SmallVector<int64_t>> shape = broadcastShapes(tx.getShape(), ty.getShape());
  assert(shape && "gradient operands must broadcast");
  auto type = RankedTensorType::get(*shape, tx.getElementType());
  return BinaryOp::create(b, loc, type, BinaryKindAttr::get(b.getContext(), kind), x, y);
}

Value GradientBuilder::scale(Value x, double c) {
  return mul(x, constant(c, tensorOf(x).getElementType()));
}

Value GradientBuilder::indicator(CompareKind kind, Value x, Value y, Type elem) {
  RankedTensorType tx = tensorOf(x), ty = tensorOf(y);
  SmallVector<int64_t> shape = *broadcastShapes(tx.getShape(), ty.getShape());
  Value c = CompareOp::create(b, loc, RankedTensorType::get(shape, b.getI1Type()),
                              CompareKindAttr::get(b.getContext(), kind), x, y);
  return CastOp::create(b, loc, RankedTensorType::get(shape, elem), c);
}

Value GradientBuilder::reduce(ReduceKind kind, Value x, ArrayRef<int64_t> dims, bool keep) {
  RankedTensorType t = tensorOf(x);
  SmallVector<int64_t> shape;
  for (int64_t d = 0; d < t.getRank(); ++d) {
    if (!llvm::is_contained(dims, d))
      shape.push_back(t.getDimSize(d));
    else if (keep)
      shape.push_back(1);
  }
  return ReduceOp::create(b, loc, RankedTensorType::get(shape, t.getElementType()),
                          ReduceKindAttr::get(b.getContext(), kind), x,
                          b.getDenseI64ArrayAttr(dims), keep ? b.getUnitAttr() : UnitAttr());
}

Value GradientBuilder::meanLast(Value x) {
  return reduce(ReduceKind::Mean, x, {tensorOf(x).getRank() - 1}, /*keep=*/true);
}

Value GradientBuilder::transpose(Value x, ArrayRef<int64_t> perm) {
  RankedTensorType t = tensorOf(x);
  SmallVector<int64_t> shape;
  for (int64_t p : perm)
    shape.push_back(t.getDimSize(p));
  return TransposeOp::create(b, loc, RankedTensorType::get(shape, t.getElementType()), x,
                             b.getDenseI64ArrayAttr(perm));
}

Value GradientBuilder::transposeLast(Value x) {
  int64_t rank = tensorOf(x).getRank();
  SmallVector<int64_t> perm;
  for (int64_t d = 0; d < rank; ++d)
    perm.push_back(d);
  std::swap(perm[rank - 1], perm[rank - 2]);
  return transpose(x, perm);
}

Value GradientBuilder::matmul(Value x, Value y) {
  RankedTensorType tx = tensorOf(x), ty = tensorOf(y);
  SmallVector<int64_t> batch = *broadcastShapes(tx.getShape().drop_back(2), ty.getShape().drop_back(2));
  batch.push_back(tx.getDimSize(tx.getRank() - 2));
  batch.push_back(ty.getDimSize(ty.getRank() - 1));
  return MatmulOp::create(b, loc, RankedTensorType::get(batch, tx.getElementType()), x, y);
}

Value GradientBuilder::select(Value cond, Value x, Value y) {
  RankedTensorType tc = tensorOf(cond);
  SmallVector<int64_t> shape = *broadcastShapes(tc.getShape(), tensorOf(x).getShape());
  shape = *broadcastShapes(shape, tensorOf(y).getShape());
  return SelectOp::create(b, loc, RankedTensorType::get(shape, tensorOf(x).getElementType()), cond,
                          x, y);
}

OpFoldResult GradientBuilder::extent(Value x, int64_t dim) {
  int64_t n = tensorOf(x).getDimSize(dim);
  if (!ShapedType::isDynamic(n))
    return b.getIndexAttr(n);
  return tensor::DimOp::create(b, loc, x, dim).getResult();
}

OpFoldResult GradientBuilder::addExtents(OpFoldResult x, OpFoldResult y) {
  std::optional<int64_t> sx = getConstantIntValue(x), sy = getConstantIntValue(y);
  if (sx && sy)
    return b.getIndexAttr(*sx + *sy);
  auto value = [&](OpFoldResult v, std::optional<int64_t> c) -> Value {
    return c ? Value(arith::ConstantIndexOp::create(b, loc, *c)) : cast<Value>(v);
  };
  return arith::AddIOp::create(b, loc, value(x, sx), value(y, sy)).getResult();
}

Value GradientBuilder::slice(Value x, int64_t dim, OpFoldResult start, OpFoldResult end) {
  RankedTensorType t = tensorOf(x);
  std::optional<int64_t> s = getConstantIntValue(start), e = getConstantIntValue(end);
  SmallVector<int64_t> shape(t.getShape());
  shape[dim] = s && e ? *e - *s : ShapedType::kDynamic;
  auto bound = [](std::optional<int64_t> c, OpFoldResult v) {
    return c ? Value() : cast<Value>(v);
  };
  auto attr = [&](std::optional<int64_t> c) { return c ? b.getI64IntegerAttr(*c) : IntegerAttr(); };
  return SliceOp::create(b, loc, RankedTensorType::get(shape, t.getElementType()), x,
                         bound(s, start), bound(e, end), b.getI64IntegerAttr(dim), attr(s),
                         attr(e), /*pad=*/nullptr);
}

Value GradientBuilder::concat(ValueRange xs, int64_t dim) {
  RankedTensorType first = tensorOf(xs.front());
  SmallVector<int64_t> shape(first.getShape());
  shape[dim] = 0;
  for (Value x : xs) {
    int64_t n = tensorOf(x).getDimSize(dim);
    shape[dim] = ShapedType::isDynamic(n) || ShapedType::isDynamic(shape[dim])
                     ? ShapedType::kDynamic
                     : shape[dim] + n;
  }
  return ConcatOp::create(b, loc, RankedTensorType::get(shape, first.getElementType()), xs,
                          b.getI64IntegerAttr(dim));
}

Value GradientBuilder::zerosLike(Value x) {
  RankedTensorType t = tensorOf(x);
  SmallVector<Value> sizes;
  for (int64_t d = 0; d < t.getRank(); ++d)
    if (t.isDynamicDim(d))
      sizes.push_back(tensor::DimOp::create(b, loc, x, d));
  return FillOp::create(b, loc, t, b.getFloatAttr(t.getElementType(), 0.0), sizes);
}

Value GradientBuilder::sumTo(Value g, Type targetType) {
  auto target = cast<RankedTensorType>(targetType);
  RankedTensorType t = tensorOf(g);
  if (t == target)
    return g;
  int64_t extra = t.getRank() - target.getRank();
  if (extra > 0) {
    SmallVector<int64_t> lead;
    for (int64_t d = 0; d < extra; ++d)
      lead.push_back(d);
    g = reduce(ReduceKind::Sum, g, lead, /*keep=*/false);
    t = tensorOf(g);
  }
  SmallVector<int64_t> ones;
  for (int64_t d = 0; d < target.getRank(); ++d)
    if (target.getDimSize(d) == 1 && t.getDimSize(d) != 1)
      ones.push_back(d);
  if (!ones.empty())
    g = reduce(ReduceKind::Sum, g, ones, /*keep=*/true);
  if (tensorOf(g).getElementType() != target.getElementType())
    g = CastOp::create(b, loc, RankedTensorType::get(tensorOf(g).getShape(), target.getElementType()), g);
  return g;
}
