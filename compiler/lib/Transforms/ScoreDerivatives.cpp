//===- ScoreDerivatives.cpp - forward mode over a score region ------------===//
//
// The attention backward needs derivatives of the score region's scalar
// body: with respect to s (for dq/dk) and to the captured elements it reads
// (for the captures' gradients). The body is cloned once and a tangent is
// carried per seed through the float ops.
//
//===----------------------------------------------------------------------===//
#include "AttentionUtils.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"

#include <cmath>

using namespace mlir;
using namespace mlir::frond;

namespace mlir::frond::lowering {

/// The tangent of `op`'s float result `y` from its operands' tangents `t`
/// (null where an operand does not depend on the seed; at least one does).
/// Null for an op this forward mode does not know.
static Value tangentOf(OpBuilder &b, Operation &op, IRMapping &map, Value y,
                       function_ref<Value(Value)> t) {
  Location l = op.getLoc();
  Type f = y.getType();
  auto operand = [&](unsigned i) { return map.lookup(op.getOperand(i)); };
  auto dt = [&](unsigned i) { return t(op.getOperand(i)); };
  auto orZero = [&](Value x) { return x ? x : cFloat(b, l, f, 0.0); };
  // Sums and products that leave out absent (zero) terms.
  auto add = [&](Value x, Value z) -> Value {
    return !x ? z : !z ? x : arith::AddFOp::create(b, l, x, z);
  };
  auto mul = [&](Value x, Value z) -> Value { return x ? arith::MulFOp::create(b, l, x, z) : Value(); };
  if (isa<arith::AddFOp>(op))
    return add(dt(0), dt(1));
  if (isa<arith::SubFOp>(op)) {
    Value neg = dt(1) ? arith::NegFOp::create(b, l, dt(1)) : Value();
    return dt(0) && dt(1) ? arith::SubFOp::create(b, l, dt(0), dt(1)) : add(dt(0), neg);
  }
  if (isa<arith::MulFOp>(op))
    return add(mul(dt(0), operand(1)), mul(dt(1), operand(0)));
  if (isa<arith::DivFOp>(op)) { // (ta - y tb) / b
    Value num = dt(1) ? arith::SubFOp::create(b, l, orZero(dt(0)), arith::MulFOp::create(b, l, y, dt(1)))
                      : dt(0);
    return arith::DivFOp::create(b, l, num, operand(1));
  }
  if (isa<arith::NegFOp>(op))
    return arith::NegFOp::create(b, l, dt(0));
  if (isa<arith::ExtFOp>(op))
    return arith::ExtFOp::create(b, l, f, dt(0));
  if (isa<arith::TruncFOp>(op))
    return arith::TruncFOp::create(b, l, f, dt(0));
  if (isa<math::TanhOp>(op))
    return arith::MulFOp::create(
        b, l, arith::SubFOp::create(b, l, cFloat(b, l, f, 1.0), arith::MulFOp::create(b, l, y, y)),
        dt(0));
  if (isa<math::ExpOp>(op))
    return arith::MulFOp::create(b, l, y, dt(0));
  if (isa<math::LogOp>(op))
    return arith::DivFOp::create(b, l, dt(0), operand(0));
  if (isa<math::Log1pOp>(op)) // t / (1 + x)
    return arith::DivFOp::create(b, l, dt(0),
                                 arith::AddFOp::create(b, l, cFloat(b, l, f, 1.0), operand(0)));
  if (isa<math::SqrtOp>(op)) // t / (2 y)
    return arith::DivFOp::create(b, l, dt(0), arith::AddFOp::create(b, l, y, y));
  if (isa<math::RsqrtOp>(op)) // -y³ t / 2
    return arith::MulFOp::create(
        b, l, arith::MulFOp::create(b, l, arith::MulFOp::create(b, l, y, y), y),
        arith::MulFOp::create(b, l, dt(0), cFloat(b, l, f, -0.5)));
  if (isa<math::AbsFOp>(op)) {
    Value negative = arith::CmpFOp::create(b, l, arith::CmpFPredicate::OLT, operand(0),
                                           cFloat(b, l, f, 0.0));
    return arith::SelectOp::create(b, l, negative, arith::NegFOp::create(b, l, dt(0)), dt(0));
  }
  if (isa<math::FloorOp>(op)) // piecewise constant
    return cFloat(b, l, f, 0.0);
  if (isa<math::ErfOp>(op)) { // 2/√π exp(-x²) t
    Value x = operand(0);
    Value e = math::ExpOp::create(b, l, arith::NegFOp::create(b, l, arith::MulFOp::create(b, l, x, x)));
    return arith::MulFOp::create(b, l, arith::MulFOp::create(b, l, e, cFloat(b, l, f, M_2_SQRTPI)),
                                 dt(0));
  }
  if (isa<math::PowFOp>(op)) { // x^p: p x^(p-1) tx + y log(x) tp
    Value x = operand(0), p = operand(1);
    Value base;
    if (dt(0)) {
      Value pm1 = arith::SubFOp::create(b, l, p, cFloat(b, l, f, 1.0));
      base = arith::MulFOp::create(
          b, l, arith::MulFOp::create(b, l, p, math::PowFOp::create(b, l, x, pm1)), dt(0));
    }
    Value exponent =
        dt(1) ? arith::MulFOp::create(b, l, arith::MulFOp::create(b, l, y, math::LogOp::create(b, l, x)),
                                      dt(1))
              : Value();
    return add(base, exponent);
  }
  if (auto sel = dyn_cast<arith::SelectOp>(op))
    return arith::SelectOp::create(b, l, map.lookup(sel.getCondition()),
                                   orZero(t(sel.getTrueValue())), orZero(t(sel.getFalseValue())));
  if (isa<arith::MaximumFOp, arith::MaxNumFOp, arith::MinimumFOp, arith::MinNumFOp>(op)) {
    bool isMax = isa<arith::MaximumFOp, arith::MaxNumFOp>(op);
    Value first = arith::CmpFOp::create(
        b, l, isMax ? arith::CmpFPredicate::OGE : arith::CmpFPredicate::OLE, operand(0), operand(1));
    return arith::SelectOp::create(b, l, first, orZero(dt(0)), orZero(dt(1)));
  }
  return Value();
}

FailureOr<SmallVector<Value>> scoreDerivatives(OpBuilder &b, Region &score, ArrayRef<Value> args,
                                               ValueRange captures, ArrayRef<Value> seeds,
                                               IRMapping &map, CloneFn cloneOp) {
  Block &block = score.front();
  SmallVector<Value> all(args);
  all.append(captures.begin(), captures.end());
  for (auto [arg, v] : llvm::zip(block.getArguments(), all))
    map.map(arg, v);
  // Per seed, tangents by original value; absent means zero.
  SmallVector<DenseMap<Value, Value>> tangents(seeds.size());
  auto seedAt = [&](unsigned i) {
    tangents[i][seeds[i]] = cFloat(b, seeds[i].getLoc(), seeds[i].getType(), 1.0);
  };
  for (auto [i, seed] : llvm::enumerate(seeds))
    if (isa<BlockArgument>(seed))
      seedAt(i);
  for (Operation &op : block.without_terminator()) {
    if (cloneOp)
      cloneOp(b, op, map);
    else
      b.clone(op, map);
    for (unsigned i = 0; i < seeds.size(); ++i) {
      if (op.getNumResults() == 1 && op.getResult(0) == seeds[i]) {
        seedAt(i);
        continue;
      }
      DenseMap<Value, Value> &tangent = tangents[i];
      if (op.getNumResults() != 1 || !isa<FloatType>(op.getResult(0).getType()) ||
          llvm::none_of(op.getOperands(), [&](Value v) { return tangent.count(v); }))
        continue; // a constant with respect to this seed
      auto t = [&](Value v) { return tangent.lookup(v); };
      Value r = tangentOf(b, op, map, map.lookup(op.getResult(0)), t);
      if (!r)
        return op.emitError("the score region's derivative cannot go through '")
               << op.getName() << "' yet (forward mode knows add/sub/mul/div/neg, extf/truncf, "
               << "exp, log, log1p, sqrt, rsqrt, abs, floor, erf, pow, tanh, select, max/min)";
      tangent[op.getResult(0)] = r;
    }
  }
  Value out = cast<YieldOp>(block.getTerminator()).getValue();
  SmallVector<Value> result;
  for (DenseMap<Value, Value> &tangent : tangents) {
    Value x = tangent.lookup(out);
    result.push_back(x ? x : cFloat(b, out.getLoc(), out.getType(), 0.0));
  }
  return result;
}

Value scoreDerivative(OpBuilder &b, Region &score, ArrayRef<Value> args, ValueRange captures) {
  IRMapping map;
  FailureOr<SmallVector<Value>> d =
      scoreDerivatives(b, score, args, captures, {score.getArgument(0)}, map);
  return failed(d) ? Value() : d->front();
}

} // namespace mlir::frond::lowering
