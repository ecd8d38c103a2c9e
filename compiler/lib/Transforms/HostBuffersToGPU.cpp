//===- HostBuffersToGPU.cpp - host allocations → managed GPU memory -------===//
//
// The frond-host-buffers-to-gpu pass (see Passes.td).
//
//===----------------------------------------------------------------------===//
#include "frond/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

namespace mlir::frond {
#define GEN_PASS_DEF_FRONDHOSTBUFFERSTOGPU
#include "frond/Transforms/Passes.h.inc"
} // namespace mlir::frond

using namespace mlir;

namespace {

/// The buffer `op` takes a view of (a subview, a reshape, a cast), or null.
Value viewedBy(Operation *op) {
  if (auto view = dyn_cast<ViewLikeOpInterface>(op))
    return view.getViewSource();
  if (auto cast = dyn_cast<memref::CastOp>(op))
    return cast.getSource();
  return nullptr;
}

/// The buffer `v` is a view of (through subviews, reshapes and casts).
Value viewSource(Value v) {
  while (Operation *def = v.getDefiningOp()) {
    Value source = viewedBy(def);
    if (!source)
      break;
    v = source;
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
      if (viewedBy(user) == v) {
        worklist.push_back(user->getResult(0));
        continue;
      }
      return true;
    }
  }
  return false;
}

/// An asynchronous GPU op on a stream of its own, waited for: upstream
/// lowers device allocations and deallocations only in that form. `make`
/// builds the op depending on `start` and returns its token.
void onItsOwnStream(OpBuilder &b, Location loc,
                    function_ref<Value(Type token, Value start)> make) {
  Type token = gpu::AsyncTokenType::get(b.getContext());
  Value start = gpu::WaitOp::create(b, loc, token, ValueRange()).getAsyncToken();
  gpu::WaitOp::create(b, loc, Type(), ValueRange{make(token, start)});
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
          onItsOwnStream(b, loc, [&](Type token, Value start) {
            auto device = gpu::AllocOp::create(b, loc, alloc.getType(), token, ValueRange{start},
                                               alloc.getDynamicSizes(),
                                               alloc.getSymbolOperands(), /*hostShared=*/false);
            buffer = device.getMemref();
            return device.getAsyncToken();
          });
        }
        alloc.replaceAllUsesWith(buffer);
        alloc.erase();
      }
      for (memref::DeallocOp dealloc : deallocs) {
        OpBuilder b(dealloc);
        Location loc = dealloc.getLoc();
        onItsOwnStream(b, loc, [&](Type token, Value start) {
          return gpu::DeallocOp::create(b, loc, token, ValueRange{start}, dealloc.getMemref())
              .getAsyncToken();
        });
        dealloc.erase();
      }
    }
  }
};

} // namespace
