//===- TensorGradients.cpp - gradient rules of upstream tensor ops --------===//
//
// A reshape's gradient is the inverse reshape of its result's gradient; a
// cast's is the cast back.
//
//===----------------------------------------------------------------------===//
#include "frond/Dialect/Frond/IR/TensorGradients.h"
#include "frond/Dialect/Frond/IR/FrondOps.h"

#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/DialectRegistry.h"

using namespace mlir;
using namespace mlir::frond;

namespace {

struct CollapseShapeGradient
    : DifferentiableOpInterface::ExternalModel<CollapseShapeGradient, tensor::CollapseShapeOp> {
  LogicalResult buildGradients(Operation *op, OpBuilder &b, ValueRange resultGrads,
                               MutableArrayRef<Value> operandGrads) const {
    auto collapse = cast<tensor::CollapseShapeOp>(op);
    Value src = collapse.getSrc();
    if (Value g = resultGrads[0])
      operandGrads[0] = tensor::ExpandShapeOp::create(
          b, op->getLoc(), src.getType(), g, collapse.getReassociationIndices(),
          tensor::getMixedSizes(b, op->getLoc(), src));
    return success();
  }
};

struct ExpandShapeGradient
    : DifferentiableOpInterface::ExternalModel<ExpandShapeGradient, tensor::ExpandShapeOp> {
  LogicalResult buildGradients(Operation *op, OpBuilder &b, ValueRange resultGrads,
                               MutableArrayRef<Value> operandGrads) const {
    auto expand = cast<tensor::ExpandShapeOp>(op);
    if (Value g = resultGrads[0])
      operandGrads[0] = tensor::CollapseShapeOp::create(b, op->getLoc(), expand.getSrcType(), g,
                                                        expand.getReassociationIndices());
    return success();
  }
};

struct CastGradient : DifferentiableOpInterface::ExternalModel<CastGradient, tensor::CastOp> {
  LogicalResult buildGradients(Operation *op, OpBuilder &b, ValueRange resultGrads,
                               MutableArrayRef<Value> operandGrads) const {
    auto castOp = cast<tensor::CastOp>(op);
    if (Value g = resultGrads[0])
      operandGrads[0] = tensor::CastOp::create(b, op->getLoc(), castOp.getSource().getType(), g);
    return success();
  }
};

} // namespace

void mlir::frond::registerTensorGradientModels(DialectRegistry &registry) {
  registry.addExtension(+[](MLIRContext *ctx, tensor::TensorDialect *) {
    tensor::CollapseShapeOp::attachInterface<CollapseShapeGradient>(*ctx);
    tensor::ExpandShapeOp::attachInterface<ExpandShapeGradient>(*ctx);
    tensor::CastOp::attachInterface<CastGradient>(*ctx);
  });
}
