//===- LayerOps.cpp - Verifiers of the layer ops --------------------------===//
//
// embedding, linear, lowrank_linear, rms_norm, layer_norm, rope, matmul,
// expm and cross_entropy.
//
//===----------------------------------------------------------------------===//
#include "frond/Dialect/Frond/IR/FrondOps.h"
#include "ShapeUtils.h"

#include <cmath>

using namespace mlir;
using namespace mlir::frond;
using namespace mlir::frond::detail;

LogicalResult EmbeddingOp::verify() {
  auto ids = getIds().getType();
  auto table = getTable().getType();
  if (failed(verifyRank(*this, "table", table, 2, "[V, D]")))
    return failure();
  SmallVector<int64_t> shape(ids.getShape());
  shape.push_back(table.getDimSize(1));
  return verifyResultType(*this, getType(), shape, table.getElementType(),
                          "ids [N...] and table [V, D] as [N..., D]");
}

/// Checks `x [N..., in]` against a `[out, in]` weight and returns the
/// expected result shape `[N..., out]`.
static FailureOr<SmallVector<int64_t>>
verifyProjection(Operation *op, StringRef xName, RankedTensorType x,
                 StringRef wName, RankedTensorType w) {
  if (failed(verifyMinRank(op, xName, x, 1, "[N..., in]")) ||
      failed(verifyRank(op, wName, w, 2, "[out, in]")) ||
      failed(verifyDimsMatch(op, "the input features (in)", xName, x,
                             x.getRank() - 1, wName, w, 1)) ||
      failed(verifySameElementType(op, xName, x, wName, w)))
    return failure();
  SmallVector<int64_t> shape(x.getShape());
  shape.back() = w.getDimSize(0);
  return shape;
}

LogicalResult LinearOp::verify() {
  auto x = getInput().getType();
  auto w = getWeight().getType();
  auto shape = verifyProjection(*this, "input", x, "weight", w);
  if (failed(shape))
    return failure();
  if (Value bias = getBias()) {
    auto b = cast<RankedTensorType>(bias.getType());
    if (failed(verifyRank(*this, "bias", b, 1, "[out]")) ||
        failed(verifyDimsMatch(*this, "the output features (out)", "bias", b,
                               0, "weight", w, 0)) ||
        failed(verifySameElementType(*this, "bias", b, "weight", w)))
      return failure();
  }
  return verifyResultType(*this, getType(), *shape, x.getElementType(),
                          "input [N..., in] and weight [out, in]");
}

std::optional<UnaryKind> LowRankLinearOp::getActivationKind() {
  switch (getActivation()) {
  case Activation::None:
    return std::nullopt;
  case Activation::Relu2:
    return UnaryKind::Relu2;
  case Activation::Relu:
    return UnaryKind::Relu;
  case Activation::Gelu:
    return UnaryKind::Gelu;
  case Activation::Silu:
    return UnaryKind::Silu;
  }
  llvm_unreachable("unknown activation");
}

LogicalResult LowRankLinearOp::verify() {
  auto x = getInput().getType();
  auto w1 = getW1().getType();
  auto w2 = getW2().getType();
  auto hidden = verifyProjection(*this, "input", x, "w1", w1);
  if (failed(hidden))
    return failure();
  auto hiddenType = RankedTensorType::get(*hidden, x.getElementType());
  if (failed(verifyRank(*this, "w2", w2, 2, "[out, r]")) ||
      failed(verifyDimsMatch(*this, "the rank (r)", "w1", w1, 0, "w2", w2, 1)))
    return failure();
  auto shape = verifyProjection(*this, "the hidden value", hiddenType, "w2", w2);
  if (failed(shape))
    return failure();
  return verifyResultType(*this, getType(), *shape, x.getElementType(),
                          "input [N..., in], w1 [r, in] and w2 [out, r]");
}

/// Checks an optional per-feature `[D]` parameter of a norm over the last
/// dimension of `x`.
static LogicalResult verifyNormParam(Operation *op, StringRef name, Value param,
                                     RankedTensorType x) {
  if (!param)
    return success();
  auto p = cast<RankedTensorType>(param.getType());
  if (failed(verifyRank(op, name, p, 1, "[D]")) ||
      failed(verifyDimsMatch(op, "the normalised features (D)", name, p, 0,
                             "input", x, x.getRank() - 1)) ||
      failed(verifySameElementType(op, name, p, "input", x)))
    return failure();
  return success();
}

static LogicalResult verifyNorm(Operation *op, RankedTensorType x,
                                APFloat eps) {
  if (failed(verifyMinRank(op, "input", x, 1, "[N..., D]")))
    return failure();
  if (eps.isNegative() || eps.isNaN())
    return op->emitOpError() << "expects eps >= 0, found "
                             << formatDouble(eps.convertToDouble());
  return success();
}

LogicalResult RMSNormOp::verify() {
  auto x = getInput().getType();
  if (failed(verifyNorm(*this, x, getEpsAttr().getValue())))
    return failure();
  return verifyNormParam(*this, "weight", getWeight(), x);
}

LogicalResult LayerNormOp::verify() {
  auto x = getInput().getType();
  if (failed(verifyNorm(*this, x, getEpsAttr().getValue())) ||
      failed(verifyNormParam(*this, "weight", getWeight(), x)))
    return failure();
  return verifyNormParam(*this, "bias", getBias(), x);
}

LogicalResult RopeOp::verify() {
  auto x = getInput().getType();
  auto pos = getPositions().getType();
  if (failed(verifyRank(*this, "input", x, 4, "[b, t, h, D]")) ||
      failed(verifyRank(*this, "positions", pos, 2, "[b, t]")) ||
      failed(verifyDimsMatch(*this, "the batch (b)", "input", x, 0,
                             "positions", pos, 0)) ||
      failed(verifyDimsMatch(*this, "the sequence length (t)", "input", x, 1,
                             "positions", pos, 1)))
    return failure();
  int64_t d = x.getDimSize(3);
  int64_t multiple = getLayout() == RopeLayout::Truncated ? 4 : 2;
  if (!isDynamic(d) && d % multiple != 0)
    return emitOpError() << "expects the head dim D of " << x
                         << " to be a multiple of " << multiple << " for the '"
                         << stringifyRopeLayout(getLayout())
                         << "' layout, found " << d;
  double theta = getTheta().convertToDouble();
  double scale = getScale().convertToDouble();
  if (!(theta > 0.0))
    return emitOpError() << "expects theta > 0, found " << formatDouble(theta);
  if (scale == 0.0 || !std::isfinite(scale))
    return emitOpError() << "expects a finite, nonzero scale, found "
                         << formatDouble(scale);
  return success();
}

LogicalResult MatmulOp::verify() {
  auto a = getLhs().getType();
  auto b = getRhs().getType();
  if (failed(verifyMinRank(*this, "lhs", a, 2, "[B..., m, k]")) ||
      failed(verifyMinRank(*this, "rhs", b, 2, "[B..., k, n]")) ||
      failed(verifyDimsMatch(*this, "the contracted dim (k)", "lhs", a,
                             a.getRank() - 1, "rhs", b, b.getRank() - 2)) ||
      failed(verifySameElementType(*this, "lhs", a, "rhs", b)))
    return failure();
  unsigned bad = 0;
  auto batch = broadcastShapes(a.getShape().drop_back(2),
                               b.getShape().drop_back(2), &bad);
  if (!batch)
    return emitOpError() << "expects broadcast-compatible batch dims, but "
                         << a << " and " << b << " differ at batch dim " << bad
                         << " from the right";
  batch->push_back(a.getDimSize(a.getRank() - 2));
  batch->push_back(b.getDimSize(b.getRank() - 1));
  return verifyResultType(*this, getType(), *batch, a.getElementType(),
                          "lhs [B..., m, k] and rhs [B..., k, n]");
}

LogicalResult ExpmOp::verify() {
  auto x = getInput().getType();
  if (failed(verifyMinRank(*this, "input", x, 2, "[B..., D, D]")))
    return failure();
  return verifyDimsMatch(*this, "the matrix dims (D)", "input", x, x.getRank() - 2,
                         "input", x, x.getRank() - 1);
}

LogicalResult mlir::frond::detail::verifyLogitsAndTargets(Operation *op, RankedTensorType logits,
                                                          RankedTensorType targets) {
  if (failed(verifyMinRank(op, "logits", logits, 2, "[N..., V]")))
    return failure();
  if (targets.getRank() != logits.getRank() - 1)
    return op->emitOpError() << "expects targets [N...] to have one dim fewer than "
                                "logits [N..., V], found "
                             << targets << " and " << logits;
  for (int64_t i = 0; i < targets.getRank(); ++i)
    if (failed(verifyDimsMatch(op, "the positions (N...)", "targets", targets, i, "logits",
                               logits, i)))
      return failure();
  return success();
}

LogicalResult CrossEntropyOp::verify() {
  if (failed(verifyLogitsAndTargets(*this, getLogits().getType(), getTargets().getType())))
    return failure();
  double eps = getLabelSmoothing().convertToDouble();
  if (!(eps >= 0.0 && eps <= 1.0))
    return emitOpError() << "expects label_smoothing in [0, 1], found "
                         << formatDouble(eps);
  return success();
}
