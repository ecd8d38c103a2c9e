//===- FrondInterfaces.td - interfaces of frond ops --------*- tablegen -*-===//
//
// DifferentiableOpInterface: each op's reverse-mode gradient rule, declared
// on the op (FrondOps.td) and written next to its verifier
// (lib/Dialect/Frond/IR/*Gradients.cpp). -frond-autodiff only walks the
// forward function backwards and calls these rules; it knows no model.
//
//===----------------------------------------------------------------------===//
#ifndef FROND_DIALECT_FROND_IR_FRONDINTERFACES_TD
#define FROND_DIALECT_FROND_IR_FRONDINTERFACES_TD

include "mlir/IR/OpBase.td"

def Frond_DifferentiableOpInterface : OpInterface<"DifferentiableOpInterface"> {
  let cppNamespace = "::mlir::frond";
  let description = [{
    The vector-Jacobian product of an op: given the gradient of the loss
    with respect to each result (null where no gradient flows), build with
    frond ops the gradient with respect to each operand. `operandGrads`
    comes sized to the op's operands and filled with null values; a rule
    leaves null where no gradient flows (integer operands, constants).
    Each gradient has its operand's type (broadcasting is summed back).
  }];
  let methods = [
    InterfaceMethod<
      "Builds the operands' gradients from the results' gradients.",
      "::llvm::LogicalResult", "buildGradients",
      (ins "::mlir::OpBuilder &":$builder,
           "::mlir::ValueRange":$resultGrads,
           "::llvm::MutableArrayRef<::mlir::Value>":$operandGrads)>
  ];
}

#endif // FROND_DIALECT_FROND_IR_FRONDINTERFACES_TD
