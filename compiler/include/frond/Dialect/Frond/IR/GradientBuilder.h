//===- GradientBuilder.h - frond ops for gradient rules ---------*- C++ -*-===//
//
// The vocabulary the gradient rules (*Gradients.cpp) are written in: frond
// ops with their result types inferred (numpy broadcasting for binaries),
// scalar constants as rank-0 fills, slices and concatenations with static or
// dynamic extents, and sumTo, which sums a broadcast gradient back to its
// operand's shape.
//
//===----------------------------------------------------------------------===//
#ifndef FROND_DIALECT_FROND_IR_GRADIENTBUILDER_H
#define FROND_DIALECT_FROND_IR_GRADIENTBUILDER_H

#include "frond/Dialect/Frond/IR/FrondOps.h"
#include "mlir/IR/Builders.h"

namespace mlir::frond::detail {

class GradientBuilder {
public:
  GradientBuilder(OpBuilder &b, Location loc) : b(b), loc(loc) {}

  /// A rank-0 tensor of `elem` holding `v` (broadcasts like a scalar).
  Value constant(double v, Type elem);
  Value unary(UnaryKind kind, Value x);
  Value binary(BinaryKind kind, Value x, Value y);
  Value add(Value x, Value y) { return binary(BinaryKind::Add, x, y); }
  Value sub(Value x, Value y) { return binary(BinaryKind::Sub, x, y); }
  Value mul(Value x, Value y) { return binary(BinaryKind::Mul, x, y); }
  Value div(Value x, Value y) { return binary(BinaryKind::Div, x, y); }
  /// x * c for a constant c.
  Value scale(Value x, double c);
  /// 1.0 where `kind(x, y)` holds, else 0.0, in `x`'s float type.
  Value indicator(CompareKind kind, Value x, Value y, Type elem);
  /// Reduces over `dims` (sorted); `keep` keeps them with extent 1.
  Value reduce(ReduceKind kind, Value x, ArrayRef<int64_t> dims, bool keep);
  /// Mean over the last dimension, kept with extent 1.
  Value meanLast(Value x);
  Value transpose(Value x, ArrayRef<int64_t> perm);
  /// Swaps the last two dimensions.
  Value transposeLast(Value x);
  Value matmul(Value x, Value y);
  Value select(Value cond, Value x, Value y);
  /// The extent of `x` along `dim`: an attribute when static, else a
  /// `tensor.dim`.
  OpFoldResult extent(Value x, int64_t dim);
  /// `x + y` on extents, folded when both are static.
  OpFoldResult addExtents(OpFoldResult x, OpFoldResult y);
  /// `x[..., start:end, ...]` along `dim` (static bounds as attributes).
  Value slice(Value x, int64_t dim, OpFoldResult start, OpFoldResult end);
  /// Concatenation along `dim`.
  Value concat(ValueRange xs, int64_t dim);
  /// Zeros of `x`'s type.
  Value zerosLike(Value x);
  /// Sums the broadcast gradient `g` back to `target`'s shape: leading
  /// extra dimensions are summed away, dimensions where `target` has a
  /// static 1 are summed and kept.
  Value sumTo(Value g, Type target);

  OpBuilder &builder() { return b; }
  Location location() const { return loc; }

private:
  OpBuilder &b;
  Location loc;
};

} // namespace mlir::frond::detail

#endif // FROND_DIALECT_FROND_IR_GRADIENTBUILDER_H
