//===- MLIRGenShapes.cpp - graph helpers without a frond op of their own --===//
//
// "positions" and "segment" are built from frond.iota, compare, binary,
// select and cast; "squeeze"/"unsqueeze" are tensor.collapse_shape /
// tensor.expand_shape; an outer "extract" reads one element into a rank-0
// tensor; dynamic slice bounds become `index` values or static attributes.
//
//===----------------------------------------------------------------------===//
#include "MLIRGenImpl.h"

#include "frond/Dialect/Frond/IR/FrondOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

namespace fir = mlir::frond;

namespace frond::mlirgen {

/// The extent `i` of `v` as an OpFoldResult: a constant or tensor.dim.
static mlir::OpFoldResult extent(mlir::OpBuilder &b, Location l, Value v,
                                 int64_t i) {
  auto t = mlir::cast<RankedTensorType>(v.getType());
  if (!t.isDynamicDim(i))
    return b.getIndexAttr(t.getDimSize(i));
  return mlir::tensor::DimOp::create(b, l, v, i).getResult();
}

/// Reassociation between rank `low` and rank `low + 1` where dimension
/// `unit` of the higher rank is the inserted/removed unit dimension: it
/// joins the group of its right neighbour (or of its left one when last).
static llvm::SmallVector<mlir::ReassociationIndices>
unitGroups(int64_t low, int64_t unit) {
  llvm::SmallVector<mlir::ReassociationIndices> groups(low);
  for (int64_t j = 0; j <= low && low > 0; ++j) {
    int64_t g = j < unit ? j : j > unit ? j - 1 : std::min(unit, low - 1);
    groups[g].push_back(j);
  }
  return groups;
}

/// positions(ids, restart_at?) = t, or t - r[b] from t >= r[b] on;
/// segment(ids, boundary) = (t >= boundary[b]) as 0/1. The result is
/// [b, t]: the leading dimensions of the first operand, with t counting
/// along the last of them; a per-sample [b] bound broadcasts as [b, 1].
Value Emitter::emitPositions(const graph::Node &n,
                             llvm::ArrayRef<Value> operands) {
  Location l = loc(n.loc);
  bool segment = n.op == "segment";
  RankedTensorType type = tensorType(n);
  if (!type)
    return {};
  auto src = operands.empty() || !operands[0]
                 ? RankedTensorType()
                 : mlir::dyn_cast<RankedTensorType>(operands[0].getType());
  Type elem = type.getElementType();
  if (!src || type.getRank() < 1 || src.getRank() < type.getRank() ||
      !mlir::isa<mlir::IntegerType>(elem) || elem.isInteger(1)) {
    error(n.loc, "cannot lower '" + n.op +
                     "': it needs a tensor whose leading dimensions give its "
                     "integer result's shape");
    return {};
  }
  llvm::SmallVector<Value> sizes;
  for (int64_t i = 0; i < type.getRank(); ++i)
    if (type.isDynamicDim(i))
      sizes.push_back(mlir::tensor::DimOp::create(b, l, operands[0], i));
  Value t = fir::IotaOp::create(b, l, type, uint64_t(type.getRank() - 1), sizes);
  Value r = operands.size() > 1 ? operands[1] : Value();
  if (!r) {
    if (!segment)
      return t;
    error(n.loc, "cannot lower 'segment': it needs a boundary");
    return {};
  }
  auto rt = mlir::cast<RankedTensorType>(r.getType());
  if (rt.getRank() == 1 && type.getRank() > 1) {
    llvm::SmallVector<int64_t> shape(type.getRank(), 1);
    shape[0] = rt.getDimSize(0);
    llvm::SmallVector<mlir::OpFoldResult> outShape(type.getRank(),
                                                   b.getIndexAttr(1));
    outShape[0] = extent(b, l, r, 0);
    mlir::ReassociationIndices all;
    for (int64_t i = 0; i < type.getRank(); ++i)
      all.push_back(i);
    r = mlir::tensor::ExpandShapeOp::create(b, l, rt.clone(shape), r, {all},
                                            outShape);
  } else if (rt.getRank() > 1) {
    error(n.loc, "cannot lower '" + n.op +
                     "': its bound must be a number or a per-sample [b] tensor");
    return {};
  }
  r = castElements(r, elem, l);
  Value ge = fir::CompareOp::create(b, l, type.clone(b.getI1Type()),
                                    fir::CompareKind::Ge, t, r);
  if (segment)
    return fir::CastOp::create(b, l, type, ge);
  Value shifted = fir::BinaryOp::create(b, l, type, fir::BinaryKind::Sub, t, r);
  return fir::SelectOp::create(b, l, type, ge, shifted, t);
}

/// squeeze(dim) drops a unit dimension, unsqueeze(dim) inserts one.
Value Emitter::emitUnitDim(const graph::Node &n,
                           llvm::ArrayRef<Value> operands) {
  Location l = loc(n.loc);
  bool squeeze = n.op == "squeeze";
  const SpecValue *dimValue = attr(n, "dim");
  auto src = operands.size() == 1 && operands[0]
                 ? mlir::dyn_cast<RankedTensorType>(operands[0].getType())
                 : RankedTensorType();
  int64_t rank = src ? src.getRank() : 0;
  int64_t dim = dimValue && dimValue->kind == SpecValue::Int ? dimValue->i : -1;
  if (!src || dim < 0 || dim >= rank + (squeeze ? 0 : 1)) {
    error(n.loc, "cannot lower '" + n.op +
                     "': it needs one tensor and a 'dim' in range");
    return {};
  }
  if (squeeze) {
    if (!src.isDynamicDim(dim) && src.getDimSize(dim) != 1) {
      error(n.loc, "cannot lower 'squeeze': dimension " + std::to_string(dim) +
                       " has extent " + std::to_string(src.getDimSize(dim)) +
                       ", not 1");
      return {};
    }
    return mlir::tensor::CollapseShapeOp::create(b, l, operands[0],
                                                 unitGroups(rank - 1, dim));
  }
  llvm::SmallVector<int64_t> shape(src.getShape());
  shape.insert(shape.begin() + dim, 1);
  llvm::SmallVector<mlir::OpFoldResult> outShape;
  for (int64_t j = 0; j <= rank; ++j)
    outShape.push_back(j == dim ? mlir::OpFoldResult(b.getIndexAttr(1))
                                : extent(b, l, operands[0], j < dim ? j : j - 1));
  return mlir::tensor::ExpandShapeOp::create(
      b, l, src.clone(shape), operands[0], unitGroups(rank, dim), outShape);
}

/// One element of a tensor (indices are rank-0 tensors), as a rank-0 tensor.
Value Emitter::emitExtract(const graph::Node &n,
                           llvm::ArrayRef<Value> operands) {
  Location l = loc(n.loc);
  RankedTensorType type = tensorType(n);
  auto src = operands.empty() || !operands[0]
                 ? RankedTensorType()
                 : mlir::dyn_cast<RankedTensorType>(operands[0].getType());
  if (!type || !src || size_t(src.getRank()) + 1 != operands.size()) {
    if (type)
      error(n.loc, "cannot lower 'extract': it needs a tensor and one index "
                   "per dimension");
    return {};
  }
  llvm::SmallVector<Value> indices;
  for (Value v : operands.drop_front()) {
    auto t = v ? mlir::dyn_cast<RankedTensorType>(v.getType())
               : RankedTensorType();
    if (!t || t.getRank() != 0) {
      error(n.loc, "cannot lower 'extract': an index must be a scalar");
      return {};
    }
    SpecValue c = splatNumber(v);
    if (c.kind == SpecValue::Int) {
      indices.push_back(mlir::arith::ConstantIndexOp::create(b, l, c.i));
      continue;
    }
    Value s = mlir::tensor::ExtractOp::create(b, l, v, mlir::ValueRange{});
    indices.push_back(convertScalar(s, b.getIndexType(), l));
  }
  Value x = mlir::tensor::ExtractOp::create(b, l, operands[0], indices);
  x = convertScalar(x, type.getElementType(), l);
  return mlir::tensor::FromElementsOp::create(
      b, l, RankedTensorType::get({}, type.getElementType()), x);
}

/// A dynamic slice bound: a rank-0 constant becomes the static attribute,
/// another rank-0 tensor an `index`; [b] tensors stay per-sample bounds.
Value Emitter::sliceBound(Value v, Location l, const char *name,
                          mlir::OperationState &state) {
  auto t = mlir::dyn_cast<RankedTensorType>(v.getType());
  if (!t || t.getRank() != 0)
    return v;
  SpecValue n = splatNumber(v);
  if (n.kind != SpecValue::Invalid) {
    state.addAttribute(name, b.getI64IntegerAttr(
                                 n.kind == SpecValue::Int ? n.i : (long long)n.num()));
    return {};
  }
  Value s = mlir::tensor::ExtractOp::create(b, l, v, mlir::ValueRange{});
  return convertScalar(s, b.getIndexType(), l);
}

} // namespace frond::mlirgen
