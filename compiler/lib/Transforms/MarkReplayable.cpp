//===- MarkReplayable.cpp - host functions a CUDA graph can replay --------===//
//
// The frond-mark-replayable pass (see Passes.td).
//
//===----------------------------------------------------------------------===//
#include "LoweringUtils.h"
#include "frond/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"

namespace mlir::frond {
#define GEN_PASS_DEF_FRONDMARKREPLAYABLE
#include "frond/Transforms/Passes.h.inc"
} // namespace mlir::frond

using namespace mlir;

namespace {

/// Whether `op` (not a region holder) does its work on the GPU's stream or
/// touches no memory the host would have to read or write.
bool replaysAsGPUWork(Operation *op) {
  return isa<gpu::GPUDialect>(op->getDialect()) || frond::lowering::touchesNoMemory(op);
}

struct FrondMarkReplayable : frond::impl::FrondMarkReplayableBase<FrondMarkReplayable> {
  void runOnOperation() override {
    func::FuncOp fn = getOperation();
    if (fn.isExternal())
      return;
    Operation *hostAccess = nullptr;
    fn.walk([&](Operation *op) {
      // Control flow is replayed by replaying what its body queued: only
      // its leaves count (loop bounds come from shapes, not from memory,
      // once no leaf reads memory).
      if (op == fn || op->getNumRegions() > 0 || op->hasTrait<OpTrait::IsTerminator>() ||
          replaysAsGPUWork(op))
        return WalkResult::advance();
      hostAccess = op;
      return WalkResult::interrupt();
    });
    fn->removeAttr("frond.replayable");
    fn->removeAttr("frond.not_replayable");
    if (!hostAccess) {
      fn->setAttr("frond.replayable", UnitAttr::get(fn.getContext()));
      return;
    }
    std::string where = hostAccess->getName().getStringRef().str();
    hostAccess->getLoc()->walk([&](Location l) {
      auto at = dyn_cast<FileLineColLoc>(l);
      if (!at)
        return WalkResult::advance();
      where += " at " + at.getFilename().str() + ":" + std::to_string(at.getLine()) + ":" +
               std::to_string(at.getColumn());
      return WalkResult::interrupt();
    });
    fn->setAttr("frond.not_replayable", StringAttr::get(fn.getContext(), where));
  }
};

} // namespace
