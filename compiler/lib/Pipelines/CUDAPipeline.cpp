//===- CUDAPipeline.cpp - frond → NVVM kernels → PTX ----------------------===//
//
// buildCUDAPipeline: the frond passes on tensors (softmax attention as a
// flash-attention gpu.launch, the rest through linalg), bufferization, then
// upstream passes: linalg → scf.parallel → blocks x threads → gpu.launch →
// outlined gpu.modules with an NVVM target → NVVM/LLVM → PTX. The shape
// follows upstream's gpu-lower-to-nvvm-pipeline, except that host code is
// left at the func/scf/memref level (no CUDA runtime calls are needed to
// read the PTX) unless `lower-host` asks for the host lowering too: managed
// buffers, then gpu-to-llvm (mgpu* runtime calls, CudaMgpu.h).
//
//===----------------------------------------------------------------------===//
#include "CommonPasses.h"
#include "frond/Pipelines/Pipelines.h"
#include "frond/Transforms/Passes.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

#include "mlir/Conversion/AffineToStandard/AffineToStandard.h"
#include "mlir/Conversion/ArithToLLVM/ArithToLLVM.h"
#include "mlir/Conversion/ControlFlowToLLVM/ControlFlowToLLVM.h"
#include "mlir/Conversion/FuncToLLVM/ConvertFuncToLLVM.h"
#include "mlir/Conversion/GPUCommon/GPUCommonPass.h"
#include "mlir/Conversion/GPUToNVVM/GPUToNVVM.h"
#include "mlir/Conversion/GPUToNVVM/GPUToNVVMPass.h"
#include "mlir/Conversion/IndexToLLVM/IndexToLLVM.h"
#include "mlir/Conversion/MathToLLVM/MathToLLVM.h"
#include "mlir/Conversion/MathToLibm/MathToLibm.h"
#include "mlir/Conversion/MemRefToLLVM/MemRefToLLVM.h"
#include "mlir/Conversion/NVVMToLLVM/NVVMToLLVM.h"
#include "mlir/Conversion/ReconcileUnrealizedCasts/ReconcileUnrealizedCasts.h"
#include "mlir/Conversion/SCFToControlFlow/SCFToControlFlow.h"
#include "mlir/Conversion/SCFToGPU/SCFToGPUPass.h"
#include "mlir/Conversion/UBToLLVM/UBToLLVM.h"
#include "mlir/Conversion/VectorToLLVM/ConvertVectorToLLVM.h"
#include "mlir/Conversion/VectorToSCF/VectorToSCF.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/GPU/Transforms/Passes.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Target/LLVM/NVVM/Target.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/GPU/GPUToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/NVVM/NVVMToLLVMIRTranslation.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

namespace {

/// Inside each gpu.module: everything to the LLVM/NVVM dialects.
void addKernelLoweringPasses(OpPassManager &pm) {
  OpPassManager &kernels = pm.nest<gpu::GPUModuleOp>();
  kernels.addPass(createStripDebugInfoPass());
  kernels.addPass(createLowerAffinePass());
  VectorTransferToSCFOptions vectorToSCF;
  vectorToSCF.enableFullUnroll();
  kernels.addPass(createConvertVectorToSCFPass(vectorToSCF));
  kernels.addPass(createSCFToControlFlowPass());
  kernels.addPass(memref::createExpandStridedMetadataPass());
  kernels.addPass(createLowerAffinePass()); // from expand-strided-metadata
  kernels.addPass(frond::createFrondNVVMApproxMath());
  kernels.addPass(createConvertGpuOpsToNVVMOps());
  kernels.addPass(createConvertNVVMToLLVMPass()); // inline PTX → llvm.inline_asm
  kernels.addPass(createCanonicalizerPass());
  kernels.addPass(createCSEPass());
  kernels.addPass(createReconcileUnrealizedCastsPass());
}

/// Host functions (after serialization): buffers in managed memory, those
/// a CUDA graph can replay marked (frond.replayable), the
/// kernels of each block queued on one stream (unless `asyncLaunches` is
/// off), then everything to the LLVM dialect; gpu-to-llvm also converts the func, cf,
/// arith, index and memref ops (their ConvertToLLVM interfaces).
void addHostLoweringPasses(OpPassManager &pm, bool asyncLaunches) {
  pm.addPass(frond::createFrondHostBuffersToGPU());
  pm.addNestedPass<func::FuncOp>(frond::createFrondMarkReplayable());
  if (asyncLaunches)
    pm.addPass(frond::createFrondAsyncGPULaunches());
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createSCFToControlFlowPass());
  pm.addPass(createConvertMathToLLVMPass());
  pm.addPass(createConvertMathToLibmPass());
  pm.addPass(createGpuToLLVMConversionPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
  pm.addPass(createCanonicalizerPass());
}

} // namespace

void mlir::frond::buildCUDAPipeline(OpPassManager &pm, const CUDAPipelineOptions &options) {
  // frond → tensors: linear kinds under a causal mask as chunked scans,
  // the other attention ops as kernels on buffers (frond-lower-attention
  // takes what those leave).
  FrondChunkLinearAttentionOptions chunks;
  chunks.chunk = options.keyTile;
  pm.addNestedPass<func::FuncOp>(createFrondChunkLinearAttention(chunks));
  FrondLowerAttentionToGPUOptions gpuAttention;
  gpuAttention.queryTile = options.queryTile;
  gpuAttention.keyTile = options.keyTile;
  gpuAttention.elementType = options.elementType;
  pm.addPass(createFrondLowerAttentionToGPU(gpuAttention));
  FrondLowerAttentionOptions attention;
  attention.queryTile = options.queryTile;
  attention.keyTile = options.keyTile;
  pm.addNestedPass<func::FuncOp>(createFrondLowerAttention(attention));
  pm.addNestedPass<func::FuncOp>(createFrondParallelScanScatter());
  addLowerToLinalgPasses(pm, /*fuse=*/true);
  addFillPerUsePass(pm);
  addBufferizationPasses(pm);
  FrondContractionsToGPUOptions matmuls; // matmuls as tiled kernels
  matmuls.elementType = options.matmulType;
  pm.addPass(createFrondContractionsToGPU(matmuls));
  pm.addPass(createFrondLaunchGPUKernels());

  // linalg → scf.parallel (fused where adjacent nests agree) tiled into
  // blocks of threads → gpu.launch.
  addParallelLoopPasses(pm);
  FrondTileParallelLoopsForGPUOptions tiles;
  tiles.blockSize = options.blockSize;
  pm.addNestedPass<func::FuncOp>(createFrondTileParallelLoopsForGPU(tiles));
  GpuMapParallelLoopsPassOptions mapping;
  mapping.mappingPolicyStr = "innermost-first";
  pm.addNestedPass<func::FuncOp>(createGpuMapParallelLoopsPass(mapping));
  pm.addNestedPass<func::FuncOp>(createConvertParallelLoopToGpuPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());

  // Kernels → gpu.module + gpu.func with the NVVM target; host keeps
  // gpu.launch_func.
  pm.addPass(createGpuKernelOutliningPass());
  pm.addPass(frond::createFrondMergeGPUModules());
  GpuNVVMAttachTargetOptions target;
  target.chip = options.chip;
  target.features = options.features;
  target.optLevel = options.optLevel;
  pm.addPass(createGpuNVVMAttachTarget(target));
  addKernelLoweringPasses(pm);
  if (options.serialize || options.lowerHost) {
    pm.addPass(frond::createFrondSerializeGPUModules());
  }
  if (options.lowerHost)
    addHostLoweringPasses(pm, options.asyncLaunches);
}

void mlir::frond::registerCUDAPipelineDialects(DialectRegistry &registry) {
  registerCPUPipelineDialects(registry);
  registry.insert<gpu::GPUDialect, NVVM::NVVMDialect>();
  // convert-gpu-to-nvvm lowers every dialect that implements the
  // ConvertToLLVM interface.
  arith::registerConvertArithToLLVMInterface(registry);
  cf::registerConvertControlFlowToLLVMInterface(registry);
  registerConvertFuncToLLVMInterface(registry);
  index::registerConvertIndexToLLVMInterface(registry);
  registerConvertMathToLLVMInterface(registry);
  registerConvertMemRefToLLVMInterface(registry);
  registerConvertNVVMToLLVMInterface(registry);
  NVVM::registerConvertGpuToNVVMInterface(registry);
  ub::registerConvertUBToLLVMInterface(registry);
  vector::registerConvertVectorToLLVMInterface(registry);
  // gpu-module-to-binary: the NVVM target and the LLVM IR translations.
  NVVM::registerNVVMTargetInterfaceExternalModels(registry);
  registerBuiltinDialectTranslation(registry);
  registerGPUDialectTranslation(registry);
  // gpu.binary → the PTX as a global, loaded by a global constructor;
  // gpu.launch_func → mgpuLaunchKernel (#gpu.select_object).
  gpu::registerOffloadingLLVMTranslationInterfaceExternalModels(registry);
  registerLLVMDialectTranslation(registry);
  registerNVVMDialectTranslation(registry);
}
