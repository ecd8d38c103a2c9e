//===- GradientOps.cpp - verifiers of the gradient ops, and the rules ----===//
//
// embedding_grad and cross_entropy_grad exist for the rules of embedding
// and cross_entropy, which are here too.
//
//===----------------------------------------------------------------------===//
#include "GradientBuilder.h"
#include "ShapeUtils.h"

#include "mlir/IR/IRMapping.h"

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

LogicalResult AttentionOp::buildGradients(OpBuilder &b, ValueRange resultGrads,
                                          MutableArrayRef<Value> operandGrads) {
  Value g = resultGrads[0];
  if (!g)
    return success();
  if (getKind() != AttentionKind::Softmax)
    return emitOpError() << "has no gradient rule for kind '" << stringifyAttentionKind(getKind())
                         << "' yet (softmax has one)";
  if (!getScore().empty())
    for (Value c : getCaptures())
      if (auto t = dyn_cast<RankedTensorType>(c.getType()); t && isa<FloatType>(t.getElementType()))
        return emitOpError() << "captures a float tensor in its score region; gradients of "
                                "captured score tensors are not generated yet";
  auto grad = AttentionGradOp::create(
      b, getLoc(), TypeRange{getQ().getType(), getK().getType(), getV().getType()}, getKindAttr(),
      getQ(), getK(), getV(), getResult(), g, getCaptures(), getScaleAttr(), getKvSourceAttr());
  IRMapping map;
  getMask().cloneInto(&grad.getMask(), map);
  getScore().cloneInto(&grad.getScore(), map);
  operandGrads[0] = grad.getDq();
  operandGrads[1] = grad.getDk();
  operandGrads[2] = grad.getDv();
  return success();
}
