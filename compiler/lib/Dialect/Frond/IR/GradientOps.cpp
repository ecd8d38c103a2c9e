//===- GradientOps.cpp - verifiers of the gradient ops, and the rules ----===//
//
// embedding_grad, cross_entropy_grad and slice_grad exist for the rules of
// embedding, cross_entropy and slice; the first two rules are here too.
//
//===----------------------------------------------------------------------===//
#include "frond/Dialect/Frond/IR/GradientBuilder.h"
#include "ShapeUtils.h"


using namespace mlir;
using namespace mlir::frond;
using namespace mlir::frond::detail;

LogicalResult EmbeddingGradOp::verify() {
  auto ids = getIds().getType();
  auto grad = getGrad().getType();
  auto table = cast<RankedTensorType>(getType());
  if (failed(verifyRank(*this, "result", table, 2, "[V, D]")))
    return failure();
  SmallVector<int64_t> shape(ids.getShape());
  shape.push_back(table.getDimSize(1));
  return verifyResultType(*this, grad, shape, table.getElementType(),
                          "ids [N...] and the table [V, D] as [N..., D]");
}

LogicalResult CrossEntropyGradOp::verify() {
  auto logits = getLogits().getType();
  if (failed(verifyLogitsAndTargets(*this, logits, getTargets().getType())))
    return failure();
  return verifyResultType(*this, getType(), logits.getShape(), logits.getElementType(),
                          "the logits");
}

LogicalResult SliceGradOp::verify() {
  auto input = getInput().getType();
  auto grad = getGrad().getType();
  int64_t dim = getDim();
  bool perSample = false;
  FailureOr<int64_t> extent =
      verifySliceBounds(*this, input, dim, getStart(), getStaticStartAttr(),
                        getEnd(), getStaticEndAttr(), perSample);
  if (failed(extent))
    return failure();
  if (failed(verifySameElementType(*this, "grad", grad, "input", input)))
    return failure();
  if (grad.getRank() != input.getRank())
    return emitOpError() << "expects grad of the input's rank, found " << grad
                         << " for " << input;
  for (int64_t d = 0; d < input.getRank(); ++d) {
    if (d == dim && !isDynamic(*extent) && !compatible(grad.getDimSize(d), *extent))
      return emitOpError() << "expects grad of extent " << *extent << " along dim " << dim
                           << " (the slice's), found " << grad;
    if (d != dim && failed(verifyDimsMatch(*this, "the extents outside 'dim'", "grad", grad, d,
                                           "input", input, d)))
      return failure();
  }
  return verifyResultType(*this, getType(), input.getShape(), input.getElementType(),
                          "the input");
}

LogicalResult EmbeddingOp::buildGradients(OpBuilder &b, ValueRange resultGrads,
                                          MutableArrayRef<Value> operandGrads) {
  if (Value g = resultGrads[0])
    operandGrads[1] = EmbeddingGradOp::create(b, getLoc(), getTable().getType(), getIds(), g);
  return success();
}

LogicalResult CrossEntropyOp::buildGradients(OpBuilder &b, ValueRange resultGrads,
                                             MutableArrayRef<Value> operandGrads) {
  if (Value g = resultGrads[0])
    operandGrads[0] = CrossEntropyGradOp::create(
        b, getLoc(), getLogits().getType(), getLogits(), getTargets(), g, getIgnoreIndexAttr(),
        getLabelSmoothingAttr(), getShiftAttr());
  return success();
}
