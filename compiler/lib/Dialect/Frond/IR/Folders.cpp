//===- Folders.cpp - folds of frond ops (used by -canonicalize) ----------===//
//
// Identities that reverse-mode autodiff produces often: transposes that
// undo each other, casts to the same type, heads split then merged, and
// arithmetic with a rank-0 fill of 0 or 1.
//
//===----------------------------------------------------------------------===//
#include "frond/Dialect/Frond/IR/FrondOps.h"

using namespace mlir;
using namespace mlir::frond;

OpFoldResult TransposeOp::fold(FoldAdaptor) {
  ArrayRef<int64_t> perm = getPermutation();
  auto isIdentity = [](ArrayRef<int64_t> p) {
    for (size_t i = 0; i < p.size(); ++i)
      if (p[i] != int64_t(i))
        return false;
    return true;
  };
  if (isIdentity(perm) && getInput().getType() == getType())
    return getInput();
  if (auto inner = getInput().getDefiningOp<TransposeOp>()) {
    ArrayRef<int64_t> first = inner.getPermutation();
    SmallVector<int64_t> composed;
    for (int64_t p : perm)
      composed.push_back(first[p]);
    if (isIdentity(composed) && inner.getInput().getType() == getType())
      return inner.getInput();
  }
  return {};
}

OpFoldResult CastOp::fold(FoldAdaptor) {
  if (getInput().getType() == getType())
    return getInput();
  return {};
}

OpFoldResult MergeHeadsOp::fold(FoldAdaptor) {
  if (auto split = getInput().getDefiningOp<SplitHeadsOp>())
    if (split.getInput().getType() == getType())
      return split.getInput();
  return {};
}

OpFoldResult SplitHeadsOp::fold(FoldAdaptor) {
  if (auto merge = getInput().getDefiningOp<MergeHeadsOp>())
    if (merge.getInput().getType() == getType())
      return merge.getInput();
  return {};
}

/// The value of a rank-0 frond.fill of a float, if `v` is one.
static std::optional<double> scalarFill(Value v) {
  auto fill = v.getDefiningOp<FillOp>();
  if (!fill || cast<RankedTensorType>(fill.getType()).getRank() != 0)
    return std::nullopt;
  if (auto f = dyn_cast<FloatAttr>(fill.getValue()))
    return f.getValueAsDouble();
  return std::nullopt;
}

OpFoldResult BinaryOp::fold(FoldAdaptor) {
  Value x = getLhs(), y = getRhs();
  std::optional<double> cx = scalarFill(x), cy = scalarFill(y);
  auto same = [&](Value v) { return v.getType() == getType(); };
  switch (getKind()) {
  case BinaryKind::Add:
    if (cy && *cy == 0.0 && same(x))
      return x;
    if (cx && *cx == 0.0 && same(y))
      return y;
    break;
  case BinaryKind::Sub:
    if (cy && *cy == 0.0 && same(x))
      return x;
    break;
  case BinaryKind::Mul:
    if (cy && *cy == 1.0 && same(x))
      return x;
    if (cx && *cx == 1.0 && same(y))
      return y;
    break;
  case BinaryKind::Div:
    if (cy && *cy == 1.0 && same(x))
      return x;
    break;
  default:
    break;
  }
  return {};
}
