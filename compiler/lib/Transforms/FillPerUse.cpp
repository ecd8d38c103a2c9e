//===- FillPerUse.cpp - one linalg.fill per user on tensors ---------------===//
//
// The frond-fill-per-use pass (see Passes.td).
//
//===----------------------------------------------------------------------===//
#include "frond/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"

namespace mlir::frond {
#define GEN_PASS_DEF_FRONDFILLPERUSE
#include "frond/Transforms/Passes.h.inc"
} // namespace mlir::frond

using namespace mlir;

namespace {

struct FrondFillPerUse : frond::impl::FrondFillPerUseBase<FrondFillPerUse> {
  using Base::Base;
  void runOnOperation() override {
    SmallVector<linalg::FillOp> fills;
    getOperation().walk([&](linalg::FillOp fill) {
      if (fill.hasPureTensorSemantics() && !fill->getResult(0).use_empty())
        fills.push_back(fill);
    });
    OpBuilder b(&getContext());
    for (linalg::FillOp fill : fills) {
      Value filled = fill->getResult(0);
      // Every user gets a clone right before it, next to the loop that
      // reads it. The clone's operands dominate the original fill, which
      // dominates every user, so they dominate the clone too.
      SmallVector<OpOperand *> uses;
      for (OpOperand &use : filled.getUses())
        uses.push_back(&use);
      for (OpOperand *use : uses) {
        b.setInsertionPoint(use->getOwner());
        use->set(b.clone(*fill)->getResult(0));
      }
      fill->erase();
    }
  }
};

} // namespace
