//===- ShapeUtils.h - Shared shape checks for frond verifiers ---*- C++ -*-===//
//
// Small helpers the op verifiers share: dynamic-aware extent comparison,
// numpy broadcasting and "result matches the inferred type" checks, all with
// diagnostics that name the shapes involved.
//
//===----------------------------------------------------------------------===//
#ifndef FROND_LIB_DIALECT_FROND_IR_SHAPEUTILS_H
#define FROND_LIB_DIALECT_FROND_IR_SHAPEUTILS_H

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Operation.h"
#include "llvm/ADT/SmallVector.h"
#include <optional>
#include <string>

namespace mlir::frond::detail {

inline bool isDynamic(int64_t extent) { return ShapedType::isDynamic(extent); }

/// True when two extents may be equal at run time: either is dynamic, or
/// they are equal.
inline bool compatible(int64_t a, int64_t b) {
  return isDynamic(a) || isDynamic(b) || a == b;
}

/// An extent as MLIR types print it ("?" when dynamic).
std::string extentStr(int64_t extent);

/// A double as a person would write it: 30, -1, 1e-06, 0.5.
std::string formatDouble(double value);

/// Numpy broadcast of two shapes (aligned on the right). A dynamic extent
/// broadcasts against anything, taking the other side's static extent when
/// that is not 1. Returns nullopt and sets `badDim` (counted from the right,
/// 1-based) when two static extents differ and neither is 1.
std::optional<SmallVector<int64_t>> broadcastShapes(ArrayRef<int64_t> a,
                                                    ArrayRef<int64_t> b,
                                                    unsigned *badDim = nullptr);

/// Checks that `result` is compatible with `tensor<expected x elementType>`
/// (same rank, every extent compatible, same element type); `from` says
/// what the expectation was computed from, for the message.
LogicalResult verifyResultType(Operation *op, Type result,
                               ArrayRef<int64_t> expected, Type elementType,
                               const Twine &from);

/// Checks that `type` has rank `rank`; `layout` names its dimensions
/// (e.g. "[b, h, tq, D]").
LogicalResult verifyRank(Operation *op, StringRef name, RankedTensorType type,
                         int64_t rank, StringRef layout);

/// Checks that `type` has rank at least `minRank`.
LogicalResult verifyMinRank(Operation *op, StringRef name,
                            RankedTensorType type, int64_t minRank,
                            StringRef layout);

/// Checks that dimension `da` of `a` and dimension `db` of `b` are
/// compatible; `what` names the extent (e.g. "the head dim D").
LogicalResult verifyDimsMatch(Operation *op, const Twine &what, StringRef na,
                              RankedTensorType a, int64_t da, StringRef nb,
                              RankedTensorType b, int64_t db);

/// Checks that `a` and `b` have the same element type.
LogicalResult verifySameElementType(Operation *op, StringRef na,
                                    RankedTensorType a, StringRef nb,
                                    RankedTensorType b);

/// Checks that `dim` indexes a dimension of `type`.
LogicalResult verifyDimInRange(Operation *op, StringRef attrName, int64_t dim,
                               RankedTensorType type);

/// Checks that `sizes` supplies one index per dynamic extent of `type`.
LogicalResult verifyDynamicSizes(Operation *op, RankedTensorType type,
                                 ValueRange sizes);

/// Checks the bounds of a slice (or its gradient) of `input` along `dim`
/// and returns the slice's extent along `dim` (dynamic unless the bounds
/// are static integers). Sets `perSample` for `[b]` tensor bounds.
FailureOr<int64_t> verifySliceBounds(Operation *op, RankedTensorType input,
                                     int64_t dim, Value start,
                                     IntegerAttr staticStart, Value end,
                                     IntegerAttr staticEnd, bool &perSample);

/// Checks `logits [N..., V]` against `targets [N...]` (cross_entropy and
/// its gradient).
LogicalResult verifyLogitsAndTargets(Operation *op, RankedTensorType logits,
                                     RankedTensorType targets);

} // namespace mlir::frond::detail

#endif // FROND_LIB_DIALECT_FROND_IR_SHAPEUTILS_H
