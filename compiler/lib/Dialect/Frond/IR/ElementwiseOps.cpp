//===- ElementwiseOps.cpp - Verifiers of the elementwise ops --------------===//
//
// binary, compare, select (numpy broadcasting), softcap, clamp, cast, fill
// and iota. unary and swiglu need no verifier beyond their ODS traits.
//
//===----------------------------------------------------------------------===//
#include "frond/Dialect/Frond/IR/FrondOps.h"
#include "ShapeUtils.h"

using namespace mlir;
using namespace mlir::frond;
using namespace mlir::frond::detail;

/// Broadcasts the shapes of `operands` (named by `names`) together, or
/// reports the first pair that conflicts.
static FailureOr<SmallVector<int64_t>>
verifyBroadcast(Operation *op, ArrayRef<StringRef> names,
                ArrayRef<RankedTensorType> types) {
  SmallVector<int64_t> shape(types[0].getShape());
  for (size_t i = 1; i < types.size(); ++i) {
    unsigned bad = 0;
    auto next = broadcastShapes(shape, types[i].getShape(), &bad);
    if (!next) {
      // Name the earlier operand that holds the conflicting static extent.
      size_t j = 0;
      for (; j + 1 < i; ++j) {
        auto s = types[j].getShape();
        if (s.size() >= bad && s[s.size() - bad] != 1 &&
            !isDynamic(s[s.size() - bad]))
          break;
      }
      return op->emitOpError()
             << "expects broadcast-compatible operands, but " << names[j]
             << " " << types[j] << " and " << names[i] << " " << types[i]
             << " differ at dim " << bad
             << " from the right (extents must be equal or 1)";
    }
    shape = std::move(*next);
  }
  return shape;
}

LogicalResult BinaryOp::verify() {
  auto lhs = getLhs().getType();
  auto rhs = getRhs().getType();
  if (failed(verifySameElementType(*this, "lhs", lhs, "rhs", rhs)))
    return failure();
  Type element = lhs.getElementType();
  BinaryKind kind = getKind();
  bool logical = kind == BinaryKind::And || kind == BinaryKind::Or;
  if (logical && !isa<IntegerType>(element))
    return emitOpError() << "expects integer or i1 operands for '"
                         << stringifyBinaryKind(kind) << "', found " << lhs;
  if (!logical && element.isInteger(1))
    return emitOpError() << "expects numeric operands for '"
                         << stringifyBinaryKind(kind) << "', found " << lhs
                         << " (use 'and'/'or' on masks)";
  if (kind == BinaryKind::Pow && !isa<FloatType>(element))
    return emitOpError() << "expects float operands for 'pow', found " << lhs;
  auto shape = verifyBroadcast(*this, {"lhs", "rhs"}, {lhs, rhs});
  if (failed(shape))
    return failure();
  return verifyResultType(*this, getType(), *shape, lhs.getElementType(),
                          "broadcasting lhs and rhs");
}

LogicalResult CompareOp::verify() {
  auto lhs = getLhs().getType();
  auto rhs = getRhs().getType();
  if (failed(verifySameElementType(*this, "lhs", lhs, "rhs", rhs)))
    return failure();
  auto shape = verifyBroadcast(*this, {"lhs", "rhs"}, {lhs, rhs});
  if (failed(shape))
    return failure();
  return verifyResultType(*this, getType(), *shape,
                          IntegerType::get(getContext(), 1),
                          "broadcasting lhs and rhs");
}

LogicalResult SelectOp::verify() {
  auto cond = getCond().getType();
  auto a = getTrueValue().getType();
  auto b = getFalseValue().getType();
  if (failed(verifySameElementType(*this, "true_value", a, "false_value", b)))
    return failure();
  auto shape = verifyBroadcast(*this, {"cond", "true_value", "false_value"},
                               {cond, a, b});
  if (failed(shape))
    return failure();
  return verifyResultType(*this, getType(), *shape, a.getElementType(),
                          "broadcasting cond, true_value and false_value");
}

LogicalResult SoftcapOp::verify() {
  double cap = getCap().convertToDouble();
  if (!(cap > 0.0))
    return emitOpError() << "expects cap > 0, found " << formatDouble(cap);
  return success();
}

LogicalResult ClampOp::verify() {
  auto min = getMin();
  auto max = getMax();
  if (!min && !max)
    return emitOpError() << "expects at least one of 'min' and 'max'";
  if (min && max && min->convertToDouble() > max->convertToDouble())
    return emitOpError() << "expects min <= max, found min = "
                         << formatDouble(min->convertToDouble())
                         << " and max = " << formatDouble(max->convertToDouble());
  return success();
}

LogicalResult CastOp::verify() {
  auto in = getInput().getType();
  auto out = getType();
  return verifyResultType(*this, out, in.getShape(), out.getElementType(),
                          Twine("the input ") + "(a cast keeps the shape)");
}

LogicalResult FillOp::verify() {
  auto type = getType();
  Type valueType = cast<TypedAttr>(getValue()).getType();
  if (valueType != type.getElementType())
    return emitOpError() << "expects the value to have the element type of "
                         << type << ", found " << valueType;
  return verifyDynamicSizes(*this, type, getDynamicSizes());
}

LogicalResult IotaOp::verify() {
  auto type = getType();
  if (failed(verifyDimInRange(*this, "dim", getDim(), type)))
    return failure();
  return verifyDynamicSizes(*this, type, getDynamicSizes());
}
