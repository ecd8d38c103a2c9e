//===- MLIRGenRegions.cpp - frond.attention and its region graphs ---------===//
//
// An "attention" node becomes frond.attention: operands q, k, v, the
// metric (power_law only; a -1 placeholder is skipped for other kinds),
// then the captures. Its region graphs, `mask` (b, h, q, k : index) and
// `score` (s : f32, then b, h, q, k : index), become the op's regions, with
// the captures as trailing block arguments. Region nodes compute on
// scalars with arith and math ops; a captured tensor is read with
// tensor.extract (rank-0 captures are extracted when used directly).
//
//===----------------------------------------------------------------------===//
#include "MLIRGenImpl.h"

#include "frond/Dialect/Frond/IR/FrondOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include <cmath>

namespace fir = mlir::frond;
namespace arith = mlir::arith;
namespace math = mlir::math;

namespace frond::mlirgen {

Value Emitter::emitAttention(const graph::Node &n,
                             llvm::ArrayRef<Value> ops) {
  Location l = loc(n.loc);
  for (const auto &entry : n.attrs)
    if (entry.first != "kind" && entry.first != "scale" &&
        entry.first != "kv_source") {
      error(n.loc, "cannot lower 'attention': 'frond.attention' has no "
                   "attribute '" + entry.first + "'");
      return {};
    }
  const SpecValue *kindValue = attr(n, "kind");
  if (!kindValue) {
    error(n.loc, "cannot lower 'attention': it needs a 'kind'");
    return {};
  }
  auto kind = mlir::dyn_cast_or_null<fir::AttentionKindAttr>(
      enumAttr(n, "kind", *kindValue));
  if (!kind)
    return {};
  if (ops.size() < 3 || !ops[0] || !ops[1] || !ops[2]) {
    error(n.loc, "cannot lower 'attention': it needs q, k and v");
    return {};
  }
  size_t next = 3;
  Value metric;
  if (kind.getValue() == fir::AttentionKind::PowerLaw) {
    if (ops.size() < 4 || !ops[3]) {
      error(n.loc, "cannot lower 'attention': 'power_law' needs a metric "
                   "operand after q, k and v");
      return {};
    }
    metric = ops[3];
    next = 4;
  } else if (ops.size() > 3 && !ops[3]) {
    next = 4; // An absent metric.
  }
  llvm::SmallVector<Value> captures;
  for (size_t i = next; i < ops.size(); ++i) {
    if (!ops[i]) {
      error(n.loc, "cannot lower 'attention': capture #" +
                       std::to_string(i - next) + " is missing");
      return {};
    }
    captures.push_back(ops[i]);
  }
  std::optional<double> scale = numAttr(n, "scale", /*required=*/true);
  if (!scale)
    return {};
  bool kvSource = false;
  if (const SpecValue *v = attr(n, "kv_source")) {
    if (v->kind != SpecValue::Bool) {
      error(n.loc, "cannot lower 'attention': 'kv_source' must be true or "
                   "false, found " + v->describe());
      return {};
    }
    kvSource = v->b;
  }
  RankedTensorType type = tensorType(n);
  auto q = mlir::dyn_cast<RankedTensorType>(ops[0].getType());
  if (!type || !q)
    return {};
  if (n.regions.size() > 2) {
    error(n.loc, "cannot lower 'attention': it has " +
                     std::to_string(n.regions.size()) +
                     " regions (expected mask and score)");
    return {};
  }

  auto op = fir::AttentionOp::create(
      b, l, type, kind, ops[0], ops[1], ops[2], metric, captures,
      b.getF64FloatAttr(*scale), kvSource ? b.getUnitAttr() : nullptr);
  Type index = b.getIndexType();
  Type score = fir::AttentionOp::getScoreType(q.getElementType());
  const graph::Graph *mask = n.regions.size() > 0 ? n.regions[0].get() : nullptr;
  const graph::Graph *scoreGraph =
      n.regions.size() > 1 ? n.regions[1].get() : nullptr;
  if (mask && !emitRegion(*mask, op.getMask(), {index, index, index, index},
                          captures, b.getI1Type(), n, "mask"))
    return {};
  if (scoreGraph &&
      !emitRegion(*scoreGraph, op.getScore(),
                  {score, index, index, index, index}, captures, score, n,
                  "score"))
    return {};
  return op.getResult();
}

bool Emitter::emitRegion(const graph::Graph &g, mlir::Region &region,
                         llvm::ArrayRef<Type> leading,
                         mlir::ValueRange captures, Type yieldType,
                         const graph::Node &att, const char *what) {
  if (g.nodes.empty())
    return true; // No mask: every key is visible; no score: identity.
  Location attLoc = loc(att.loc);
  auto *block = new mlir::Block;
  region.push_back(block);
  for (Type t : leading)
    block->addArgument(t, attLoc);
  for (Value c : captures)
    block->addArgument(c.getType(), attLoc);
  mlir::OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(block);

  std::string where = std::string("in the ") + what + " region of attention: ";
  std::vector<Value> values(g.nodes.size());
  bool yielded = false;
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const graph::Node &n = g.nodes[i];
    if (yielded) {
      error(n.loc, "cannot lower '" + n.op + "' " + where +
                       "it comes after the region's 'yield'");
      return false;
    }
    llvm::SmallVector<Value> operands;
    for (int id : n.operands) {
      if (id < 0 || size_t(id) >= i || !values[id]) {
        error(n.loc, "cannot lower '" + n.op + "' " + where + "operand node #" +
                         std::to_string(id) + " is not defined before node #" +
                         std::to_string(i));
        return false;
      }
      operands.push_back(values[id]);
    }

    if (n.op == "region_arg" || n.op == "capture") {
      bool capture = n.op == "capture";
      size_t base = capture ? leading.size() : 0;
      size_t count = capture ? captures.size() : leading.size();
      const SpecValue *index = attr(n, "index");
      if (!index || index->kind != SpecValue::Int || index->i < 0 ||
          size_t(index->i) >= count) {
        error(n.loc, "cannot lower '" + n.op + "' " + where + "its 'index' " +
                         "must be an integer in [0, " + std::to_string(count) +
                         ")");
        return false;
      }
      values[i] = block->getArgument(base + index->i);
      if (n.loc.valid() && !capture)
        values[i].setLoc(loc(n.loc));
      continue;
    }
    if (n.op == "yield") {
      if (operands.size() != 1) {
        error(n.loc, "cannot lower 'yield' " + where + "it takes one operand");
        return false;
      }
      Value y = scalarOf(operands[0], n);
      if (!y)
        return false;
      Location l = loc(n.loc);
      fir::YieldOp::create(b, l, convertScalar(y, yieldType, l));
      yielded = true;
      continue;
    }
    values[i] = emitScalarNode(n, operands);
    if (!values[i] || failed)
      return false;
  }
  if (!yielded)
    error(att.loc, std::string("cannot lower 'attention': its ") + what +
                       " region has no 'yield'");
  return !failed;
}

Value Emitter::scalarOf(Value v, const graph::Node &n) {
  auto t = mlir::dyn_cast<RankedTensorType>(v.getType());
  if (!t)
    return v;
  if (t.getRank() == 0)
    return mlir::tensor::ExtractOp::create(b, loc(n.loc), v, mlir::ValueRange{});
  std::string type;
  llvm::raw_string_ostream os(type);
  os << t;
  error(n.loc, "cannot lower '" + n.op + "' in an attention region: the "
               "captured tensor " + type + " must be indexed (e.g. x[b])");
  return {};
}

Value Emitter::emitScalarNode(const graph::Node &n,
                              llvm::ArrayRef<Value> operands) {
  Location l = loc(n.loc);
  Type t = scalarType(n);
  if (!t)
    return {};
  auto expect = [&](size_t count) {
    if (operands.size() == count)
      return true;
    error(n.loc, "cannot lower '" + n.op + "' in an attention region: it "
                 "takes " + std::to_string(count) + " operands, found " +
                 std::to_string(operands.size()));
    return false;
  };
  auto kindOf = [&]() -> std::string {
    const SpecValue *k = attr(n, "kind");
    if (k && k->kind == SpecValue::Str)
      return k->s;
    error(n.loc, "cannot lower '" + n.op + "': it needs a 'kind'");
    return "";
  };

  if (n.op == "constant") {
    const SpecValue *v = attr(n, "value");
    if (!v || !(v->isNumber() || v->kind == SpecValue::Bool)) {
      error(n.loc, "cannot lower 'constant': it needs a numeric 'value'");
      return {};
    }
    return arith::ConstantOp::create(b, l, scalarAttr(t, *v));
  }
  if (n.op == "extract") {
    auto tt = operands.empty()
                  ? RankedTensorType()
                  : mlir::dyn_cast<RankedTensorType>(operands[0].getType());
    if (!tt || size_t(tt.getRank()) + 1 != operands.size()) {
      error(n.loc, "cannot lower 'extract': it needs a captured tensor and "
                   "one index per dimension");
      return {};
    }
    llvm::SmallVector<Value> indices;
    for (Value v : operands.drop_front()) {
      Value s = scalarOf(v, n);
      if (!s)
        return {};
      indices.push_back(convertScalar(s, b.getIndexType(), l));
    }
    Value x = mlir::tensor::ExtractOp::create(b, l, operands[0], indices);
    return convertScalar(x, t, l);
  }

  llvm::SmallVector<Value> xs;
  for (Value v : operands) {
    xs.push_back(scalarOf(v, n));
    if (!xs.back())
      return {};
  }
  if (n.op == "binary") {
    std::string kind = kindOf();
    if (kind.empty() || !expect(2))
      return {};
    // pow on integers is computed in f32 and converted back.
    Type ct = kind == "pow" && !mlir::isa<mlir::FloatType>(t)
                  ? Type(floatType)
                  : t;
    Value r = scalarBinary(kind, convertScalar(xs[0], ct, l),
                           convertScalar(xs[1], ct, l), ct, n);
    return r ? convertScalar(r, t, l) : r;
  }
  if (n.op == "compare") {
    std::string kind = kindOf();
    if (kind.empty() || !expect(2))
      return {};
    Type common = unify(xs[0].getType(), xs[1].getType());
    Value lhs = convertScalar(xs[0], common, l);
    Value rhs = convertScalar(xs[1], common, l);
    auto fk = llvm::StringSwitch<std::optional<arith::CmpFPredicate>>(kind)
                  .Case("lt", arith::CmpFPredicate::OLT)
                  .Case("le", arith::CmpFPredicate::OLE)
                  .Case("gt", arith::CmpFPredicate::OGT)
                  .Case("ge", arith::CmpFPredicate::OGE)
                  .Case("eq", arith::CmpFPredicate::OEQ)
                  .Case("ne", arith::CmpFPredicate::UNE)
                  .Default(std::nullopt);
    auto ik = llvm::StringSwitch<std::optional<arith::CmpIPredicate>>(kind)
                  .Case("lt", arith::CmpIPredicate::slt)
                  .Case("le", arith::CmpIPredicate::sle)
                  .Case("gt", arith::CmpIPredicate::sgt)
                  .Case("ge", arith::CmpIPredicate::sge)
                  .Case("eq", arith::CmpIPredicate::eq)
                  .Case("ne", arith::CmpIPredicate::ne)
                  .Default(std::nullopt);
    if (!fk || !ik) {
      error(n.loc, "cannot lower 'compare': unknown kind '" + kind + "'");
      return {};
    }
    Value c = mlir::isa<mlir::FloatType>(common)
                  ? Value(arith::CmpFOp::create(b, l, *fk, lhs, rhs))
                  : Value(arith::CmpIOp::create(b, l, *ik, lhs, rhs));
    return convertScalar(c, t, l);
  }
  if (n.op == "select") {
    if (!expect(3))
      return {};
    return arith::SelectOp::create(b, l, convertScalar(xs[0], b.getI1Type(), l),
                                   convertScalar(xs[1], t, l),
                                   convertScalar(xs[2], t, l));
  }
  if (n.op == "cast") {
    if (!expect(1))
      return {};
    return convertScalar(xs[0], t, l);
  }
  if (n.op == "unary") {
    std::string kind = kindOf();
    if (kind.empty() || !expect(1))
      return {};
    // Integer results of float functions (floor of a division) are
    // computed in f32; neg, abs and relu stay integer.
    bool intOk = kind == "neg" || kind == "abs" || kind == "relu";
    Type ct = mlir::isa<mlir::FloatType>(t) || intOk ? t : Type(floatType);
    Value r = scalarUnary(kind, convertScalar(xs[0], ct, l), n);
    return r ? convertScalar(r, t, l) : r;
  }
  if (n.op == "softcap" || n.op == "clamp") {
    if (!expect(1))
      return {};
    Value x = convertScalar(xs[0], t, l);
    bool isFloat = mlir::isa<mlir::FloatType>(t);
    if (n.op == "softcap") {
      std::optional<double> cap = numAttr(n, "cap", true);
      if (!cap)
        return {};
      if (!isFloat) {
        error(n.loc, "cannot lower 'softcap' in an attention region: it needs "
                     "a float");
        return {};
      }
      Value c = arith::ConstantOp::create(b, l, b.getFloatAttr(t, *cap));
      Value th = math::TanhOp::create(b, l, arith::DivFOp::create(b, l, x, c));
      return arith::MulFOp::create(b, l, c, th);
    }
    for (const char *bound : {"min", "max"}) {
      if (!attr(n, bound))
        continue;
      std::optional<double> v = numAttr(n, bound, true);
      if (!v)
        return {};
      Value c = arith::ConstantOp::create(
          b, l, scalarAttr(t, SpecValue::ofFloat(*v)));
      bool lo = bound[1] == 'i';
      x = isFloat ? (lo ? Value(arith::MaximumFOp::create(b, l, x, c))
                        : Value(arith::MinimumFOp::create(b, l, x, c)))
                  : (lo ? Value(arith::MaxSIOp::create(b, l, x, c))
                        : Value(arith::MinSIOp::create(b, l, x, c)));
    }
    return x;
  }
  error(n.loc, "cannot lower '" + n.op +
                   "' inside the mask or score region of an attention");
  return {};
}

Value Emitter::scalarUnary(llvm::StringRef kind, Value x, const graph::Node &n) {
  Location l = loc(n.loc);
  Type t = x.getType();
  if (!mlir::isa<mlir::FloatType>(t)) {
    if (kind == "neg")
      return arith::SubIOp::create(b, l, zero(t, l), x);
    if (kind == "relu")
      return arith::MaxSIOp::create(b, l, x, zero(t, l));
    if (kind == "abs")
      return arith::MaxSIOp::create(
          b, l, x, arith::SubIOp::create(b, l, zero(t, l), x));
    error(n.loc, "cannot lower 'unary " + kind.str() +
                     "' in an attention region: it needs a float operand");
    return {};
  }
  auto cst = [&](double v) -> Value {
    return arith::ConstantOp::create(b, l, b.getFloatAttr(t, v));
  };
  auto sigmoid = [&](Value v) -> Value {
    Value one = cst(1.0);
    Value e = math::ExpOp::create(b, l, arith::NegFOp::create(b, l, v));
    return arith::DivFOp::create(b, l, one, arith::AddFOp::create(b, l, one, e));
  };
  auto mul = [&](Value a, Value c) -> Value {
    return arith::MulFOp::create(b, l, a, c);
  };
  if (kind == "neg")
    return arith::NegFOp::create(b, l, x);
  if (kind == "exp")
    return math::ExpOp::create(b, l, x);
  if (kind == "log")
    return math::LogOp::create(b, l, x);
  if (kind == "sqrt")
    return math::SqrtOp::create(b, l, x);
  if (kind == "rsqrt")
    return math::RsqrtOp::create(b, l, x);
  if (kind == "abs")
    return math::AbsFOp::create(b, l, x);
  if (kind == "tanh")
    return math::TanhOp::create(b, l, x);
  if (kind == "floor")
    return math::FloorOp::create(b, l, x);
  if (kind == "sigmoid")
    return sigmoid(x);
  if (kind == "silu")
    return mul(x, sigmoid(x));
  if (kind == "softplus")
    return math::Log1pOp::create(b, l, math::ExpOp::create(b, l, x));
  if (kind == "relu" || kind == "relu2") {
    Value r = arith::MaximumFOp::create(b, l, x, cst(0.0));
    return kind == "relu" ? r : mul(r, r);
  }
  if (kind == "gelu") { // 0.5 x (1 + erf(x / sqrt 2))
    Value e = math::ErfOp::create(b, l, mul(x, cst(M_SQRT1_2)));
    return mul(mul(cst(0.5), x), arith::AddFOp::create(b, l, cst(1.0), e));
  }
  if (kind == "gelu_tanh") { // 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
    Value x3 = mul(x, mul(x, x));
    Value inner = arith::AddFOp::create(b, l, x, mul(cst(0.044715), x3));
    Value th = math::TanhOp::create(b, l, mul(cst(std::sqrt(2.0 / M_PI)), inner));
    return mul(mul(cst(0.5), x), arith::AddFOp::create(b, l, cst(1.0), th));
  }
  error(n.loc, "cannot lower 'unary': unknown kind '" + kind.str() + "'");
  return {};
}

Value Emitter::scalarBinary(llvm::StringRef kind, Value lhs, Value rhs, Type t,
                            const graph::Node &n) {
  Location l = loc(n.loc);
  if (mlir::isa<mlir::FloatType>(t)) {
    if (kind == "add") return arith::AddFOp::create(b, l, lhs, rhs);
    if (kind == "sub") return arith::SubFOp::create(b, l, lhs, rhs);
    if (kind == "mul") return arith::MulFOp::create(b, l, lhs, rhs);
    if (kind == "div") return arith::DivFOp::create(b, l, lhs, rhs);
    if (kind == "pow") return math::PowFOp::create(b, l, lhs, rhs);
    if (kind == "max") return arith::MaximumFOp::create(b, l, lhs, rhs);
    if (kind == "min") return arith::MinimumFOp::create(b, l, lhs, rhs);
  } else if (t.isInteger(1)) {
    if (kind == "and") return arith::AndIOp::create(b, l, lhs, rhs);
    if (kind == "or") return arith::OrIOp::create(b, l, lhs, rhs);
  } else {
    if (kind == "add") return arith::AddIOp::create(b, l, lhs, rhs);
    if (kind == "sub") return arith::SubIOp::create(b, l, lhs, rhs);
    if (kind == "mul") return arith::MulIOp::create(b, l, lhs, rhs);
    if (kind == "div") return arith::DivSIOp::create(b, l, lhs, rhs);
    if (kind == "max") return arith::MaxSIOp::create(b, l, lhs, rhs);
    if (kind == "min") return arith::MinSIOp::create(b, l, lhs, rhs);
    if (kind == "and") return arith::AndIOp::create(b, l, lhs, rhs);
    if (kind == "or") return arith::OrIOp::create(b, l, lhs, rhs);
  }
  std::string type;
  llvm::raw_string_ostream os(type);
  os << t;
  error(n.loc, "cannot lower 'binary " + kind.str() +
                   "' in an attention region on " + type + " operands");
  return {};
}

} // namespace frond::mlirgen
