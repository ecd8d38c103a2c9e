//===- MergeGPUModules.cpp - outlined kernels into one gpu.module ---------===//
//
// The frond-merge-gpu-modules pass (see Passes.td).
//
//===----------------------------------------------------------------------===//
#include "GPUKernelDedup.h"
#include "frond/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"

namespace mlir::frond {
#define GEN_PASS_DEF_FRONDMERGEGPUMODULES
#include "frond/Transforms/Passes.h.inc"
} // namespace mlir::frond

using namespace mlir;
using mlir::frond::onlyKernel;

namespace {

/// A module holding nothing but one kernel (what gpu-kernel-outlining
/// makes); modules with workgroup globals or several functions stay.
gpu::GPUFuncOp soleKernel(gpu::GPUModuleOp module) {
  return llvm::hasSingleElement(module.getBodyRegion().front()) ? onlyKernel(module)
                                                                : gpu::GPUFuncOp();
}

/// Points every launch of a module named in `to` at its new kernel.
void redirectLaunches(ModuleOp top, const DenseMap<StringAttr, SymbolRefAttr> &to) {
  top.walk([&](gpu::LaunchFuncOp launch) {
    if (SymbolRefAttr kernel = to.lookup(launch.getKernelModuleName()))
      launch.setKernelAttr(kernel);
  });
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
    // A kernel whose text is that of one already kept is dropped, and its
    // launches take the kept kernel.
    redirectLaunches(top, frond::dropDuplicateKernelModules(top));
    SymbolTable symbols(top);

    SmallVector<gpu::GPUModuleOp> merging;
    for (auto module : top.getOps<gpu::GPUModuleOp>())
      if (soleKernel(module))
        merging.push_back(module);
    if (merging.size() < 2)
      return;
    DenseMap<StringAttr, SymbolRefAttr> renamed; // old module name → new kernel
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
    redirectLaunches(top, renamed);
  }
};

} // namespace
