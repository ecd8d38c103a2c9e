//===- HostBuffersToGPU.cpp - host allocations → managed GPU memory -------===//
//
// The frond-host-buffers-to-gpu pass (see Passes.td).
//
//===----------------------------------------------------------------------===//
#include "frond/Transforms/Passes.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

namespace mlir::frond {
#define GEN_PASS_DEF_FRONDHOSTBUFFERSTOGPU
#include "frond/Transforms/Passes.h.inc"
} // namespace mlir::frond

using namespace mlir;

namespace {

/// The buffer `v` is a view of (through subviews, reshapes and casts).
Value viewSource(Value v) {
  while (Operation *def = v.getDefiningOp()) {
    if (auto view = dyn_cast<ViewLikeOpInterface>(def))
      v = view.getViewSource();
    else if (auto cast = dyn_cast<memref::CastOp>(def))
      v = cast.getSource();
    else
      break;
  }
  return v;
}

/// Whether host code reads or writes `buffer` or a view of it, or hands it
/// on (a result, a call, a loop-carried value): anything but a kernel
/// launch, a deallocation, memref.dim and taking a view. Such buffers stay
/// in managed memory, the others are device memory.
bool hostTouches(Value buffer) {
  SmallVector<Value> worklist{buffer};
  while (!worklist.empty()) {
    Value v = worklist.pop_back_val();
    for (Operation *user : v.getUsers()) {
      if (isa<gpu::LaunchFuncOp, memref::DeallocOp, memref::DimOp,
              memref::ExtractStridedMetadataOp>(user))
        continue;
      auto view = dyn_cast<ViewLikeOpInterface>(user);
      if (view && view.getViewSource() == v) {
        worklist.push_back(user->getResult(0));
        continue;
      }
      if (auto cast = dyn_cast<memref::CastOp>(user)) {
        worklist.push_back(cast.getResult());
        continue;
      }
      return true;
    }
  }
  return false;
}

/// Fails (with an error at the launch) when a kernel argument is a view of
/// host-only memory.
LogicalResult checkKernelArguments(gpu::LaunchFuncOp launch) {
  for (Value arg : launch.getKernelOperands()) {
    if (!isa<MemRefType>(arg.getType()))
      continue;
    Operation *def = viewSource(arg).getDefiningOp();
    if (isa_and_nonnull<memref::AllocaOp, memref::GetGlobalOp>(def))
      return launch.emitError("a kernel argument is host memory (")
             << def->getName()
             << "), which the GPU cannot read; allocate it with memref.alloc";
  }
  return success();
}

struct FrondHostBuffersToGPU
    : frond::impl::FrondHostBuffersToGPUBase<FrondHostBuffersToGPU> {
  void runOnOperation() override {
    for (auto fn : getOperation().getOps<func::FuncOp>()) {
      WalkResult checked = fn.walk([](gpu::LaunchFuncOp launch) {
        return failed(checkKernelArguments(launch)) ? WalkResult::interrupt()
                                                    : WalkResult::advance();
      });
      if (checked.wasInterrupted())
        return signalPassFailure();
      SmallVector<memref::AllocOp> allocs;
      SmallVector<memref::DeallocOp> deallocs;
      fn.walk([&](Operation *op) {
        if (auto alloc = dyn_cast<memref::AllocOp>(op))
          allocs.push_back(alloc);
        else if (auto dealloc = dyn_cast<memref::DeallocOp>(op))
          deallocs.push_back(dealloc);
      });
      for (memref::AllocOp alloc : allocs) {
        OpBuilder b(alloc);
        Location loc = alloc.getLoc();
        Value buffer;
        if (hostTouches(alloc.getResult())) {
          buffer = gpu::AllocOp::create(b, loc, alloc.getType(), /*asyncToken=*/Type(),
                                        ValueRange(), alloc.getDynamicSizes(),
                                        alloc.getSymbolOperands(), /*hostShared=*/true)
                       .getMemref();
        } else {
          // Upstream lowers device allocations only in the asynchronous form.
          Type token = gpu::AsyncTokenType::get(b.getContext());
          auto start = gpu::WaitOp::create(b, loc, token, ValueRange());
          auto device = gpu::AllocOp::create(b, loc, alloc.getType(), token,
                                             ValueRange{start.getAsyncToken()},
                                             alloc.getDynamicSizes(), alloc.getSymbolOperands(),
                                             /*hostShared=*/false);
          gpu::WaitOp::create(b, loc, Type(), ValueRange{device.getAsyncToken()});
          buffer = device.getMemref();
        }
        alloc.replaceAllUsesWith(buffer);
        alloc.erase();
      }
      for (memref::DeallocOp dealloc : deallocs) {
        OpBuilder b(dealloc);
        Location loc = dealloc.getLoc();
        Type token = gpu::AsyncTokenType::get(b.getContext());
        auto start = gpu::WaitOp::create(b, loc, token, ValueRange());
        auto free = gpu::DeallocOp::create(b, loc, token, start.getAsyncToken(),
                                           dealloc.getMemref());
        gpu::WaitOp::create(b, loc, Type(), free.getAsyncToken());
        dealloc.erase();
      }
    }
  }
};

} // namespace
