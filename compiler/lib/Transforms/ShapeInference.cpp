//===- ShapeInference.cpp - the frond-shape-inference pass ---------------===//
#include "frond/Dialect/Frond/IR/FrondOps.h"
#include "frond/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"

namespace mlir::frond {
#define GEN_PASS_DEF_FRONDSHAPEINFERENCE
#include "frond/Transforms/Passes.h.inc"
} // namespace mlir::frond

using namespace mlir;
using namespace mlir::frond;

namespace {

ArrayRef<int64_t> shapeOf(Value v) { return cast<RankedTensorType>(v.getType()).getShape(); }

/// Numpy broadcast where both extents are known; dynamic otherwise.
SmallVector<int64_t> broadcast(ArrayRef<int64_t> a, ArrayRef<int64_t> b) {
  size_t rank = std::max(a.size(), b.size());
  SmallVector<int64_t> r(rank, ShapedType::kDynamic);
  for (size_t i = 0; i < rank; ++i) {
    int64_t x = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    int64_t y = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    if (x == 1)
      r[i] = y;
    else if (y == 1)
      r[i] = x;
    else if (!ShapedType::isDynamic(x))
      r[i] = x;
    else
      r[i] = y;
  }
  return r;
}

/// The result shape `op`'s operands imply, where the op has a rule.
std::optional<SmallVector<int64_t>> inferShape(Operation *op) {
  if (op->getNumResults() != 1 || !isa<RankedTensorType>(op->getResult(0).getType()))
    return std::nullopt;
  if (isa<UnaryOp, SoftcapOp, RMSNormOp, LayerNormOp, SoftmaxOp, CumsumOp, RopeOp, ClampOp, CastOp,
          ExpmOp>(op))
    return SmallVector<int64_t>(shapeOf(op->getOperand(0)));
  if (auto g = dyn_cast<SliceGradOp>(op))
    return SmallVector<int64_t>(shapeOf(g.getInput()));
  if (isa<BinaryOp, CompareOp, SwigluOp>(op))
    return broadcast(shapeOf(op->getOperand(0)), shapeOf(op->getOperand(1)));
  if (isa<SelectOp>(op))
    return broadcast(broadcast(shapeOf(op->getOperand(0)), shapeOf(op->getOperand(1))),
                     shapeOf(op->getOperand(2)));
  if (auto t = dyn_cast<TransposeOp>(op)) {
    SmallVector<int64_t> r;
    for (int64_t p : t.getPermutation())
      r.push_back(shapeOf(t.getInput())[p]);
    return r;
  }
  if (auto s = dyn_cast<SplitHeadsOp>(op)) {
    SmallVector<int64_t> r(shapeOf(s.getInput()));
    int64_t last = r.back(), h = s.getHeads();
    r.back() = h;
    r.push_back(ShapedType::isDynamic(last) ? ShapedType::kDynamic : last / h);
    return r;
  }
  if (auto m = dyn_cast<MergeHeadsOp>(op)) {
    SmallVector<int64_t> r(shapeOf(m.getInput()));
    int64_t d = r.back();
    r.pop_back();
    r.back() = ShapedType::isDynamic(d) || ShapedType::isDynamic(r.back()) ? ShapedType::kDynamic
                                                                           : r.back() * d;
    return r;
  }
  if (auto l = dyn_cast<LinearOp>(op)) {
    SmallVector<int64_t> r(shapeOf(l.getInput()));
    r.back() = shapeOf(l.getWeight())[0];
    return r;
  }
  if (auto m = dyn_cast<MatmulOp>(op)) {
    ArrayRef<int64_t> a = shapeOf(m.getLhs()), b = shapeOf(m.getRhs());
    SmallVector<int64_t> r = broadcast(a.drop_back(2), b.drop_back(2));
    r.push_back(a[a.size() - 2]);
    r.push_back(b.back());
    return r;
  }
  if (auto e = dyn_cast<EmbeddingOp>(op)) {
    SmallVector<int64_t> r(shapeOf(e.getIds()));
    r.push_back(shapeOf(e.getTable())[1]);
    return r;
  }
  return std::nullopt;
}

struct FrondShapeInference : frond::impl::FrondShapeInferenceBase<FrondShapeInference> {
  void runOnOperation() override {
    func::FuncOp fn = getOperation();
    fn.walk([](Operation *op) {
      std::optional<SmallVector<int64_t>> inferred = inferShape(op);
      if (!inferred)
        return;
      auto type = cast<RankedTensorType>(op->getResult(0).getType());
      if (int64_t(inferred->size()) != type.getRank())
        return;
      SmallVector<int64_t> shape(type.getShape());
      bool changed = false;
      for (auto [have, want] : llvm::zip(shape, *inferred))
        if (ShapedType::isDynamic(have) && !ShapedType::isDynamic(want))
          have = want, changed = true;
      if (changed)
        op->getResult(0).setType(RankedTensorType::get(shape, type.getElementType()));
    });
    // Region arguments mirror the captured values' types.
    fn.walk([](Operation *op) {
      if (!isa<AttentionOp, AttentionGradOp>(op))
        return;
      ValueRange captures = isa<AttentionOp>(op) ? cast<AttentionOp>(op).getCaptures()
                                                 : cast<AttentionGradOp>(op).getCaptures();
      for (Region &region : op->getRegions()) {
        if (region.empty())
          continue;
        Block &block = region.front();
        unsigned first = block.getNumArguments() - captures.size();
        for (auto [i, c] : llvm::enumerate(captures))
          block.getArgument(first + i).setType(c.getType());
      }
    });
    if (fn.isExternal())
      return;
    auto ret = cast<func::ReturnOp>(fn.getBody().front().getTerminator());
    fn.setType(FunctionType::get(fn.getContext(), fn.getArgumentTypes(), ret.getOperandTypes()));
  }
};

} // namespace
