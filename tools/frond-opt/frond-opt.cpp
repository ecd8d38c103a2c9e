//===- frond-opt.cpp - mlir-opt for Frond ---------------------------------===//
//
// Registers the dialects, passes and pipelines Frond uses and runs MlirOptMain, so every
// pass can be tested with `frond-opt %s -pass | FileCheck %s`.
//
//===----------------------------------------------------------------------===//
#include "frond/Dialect/Frond/IR/FrondDialect.h"
#include "frond/Pipelines/Pipelines.h"
#include "frond/Transforms/Passes.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "mlir/Transforms/Passes.h"

int main(int argc, char **argv) {
  mlir::registerTransformsPasses();
  // One-shot bufferization, to test what frond's lowerings bufferize to.
  mlir::bufferization::registerBufferizationPasses();
  mlir::frond::registerFrondTransformsPasses();
  mlir::frond::registerFrondPipelines();
  mlir::DialectRegistry registry;
  // frond, plus what its attention regions are written in (arith, math,
  // tensor) and the function that holds a model forward (func).
  registry.insert<mlir::frond::FrondDialect, mlir::func::FuncDialect,
                  mlir::arith::ArithDialect, mlir::math::MathDialect,
                  mlir::tensor::TensorDialect>();
  // What the lowering passes and the CPU and CUDA pipelines produce.
  mlir::frond::registerCUDAPipelineDialects(registry);
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "Frond optimizer driver\n", registry));
}
