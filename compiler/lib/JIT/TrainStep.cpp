//===- TrainStep.cpp - the optimizer update compiled into the gradient ----===//
//
// addTrainStep (frond/JIT/TrainStep.h): a copy of @<model>_grad whose body
// goes on past the gradients into the update, written as frond ops so the
// pipelines fuse and lower it like the rest (on the GPU: elementwise
// kernels in the step's CUDA graph).
//
//===----------------------------------------------------------------------===//
#include "frond/JIT/TrainStep.h"

#include "frond/Dialect/Frond/IR/GradientBuilder.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"

#include <map>

using namespace mlir;
using namespace mlir::frond;

namespace frond::jit {

std::vector<std::string> TrainStepPlan::stateNames(const Param &p) const {
  const Rule &r = rules[size_t(p.rule)];
  if (r.kind == Rule::AdamW)
    return {"exp_avg", "exp_avg_sq"};
  if (r.momentum != 0)
    return {"momentum_buffer"};
  return {};
}

namespace {

/// Builds the update in front of the gradient function's return.
class UpdateBuilder {
public:
  UpdateBuilder(OpBuilder &b, Location loc, Value hyper)
      : g(b, loc), hyper(hyper), f32(b.getF32Type()) {}

  Value c(double v, Type type = {}) { return g.constant(v, type ? type : f32); }

  /// hyper[3 * rule + k] as a rank-0 tensor (one per step, shared).
  Value hyperAt(int rule, int k) {
    int at = TrainStepPlan::kHyperPerRule * rule + k;
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
    int64_t rank = cast<RankedTensorType>(x.getType()).getRank();
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

  /// The updated parameter and state (in stateNames order).
  SmallVector<Value> update(const TrainStepPlan::Rule &r, int rule, Value p, Value grad,
                            ArrayRef<Value> state) {
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

} // namespace

bool addTrainStep(ModuleOp module, const TrainStepPlan &plan, std::string &error) {
  MLIRContext *ctx = module->getContext();
  ctx->getOrLoadDialect<bufferization::BufferizationDialect>();
  func::FuncOp grad;
  for (auto f : module.getOps<func::FuncOp>())
    if (f->hasAttr("frond.outputs") && !f.isExternal() && f.getName().ends_with("_grad"))
      grad = f;
  if (!grad) {
    error = "the module has no gradient function to add the optimizer step to";
    return false;
  }
  // The new function takes over a copy of the gradient's body.
  func::FuncOp copy = grad.clone();
  FunctionType gt = grad.getFunctionType();
  unsigned nGradArgs = gt.getNumInputs();
  std::map<std::string, unsigned> argOf;
  for (unsigned i = 0; i < nGradArgs; ++i)
    if (auto n = grad.getArgAttrOfType<StringAttr>(i, "frond.name"))
      argOf[n.str()] = i;
  auto outNames = grad->getAttrOfType<ArrayAttr>("frond.outputs");
  std::map<std::string, unsigned> resultOf;
  for (unsigned i = 0; i < gt.getNumResults(); ++i)
    resultOf[outputName(outNames, i)] = i;

  SmallVector<Type> argTypes(gt.getInputs());
  SmallVector<std::string> argNames;
  for (const TrainStepPlan::Param &p : plan.params) {
    auto a = argOf.find(p.path);
    auto trainable = a == argOf.end()
                         ? BoolAttr()
                         : grad.getArgAttrOfType<BoolAttr>(a->second, "frond.trainable");
    if (a == argOf.end() || !trainable || !trainable.getValue() ||
        !resultOf.count("grad:" + p.path)) {
      copy.erase();
      error = "the optimizer step updates '" + p.path +
              "', which is not a trainable parameter with a gradient";
      return false;
    }
    for (const std::string &s : plan.stateNames(p)) {
      argTypes.push_back(gt.getInput(a->second));
      argNames.push_back(s + ":" + p.path);
    }
  }
  int64_t nHyper = int64_t(plan.rules.size()) * TrainStepPlan::kHyperPerRule;
  argTypes.push_back(RankedTensorType::get({std::max<int64_t>(nHyper, 1)}, Float32Type::get(ctx)));
  argNames.push_back("hyper");

  OpBuilder b(ctx);
  b.setInsertionPointAfter(grad);
  std::string name = grad.getName().drop_back(5).str() + "_train_step";
  auto step = func::FuncOp::create(b, grad.getLoc(), name, b.getFunctionType(argTypes, {}));
  step.getBody().takeBody(copy.getBody());
  copy.erase();
  Block &entry = step.getBody().front();
  for (unsigned i = 0; i < nGradArgs; ++i)
    step.setArgAttrs(i, grad.getArgAttrDict(i));
  for (unsigned i = nGradArgs; i < argTypes.size(); ++i) {
    entry.addArgument(argTypes[i], grad.getLoc());
    step.setArgAttr(i, "frond.name", b.getStringAttr(argNames[i - nGradArgs]));
  }

  auto ret = cast<func::ReturnOp>(entry.getTerminator());
  b.setInsertionPoint(ret);
  UpdateBuilder u(b, ret.getLoc(), entry.getArgument(argTypes.size() - 1));
  mlir::frond::detail::GradientBuilder &g = u.g;

  SmallVector<Value> results;
  SmallVector<Attribute> names;
  for (unsigned i = 0; i < gt.getNumResults(); ++i)
    if (std::string n = outputName(outNames, i); n.rfind("grad:", 0) != 0) {
      results.push_back(ret.getOperand(i));
      names.push_back(b.getStringAttr(n));
    }

  // |g| over the updated parameters' gradients, and clip_norm's factor.
  Value norm2;
  for (const TrainStepPlan::Param &p : plan.params) {
    Value s = u.sumOfSquares(ret.getOperand(resultOf["grad:" + p.path]));
    norm2 = norm2 ? g.add(norm2, s) : s;
  }
  Type f64 = b.getF64Type();
  Value norm = norm2 ? g.unary(UnaryKind::Sqrt, norm2) : u.c(0, f64);
  results.push_back(norm);
  names.push_back(b.getStringAttr("grad_norm"));
  Value scale;
  if (plan.clip == TrainStepPlan::Norm) {
    Value max = u.c(plan.clipMax, f64);
    Value over = CompareOp::create(b, ret.getLoc(), RankedTensorType::get({}, b.getI1Type()),
                                   CompareKindAttr::get(ctx, CompareKind::Gt), norm, max);
    scale = CastOp::create(b, ret.getLoc(), RankedTensorType::get({}, b.getF32Type()),
                           g.select(over, g.div(max, norm), u.c(1.0, f64)));
  }

  // Each update, written into its argument's buffer.
  unsigned nextState = nGradArgs;
  for (const TrainStepPlan::Param &p : plan.params) {
    unsigned pi = argOf[p.path];
    std::vector<std::string> stateNames = plan.stateNames(p);
    SmallVector<Value> stateArgs, dests{entry.getArgument(pi)};
    for (size_t k = 0; k < stateNames.size(); ++k)
      stateArgs.push_back(entry.getArgument(nextState + unsigned(k)));
    dests.append(stateArgs);
    nextState += unsigned(stateNames.size());
    Value gradient = u.clipped(ret.getOperand(resultOf["grad:" + p.path]), plan, scale);
    SmallVector<Value> values = u.update(plan.rules[size_t(p.rule)], p.rule,
                                         entry.getArgument(pi), gradient, stateArgs);
    // Written into the argument's buffer, not returned: a returned
    // argument would come back as a copy (results belong to the caller).
    for (size_t k = 0; k < values.size(); ++k) {
      auto type = cast<RankedTensorType>(dests[k].getType());
      Value buffer = bufferization::ToBufferOp::create(
          b, ret.getLoc(), MemRefType::get(type.getShape(), type.getElementType()), dests[k]);
      bufferization::MaterializeInDestinationOp::create(b, ret.getLoc(), Type(), values[k],
                                                        buffer, /*restrict=*/false,
                                                        /*writable=*/true);
    }
  }
  func::ReturnOp::create(b, ret.getLoc(), results);
  ret.erase();
  SmallVector<Type> resultTypes;
  for (Value v : results)
    resultTypes.push_back(v.getType());
  step.setFunctionType(b.getFunctionType(argTypes, resultTypes));
  step->setAttr("frond.outputs", b.getArrayAttr(names));
  return true;
}

} // namespace frond::jit
