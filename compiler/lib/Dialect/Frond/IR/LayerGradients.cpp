//===- LayerGradients.cpp - gradient rules of linears and norms ----------===//
#include "GradientBuilder.h"

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
