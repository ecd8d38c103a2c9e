//===- ReductionsInnermost.cpp - parallel loops outside reductions --------===//
//
// The frond-reductions-innermost pass (see Passes.td).
//
//===----------------------------------------------------------------------===//
#include "frond/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"

namespace mlir::frond {
#define GEN_PASS_DEF_FRONDREDUCTIONSINNERMOST
#include "frond/Transforms/Passes.h.inc"
} // namespace mlir::frond

using namespace mlir;

namespace {

/// The loop order with every parallel dimension first, each group in its
/// original order: interchangeGenericOp's vector (old dimension per new
/// position).
SmallVector<unsigned> parallelFirst(linalg::GenericOp op) {
  SmallVector<unsigned> order;
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  for (bool parallel : {true, false})
    for (auto [d, it] : llvm::enumerate(iterators))
      if ((it == utils::IteratorType::parallel) == parallel)
        order.push_back(d);
  return order;
}

struct FrondReductionsInnermost
    : frond::impl::FrondReductionsInnermostBase<FrondReductionsInnermost> {
  using Base::Base;
  void runOnOperation() override {
    IRRewriter rewriter(&getContext());
    getOperation().walk([&](linalg::GenericOp op) {
      SmallVector<unsigned> order = parallelFirst(op);
      if (llvm::equal(order, llvm::seq<unsigned>(0, order.size())))
        return;
      rewriter.setInsertionPoint(op);
      if (failed(linalg::interchangeGenericOp(rewriter, op, order)))
        op.emitWarning("frond-reductions-innermost: could not interchange the loops");
    });
  }
};

} // namespace
