//===- LoweringUtils.h - Shared helpers for frond lowerings -----*- C++ -*-===//
//
// Builders the frond-to-linalg patterns and the attention lowering share:
// sizes of (broadcast) results, tensor.empty/fill, linalg.generic with a
// scalar body, reductions over some dimensions, scalar conversions that
// follow frond.cast's rules, and whether an op already runs on the GPU.
//
//===----------------------------------------------------------------------===//
#ifndef FROND_LIB_TRANSFORMS_LOWERINGUTILS_H
#define FROND_LIB_TRANSFORMS_LOWERINGUTILS_H

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::frond::lowering {

/// A scalar body: element values of the inputs (then the output's, for
/// reductions) to the value to yield.
using BodyFn = function_ref<Value(OpBuilder &, Location, ValueRange)>;

/// An index constant.
Value cIdx(OpBuilder &b, Location loc, int64_t v);
/// A float constant of type `type`.
Value cFloat(OpBuilder &b, Location loc, Type type, double v);
/// `tensor.dim` as a value.
Value dimOf(OpBuilder &b, Location loc, Value tensor, int64_t dim);
/// A zero constant of type `t` (float or integer).
Value zeroOf(OpBuilder &b, Location loc, Type t);
/// x + y: addf for floats, addi for integers.
Value addOf(OpBuilder &b, Location loc, Value x, Value y);
/// An index value as a float of type `type` (index → i64 → float).
Value indexToFloat(OpBuilder &b, Location loc, Value index, Type type);

/// Whether `op` is already in a loop nest that becomes a GPU kernel (an
/// scf.parallel) or in a kernel (gpu.launch, gpu.func): the passes that
/// turn host work into such nests leave it alone.
bool onDevice(Operation *op);

/// Whether `op` reads and writes no memory: free of memory effects, or
/// with only allocations and frees among them (views, memref.dim, index
/// arithmetic, gpu.alloc). Unknown effects (a call) count as touching it.
bool touchesNoMemory(Operation *op);

/// An elementwise generic: every loop parallel, every result written
/// through the identity map, its payload not reading the results' inits.
bool isElementwise(linalg::GenericOp op);

/// scf.for over [0, n) with no carried values, `body` given the builder
/// inside and the induction variable.
void forEach(OpBuilder &b, Location loc, Value n, function_ref<void(OpBuilder &, Value)> body);

/// The accumulation type for `elem`: f32 for f16/bf16, otherwise `elem`.
Type accumulationType(Type elem);

/// Converts a scalar to `to` following frond.cast: floats round to nearest,
/// float→int truncates, i1 reads as 0/1, →i1 is `x != 0`.
Value convertScalar(OpBuilder &b, Location loc, Value v, Type to);

/// Sizes of `type` as OpFoldResults: static extents as attributes, the
/// dynamic ones taken in order from `dynamic` (as tensor.empty does).
SmallVector<OpFoldResult> sizesFor(OpBuilder &b, RankedTensorType type,
                                   ArrayRef<Value> dynamic);

/// Sizes of `type` whose dynamic extents come from tensor.dim of `dims[i]`
/// = (tensor, dim) pairs, one per result dimension (ignored where static).
SmallVector<OpFoldResult>
sizesFrom(OpBuilder &b, Location loc, RankedTensorType type,
          ArrayRef<std::pair<Value, int64_t>> dims);

/// `tensor.empty` with `sizes` and element type `elem`.
Value emptyTensor(OpBuilder &b, Location loc, ArrayRef<OpFoldResult> sizes,
                  Type elem);
/// `tensor.empty` + `linalg.fill` with `value`.
Value filledTensor(OpBuilder &b, Location loc, ArrayRef<OpFoldResult> sizes,
                   Value value);

/// The numpy-broadcast indexing map of `input` into a result of shape
/// `result` (aligned on the right; a static 1 against a larger extent
/// reads index 0).
AffineMap broadcastMap(MLIRContext *ctx, RankedTensorType input,
                       ArrayRef<int64_t> result);

/// A `linalg.generic` with one output `init`, `maps` (inputs then output)
/// and `iterators`, whose body yields `body(args)` (args: inputs then out).
Value buildGeneric(OpBuilder &b, Location loc, ValueRange inputs, Value init,
                   ArrayRef<AffineMap> maps,
                   ArrayRef<utils::IteratorType> iterators, BodyFn body);

/// An elementwise, broadcasting `linalg.generic` producing `resultType`.
/// Dynamic result extents are read from an input whose aligned extent is not
/// a static 1 (a dynamic extent is assumed not to broadcast).
Value buildElementwise(OpBuilder &b, Location loc, RankedTensorType resultType,
                       ValueRange inputs, BodyFn body);

/// x ⊙ y for two float tensors of one shape (x's type).
Value multiplyElementwise(OpBuilder &b, Location loc, Value x, Value y);

/// `t` as `type` (a tensor.cast where the static extents differ).
Value castTensor(OpBuilder &b, Location loc, Value t, Type type);

/// Reduces over `reduced` (sorted dims of inputs[0]): inputs of full rank
/// read with the identity map, inputs of the reduced rank with the reduced
/// map. The result drops the reduced dimensions; it starts at `init` and the
/// body gets (input elements..., accumulator).
Value buildReduction(OpBuilder &b, Location loc, ValueRange inputs,
                     ArrayRef<int64_t> reduced, Value init, BodyFn body);

/// The map over `rank` dims selecting `dims`, in order.
AffineMap dimsMap(MLIRContext *ctx, unsigned rank, ArrayRef<unsigned> dims);

/// Map over the full domain of rank `rank` keeping every dimension except
/// `reduced`.
AffineMap droppedDimsMap(MLIRContext *ctx, unsigned rank,
                         ArrayRef<int64_t> reduced);

/// `t[..., :-1, ...]` (or `t[..., 1:, ...]` with `dropFirst`) along
/// dimension n-1: the shifted positions of a next-token loss over N dims.
Value shiftedForLoss(OpBuilder &b, Location loc, Value t, unsigned n, bool dropFirst);

/// Per position of `logits [N..., V]` (reduced over `vDim`): the max and
/// Σ exp(x - max), in float type `f`.
std::pair<Value, Value> softmaxStats(OpBuilder &b, Location loc, Value logits,
                                     int64_t vDim, Type f);

} // namespace mlir::frond::lowering

namespace mlir::frond {
void populateElementwiseToLinalgPatterns(RewritePatternSet &patterns);
void populateLayersToLinalgPatterns(RewritePatternSet &patterns);
void populateShapesToLinalgPatterns(RewritePatternSet &patterns);
void populateSlicesToLinalgPatterns(RewritePatternSet &patterns);
void populateExpmToLinalgPatterns(RewritePatternSet &patterns);
void populateReductionsToLinalgPatterns(RewritePatternSet &patterns);
void populateGradientsToLinalgPatterns(RewritePatternSet &patterns);
} // namespace mlir::frond

#endif // FROND_LIB_TRANSFORMS_LOWERINGUTILS_H
