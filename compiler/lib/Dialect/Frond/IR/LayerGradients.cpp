//===- LayerGradients.cpp - gradient rules of linears, norms, rope, expm -===//
#include "frond/Dialect/Frond/IR/GradientBuilder.h"

using namespace mlir;
using namespace mlir::frond;
using namespace mlir::frond::detail;

static RankedTensorType tensorOf(Value v) { return cast<RankedTensorType>(v.getType()); }

/// Σ over every leading (batch) dimension of gᵀ x: [.., out] x [.., in] ->
/// [out, in].
static Value weightGrad(GradientBuilder &gb, Value g, Value x) {
  int64_t rank = tensorOf(x).getRank();
  Value w = gb.matmul(gb.transposeLast(g), x); // [.., out, in]
  SmallVector<int64_t> lead;
  for (int64_t d = 0; d + 2 < rank; ++d)
    lead.push_back(d);
  return lead.empty() ? w : gb.reduce(ReduceKind::Sum, w, lead, /*keep=*/false);
}

LogicalResult LinearOp::buildGradients(OpBuilder &b, ValueRange resultGrads,
                                       MutableArrayRef<Value> operandGrads) {
  Value g = resultGrads[0];
  if (!g)
    return success();
  if (tensorOf(getInput()).getRank() < 2)
    return emitOpError("has no gradient rule for a rank-1 input yet");
  GradientBuilder gb(b, getLoc());
  operandGrads[0] = gb.matmul(g, getWeight());           // [.., out] [out, in]
  operandGrads[1] = weightGrad(gb, g, getInput());
  if (getBias())
    operandGrads[2] = gb.sumTo(g, getBias().getType());
  return success();
}

LogicalResult MatmulOp::buildGradients(OpBuilder &b, ValueRange resultGrads,
                                       MutableArrayRef<Value> operandGrads) {
  Value g = resultGrads[0];
  if (!g)
    return success();
  GradientBuilder gb(b, getLoc());
  Value x = getLhs(), y = getRhs();
  operandGrads[0] = gb.sumTo(gb.matmul(g, gb.transposeLast(y)), x.getType());
  operandGrads[1] = gb.sumTo(gb.matmul(gb.transposeLast(x), g), y.getType());
  return success();
}

/// The normalised input x̂ and 1/σ for RMS (centred = false) or layer norm.
static std::pair<Value, Value> normalise(GradientBuilder &gb, Value x, double eps, bool centred) {
  Type e = tensorOf(x).getElementType();
  Value xc = centred ? gb.sub(x, gb.meanLast(x)) : x;
  Value r = gb.unary(UnaryKind::Rsqrt, gb.add(gb.meanLast(gb.mul(xc, xc)), gb.constant(eps, e)));
  return {gb.mul(xc, r), r};
}

/// dx of a norm given ĝ = g · weight: r (ĝ - [mean ĝ] - x̂ mean(ĝ x̂)).
static Value normInputGrad(GradientBuilder &gb, Value gh, Value xh, Value r, bool centred) {
  Value inner = gb.sub(gh, gb.mul(xh, gb.meanLast(gb.mul(gh, xh))));
  if (centred)
    inner = gb.sub(inner, gb.meanLast(gh));
  return gb.mul(r, inner);
}

LogicalResult RMSNormOp::buildGradients(OpBuilder &b, ValueRange resultGrads,
                                        MutableArrayRef<Value> operandGrads) {
  Value g = resultGrads[0];
  if (!g)
    return success();
  GradientBuilder gb(b, getLoc());
  auto [xh, r] = normalise(gb, getInput(), getEps().convertToDouble(), /*centred=*/false);
  Value gh = getWeight() ? gb.mul(g, getWeight()) : g;
  operandGrads[0] = normInputGrad(gb, gh, xh, r, /*centred=*/false);
  if (getWeight())
    operandGrads[1] = gb.sumTo(gb.mul(g, xh), getWeight().getType());
  return success();
}

LogicalResult LayerNormOp::buildGradients(OpBuilder &b, ValueRange resultGrads,
                                          MutableArrayRef<Value> operandGrads) {
  Value g = resultGrads[0];
  if (!g)
    return success();
  GradientBuilder gb(b, getLoc());
  auto [xh, r] = normalise(gb, getInput(), getEps().convertToDouble(), /*centred=*/true);
  Value gh = getWeight() ? gb.mul(g, getWeight()) : g;
  operandGrads[0] = normInputGrad(gb, gh, xh, r, /*centred=*/true);
  unsigned next = 1;
  if (getWeight())
    operandGrads[next++] = gb.sumTo(gb.mul(g, xh), getWeight().getType());
  if (getBias())
    operandGrads[next] = gb.sumTo(g, getBias().getType());
  return success();
}

LogicalResult LowRankLinearOp::buildGradients(OpBuilder &b, ValueRange resultGrads,
                                              MutableArrayRef<Value> operandGrads) {
  Value g = resultGrads[0];
  if (!g)
    return success();
  if (tensorOf(getInput()).getRank() < 2)
    return emitOpError("has no gradient rule for a rank-1 input yet");
  // The factorised forward again as linear, φ, linear (recomputing the
  // hidden activation), differentiated by those ops' own rules.
  Location loc = getLoc();
  RankedTensorType in = tensorOf(getInput());
  SmallVector<int64_t> midShape(in.getShape());
  midShape.back() = tensorOf(getW1()).getDimSize(0);
  auto midType = RankedTensorType::get(midShape, in.getElementType());
  auto first = LinearOp::create(b, loc, midType, getInput(), getW1(), Value());
  Value hidden = first;
  UnaryOp act;
  if (std::optional<UnaryKind> kind = getActivationKind())
    hidden = act = UnaryOp::create(b, loc, midType, UnaryKindAttr::get(b.getContext(), *kind), first);
  auto second = LinearOp::create(b, loc, getType(), hidden, getW2(), Value());
  SmallVector<Value> secondGrads(2), firstGrads(2), actGrads(1);
  if (failed(second.buildGradients(b, g, secondGrads)))
    return failure();
  Value dh = secondGrads[0];
  if (act) {
    if (failed(act.buildGradients(b, dh, actGrads)))
      return failure();
    dh = actGrads[0];
  }
  if (failed(first.buildGradients(b, dh, firstGrads)))
    return failure();
  operandGrads[0] = firstGrads[0];
  operandGrads[1] = firstGrads[1];
  operandGrads[2] = secondGrads[1];
  return success();
}

LogicalResult RopeOp::buildGradients(OpBuilder &b, ValueRange resultGrads,
                                     MutableArrayRef<Value> operandGrads) {
  // Each pair turns by an angle θ; the transpose of that rotation turns by
  // -θ, which is rope with the scale negated (in every layout).
  if (Value g = resultGrads[0])
    operandGrads[0] =
        RopeOp::create(b, getLoc(), getInput().getType(), getLayoutAttr(), g, getPositions(),
                       getThetaAttr(), b.getF64FloatAttr(-getScale().convertToDouble()));
  return success();
}

LogicalResult ExpmOp::buildGradients(OpBuilder &b, ValueRange resultGrads,
                                     MutableArrayRef<Value> operandGrads) {
  Value g = resultGrads[0];
  if (!g)
    return success();
  // The adjoint of the Fréchet derivative at M applied to G: the upper
  // right block of expm([[Mᵀ, G], [0, Mᵀ]]).
  GradientBuilder gb(b, getLoc());
  Value x = getInput();
  int64_t rank = tensorOf(x).getRank(), rows = rank - 2, cols = rank - 1;
  Value mt = gb.transposeLast(x);
  Value top = gb.concat({mt, g}, cols);
  Value bottom = gb.concat({gb.zerosLike(mt), mt}, cols);
  Value block = gb.concat({top, bottom}, rows);
  Value e = ExpmOp::create(b, getLoc(), block.getType(), block);
  OpFoldResult zero = b.getIndexAttr(0), n = gb.extent(x, cols);
  Value upper = gb.slice(e, rows, zero, n);
  operandGrads[0] = gb.slice(upper, cols, n, gb.addExtents(n, n));
  return success();
}
