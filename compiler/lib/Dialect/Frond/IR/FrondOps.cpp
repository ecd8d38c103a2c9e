//===- FrondOps.cpp - frond op definitions and shared shape checks --------===//
//
// Instantiates the generated op classes, the custom assembly directives they
// use, and the shape helpers of ShapeUtils.h. The verifiers live next to
// their families: LayerOps.cpp, ElementwiseOps.cpp, ShapeOps.cpp and
// AttentionOp.cpp.
//
//===----------------------------------------------------------------------===//
#include "frond/Dialect/Frond/IR/FrondOps.h"
#include "ShapeUtils.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/OpImplementation.h"

#include <cstdio>

using namespace mlir;
using namespace mlir::frond;

//===----------------------------------------------------------------------===//
// Shape helpers
//===----------------------------------------------------------------------===//

namespace mlir::frond::detail {

std::string extentStr(int64_t extent) {
  return isDynamic(extent) ? "?" : std::to_string(extent);
}

std::string formatDouble(double value) {
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%g", value);
  return buffer;
}

std::optional<SmallVector<int64_t>>
broadcastShapes(ArrayRef<int64_t> a, ArrayRef<int64_t> b, unsigned *badDim) {
  size_t rank = std::max(a.size(), b.size());
  SmallVector<int64_t> out(rank);
  for (size_t i = 0; i < rank; ++i) {
    int64_t x = i < a.size() ? a[a.size() - 1 - i] : 1;
    int64_t y = i < b.size() ? b[b.size() - 1 - i] : 1;
    int64_t r;
    if (x == y || y == 1)
      r = x;
    else if (x == 1)
      r = y;
    else if (isDynamic(x))
      r = y;
    else if (isDynamic(y))
      r = x;
    else {
      if (badDim)
        *badDim = i + 1;
      return std::nullopt;
    }
    out[rank - 1 - i] = r;
  }
  return out;
}

LogicalResult verifyResultType(Operation *op, Type result,
                               ArrayRef<int64_t> expected, Type elementType,
                               const Twine &from) {
  auto expectedType = RankedTensorType::get(expected, elementType);
  auto actual = dyn_cast<RankedTensorType>(result);
  bool ok = actual && actual.getRank() == expectedType.getRank() &&
            actual.getElementType() == elementType;
  for (int64_t i = 0; ok && i < expectedType.getRank(); ++i)
    ok = compatible(actual.getDimSize(i), expected[i]);
  if (ok)
    return success();
  return op->emitOpError() << "result type " << result
                           << " does not match the type inferred from "
                           << from << ": expected " << expectedType;
}

LogicalResult verifyRank(Operation *op, StringRef name, RankedTensorType type,
                         int64_t rank, StringRef layout) {
  if (type.getRank() == rank)
    return success();
  return op->emitOpError() << "expects " << name << " of rank " << rank << " "
                           << layout << ", found " << type;
}

LogicalResult verifyMinRank(Operation *op, StringRef name,
                            RankedTensorType type, int64_t minRank,
                            StringRef layout) {
  if (type.getRank() >= minRank)
    return success();
  return op->emitOpError() << "expects " << name << " of rank at least "
                           << minRank << " " << layout << ", found " << type;
}

LogicalResult verifyDimsMatch(Operation *op, const Twine &what, StringRef na,
                              RankedTensorType a, int64_t da, StringRef nb,
                              RankedTensorType b, int64_t db) {
  int64_t x = a.getDimSize(da), y = b.getDimSize(db);
  if (compatible(x, y))
    return success();
  return op->emitOpError() << "expects " << what << " to match: " << na
                           << " dim " << da << " is " << x << " but " << nb
                           << " dim " << db << " is " << y << " (" << na
                           << " is " << a << ", " << nb << " is " << b << ")";
}

LogicalResult verifySameElementType(Operation *op, StringRef na,
                                    RankedTensorType a, StringRef nb,
                                    RankedTensorType b) {
  if (a.getElementType() == b.getElementType())
    return success();
  return op->emitOpError() << "expects " << na << " and " << nb
                           << " to have the same element type, found " << a
                           << " and " << b;
}

LogicalResult verifyDimInRange(Operation *op, StringRef attrName, int64_t dim,
                               RankedTensorType type) {
  if (dim >= 0 && dim < type.getRank())
    return success();
  return op->emitOpError() << "expects " << attrName << " in [0, "
                           << type.getRank() << ") for " << type << ", found "
                           << dim;
}

LogicalResult verifyDynamicSizes(Operation *op, RankedTensorType type,
                                 ValueRange sizes) {
  if (sizes.size() == static_cast<size_t>(type.getNumDynamicDims()))
    return success();
  return op->emitOpError() << "expects one dynamic size per '?' in " << type
                           << " (" << type.getNumDynamicDims() << "), found "
                           << sizes.size();
}

} // namespace mlir::frond::detail

//===----------------------------------------------------------------------===//
// custom<SliceBound>: `%v`, an integer, or nothing.
//===----------------------------------------------------------------------===//

static ParseResult
parseSliceBound(OpAsmParser &parser,
                std::optional<OpAsmParser::UnresolvedOperand> &operand,
                IntegerAttr &staticBound) {
  OpAsmParser::UnresolvedOperand value;
  OptionalParseResult hasOperand = parser.parseOptionalOperand(value);
  if (hasOperand.has_value()) {
    if (failed(*hasOperand))
      return failure();
    operand = value;
    return success();
  }
  int64_t bound = 0;
  OptionalParseResult hasInt = parser.parseOptionalInteger(bound);
  if (hasInt.has_value()) {
    if (failed(*hasInt))
      return failure();
    staticBound = parser.getBuilder().getI64IntegerAttr(bound);
  }
  return success();
}

static void printSliceBound(OpAsmPrinter &printer, Operation *, Value operand,
                            IntegerAttr staticBound) {
  if (operand)
    printer << operand;
  else if (staticBound)
    printer << staticBound.getInt();
}

//===----------------------------------------------------------------------===//
// custom<EnumKeyword>: a kind enum as a bare keyword (`frond.unary exp`).
//
// The EnumAttrs print themselves as ` exp` (their generic form is
// `#frond<unary_kind exp>`), which would leave two spaces inside an op; this
// directive prints and parses just the keyword, for every frond enum.
//===----------------------------------------------------------------------===//

template <typename EnumAttrT>
static ParseResult parseEnumKeyword(OpAsmParser &parser, EnumAttrT &attr) {
  using EnumT = decltype(std::declval<EnumAttrT>().getValue());
  SMLoc loc = parser.getCurrentLocation();
  StringRef keyword;
  if (parser.parseKeyword(&keyword))
    return failure();
  std::optional<EnumT> value = symbolizeEnum<EnumT>(keyword);
  if (!value)
    return parser.emitError(loc)
           << "unknown " << EnumAttrT::getMnemonic() << " '" << keyword << "'";
  attr = EnumAttrT::get(parser.getContext(), *value);
  return success();
}

template <typename EnumAttrT>
static void printEnumKeyword(OpAsmPrinter &printer, Operation *,
                             EnumAttrT attr) {
  printer << stringifyEnum(attr.getValue());
}

#define GET_OP_CLASSES
#include "frond/Dialect/Frond/IR/FrondOps.cpp.inc"

#include "frond/Dialect/Frond/IR/FrondInterfaces.cpp.inc"
