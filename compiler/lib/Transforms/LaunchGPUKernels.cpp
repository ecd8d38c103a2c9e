//===- LaunchGPUKernels.cpp - placeholder calls → gpu.launch_func ---------===//
//
// The frond-launch-gpu-kernels pass (see Passes.td).
//
//===----------------------------------------------------------------------===//
#include "frond/Transforms/Passes.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"

namespace mlir::frond {
#define GEN_PASS_DEF_FRONDLAUNCHGPUKERNELS
#include "frond/Transforms/Passes.h.inc"
} // namespace mlir::frond

using namespace mlir;

namespace {

struct FrondLaunchGPUKernels : frond::impl::FrondLaunchGPUKernelsBase<FrondLaunchGPUKernels> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    // Each declaration's kernel and block size, then one walk over the
    // calls (a walk per declaration made this quadratic: a gradient has
    // hundreds of kernels).
    struct Kernel {
      gpu::GPUFuncOp func;
      SmallVector<int32_t, 3> block;
    };
    llvm::DenseMap<StringAttr, Kernel> kernels;
    SmallVector<func::FuncOp> decls;
    for (auto decl : module.getOps<func::FuncOp>()) {
      if (!decl->hasAttr("frond.gpu_kernel"))
        continue;
      auto ref = dyn_cast<SymbolRefAttr>(decl->getAttr("frond.gpu_kernel"));
      auto kernel = ref ? SymbolTable::lookupNearestSymbolFrom<gpu::GPUFuncOp>(module, ref)
                        : gpu::GPUFuncOp();
      std::optional<ArrayRef<int32_t>> block = kernel ? kernel.getKnownBlockSize() : std::nullopt;
      if (!block || block->size() != 3) {
        decl.emitError("frond.gpu_kernel must name a gpu.func with a known_block_size");
        return signalPassFailure();
      }
      kernels[decl.getSymNameAttr()] = {kernel, SmallVector<int32_t, 3>(*block)};
      decls.push_back(decl);
    }
    if (decls.empty())
      return;
    WalkResult walked = module.walk([&](Operation *op) {
      if (isa<gpu::GPUModuleOp>(op) ||
          (isa<func::FuncOp>(op) && kernels.count(cast<func::FuncOp>(op).getSymNameAttr())))
        return WalkResult::skip(); // kernels, or a declaration: no calls inside
      auto symbolUser = dyn_cast<SymbolUserOpInterface>(op);
      if (!symbolUser)
        return WalkResult::advance();
      auto call = dyn_cast<func::CallOp>(op);
      auto it = call ? kernels.find(call.getCalleeAttr().getAttr()) : kernels.end();
      if (it == kernels.end()) {
        for (NamedAttribute attr : op->getAttrs()) // a use other than a call
          if (auto ref = dyn_cast<FlatSymbolRefAttr>(attr.getValue());
              ref && kernels.count(ref.getAttr())) {
            op->emitError("a frond.gpu_kernel declaration is only called, with the grid sizes "
                          "first");
            return WalkResult::interrupt();
          }
        return WalkResult::advance();
      }
      if (call.getNumOperands() < 3) {
        op->emitError("a frond.gpu_kernel declaration is only called, with the grid sizes first");
        return WalkResult::interrupt();
      }
      const Kernel &k = it->second;
      OpBuilder b(call);
      Location loc = call.getLoc();
      auto size = [&](int32_t n) -> Value { return arith::ConstantIndexOp::create(b, loc, n); };
      ValueRange ops = call.getOperands();
      gpu::LaunchFuncOp::create(b, loc, k.func, {ops[0], ops[1], ops[2]},
                                {size(k.block[0]), size(k.block[1]), size(k.block[2])},
                                /*dynamicSharedMemorySize=*/Value(), ops.drop_front(3));
      call.erase();
      return WalkResult::skip();
    });
    if (walked.wasInterrupted())
      return signalPassFailure();
    for (func::FuncOp decl : decls)
      decl.erase();
  }
};

} // namespace
