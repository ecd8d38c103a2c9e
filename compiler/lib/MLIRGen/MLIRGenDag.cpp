//===- MLIRGenDag.cpp - PLDR's DAG regulariser as frond ops ---------------===//
//
// "dag" (one operand per power_law attention, each M : [b, h, D, D], or
// [b, h, t, D, D] for the causal metric) is mean_{layer, b, h(, t)}
// |log(tr(expm(M∘M)) / D)| (seeds-math 5c), built from
// frond.binary, frond.expm, a diagonal mask (iota == iota) with
// frond.select, frond.reduce and frond.unary, so every step has a gradient
// rule.
//
//===----------------------------------------------------------------------===//
#include "MLIRGenImpl.h"

#include "frond/Dialect/Frond/IR/FrondOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"

namespace fir = mlir::frond;

namespace frond::mlirgen {

namespace {

/// A rank-0 constant tensor of float type `f`.
Value scalarConstant(mlir::OpBuilder &b, Location l, Type f, double v) {
  auto type = RankedTensorType::get({}, f);
  return mlir::arith::ConstantOp::create(
      b, l, mlir::DenseElementsAttr::get(type, b.getFloatAttr(f, v)));
}

Value binary(mlir::OpBuilder &b, Location l, fir::BinaryKind kind, Value x,
             Value y) {
  auto tx = mlir::cast<RankedTensorType>(x.getType());
  auto ty = mlir::cast<RankedTensorType>(y.getType());
  Type type = tx.getRank() >= ty.getRank() ? tx : ty;
  return fir::BinaryOp::create(b, l, type,
                               fir::BinaryKindAttr::get(b.getContext(), kind),
                               x, y);
}

Value unary(mlir::OpBuilder &b, Location l, fir::UnaryKind kind, Value x) {
  return fir::UnaryOp::create(
      b, l, x.getType(), fir::UnaryKindAttr::get(b.getContext(), kind), x);
}

Value reduce(mlir::OpBuilder &b, Location l, fir::ReduceKind kind, Value x,
             llvm::ArrayRef<int64_t> dims, llvm::ArrayRef<int64_t> shape) {
  auto t = mlir::cast<RankedTensorType>(x.getType());
  return fir::ReduceOp::create(
      b, l, RankedTensorType::get(shape, t.getElementType()),
      fir::ReduceKindAttr::get(b.getContext(), kind), x,
      b.getDenseI64ArrayAttr(dims), mlir::UnitAttr());
}

} // namespace

Value Emitter::emitDag(const graph::Node &n, llvm::ArrayRef<Value> operands) {
  Location l = loc(n.loc);
  RankedTensorType type = tensorType(n);
  if (!type)
    return {};
  if (operands.empty()) {
    error(n.loc, "cannot lower 'dag': it needs the matrices of at least one "
                 "power_law attention");
    return {};
  }
  Value total;
  for (Value m : operands) {
    auto t = m ? mlir::dyn_cast<RankedTensorType>(m.getType())
               : RankedTensorType();
    int64_t r = t ? t.getRank() : 0;
    if (!t || r < 4 || !mlir::isa<mlir::FloatType>(t.getElementType()) ||
        t.isDynamicDim(r - 1) || t.getDimSize(r - 2) != t.getDimSize(r - 1)) {
      error(n.loc, "cannot lower 'dag': it needs float [b, h, (t,) D, D] matrices "
                   "with a static D");
      return {};
    }
    Type f = t.getElementType();
    int64_t d = t.getDimSize(r - 1);
    Value e = fir::ExpmOp::create(b, l, t, binary(b, l, fir::BinaryKind::Mul, m, m));
    // The trace: the diagonal picked by iota(0) == iota(1) over [D, D].
    auto ids = RankedTensorType::get({d, d}, b.getI64Type());
    Value rows = fir::IotaOp::create(b, l, ids, uint64_t(0), mlir::ValueRange{});
    Value cols = fir::IotaOp::create(b, l, ids, uint64_t(1), mlir::ValueRange{});
    Value diag = fir::CompareOp::create(
        b, l, RankedTensorType::get({d, d}, b.getI1Type()),
        fir::CompareKindAttr::get(&ctx, fir::CompareKind::Eq), rows, cols);
    Value onDiag = fir::SelectOp::create(b, l, t, diag, e, scalarConstant(b, l, f, 0.0));
    // The causal metric has one matrix per position too: [b, h, t, D, D].
    llvm::SmallVector<int64_t> lead(t.getShape().drop_back(2)), leadDims;
    for (int64_t i = 0; i < r - 2; ++i)
      leadDims.push_back(i);
    Value trace = reduce(b, l, fir::ReduceKind::Sum, onDiag, {r - 2, r - 1}, lead);
    Value ratio = binary(b, l, fir::BinaryKind::Div, trace, scalarConstant(b, l, f, double(d)));
    Value v = unary(b, l, fir::UnaryKind::Abs, unary(b, l, fir::UnaryKind::Log, ratio));
    Value mean = reduce(b, l, fir::ReduceKind::Mean, v, leadDims, {});
    total = total ? binary(b, l, fir::BinaryKind::Add, total, mean) : mean;
  }
  Type f = mlir::cast<RankedTensorType>(total.getType()).getElementType();
  total = binary(b, l, fir::BinaryKind::Div, total,
                 scalarConstant(b, l, f, double(operands.size())));
  return castElements(total, type.getElementType(), l);
}

} // namespace frond::mlirgen
