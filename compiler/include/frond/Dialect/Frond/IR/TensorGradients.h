//===- TensorGradients.h - gradient rules of upstream tensor ops -*- C++ -*-===//
//
// MLIRGen writes squeeze/unsqueeze as tensor.collapse_shape /
// tensor.expand_shape, so those ops (and tensor.cast) get
// DifferentiableOpInterface as external models. -frond-autodiff registers
// them through its dependent dialects.
//
//===----------------------------------------------------------------------===//
#ifndef FROND_DIALECT_FROND_IR_TENSORGRADIENTS_H
#define FROND_DIALECT_FROND_IR_TENSORGRADIENTS_H

namespace mlir {
class DialectRegistry;
namespace frond {
/// Attaches the gradient rules of tensor.collapse_shape, expand_shape and
/// cast when the tensor dialect loads.
void registerTensorGradientModels(DialectRegistry &registry);
} // namespace frond
} // namespace mlir

#endif // FROND_DIALECT_FROND_IR_TENSORGRADIENTS_H
