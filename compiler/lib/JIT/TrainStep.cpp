//===- TrainStep.cpp - the optimizer update compiled into the gradient ----===//
//
// addTrainStep (frond/JIT/TrainStep.h): a copy of @<model>_grad whose body
// goes on past the gradients into the update, written as frond ops so the
// pipelines fuse and lower it like the rest (on the GPU: elementwise
// kernels in the step's CUDA graph).
//
//===----------------------------------------------------------------------===//
#include "frond/JIT/TrainStep.h"
#include "frond/JIT/Lowering.h"

#include "frond/Dialect/Frond/IR/GradientBuilder.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"

#include <algorithm>
#include <cmath>
#include <map>

using namespace mlir;
using namespace mlir::frond;

namespace frond::jit {

int TrainStepPlan::hyperSize() const {
  return int(rules.size()) * kHyperPerRule + (accumulate > 1 ? 1 : 0);
}

std::vector<std::string> TrainStepPlan::stateNames(const Param &p) const {
  const Rule &r = rules[size_t(p.rule)];
  std::vector<std::string> names;
  if (r.kind == Rule::AdamW)
    names = {"exp_avg", "exp_avg_sq"};
  else if (r.kind == Rule::Muon || r.momentum != 0)
    names = {"momentum_buffer"};
  if (accumulate > 1)
    names.push_back("grad_sum");
  return names;
}

namespace {

/// Builds the update in front of the gradient function's return.
class UpdateBuilder {
public:
  UpdateBuilder(OpBuilder &b, Location loc, Value hyper)
      : g(b, loc), hyper(hyper), f32(b.getF32Type()) {}

  Value c(double v, Type type = {}) { return g.constant(v, type ? type : f32); }

  /// hyper[3 * rule + k] as a rank-0 tensor (one per step, shared).
  Value hyperAt(int rule, int k) { return hyperAt(TrainStepPlan::kHyperPerRule * rule + k); }
  Value hyperAt(int at) {
    Value &v = hyperValues[at];
    if (!v) {
      OpBuilder &b = g.builder();
      Value one = g.slice(hyper, 0, b.getIndexAttr(at), b.getIndexAttr(at + 1));
      v = g.reduce(ReduceKind::Sum, one, {0}, /*keep=*/false);
    }
    return v;
  }

  /// The sum of the squares of every element of `x`, rank 0, in f64 (as
  /// the host optimizer sums them: in f32 the norm of millions of
  /// elements would be off by ~1e-5).
  Value sumOfSquares(Value x) {
    auto type = cast<RankedTensorType>(x.getType());
    x = CastOp::create(g.builder(), g.location(),
                       RankedTensorType::get(type.getShape(), g.builder().getF64Type()), x);
    Value sq = g.mul(x, x);
    int64_t rank = type.getRank();
    if (rank == 0)
      return sq;
    SmallVector<int64_t> dims;
    for (int64_t d = 0; d < rank; ++d)
      dims.push_back(d);
    return g.reduce(ReduceKind::Sum, sq, dims, /*keep=*/false);
  }

  /// The gradient as the rule sees it: scaled by clip_norm's factor or
  /// clamped by clip_value.
  Value clipped(Value grad, const TrainStepPlan &plan, Value scale) {
    if (plan.clip == TrainStepPlan::Norm)
      return g.mul(grad, scale);
    if (plan.clip == TrainStepPlan::Value)
      return ClampOp::create(g.builder(), g.location(), grad.getType(), grad,
                             g.builder().getF64FloatAttr(-plan.clipMax),
                             g.builder().getF64FloatAttr(plan.clipMax));
    return grad;
  }

  /// |x|_F in f64, as an f32 rank-0 tensor.
  Value frobenius(Value x) {
    Value norm = g.unary(UnaryKind::Sqrt, sumOfSquares(x));
    return CastOp::create(g.builder(), g.location(), RankedTensorType::get({}, f32), norm);
  }

  /// Muon's orthogonalised update of a rows x cols matrix (host:
  /// runtime::newtonSchulz5 and muonUpdate, the same f32 operations).
  Value newtonSchulz(Value u, int steps) {
    auto type = cast<RankedTensorType>(u.getType());
    bool transpose = type.getDimSize(0) > type.getDimSize(1);
    Value x = transpose ? g.transposeLast(u) : u;
    x = g.div(x, g.add(frobenius(x), c(1e-7)));
    for (int s = 0; s < steps; ++s) {
      Value a = g.matmul(x, g.transposeLast(x));
      Value aa = g.matmul(a, a);
      Value b = g.add(g.mul(c(-4.7750), a), g.mul(c(2.0315), aa));
      x = g.add(g.mul(c(3.4445), x), g.matmul(b, x));
    }
    return transpose ? g.transposeLast(x) : x;
  }

  /// The updated parameter and state (in stateNames order).
  SmallVector<Value> update(const TrainStepPlan::Rule &r, int rule, Value p, Value grad,
                            ArrayRef<Value> state) {
    if (r.kind == TrainStepPlan::Rule::Muon) {
      Value beta = hyperAt(rule, 2);
      Value buf = g.add(state[0], g.mul(g.sub(c(1.0), beta), g.sub(grad, state[0])));
      Value u = r.nesterov ? g.add(grad, g.mul(beta, g.sub(buf, grad))) : buf;
      auto type = cast<RankedTensorType>(p.getType());
      double rows = double(type.getDimSize(0)), cols = double(type.getDimSize(1));
      Value o = g.mul(newtonSchulz(u, r.nsSteps), c(float(std::sqrt(std::max(1.0, rows / cols)))));
      if (r.weightDecay)
        p = g.mul(p, hyperAt(rule, 0));
      return {g.add(p, g.mul(hyperAt(rule, 1), o)), buf};
    }
    if (r.kind == TrainStepPlan::Rule::AdamW) {
      if (r.weightDecay)
        p = g.mul(p, hyperAt(rule, 0));
      Value m = g.add(g.mul(state[0], c(r.b1)), g.mul(c(r.a1), grad));
      Value v = g.add(g.mul(state[1], c(r.b2)), g.mul(c(r.a2), g.mul(grad, grad)));
      Value denom = g.add(g.div(g.unary(UnaryKind::Sqrt, v), hyperAt(rule, 2)), c(r.eps));
      p = g.add(p, g.mul(hyperAt(rule, 1), g.div(m, denom)));
      return {p, m, v};
    }
    Value d = grad;
    if (r.weightDecay)
      d = g.add(d, g.mul(c(r.wd), p));
    SmallVector<Value> out{Value()};
    if (r.momentum != 0) {
      Value buf = g.add(g.mul(state[0], hyperAt(rule, 1)), d);
      d = r.nesterov ? g.add(d, g.mul(c(r.momentum), buf)) : buf;
      out.push_back(buf);
    }
    out[0] = g.add(p, g.mul(hyperAt(rule, 0), d));
    return out;
  }

  /// |g| over `grads` (f64, rank 0).
  Value globalNorm(ArrayRef<Value> grads) {
    Value norm2;
    for (Value grad : grads) {
      Value sq = sumOfSquares(grad);
      norm2 = norm2 ? g.add(norm2, sq) : sq;
    }
    Type f64 = g.builder().getF64Type();
    return norm2 ? g.unary(UnaryKind::Sqrt, norm2) : c(0, f64);
  }

  /// 1.0 where `x > threshold`, as an i1 rank-0 tensor.
  Value greater(Value x, Value threshold) {
    return CompareOp::create(g.builder(), g.location(),
                             RankedTensorType::get({}, g.builder().getI1Type()),
                             CompareKindAttr::get(g.builder().getContext(), CompareKind::Gt), x,
                             threshold);
  }

  /// clip_norm's factor (f32): max / |g| when |g| exceeds max, else 1, in
  /// f64 as the host computes it.
  Value clipNormScale(Value norm, double max) {
    Type f64 = g.builder().getF64Type();
    Value m = c(max, f64);
    Value scale = g.select(greater(norm, m), g.div(m, norm), c(1.0, f64));
    return CastOp::create(g.builder(), g.location(), RankedTensorType::get({}, f32), scale);
  }

  /// Writes `value` into the buffer of the argument `dest`. Not returned: a
  /// returned argument would come back as a copy (results belong to the
  /// caller).
  void writeInto(Value value, Value dest) {
    auto type = cast<RankedTensorType>(dest.getType());
    Value buffer = bufferization::ToBufferOp::create(
        g.builder(), g.location(), MemRefType::get(type.getShape(), type.getElementType()), dest);
    bufferization::MaterializeInDestinationOp::create(g.builder(), g.location(), Type(), value,
                                                      buffer, /*restrict=*/false,
                                                      /*writable=*/true);
  }

  mlir::frond::detail::GradientBuilder g;

private:
  Value hyper;
  Type f32;
  std::map<int, Value> hyperValues;
};

std::string outputName(ArrayAttr names, unsigned i) {
  if (names && i < names.size())
    if (auto s = dyn_cast<StringAttr>(names[i]))
      return s.str();
  return "";
}

/// The gradient function's arguments and results by name.
struct Gradient {
  mutable func::FuncOp fn; // op handles are not const-correct
  std::map<std::string, unsigned> argOf, resultOf;
  ArrayAttr outNames;

  explicit Gradient(func::FuncOp fn) : fn(fn) {
    FunctionType t = fn.getFunctionType();
    for (unsigned i = 0; i < t.getNumInputs(); ++i)
      if (auto n = fn.getArgAttrOfType<StringAttr>(i, "frond.name"))
        argOf[n.str()] = i;
    outNames = fn->getAttrOfType<ArrayAttr>("frond.outputs");
    for (unsigned i = 0; i < t.getNumResults(); ++i)
      resultOf[outputName(outNames, i)] = i;
  }

  /// Whether `path` is a trainable argument with a gradient.
  bool trains(const std::string &path) const {
    auto a = argOf.find(path);
    if (a == argOf.end() || !resultOf.count("grad:" + path))
      return false;
    auto trainable = fn.getArgAttrOfType<BoolAttr>(a->second, "frond.trainable");
    return trainable && trainable.getValue();
  }
};

/// @<model>_train_step beside the gradient, with its arguments (the
/// gradient's, each parameter's state, "hyper") and a copy of its body
/// (results still the gradient's); null with `error` set.
func::FuncOp createStepFunction(const Gradient &grad, const TrainStepPlan &plan,
                                std::string &error) {
  MLIRContext *ctx = grad.fn.getContext();
  FunctionType gt = grad.fn.getFunctionType();
  SmallVector<Type> argTypes(gt.getInputs());
  SmallVector<std::string> argNames;
  for (const TrainStepPlan::Param &p : plan.params) {
    if (!grad.trains(p.path)) {
      error = "the optimizer step updates '" + p.path +
              "', which is not a trainable parameter with a gradient";
      return nullptr;
    }
    for (const std::string &s : plan.stateNames(p)) {
      argTypes.push_back(gt.getInput(grad.argOf.at(p.path)));
      argNames.push_back(s + ":" + p.path);
    }
  }
  argTypes.push_back(
      RankedTensorType::get({std::max<int64_t>(plan.hyperSize(), 1)}, Float32Type::get(ctx)));
  argNames.push_back("hyper");

  OpBuilder b(ctx);
  b.setInsertionPointAfter(grad.fn);
  std::string name = grad.fn.getName().drop_back(5).str() + "_train_step";
  auto step = func::FuncOp::create(b, grad.fn.getLoc(), name, b.getFunctionType(argTypes, {}));
  func::FuncOp copy = grad.fn.clone();
  step.getBody().takeBody(copy.getBody());
  copy.erase();
  Block &entry = step.getBody().front();
  unsigned nGradArgs = gt.getNumInputs();
  for (unsigned i = 0; i < nGradArgs; ++i)
    step.setArgAttrs(i, grad.fn.getArgAttrDict(i));
  for (unsigned i = nGradArgs; i < argTypes.size(); ++i) {
    entry.addArgument(argTypes[i], grad.fn.getLoc());
    step.setArgAttr(i, "frond.name", b.getStringAttr(argNames[i - nGradArgs]));
  }
  return step;
}

} // namespace

bool addTrainStep(ModuleOp module, const TrainStepPlan &plan, std::string &error) {
  MLIRContext *ctx = module->getContext();
  ctx->getOrLoadDialect<bufferization::BufferizationDialect>();
  func::FuncOp gradFn = findFrondFunction(module, "_grad");
  if (!gradFn) {
    error = "the module has no gradient function to add the optimizer step to";
    return false;
  }
  Gradient grad(gradFn);
  func::FuncOp step = createStepFunction(grad, plan, error);
  if (!step)
    return false;
  Block &entry = step.getBody().front();
  unsigned nGradArgs = gradFn.getFunctionType().getNumInputs();
  OpBuilder b(ctx);
  auto ret = cast<func::ReturnOp>(entry.getTerminator());
  b.setInsertionPoint(ret);
  UpdateBuilder u(b, ret.getLoc(), entry.getArguments().back());
  mlir::frond::detail::GradientBuilder &g = u.g;

  SmallVector<Value> results;
  SmallVector<Attribute> names;
  for (unsigned i = 0; i < ret.getNumOperands(); ++i)
    if (std::string n = outputName(grad.outNames, i); n.rfind("grad:", 0) != 0) {
      results.push_back(ret.getOperand(i));
      names.push_back(b.getStringAttr(n));
    }

  // Per parameter: its arguments (the parameter, the rule's state, the
  // running gradient sum under accumulation) and the gradient the rule sees.
  struct Slot {
    const TrainStepPlan::Param *param;
    SmallVector<Value> dests; ///< the parameter, then its state, in stateNames order
    Value sum;                ///< the micro-batches' gradient sum (accumulation)
    Value grad;
  };
  std::vector<Slot> slots;
  unsigned nextState = nGradArgs;
  for (const TrainStepPlan::Param &p : plan.params) {
    Slot s{&p, {entry.getArgument(grad.argOf.at(p.path))}, Value(), Value()};
    for (size_t k = 0, n = plan.stateNames(p).size(); k < n; ++k)
      s.dests.push_back(entry.getArgument(nextState++));
    s.grad = ret.getOperand(grad.resultOf.at("grad:" + p.path));
    if (plan.accumulate > 1) {
      // The host sums in micro-batch order, then scales by 1/accumulate.
      s.sum = g.add(s.dests.back(), s.grad);
      s.grad = g.mul(s.sum, u.c(1.0f / float(plan.accumulate)));
    }
    slots.push_back(std::move(s));
  }

  // |g| over the updated parameters' gradients, and clip_norm's factor.
  SmallVector<Value> grads;
  for (const Slot &s : slots)
    grads.push_back(s.grad);
  Value norm = u.globalNorm(grads);
  results.push_back(norm);
  names.push_back(b.getStringAttr("grad_norm"));
  Value scale = plan.clip == TrainStepPlan::Norm ? u.clipNormScale(norm, plan.clipMax) : Value();
  Value apply = plan.accumulate > 1 ? u.greater(u.hyperAt(plan.hyperSize() - 1), u.c(0.5)) : Value();

  for (const Slot &s : slots) {
    const TrainStepPlan::Param &p = *s.param;
    ArrayRef<Value> state = ArrayRef<Value>(s.dests).drop_front();
    if (s.sum)
      state = state.drop_back();
    SmallVector<Value> values = u.update(plan.rules[size_t(p.rule)], p.rule, s.dests[0],
                                         u.clipped(s.grad, plan, scale), state);
    if (apply) {
      // Only the last micro-batch updates; the others keep the sum.
      for (size_t k = 0; k < values.size(); ++k)
        values[k] = g.select(apply, values[k], s.dests[k]);
      values.push_back(g.select(apply, u.c(0.0), s.sum));
    }
    for (size_t k = 0; k < values.size(); ++k)
      u.writeInto(values[k], s.dests[k]);
  }
  func::ReturnOp::create(b, ret.getLoc(), results);
  ret.erase();
  SmallVector<Type> resultTypes;
  for (Value v : results)
    resultTypes.push_back(v.getType());
  step.setFunctionType(b.getFunctionType(step.getArgumentTypes(), resultTypes));
  step->setAttr("frond.outputs", b.getArrayAttr(names));
  return true;
}

} // namespace frond::jit
