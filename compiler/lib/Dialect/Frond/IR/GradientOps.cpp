//===- GradientOps.cpp - verifiers of the gradient ops, and the rules ----===//
//
// embedding_grad and cross_entropy_grad exist for the rules of embedding
// and cross_entropy, which are here too.
//
//===----------------------------------------------------------------------===//
#include "GradientBuilder.h"
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
