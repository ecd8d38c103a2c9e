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
    SmallVector<gpu::GPUModuleOp> merging;
    for (auto module : top.getOps<gpu::GPUModuleOp>())
      if (soleKernel(module))
        merging.push_back(module);
    if (merging.size() < 2)
      return;
    OpBuilder b(merging.front());
    auto merged = gpu::GPUModuleOp::create(b, merging.front().getLoc(), "frond_kernels");
    SymbolTable(top).insert(merged); // renamed if the name is taken
    Block &into = merged.getBodyRegion().front();
    DenseMap<StringAttr, StringAttr> renamed; // old module name → kernel name
    for (gpu::GPUModuleOp module : merging) {
      gpu::GPUFuncOp kernel = soleKernel(module);
      // Module names are unique in `top`, so they name the kernels uniquely.
      kernel.setName(module.getSymName());
      kernel->moveBefore(&into, into.end());
      renamed[module.getSymNameAttr()] = kernel.getNameAttr();
      module.erase();
    }
    top.walk([&](gpu::LaunchFuncOp launch) {
      StringAttr kernel = renamed.lookup(launch.getKernelModuleName());
      if (kernel)
        launch.setKernelAttr(SymbolRefAttr::get(merged.getSymNameAttr(),
                                                {FlatSymbolRefAttr::get(kernel)}));
    });
  }
};

} // namespace
