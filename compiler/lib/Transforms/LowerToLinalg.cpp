//===- LowerToLinalg.cpp - the frond-lower-to-linalg pass -----------------===//
//
// Collects the per-family patterns (ElementwiseToLinalg.cpp,
// LayersToLinalg.cpp, ShapesToLinalg.cpp, SlicesToLinalg.cpp,
// ExpmToLinalg.cpp, ReductionsToLinalg.cpp, GradientsToLinalg.cpp) and
// applies them as a partial conversion with the frond dialect illegal, so
// any op left behind is reported.
//
//===----------------------------------------------------------------------===//
#include "LoweringUtils.h"
#include "frond/Dialect/Frond/IR/FrondOps.h"
#include "frond/Transforms/Passes.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/DialectConversion.h"

namespace mlir::frond {
#define GEN_PASS_DEF_FRONDLOWERTOLINALG
#include "frond/Transforms/Passes.h.inc"
} // namespace mlir::frond

using namespace mlir;
using namespace mlir::frond;

namespace {
struct FrondLowerToLinalg
    : frond::impl::FrondLowerToLinalgBase<FrondLowerToLinalg> {
  void runOnOperation() override {
    func::FuncOp func = getOperation();
    WalkResult attention = func.walk([](AttentionOp op) {
      op.emitError("frond.attention must be lowered first: run "
                   "-frond-lower-attention before -frond-lower-to-linalg");
      return WalkResult::interrupt();
    });
    if (attention.wasInterrupted())
      return signalPassFailure();
    RewritePatternSet patterns(&getContext());
    populateElementwiseToLinalgPatterns(patterns);
    populateLayersToLinalgPatterns(patterns);
    populateShapesToLinalgPatterns(patterns);
    populateSlicesToLinalgPatterns(patterns);
    populateExpmToLinalgPatterns(patterns);
    populateReductionsToLinalgPatterns(patterns);
    populateGradientsToLinalgPatterns(patterns);
    ConversionTarget target(getContext());
    target.addIllegalDialect<FrondDialect>();
    target.addLegalDialect<arith::ArithDialect, linalg::LinalgDialect,
                           math::MathDialect, scf::SCFDialect,
                           tensor::TensorDialect>();
    if (failed(applyPartialConversion(func, target, std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace
