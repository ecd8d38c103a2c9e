//===- CommonPasses.cpp - pass sequences the pipelines share -------------===//
#include "CommonPasses.h"

#include "frond/Transforms/Passes.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Conversion/BufferizationToMemRef/BufferizationToMemRef.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/SCF/Transforms/Passes.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

void mlir::frond::addLowerToLinalgPasses(OpPassManager &pm, bool fuse) {
  pm.addNestedPass<func::FuncOp>(createFrondLowerToLinalg());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  // Weight gradients: the per-sample products and their sum over the batch
  // as one contraction.
  pm.addNestedPass<func::FuncOp>(createFrondFoldBatchSums());
  if (fuse) {
    pm.addNestedPass<func::FuncOp>(createFrondFuseElementwise());
    pm.addPass(createCanonicalizerPass());
    pm.addPass(createCSEPass());
  }
}

void mlir::frond::addBufferizationPasses(OpPassManager &pm) {
  bufferization::OneShotBufferizePassOptions bufferize;
  bufferize.bufferizeFunctionBoundaries = true;
  // The attention loops carry freshly computed accumulators.
  bufferize.allowReturnAllocsFromLoops = true;
  bufferize.functionBoundaryTypeConversion =
      bufferization::LayoutMapOption::IdentityLayoutMap;
  pm.addPass(bufferization::createOneShotBufferizePass(bufferize));
  pm.addPass(createCanonicalizerPass());
  pm.addNestedPass<func::FuncOp>(createFrondComputeInDestination());
  bufferization::buildBufferDeallocationPipeline(pm);
  // Deallocation may keep a buffer alive across a loop with
  // bufferization.clone (e.g. a single-trip loop folded away): alloc + copy.
  pm.addPass(createConvertBufferizationToMemRefPass());
}

void mlir::frond::addFillPerUsePass(OpPassManager &pm) {
  pm.addNestedPass<func::FuncOp>(createFrondFillPerUse());
}

void mlir::frond::addParallelLoopPasses(OpPassManager &pm) {
  pm.addNestedPass<func::FuncOp>(createFrondReductionsInnermost());
  pm.addNestedPass<func::FuncOp>(createFrondSplitReductions());
  pm.addNestedPass<func::FuncOp>(createFrondHostOpsToParallel());
  // A cache write's per-sample rows (after their copies became linalg.copy).
  pm.addNestedPass<func::FuncOp>(createForallToParallelLoopPass());
  pm.addNestedPass<func::FuncOp>(createConvertLinalgToParallelLoopsPass());
  pm.addNestedPass<func::FuncOp>(createCSEPass()); // equal loop bounds, one value
  pm.addNestedPass<func::FuncOp>(createParallelLoopFusionPass());
}
