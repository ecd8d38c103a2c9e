//===- CPUPipeline.cpp - frond → LLVM dialect on the CPU ------------------===//
//
// buildCPUPipeline: frond passes, then upstream passes only (linalg fusion,
// one-shot bufferization, ownership-based deallocation, linalg-to-loops and
// the conversions to the LLVM dialect).
//
//===----------------------------------------------------------------------===//
#include "CommonPasses.h"
#include "frond/Pipelines/Pipelines.h"
#include "frond/Transforms/Passes.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Conversion/Passes.h"
#include "mlir/Conversion/VectorToSCF/VectorToSCF.h"
#include "mlir/Dialect/Arith/Transforms/BufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/FuncBufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/ControlFlow/IR/ControlFlow.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/Linalg/Transforms/BufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/Linalg/Transforms/SubsetInsertionOpInterfaceImpl.h"
#include "mlir/Dialect/Linalg/Transforms/TilingInterfaceImpl.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/BufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/Tensor/IR/TensorTilingInterfaceImpl.h"
#include "mlir/Dialect/Tensor/Transforms/BufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/Tensor/Transforms/SubsetInsertionOpInterfaceImpl.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Dialect/Vector/Transforms/BufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/Vector/Transforms/SubsetOpInterfaceImpl.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

void mlir::frond::buildCPUPipeline(OpPassManager &pm,
                                   const CPUPipelineOptions &options) {
  // With emulateGPUAttention, the CUDA pipeline's attention kernels and
  // loop nests, run on the CPU.
  bool emulateGPU = options.emulateGPUAttention;
  // frond → linalg/tensor/scf on tensors.
  if (options.chunkLinearAttention || emulateGPU) {
    FrondChunkLinearAttentionOptions chunks;
    chunks.chunk = options.keyTile;
    pm.addNestedPass<func::FuncOp>(createFrondChunkLinearAttention(chunks));
  }
  if (emulateGPU) {
    FrondLowerAttentionToGPUOptions kernel;
    kernel.queryTile = options.queryTile;
    kernel.keyTile = options.keyTile;
    kernel.emulate = true;
    kernel.elementType = options.emulatedAttentionTiles;
    pm.addPass(createFrondLowerAttentionToGPU(kernel));
  }
  FrondLowerAttentionOptions attention;
  attention.queryTile = options.queryTile;
  attention.keyTile = options.keyTile;
  pm.addNestedPass<func::FuncOp>(createFrondLowerAttention(attention));
  if (emulateGPU) // the GPU's scans and scatters
    pm.addNestedPass<func::FuncOp>(createFrondParallelScanScatter());
  addLowerToLinalgPasses(pm, options.fuseElementwise);

  // Contractions → register tiles of vector FMAs (still on tensors). The
  // GPU emulation keeps the CUDA pipeline's loop nests instead.
  if (options.vectorize && !emulateGPU) {
    FrondTileAndVectorizeOptions tiles;
    tiles.tileM = options.tileM;
    tiles.tileN = options.tileN;
    tiles.tileK = options.tileK;
    pm.addNestedPass<func::FuncOp>(createFrondTileAndVectorize(tiles));
    pm.addPass(createCanonicalizerPass());
    pm.addPass(createCSEPass());
  }

  // Tensors → buffers. Function signatures get identity-layout memrefs so a
  // caller (the JIT) can pass plain dense buffers.
  if (emulateGPU)
    addFillPerUsePass(pm);
  addBufferizationPasses(pm);
  if (emulateGPU) {
    FrondContractionsToGPUOptions matmuls;
    matmuls.emulate = true;
    matmuls.elementType = options.emulatedMatmulTiles;
    pm.addPass(createFrondContractionsToGPU(matmuls));
    addParallelLoopPasses(pm); // scf.parallel runs as sequential loops below
  }

  // Buffers → loops → LLVM. n-D vector transfers become unrolled 1-D ones.
  VectorTransferToSCFOptions vectorToSCF;
  vectorToSCF.enableFullUnroll();
  pm.addNestedPass<func::FuncOp>(createConvertVectorToSCFPass(vectorToSCF));
  pm.addNestedPass<func::FuncOp>(createConvertLinalgToLoopsPass());
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createSCFToControlFlowPass());
  pm.addPass(createConvertVectorToLLVMPass());
  pm.addPass(createConvertMathToLLVMPass());
  pm.addPass(createConvertMathToLibmPass()); // erf, tanh, ...: libm calls
  // Libm calls on vectors (erf in a vectorized reduction) are unrolled into
  // vector.extract/broadcast, which need lowering too.
  pm.addPass(createConvertVectorToLLVMPass());
  pm.addPass(createArithToLLVMConversionPass());
  pm.addPass(createConvertIndexToLLVMPass());
  pm.addPass(createFinalizeMemRefToLLVMConversionPass());
  pm.addPass(createConvertFuncToLLVMPass());
  pm.addPass(createConvertControlFlowToLLVMPass());
  pm.addPass(createUBToLLVMConversionPass()); // ub.poison from the vectorizer
  pm.addPass(createReconcileUnrealizedCastsPass());
  pm.addPass(createCanonicalizerPass());
}

void mlir::frond::registerCPUPipelineDialects(DialectRegistry &registry) {
  registry.insert<bufferization::BufferizationDialect, cf::ControlFlowDialect,
                  LLVM::LLVMDialect, linalg::LinalgDialect,
                  memref::MemRefDialect, scf::SCFDialect,
                  vector::VectorDialect>();
  arith::registerBufferizableOpInterfaceExternalModels(registry);
  linalg::registerBufferizableOpInterfaceExternalModels(registry);
  scf::registerBufferizableOpInterfaceExternalModels(registry);
  tensor::registerBufferizableOpInterfaceExternalModels(registry);
  vector::registerBufferizableOpInterfaceExternalModels(registry);
  bufferization::func_ext::registerBufferizableOpInterfaceExternalModels(registry);
  // Tiling and subset hoisting (frond-tile-and-vectorize).
  linalg::registerTilingInterfaceExternalModels(registry);
  linalg::registerSubsetOpInterfaceExternalModels(registry);
  tensor::registerTilingInterfaceExternalModels(registry);
  tensor::registerSubsetOpInterfaceExternalModels(registry);
  vector::registerSubsetOpInterfaceExternalModels(registry);
}

void mlir::frond::registerFrondPipelines() {
  PassPipelineRegistration<CPUPipelineOptions>(
      "frond-cpu-pipeline",
      "Lower frond to the LLVM dialect for the CPU (attention tiling, linalg, "
      "bufferization, loops, LLVM)",
      buildCPUPipeline);
  PassPipelineRegistration<CUDAPipelineOptions>(
      "frond-cuda-pipeline",
      "Lower frond to host code launching NVVM kernels, then PTX (flash "
      "attention kernel, linalg mapped to blocks and threads)",
      buildCUDAPipeline);
}
