//===- NVVMApproxMath.cpp - afn exp2/log2 → PTX approximations ------------===//
//
// The frond-nvvm-approx-math pass (see Passes.td).
//
//===----------------------------------------------------------------------===//
#include "frond/Transforms/Passes.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"

namespace mlir::frond {
#define GEN_PASS_DEF_FRONDNVVMAPPROXMATH
#include "frond/Transforms/Passes.h.inc"
} // namespace mlir::frond

using namespace mlir;

namespace {

/// The PTX instruction approximating `op`, if it is an f32 exp2/log2
/// allowed to be approximate.
StringRef approximation(Operation *op) {
  auto fastMath = dyn_cast<arith::ArithFastMathInterface>(op);
  // An op may implement the interface without carrying the attribute.
  arith::FastMathFlagsAttr flags = fastMath ? fastMath.getFastMathFlagsAttr() : nullptr;
  if (!flags || op->getNumResults() != 1 || !op->getResult(0).getType().isF32() ||
      !arith::bitEnumContainsAll(flags.getValue(), arith::FastMathFlags::afn))
    return {};
  if (isa<math::Exp2Op>(op))
    return "ex2.approx.ftz.f32 $0, $1;";
  if (isa<math::Log2Op>(op))
    return "lg2.approx.ftz.f32 $0, $1;";
  return {};
}

struct FrondNVVMApproxMath : frond::impl::FrondNVVMApproxMathBase<FrondNVVMApproxMath> {
  void runOnOperation() override {
    SmallVector<std::pair<Operation *, StringRef>> ops;
    getOperation().walk([&](Operation *op) {
      if (StringRef ptx = approximation(op); !ptx.empty())
        ops.push_back({op, ptx});
    });
    for (auto [op, ptx] : ops) {
      OpBuilder b(op);
      Value r = NVVM::InlinePtxOp::create(b, op->getLoc(), op->getResultTypes(),
                                          op->getOperands(), ValueRange{}, ptx, Value())
                    .getResult(0);
      op->getResult(0).replaceAllUsesWith(r);
      op->erase();
    }
  }
};

} // namespace
