//===- ElementwiseGradients.cpp - gradient rules of elementwise ops ------===//
//
// DifferentiableOpInterface for unary, binary, select, softcap, swiglu,
// cast and clamp. Every rule returns gradients in its operand's shape
// (sumTo undoes broadcasting).
//
//===----------------------------------------------------------------------===//
#include "frond/Dialect/Frond/IR/GradientBuilder.h"

#include <cmath>

using namespace mlir;
using namespace mlir::frond;
using namespace mlir::frond::detail;

static Type elemOf(Value v) { return cast<RankedTensorType>(v.getType()).getElementType(); }

/// d silu(x)/dx = σ(x) (1 + x (1 - σ(x))).
static Value siluDerivative(GradientBuilder &gb, Value x) {
  Value s = gb.unary(UnaryKind::Sigmoid, x);
  Value one = gb.constant(1.0, elemOf(x));
  return gb.mul(s, gb.add(one, gb.mul(x, gb.sub(one, s))));
}

LogicalResult UnaryOp::buildGradients(OpBuilder &b, ValueRange resultGrads,
                                      MutableArrayRef<Value> operandGrads) {
  Value g = resultGrads[0], x = getInput(), y = getResult();
  if (!g)
    return success();
  GradientBuilder gb(b, getLoc());
  Type e = elemOf(x);
  Value one = gb.constant(1.0, e);
  Value d; // dy/dx
  switch (getKind()) {
  case UnaryKind::Neg:
    operandGrads[0] = gb.unary(UnaryKind::Neg, g);
    return success();
  case UnaryKind::Exp:
    d = y;
    break;
  case UnaryKind::Log:
    operandGrads[0] = gb.div(g, x);
    return success();
  case UnaryKind::Sqrt:
    operandGrads[0] = gb.div(gb.scale(g, 0.5), y);
    return success();
  case UnaryKind::Rsqrt: // -1/2 x^-3/2 = -1/2 y^3
    d = gb.scale(gb.mul(y, gb.mul(y, y)), -0.5);
    break;
  case UnaryKind::Abs: // sign(x), 0 at 0 (as PyTorch)
    d = gb.sub(gb.indicator(CompareKind::Gt, x, gb.constant(0.0, e), e),
               gb.indicator(CompareKind::Lt, x, gb.constant(0.0, e), e));
    break;
  case UnaryKind::Tanh:
    d = gb.sub(one, gb.mul(y, y));
    break;
  case UnaryKind::Sigmoid:
    d = gb.mul(y, gb.sub(one, y));
    break;
  case UnaryKind::Relu:
    d = gb.indicator(CompareKind::Gt, x, gb.constant(0.0, e), e);
    break;
  case UnaryKind::Relu2: // 2 relu(x)
    d = gb.scale(gb.unary(UnaryKind::Relu, x), 2.0);
    break;
  case UnaryKind::Gelu: { // Φ(x) + x φ(x)
    Value cdf = gb.scale(gb.add(one, gb.unary(UnaryKind::Erf, gb.scale(x, M_SQRT1_2))), 0.5);
    Value pdf = gb.scale(gb.unary(UnaryKind::Exp, gb.scale(gb.mul(x, x), -0.5)),
                         1.0 / std::sqrt(2.0 * M_PI));
    d = gb.add(cdf, gb.mul(x, pdf));
    break;
  }
  case UnaryKind::GeluTanh: { // y = x/2 (1 + tanh u), u = c (x + 0.044715 x³)
    const double c = std::sqrt(2.0 / M_PI);
    Value x2 = gb.mul(x, x);
    Value u = gb.scale(gb.add(x, gb.scale(gb.mul(x2, x), 0.044715)), c);
    Value t = gb.unary(UnaryKind::Tanh, u);
    Value du = gb.scale(gb.add(one, gb.scale(x2, 3 * 0.044715)), c);
    d = gb.add(gb.scale(gb.add(one, t), 0.5),
               gb.mul(gb.scale(x, 0.5), gb.mul(gb.sub(one, gb.mul(t, t)), du)));
    break;
  }
  case UnaryKind::Silu:
    d = siluDerivative(gb, x);
    break;
  case UnaryKind::Softplus:
    d = gb.unary(UnaryKind::Sigmoid, x);
    break;
  case UnaryKind::Erf: // 2/√π exp(-x²)
    d = gb.scale(gb.unary(UnaryKind::Exp, gb.unary(UnaryKind::Neg, gb.mul(x, x))),
                 2.0 / std::sqrt(M_PI));
    break;
  case UnaryKind::Floor: // zero almost everywhere: no gradient flows
    return success();
  }
  operandGrads[0] = gb.mul(g, d);
  return success();
}

LogicalResult BinaryOp::buildGradients(OpBuilder &b, ValueRange resultGrads,
                                       MutableArrayRef<Value> operandGrads) {
  Value g = resultGrads[0], x = getLhs(), y = getRhs(), r = getResult();
  if (!g || !isa<FloatType>(elemOf(r)))
    return success();
  GradientBuilder gb(b, getLoc());
  Type e = elemOf(r);
  bool fx = isa<FloatType>(elemOf(x)), fy = isa<FloatType>(elemOf(y));
  Value gx, gy;
  switch (getKind()) {
  case BinaryKind::Add:
    gx = g, gy = g;
    break;
  case BinaryKind::Sub:
    gx = g, gy = gb.unary(UnaryKind::Neg, g);
    break;
  case BinaryKind::Mul:
    gx = fx ? gb.mul(g, y) : Value(), gy = fy ? gb.mul(g, x) : Value();
    break;
  case BinaryKind::Div: // d/dy (x/y) = -r/y
    gx = gb.div(g, y);
    gy = fy ? gb.unary(UnaryKind::Neg, gb.div(gb.mul(g, r), y)) : Value();
    break;
  case BinaryKind::Pow: // d/dx = y x^(y-1), d/dy = r log x
    gx = fx ? gb.mul(g, gb.mul(y, gb.binary(BinaryKind::Pow, x, gb.sub(y, gb.constant(1.0, e)))))
            : Value();
    gy = fy ? gb.mul(g, gb.mul(r, gb.unary(UnaryKind::Log, x))) : Value();
    break;
  case BinaryKind::Max: // ties go to the left operand
    gx = gb.mul(g, gb.indicator(CompareKind::Ge, x, y, e));
    gy = gb.mul(g, gb.indicator(CompareKind::Lt, x, y, e));
    break;
  case BinaryKind::Min:
    gx = gb.mul(g, gb.indicator(CompareKind::Le, x, y, e));
    gy = gb.mul(g, gb.indicator(CompareKind::Gt, x, y, e));
    break;
  case BinaryKind::And:
  case BinaryKind::Or:
    return success();
  }
  if (gx && fx)
    operandGrads[0] = gb.sumTo(gx, x.getType());
  if (gy && fy)
    operandGrads[1] = gb.sumTo(gy, y.getType());
  return success();
}

LogicalResult SelectOp::buildGradients(OpBuilder &b, ValueRange resultGrads,
                                       MutableArrayRef<Value> operandGrads) {
  Value g = resultGrads[0];
  if (!g || !isa<FloatType>(elemOf(getResult())))
    return success();
  GradientBuilder gb(b, getLoc());
  Value zero = gb.constant(0.0, elemOf(g));
  if (isa<FloatType>(elemOf(getTrueValue())))
    operandGrads[1] = gb.sumTo(gb.select(getCond(), g, zero), getTrueValue().getType());
  if (isa<FloatType>(elemOf(getFalseValue())))
    operandGrads[2] = gb.sumTo(gb.select(getCond(), zero, g), getFalseValue().getType());
  return success();
}

LogicalResult SoftcapOp::buildGradients(OpBuilder &b, ValueRange resultGrads,
                                        MutableArrayRef<Value> operandGrads) {
  Value g = resultGrads[0];
  if (!g)
    return success();
  GradientBuilder gb(b, getLoc());
  // y = cap tanh(x / cap): dy/dx = 1 - (y / cap)²
  Value t = gb.scale(getResult(), 1.0 / getCap().convertToDouble());
  operandGrads[0] = gb.mul(g, gb.sub(gb.constant(1.0, elemOf(g)), gb.mul(t, t)));
  return success();
}

LogicalResult SwigluOp::buildGradients(OpBuilder &b, ValueRange resultGrads,
                                       MutableArrayRef<Value> operandGrads) {
  Value g = resultGrads[0];
  if (!g)
    return success();
  GradientBuilder gb(b, getLoc());
  Value gate = getGate(), up = getUp();
  operandGrads[0] = gb.mul(gb.mul(g, up), siluDerivative(gb, gate));
  operandGrads[1] = gb.mul(g, gb.unary(UnaryKind::Silu, gate));
  return success();
}

LogicalResult CastOp::buildGradients(OpBuilder &b, ValueRange resultGrads,
                                     MutableArrayRef<Value> operandGrads) {
  Value g = resultGrads[0];
  auto in = cast<RankedTensorType>(getInput().getType());
  if (!g || !isa<FloatType>(in.getElementType()))
    return success();
  operandGrads[0] = CastOp::create(b, getLoc(), in, g);
  return success();
}

LogicalResult ClampOp::buildGradients(OpBuilder &b, ValueRange resultGrads,
                                      MutableArrayRef<Value> operandGrads) {
  Value g = resultGrads[0], x = getInput();
  if (!g || !isa<FloatType>(elemOf(x)))
    return success();
  // Flows where min <= x <= max (bounds included, as PyTorch).
  GradientBuilder gb(b, getLoc());
  Type e = elemOf(x);
  if (std::optional<APFloat> lo = getMin())
    g = gb.mul(g, gb.indicator(CompareKind::Ge, x, gb.constant(lo->convertToDouble(), e), e));
  if (std::optional<APFloat> hi = getMax())
    g = gb.mul(g, gb.indicator(CompareKind::Le, x, gb.constant(hi->convertToDouble(), e), e));
  operandGrads[0] = g;
  return success();
}
