//===- LaunchGPUKernels.cpp - placeholder calls → gpu.launch_func ---------===//
//
// The frond-launch-gpu-kernels pass (see Passes.td).
//
//===----------------------------------------------------------------------===//
#include "frond/Transforms/Passes.h"

namespace mlir::frond {
#define GEN_PASS_DEF_FRONDLAUNCHGPUKERNELS
#include "frond/Transforms/Passes.h.inc"
} // namespace mlir::frond

using namespace mlir;

namespace {

struct FrondLaunchGPUKernels : frond::impl::FrondLaunchGPUKernelsBase<FrondLaunchGPUKernels> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<func::FuncOp> decls;
    for (auto decl : module.getOps<func::FuncOp>())
      if (decl->hasAttr("frond.gpu_kernel"))
        decls.push_back(decl);
    for (func::FuncOp decl : decls) {
      auto ref = dyn_cast<SymbolRefAttr>(decl->getAttr("frond.gpu_kernel"));
      auto kernel = ref ? SymbolTable::lookupNearestSymbolFrom<gpu::GPUFuncOp>(module, ref)
                        : gpu::GPUFuncOp();
      std::optional<ArrayRef<int32_t>> block = kernel ? kernel.getKnownBlockSize() : std::nullopt;
      if (!block || block->size() != 3) {
        decl.emitError("frond.gpu_kernel must name a gpu.func with a known_block_size");
        return signalPassFailure();
      }
      std::optional<SymbolTable::UseRange> uses = decl.getSymbolUses(module);
      for (const SymbolTable::SymbolUse &use : *uses) {
        auto call = dyn_cast<func::CallOp>(use.getUser());
        if (!call || call.getNumOperands() < 3) {
          use.getUser()->emitError("a frond.gpu_kernel declaration is only called, with the "
                                   "grid sizes first");
          return signalPassFailure();
        }
        OpBuilder b(call);
        Location loc = call.getLoc();
        auto size = [&](int32_t n) -> Value { return arith::ConstantIndexOp::create(b, loc, n); };
        ValueRange ops = call.getOperands();
        gpu::LaunchFuncOp::create(b, loc, kernel, {ops[0], ops[1], ops[2]},
                                  {size((*block)[0]), size((*block)[1]), size((*block)[2])},
                                  /*dynamicSharedMemorySize=*/Value(), ops.drop_front(3));
        call.erase();
      }
      decl.erase();
    }
  }
};

} // namespace
