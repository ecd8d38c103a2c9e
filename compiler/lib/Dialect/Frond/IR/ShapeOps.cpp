//===- ShapeOps.cpp - Verifiers of the shape and reduction ops ------------===//
//
// slice, concat, cache_write, split_heads, merge_heads, transpose, reduce,
// cumsum and softmax.
//
//===----------------------------------------------------------------------===//
#include "frond/Dialect/Frond/IR/FrondOps.h"
#include "ShapeUtils.h"

#include "llvm/Support/InterleavedRange.h"

using namespace mlir;
using namespace mlir::frond;
using namespace mlir::frond::detail;

//===----------------------------------------------------------------------===//
// slice
//===----------------------------------------------------------------------===//

/// Checks one dynamic bound: at most one form, and a per-sample tensor
/// needs samples along dim 0 that match the input's. Sets `perSample`.
static LogicalResult verifyBound(Operation *op, StringRef name, Value operand,
                                 IntegerAttr staticBound, RankedTensorType input,
                                 int64_t dim, bool &perSample) {
  if (!operand)
    return success();
  if (staticBound)
    return op->emitOpError() << "expects " << name
                             << " as a value or an integer, not both";
  auto bound = dyn_cast<RankedTensorType>(operand.getType());
  if (!bound)
    return success();
  perSample = true;
  if (dim == 0)
    return op->emitOpError() << "expects per-sample bounds (" << bound
                             << ") to slice a dim other than the sample dim 0";
  return verifyDimsMatch(op, "the samples (b)", name, bound, 0, "input", input,
                         0);
}

FailureOr<int64_t> mlir::frond::detail::verifySliceBounds(
    Operation *op, RankedTensorType input, int64_t dim, Value startValue,
    IntegerAttr staticStart, Value endValue, IntegerAttr staticEnd,
    bool &perSample) {
  if (failed(verifyDimInRange(op, "dim", dim, input)))
    return failure();
  perSample = false;
  if (failed(verifyBound(op, "start", startValue, staticStart, input, dim,
                         perSample)) ||
      failed(verifyBound(op, "end", endValue, staticEnd, input, dim,
                         perSample)))
    return failure();

  // The extent along `dim`, when the bounds are static integers.
  int64_t n = input.getDimSize(dim);
  if (startValue || endValue)
    return ShapedType::kDynamic;
  std::optional<int64_t> end;
  if (staticEnd)
    end = staticEnd.getInt();
  int64_t s = staticStart ? staticStart.getInt() : 0;
  if (!isDynamic(n)) {
    int64_t e = end.value_or(n);
    int64_t ns = s < 0 ? s + n : s, ne = e < 0 ? e + n : e;
    if (ns < 0 || ne > n || ns > ne)
      return op->emitOpError() << "slice [" << s << ":"
                               << (end ? std::to_string(*end) : "")
                               << "] is out of range for dim " << dim
                               << " of extent " << n << " in " << input;
    return ne - ns;
  }
  if (!end)
    return s < 0 ? -s : ShapedType::kDynamic;
  if ((s >= 0) != (*end >= 0))
    return ShapedType::kDynamic;
  if (*end < s)
    return op->emitOpError() << "slice [" << s << ":" << *end
                             << "] has end before start";
  return *end - s;
}

LogicalResult SliceOp::verify() {
  auto input = getInput().getType();
  bool perSample = false;
  FailureOr<int64_t> extent =
      verifySliceBounds(*this, input, getDim(), getStart(), getStaticStartAttr(),
                        getEnd(), getStaticEndAttr(), perSample);
  if (failed(extent))
    return failure();
  if (auto pad = getPadAttr()) {
    if (!perSample)
      return emitOpError() << "expects 'pad' only with per-sample bounds";
    if (cast<TypedAttr>(pad).getType() != input.getElementType())
      return emitOpError() << "expects 'pad' of the element type of " << input
                           << ", found " << pad;
  }
  SmallVector<int64_t> shape(input.getShape());
  shape[getDim()] = *extent;
  return verifyResultType(*this, getType(), shape, input.getElementType(),
                          "the input and the slice bounds");
}

//===----------------------------------------------------------------------===//
// concat, heads, transpose
//===----------------------------------------------------------------------===//

LogicalResult ConcatOp::verify() {
  if (getInputs().empty())
    return emitOpError() << "expects at least one input";
  auto first = cast<RankedTensorType>(getInputs()[0].getType());
  int64_t dim = getDim();
  if (failed(verifyDimInRange(*this, "dim", dim, first)))
    return failure();
  SmallVector<int64_t> shape(first.getShape());
  for (auto [i, value] : llvm::enumerate(getInputs().drop_front())) {
    auto t = cast<RankedTensorType>(value.getType());
    std::string name = "input " + std::to_string(i + 1);
    if (t.getRank() != first.getRank())
      return emitOpError() << "expects inputs of the same rank, found "
                           << first << " and " << t << " (" << name << ")";
    if (failed(verifySameElementType(*this, "input 0", first, name, t)))
      return failure();
    for (int64_t d = 0; d < t.getRank(); ++d) {
      if (d != dim &&
          failed(verifyDimsMatch(*this, "the extents outside 'dim'", "input 0",
                                 first, d, name, t, d)))
        return failure();
      if (d != dim && isDynamic(shape[d]))
        shape[d] = t.getDimSize(d);
    }
    int64_t e = t.getDimSize(dim);
    shape[dim] = isDynamic(shape[dim]) || isDynamic(e) ? ShapedType::kDynamic
                                                       : shape[dim] + e;
  }
  return verifyResultType(*this, getType(), shape, first.getElementType(),
                          "the inputs, summed along 'dim'");
}

LogicalResult CacheWriteOp::verify() {
  auto cache = getCache().getType(), update = getUpdate().getType();
  auto positions = getPositions().getType();
  int64_t dim = getDim();
  if (failed(verifyDimInRange(*this, "dim", dim, cache)))
    return failure();
  if (dim == 0)
    return emitOpError() << "expects 'dim' other than the sample dim 0";
  if (update.getRank() != cache.getRank())
    return emitOpError() << "expects the update and the cache of the same rank, found "
                         << update << " and " << cache;
  if (failed(verifySameElementType(*this, "update", update, "cache", cache)))
    return failure();
  for (int64_t d = 0; d < cache.getRank(); ++d)
    if (d != dim && failed(verifyDimsMatch(*this, "the extents outside 'dim'", "update",
                                           update, d, "cache", cache, d)))
      return failure();
  if (failed(verifyRank(*this, "positions", positions, 1, "[b]")))
    return failure();
  return verifyDimsMatch(*this, "the samples (b)", "positions", positions, 0, "cache",
                         cache, 0);
}

LogicalResult SplitHeadsOp::verify() {
  auto x = getInput().getType();
  int64_t heads = getHeads();
  if (failed(verifyMinRank(*this, "input", x, 1, "[..., (h d)]")))
    return failure();
  if (heads <= 0)
    return emitOpError() << "expects heads > 0, found " << heads;
  int64_t width = x.getShape().back();
  if (!isDynamic(width) && width % heads != 0)
    return emitOpError() << "expects the last dim of " << x
                         << " to be divisible by heads = " << heads;
  SmallVector<int64_t> shape(x.getShape());
  shape.back() = heads;
  shape.push_back(isDynamic(width) ? ShapedType::kDynamic : width / heads);
  return verifyResultType(*this, getType(), shape, x.getElementType(),
                          "splitting the input's last dim into heads");
}

LogicalResult MergeHeadsOp::verify() {
  auto x = getInput().getType();
  if (failed(verifyMinRank(*this, "input", x, 2, "[..., h, d]")))
    return failure();
  int64_t h = x.getDimSize(x.getRank() - 2), d = x.getShape().back();
  SmallVector<int64_t> shape(x.getShape().drop_back());
  shape.back() = isDynamic(h) || isDynamic(d) ? ShapedType::kDynamic : h * d;
  return verifyResultType(*this, getType(), shape, x.getElementType(),
                          "merging the input's last two dims");
}

LogicalResult TransposeOp::verify() {
  auto x = getInput().getType();
  ArrayRef<int64_t> perm = getPermutation();
  SmallVector<bool> seen(x.getRank(), false);
  bool valid = static_cast<int64_t>(perm.size()) == x.getRank();
  for (int64_t p : perm) {
    valid = valid && p >= 0 && p < x.getRank() && !seen[p];
    if (valid)
      seen[p] = true;
  }
  if (!valid)
    return emitOpError() << "expects a permutation of [0, " << x.getRank()
                         << ") for " << x << ", found ["
                         << llvm::interleaved(perm) << "]";
  SmallVector<int64_t> shape;
  for (int64_t p : perm)
    shape.push_back(x.getDimSize(p));
  return verifyResultType(*this, getType(), shape, x.getElementType(),
                          "permuting the input");
}

//===----------------------------------------------------------------------===//
// reductions
//===----------------------------------------------------------------------===//

LogicalResult ReduceOp::verify() {
  auto x = getInput().getType();
  ArrayRef<int64_t> dims = getDims();
  if (dims.empty())
    return emitOpError() << "expects at least one dim to reduce";
  for (size_t i = 0; i < dims.size(); ++i) {
    if (failed(verifyDimInRange(*this, "dims", dims[i], x)))
      return failure();
    if (i > 0 && dims[i] <= dims[i - 1])
      return emitOpError() << "expects strictly increasing dims, found ["
                           << llvm::interleaved(dims) << "]";
  }
  if (getKind() == ReduceKind::Mean && !isa<FloatType>(x.getElementType()))
    return emitOpError() << "expects a float input for 'mean', found " << x;
  SmallVector<int64_t> shape;
  for (int64_t d = 0; d < x.getRank(); ++d) {
    if (!llvm::is_contained(dims, d))
      shape.push_back(x.getDimSize(d));
    else if (getKeepDims())
      shape.push_back(1);
  }
  return verifyResultType(*this, getType(), shape, x.getElementType(),
                          getKeepDims() ? "reducing the input (keep_dims)"
                                        : "reducing the input");
}

LogicalResult CumsumOp::verify() {
  return verifyDimInRange(*this, "dim", getDim(), getInput().getType());
}

LogicalResult SoftmaxOp::verify() {
  return verifyDimInRange(*this, "dim", getDim(), getInput().getType());
}
