//===- Autodiff.cpp - reverse-mode gradients on the frond dialect --------===//
//
// The frond-autodiff pass (contract in Passes.td). It knows no op: every
// gradient comes from the op's DifferentiableOpInterface rule.
//
//===----------------------------------------------------------------------===//
#include "frond/Dialect/Frond/IR/FrondOps.h"
#include "frond/Dialect/Frond/IR/TensorGradients.h"
#include "frond/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include "mlir/IR/IRMapping.h"
#include "mlir/Transforms/RegionUtils.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "llvm/ADT/DenseMap.h"

namespace mlir::frond {
#define GEN_PASS_DEF_FRONDAUTODIFF
#include "frond/Transforms/Passes.h.inc"
} // namespace mlir::frond

using namespace mlir;
using namespace mlir::frond;

namespace {

/// Index of the loss among the forward's outputs, or -1.
int lossIndex(ArrayAttr names) {
  int only = -1, count = 0;
  for (auto [i, n] : llvm::enumerate(names)) {
    StringRef s = cast<StringAttr>(n).getValue();
    if (s == "loss")
      return int(i);
    if (s.starts_with("loss:"))
      only = int(i), ++count;
  }
  return count == 1 ? only : -1;
}

bool isFloatTensor(Value v) {
  auto t = dyn_cast<RankedTensorType>(v.getType());
  return t && isa<FloatType>(t.getElementType());
}

/// Builds @<model>_grad next to `fwd`. Errors are emitted at the offending op.
LogicalResult buildGradFunction(func::FuncOp fwd) {
  auto names = fwd->getAttrOfType<ArrayAttr>("frond.outputs");
  int li = lossIndex(names);
  if (li < 0)
    return fwd.emitError("has no loss output to differentiate (frond.outputs needs \"loss\" "
                         "or exactly one \"loss:<name>\")");
  StringRef base = fwd.getName();
  base.consume_back("_forward");
  OpBuilder mb(fwd);
  mb.setInsertionPointAfter(fwd);

  // Trainable arguments, in order.
  SmallVector<unsigned> wrt;
  for (unsigned i = 0; i < fwd.getNumArguments(); ++i)
    if (auto t = fwd.getArgAttrOfType<BoolAttr>(i, "frond.trainable"); t && t.getValue())
      wrt.push_back(i);

  SmallVector<Type> resultTypes{fwd.getFunctionType().getResult(li)};
  SmallVector<Attribute> outNames{mb.getStringAttr("loss")};
  for (unsigned i : wrt) {
    resultTypes.push_back(fwd.getArgument(i).getType());
    auto n = fwd.getArgAttrOfType<StringAttr>(i, "frond.name");
    outNames.push_back(mb.getStringAttr("grad:" + (n ? n.str() : "arg" + std::to_string(i))));
  }
  auto grad = func::FuncOp::create(mb, fwd.getLoc(), (base + "_grad").str(),
                                   mb.getFunctionType(fwd.getArgumentTypes(), resultTypes));
  if (ArrayAttr argAttrs = fwd.getAllArgAttrs())
    grad.setAllArgAttrs(argAttrs);
  grad->setAttr("frond.outputs", mb.getArrayAttr(outNames));

  // The forward, cloned.
  IRMapping map;
  fwd.getBody().cloneInto(&grad.getBody(), map);
  Block &body = grad.getBody().front();
  auto ret = cast<func::ReturnOp>(body.getTerminator());
  Value loss = ret.getOperand(li);
  OpBuilder b(ret);

  // Reverse sweep. `grads` holds the accumulated gradient of each value.
  DenseMap<Value, Value> grads;
  auto accumulate = [&](Value v, Value g) {
    if (!g || !isFloatTensor(v))
      return;
    if (g.getType() != v.getType() && cast<RankedTensorType>(g.getType()).getShape() ==
                                          cast<RankedTensorType>(v.getType()).getShape())
      g = CastOp::create(b, g.getLoc(), v.getType(), g);
    auto it = grads.find(v);
    if (it == grads.end()) {
      grads[v] = g;
      return;
    }
    it->second = BinaryOp::create(b, g.getLoc(), v.getType(),
                                  BinaryKindAttr::get(b.getContext(), BinaryKind::Add),
                                  it->second, g);
  };
  auto lossType = cast<RankedTensorType>(loss.getType());
  accumulate(loss, FillOp::create(b, loss.getLoc(), lossType,
                                  b.getFloatAttr(lossType.getElementType(), 1.0), ValueRange{}));

  SmallVector<Operation *> forwardOps;
  for (Operation &op : body.without_terminator())
    forwardOps.push_back(&op);
  for (Operation *op : llvm::reverse(forwardOps)) {
    SmallVector<Value> resultGrads;
    bool any = false;
    for (Value r : op->getResults()) {
      Value g = grads.lookup(r);
      resultGrads.push_back(g);
      any |= bool(g);
    }
    // Nothing to propagate into an op without float operands (constants,
    // fills, integer-to-float casts).
    if (!any || llvm::none_of(op->getOperands(), isFloatTensor))
      continue;
    auto diff = dyn_cast<DifferentiableOpInterface>(op);
    if (!diff)
      return op->emitError("has no gradient rule yet, and the loss depends on it through ")
             << "floats; frond-autodiff cannot differentiate this model";
    SmallVector<Value> operandGrads(op->getNumOperands());
    if (failed(diff.buildGradients(b, resultGrads, operandGrads)))
      return failure();
    for (auto [operand, g] : llvm::zip(op->getOperands(), operandGrads))
      accumulate(operand, g);
  }

  SmallVector<Value> results{loss};
  for (unsigned i : wrt) {
    Value arg = body.getArgument(i);
    Value g = grads.lookup(arg);
    if (!g) { // the loss does not depend on it: a zero gradient
      auto t = cast<RankedTensorType>(arg.getType());
      g = FillOp::create(b, arg.getLoc(), t, b.getFloatAttr(t.getElementType(), 0.0),
                         ValueRange{});
      if (!t.hasStaticShape())
        return grad.emitError("parameter ") << i << " has a dynamic shape and no gradient";
    }
    results.push_back(g);
  }
  func::ReturnOp::create(b, ret.getLoc(), results);
  ret.erase();
  // Rules build every operand's gradient; drop what nothing uses (inputs,
  // frozen parameters, forward outputs other than the loss).
  SmallVector<Operation *> all;
  for (Operation &op : body.without_terminator())
    all.push_back(&op);
  for (Operation *op : llvm::reverse(all))
    if (isOpTriviallyDead(op))
      op->erase();
  return success();
}

struct FrondAutodiff : frond::impl::FrondAutodiffBase<FrondAutodiff> {
  void getDependentDialects(DialectRegistry &registry) const override {
    FrondAutodiffBase::getDependentDialects(registry);
    registerTensorGradientModels(registry);
  }

  void runOnOperation() override {
    SmallVector<func::FuncOp> forwards;
    for (auto f : getOperation().getOps<func::FuncOp>())
      if (f->hasAttr("frond.outputs") && !f.isExternal() && f.getName().ends_with("_forward"))
        forwards.push_back(f);
    for (func::FuncOp f : forwards)
      if (failed(buildGradFunction(f)))
        return signalPassFailure();
  }
};

} // namespace
