//===- AsyncGPULaunches.cpp - GPU work queued on one stream per block ------===//
//
// The frond-async-gpu-launches pass (see Passes.td).
//
//===----------------------------------------------------------------------===//
#include "LoweringUtils.h"
#include "frond/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"

namespace mlir::frond {
#define GEN_PASS_DEF_FRONDASYNCGPULAUNCHES
#include "frond/Transforms/Passes.h.inc"
} // namespace mlir::frond

using namespace mlir;

namespace {

/// Whether queued GPU work must be finished before `op` runs on the host:
/// it reads or writes memory, has unknown effects or a region, or ends the
/// block. Allocations and frees (managed memory is allocated with no
/// stream) and effect-free ops (views, memref.dim, arithmetic) need not.
bool needsFinishedWork(Operation *op) {
  return op->hasTrait<OpTrait::IsTerminator>() || op->getNumRegions() > 0 ||
         !frond::lowering::touchesNoMemory(op);
}

/// `launch` (synchronous) rebuilt as `gpu.launch_func async [after]`.
Value launchAsync(gpu::LaunchFuncOp launch, Value after) {
  OpBuilder b(launch);
  OperationState state(launch.getLoc(), launch->getName());
  state.addOperands(launch->getOperands());
  state.propertiesAttr = launch->getPropertiesAsAttribute();
  for (NamedAttribute attr : launch->getDiscardableAttrs())
    state.addAttribute(attr.getName(), attr.getValue());
  state.addTypes(after.getType());
  auto queued = cast<gpu::LaunchFuncOp>(b.create(state));
  queued.addAsyncDependency(after);
  launch.erase();
  return queued.getAsyncToken();
}

bool dependsOnlyOn(gpu::AsyncOpInterface op, Value token) {
  return token && op.getAsyncDependencies().size() == 1 && op.getAsyncDependencies()[0] == token;
}

/// Chains the GPU work of `block` (see Passes.td).
void chainBlock(Block &block) {
  Type tokenType = gpu::AsyncTokenType::get(block.getParentOp()->getContext());
  Value pending; // the last token of the chain not yet waited for
  auto finish = [&](Operation *before) {
    if (!pending)
      return;
    OpBuilder b(before);
    gpu::WaitOp::create(b, before->getLoc(), Type(), ValueRange{pending});
    pending = nullptr;
  };
  for (Operation &op : llvm::make_early_inc_range(block)) {
    if (auto wait = dyn_cast<gpu::WaitOp>(op)) {
      bool startsStream = wait.getAsyncToken() && wait.getAsyncDependencies().empty();
      if (startsStream && pending) { // the work it starts joins the chain
        wait.getAsyncToken().replaceAllUsesWith(pending);
        wait.erase();
        continue;
      }
      if (startsStream) {
        pending = wait.getAsyncToken();
        continue;
      }
      if (!wait.getAsyncToken() && dependsOnlyOn(wait, pending)) { // waited later
        wait.erase();
        continue;
      }
    }
    if (auto launch = dyn_cast<gpu::LaunchFuncOp>(op);
        launch && !launch.getAsyncToken() && launch.getAsyncDependencies().empty()) {
      if (!pending) {
        OpBuilder b(launch);
        pending = gpu::WaitOp::create(b, launch.getLoc(), tokenType, ValueRange()).getAsyncToken();
      }
      pending = launchAsync(launch, pending);
      continue;
    }
    if (auto async = dyn_cast<gpu::AsyncOpInterface>(op);
        async && async.getAsyncToken() && dependsOnlyOn(async, pending)) {
      pending = async.getAsyncToken();
      continue;
    }
    // Work on a stream of its own would not be ordered after the chain.
    auto async = dyn_cast<gpu::AsyncOpInterface>(op);
    bool ownStream = async && (async.getAsyncToken() || !async.getAsyncDependencies().empty());
    if (ownStream || needsFinishedWork(&op))
      finish(&op);
  }
  if (pending) { // a block without a terminator (none in a function body)
    OpBuilder b = OpBuilder::atBlockEnd(&block);
    gpu::WaitOp::create(b, block.getParentOp()->getLoc(), Type(), ValueRange{pending});
  }
}

struct FrondAsyncGPULaunches : frond::impl::FrondAsyncGPULaunchesBase<FrondAsyncGPULaunches> {
  void runOnOperation() override {
    for (auto fn : getOperation().getOps<func::FuncOp>())
      fn.walk([](Block *block) { chainBlock(*block); });
  }
};

} // namespace
