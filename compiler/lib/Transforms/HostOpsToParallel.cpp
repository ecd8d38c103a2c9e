//===- HostOpsToParallel.cpp - buffer ops the host would run, as loops ----===//
//
// The frond-host-ops-to-parallel pass (see Passes.td): memref.copy becomes
// linalg.copy, and a linalg op with no loops (a fill or an elementwise op
// on rank-0 buffers) moves into a one-iteration scf.parallel, so that
// convert-linalg-to-parallel-loops and the GPU mapping make kernels of
// them instead of host code that reads and writes device buffers.
//
//===----------------------------------------------------------------------===//
#include "LoweringUtils.h"
#include "frond/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

namespace mlir::frond {
#define GEN_PASS_DEF_FRONDHOSTOPSTOPARALLEL
#include "frond/Transforms/Passes.h.inc"
} // namespace mlir::frond

using namespace mlir;
using mlir::frond::lowering::onDevice;

namespace {

/// `op` moved into a new scf.parallel of one iteration in its place.
void wrapInOneIteration(Operation *op) {
  OpBuilder b(op);
  Location loc = op->getLoc();
  Value c0 = arith::ConstantIndexOp::create(b, loc, 0);
  Value c1 = arith::ConstantIndexOp::create(b, loc, 1);
  auto loop = scf::ParallelOp::create(b, loc, ValueRange{c0}, ValueRange{c1}, ValueRange{c1});
  op->moveBefore(loop.getBody()->getTerminator());
}

struct FrondHostOpsToParallel
    : frond::impl::FrondHostOpsToParallelBase<FrondHostOpsToParallel> {
  void runOnOperation() override {
    SmallVector<memref::CopyOp> copies;
    getOperation().walk([&](memref::CopyOp copy) {
      if (!onDevice(copy))
        copies.push_back(copy);
    });
    for (memref::CopyOp copy : copies) {
      OpBuilder b(copy);
      linalg::CopyOp::create(b, copy.getLoc(), copy.getSource(), copy.getTarget());
      copy.erase();
    }
    SmallVector<linalg::LinalgOp> scalarOps;
    getOperation().walk([&](linalg::LinalgOp op) {
      if (op.hasPureBufferSemantics() && op.getNumLoops() == 0 && !onDevice(op))
        scalarOps.push_back(op);
    });
    for (linalg::LinalgOp op : scalarOps)
      wrapInOneIteration(op);
  }
};

} // namespace
