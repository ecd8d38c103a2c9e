//===- MergeGPUModules.cpp - outlined kernels into one gpu.module ---------===//
//
// The frond-merge-gpu-modules pass (see Passes.td).
//
//===----------------------------------------------------------------------===//
#include "frond/Transforms/Passes.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"

namespace mlir::frond {
#define GEN_PASS_DEF_FRONDMERGEGPUMODULES
#include "frond/Transforms/Passes.h.inc"
} // namespace mlir::frond

using namespace mlir;

namespace {

/// A module holding nothing but one kernel (what gpu-kernel-outlining
/// makes); modules with workgroup globals or several functions stay.
gpu::GPUFuncOp soleKernel(gpu::GPUModuleOp module) {
  Block &body = module.getBodyRegion().front();
  if (!llvm::hasSingleElement(body))
    return {};
  auto kernel = dyn_cast<gpu::GPUFuncOp>(body.front());
  return kernel && kernel.isKernel() ? kernel : gpu::GPUFuncOp();
}

struct FrondMergeGPUModules : frond::impl::FrondMergeGPUModulesBase<FrondMergeGPUModules> {
  using Base::Base;
  void runOnOperation() override {
    ModuleOp top = getOperation();
    if (kernelsPerModule < 1) { // the chunk loop below would never advance
      top.emitError("frond-merge-gpu-modules: kernels-per-module must be at least 1, found ")
          << int64_t(kernelsPerModule);
      return signalPassFailure();
    }
    SmallVector<gpu::GPUModuleOp> merging;
    for (auto module : top.getOps<gpu::GPUModuleOp>())
      if (soleKernel(module))
        merging.push_back(module);
    if (merging.size() < 2)
      return;
    DenseMap<StringAttr, SymbolRefAttr> renamed; // old module name → new kernel
    SymbolTable symbols(top);
    for (size_t first = 0; first < merging.size(); first += kernelsPerModule) {
      auto chunk = MutableArrayRef(merging).slice(
          first, std::min<size_t>(kernelsPerModule, merging.size() - first));
      OpBuilder b(chunk.front());
      auto merged = gpu::GPUModuleOp::create(b, chunk.front().getLoc(), "frond_kernels");
      symbols.insert(merged); // frond_kernels_0, _1, ... when the name is taken
      Block &into = merged.getBodyRegion().front();
      for (gpu::GPUModuleOp module : chunk) {
        gpu::GPUFuncOp kernel = soleKernel(module);
        // Module names are unique in `top`, so they name the kernels uniquely.
        kernel.setName(module.getSymName());
        kernel->moveBefore(&into, into.end());
        renamed[module.getSymNameAttr()] =
            SymbolRefAttr::get(merged.getSymNameAttr(), {FlatSymbolRefAttr::get(kernel)});
        symbols.erase(module);
      }
    }
    top.walk([&](gpu::LaunchFuncOp launch) {
      if (SymbolRefAttr kernel = renamed.lookup(launch.getKernelModuleName()))
        launch.setKernelAttr(kernel);
    });
  }
};

} // namespace
