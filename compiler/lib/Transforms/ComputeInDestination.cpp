//===- ComputeInDestination.cpp - results computed in their arguments -----===//
//
// The frond-compute-in-destination pass (see Passes.td). The compiled
// training step writes every updated parameter and optimizer state back into
// its argument (`materialize_in_destination` into the argument's buffer).
// One-Shot Bufferize computes the value in a buffer of its own and copies it
// over: on the GPU one more kernel per parameter, reading and writing every
// value again. Here, after bufferization, an elementwise linalg.generic that
// writes a fresh buffer only copied into a function argument writes the
// argument instead, and the copy goes.
//
//===----------------------------------------------------------------------===//
#include "LoweringUtils.h"
#include "frond/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"

namespace mlir::frond {
#define GEN_PASS_DEF_FRONDCOMPUTEINDESTINATION
#include "frond/Transforms/Passes.h.inc"
} // namespace mlir::frond

using namespace mlir;
using mlir::frond::lowering::isElementwise;

namespace {

bool isFunctionArgument(Value v) {
  auto arg = dyn_cast<BlockArgument>(v);
  return arg && isa<func::FuncOp>(arg.getOwner()->getParentOp()) && arg.getOwner()->isEntryBlock();
}

/// Whether `op`, between the generic and the copy, leaves `src` and `dst`
/// alone: no memory effects, or a copy between other buffers (a fresh
/// allocation and function arguments alias nothing else).
bool leavesAlone(Operation &op, Value src, Value dst) {
  if (isMemoryEffectFree(&op))
    return true;
  auto copy = dyn_cast<memref::CopyOp>(op);
  return copy && !llvm::is_contained(copy->getOperands(), src) &&
         !llvm::is_contained(copy->getOperands(), dst);
}

/// Whether `op` writes every element of `buffer` without reading it first.
bool overwrites(Operation *op, Value buffer) {
  if (auto fill = dyn_cast<linalg::FillOp>(op))
    return fill.getDpsInits()[0] == buffer;
  auto generic = dyn_cast<linalg::GenericOp>(op);
  return generic && isElementwise(generic) && llvm::is_contained(generic.getDpsInits(), buffer) &&
         !llvm::is_contained(generic.getDpsInputs(), buffer);
}

/// Whether the copy's source is not read after it: its next user in the
/// block, if any, overwrites it (bufferization reuses one buffer for
/// several same-shaped results).
bool deadAfter(memref::CopyOp copy) {
  Value src = copy.getSource();
  Block *block = copy->getBlock();
  Operation *next = nullptr;
  for (Operation *user : src.getUsers()) {
    Operation *at = block->findAncestorOpInBlock(*user);
    if (!at)
      return false;
    if (copy->isBeforeInBlock(at) && (!next || at->isBeforeInBlock(next)))
      next = at;
  }
  return !next || overwrites(next, src);
}

/// The elementwise generic whose output `copy` moves into a function
/// argument, when it can write the argument itself: the source is a fresh
/// allocation, that generic (earlier in the block) is its last writer,
/// nothing touches either buffer in between, and the source is not read
/// after the copy.
/// The generic may read the argument, but only through the identity map
/// (each element read before it is written).
linalg::GenericOp writerToRedirect(memref::CopyOp copy) {
  Value src = copy.getSource(), dst = copy.getTarget();
  if (!src.getDefiningOp<memref::AllocOp>() || !isFunctionArgument(dst) ||
      src.getType() != dst.getType())
    return {};
  Operation *prev = copy->getPrevNode();
  for (; prev && !isa<linalg::GenericOp>(prev); prev = prev->getPrevNode())
    if (!leavesAlone(*prev, src, dst))
      return {};
  auto generic = dyn_cast_or_null<linalg::GenericOp>(prev);
  if (!generic || !generic.hasPureBufferSemantics() || !isElementwise(generic) ||
      !llvm::is_contained(generic.getDpsInits(), src) ||
      llvm::is_contained(generic.getDpsInits(), dst))
    return {};
  for (OpOperand *in : generic.getDpsInputOperands())
    if (in->get() == dst && !generic.getMatchingIndexingMap(in).isIdentity())
      return {};
  return deadAfter(copy) ? generic : linalg::GenericOp();
}

struct FrondComputeInDestination
    : frond::impl::FrondComputeInDestinationBase<FrondComputeInDestination> {
  void runOnOperation() override {
    SmallVector<memref::CopyOp> copies;
    getOperation().walk([&](memref::CopyOp c) { copies.push_back(c); });
    for (memref::CopyOp copy : copies) {
      linalg::GenericOp generic = writerToRedirect(copy);
      if (!generic)
        continue;
      for (OpOperand &init : generic.getDpsInitsMutable())
        if (init.get() == copy.getSource())
          init.set(copy.getTarget());
      copy.erase();
    }
  }
};

} // namespace
