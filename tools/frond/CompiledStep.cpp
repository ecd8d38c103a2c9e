//===- CompiledStep.cpp - the experiment's optimizer as compiled code -----===//
#include "CompiledStep.h"

#include <cmath>

namespace frond::cli {

using runtime::Hyper;
using runtime::Optimizer;
using runtime::Tensor;
using jit::TrainStepPlan;

namespace {

bool sameRule(const Hyper &a, const Hyper &b) {
  return a.rule == b.rule && a.lr == b.lr && a.weightDecay == b.weightDecay &&
         a.beta1 == b.beta1 && a.beta2 == b.beta2 && a.eps == b.eps &&
         a.momentum == b.momentum && a.nesterov == b.nesterov && a.nsSteps == b.nsSteps &&
         a.momentumWarmup == b.momentumWarmup && a.momentumStart == b.momentumStart &&
         a.faithful == b.faithful;
}

TrainStepPlan::Rule ruleOf(const Hyper &h) {
  TrainStepPlan::Rule r;
  r.weightDecay = h.weightDecay != 0;
  if (h.rule == Hyper::AdamW) {
    r.kind = TrainStepPlan::Rule::AdamW;
    // The same f32 constants as runtime::adamwUpdate.
    r.b1 = float(h.beta1), r.a1 = float(1.0 - h.beta1);
    r.b2 = float(h.beta2), r.a2 = float(1.0 - h.beta2);
    r.eps = float(h.eps);
  } else if (h.rule == Hyper::Muon) {
    r.kind = TrainStepPlan::Rule::Muon;
    r.nesterov = h.nesterov;
    r.nsSteps = int(h.nsSteps);
  } else {
    r.kind = TrainStepPlan::Rule::SGD;
    r.wd = float(h.weightDecay);
    r.momentum = float(h.momentum);
    r.nesterov = h.nesterov;
  }
  return r;
}

/// The slot of `path` (the plan's parameters are the optimizer's slots).
const Optimizer::Slot *slotOf(const Optimizer &opt, const std::string &path) {
  for (auto &s : opt.slots())
    if (s.path == path)
      return &s;
  return nullptr;
}

/// The slot's vector behind optimizer state `name` (Optimizer::state()'s
/// names: exp_avg_sq is v, exp_avg and momentum_buffer are m).
template <typename SlotT>
auto &stateVector(SlotT &slot, const std::string &name) {
  return name == "exp_avg_sq" ? slot.v : slot.m;
}

} // namespace

std::shared_ptr<TrainStepPlan> trainStepPlan(const Optimizer &opt, int accumulate,
                                             std::string &whyNot) {
  auto plan = std::make_shared<TrainStepPlan>();
  plan->accumulate = accumulate;
  std::vector<const Hyper *> ruleHypers;
  for (const Optimizer::Slot &s : opt.slots()) {
    if (s.hyper.rule == Hyper::Muon && s.hyper.faithful) {
      whyNot = "Muon's faithful (bf16) Newton-Schulz runs on the host ('" + s.path + "')";
      return nullptr;
    }
    if (s.hyper.rule == Hyper::Muon && s.shape.size() != 2) {
      whyNot = "Muon on a parameter of rank " + std::to_string(s.shape.size()) +
               " runs on the host ('" + s.path + "')";
      return nullptr;
    }
    if (s.t != opt.slots().front().t) {
      whyNot = "the parameters' update counts differ ('" + s.path + "')";
      return nullptr;
    }
    size_t r = 0;
    while (r < ruleHypers.size() && !sameRule(*ruleHypers[r], s.hyper))
      ++r;
    if (r == ruleHypers.size()) {
      ruleHypers.push_back(&s.hyper);
      plan->rules.push_back(ruleOf(s.hyper));
    }
    plan->params.push_back({s.path, int(r)});
  }
  if (plan->params.empty()) {
    whyNot = "no parameter trains";
    return nullptr;
  }
  const runtime::Clip &clip = opt.config().clip;
  plan->clip = clip.kind == runtime::Clip::Norm    ? TrainStepPlan::Norm
               : clip.kind == runtime::Clip::Value ? TrainStepPlan::Value
                                                   : TrainStepPlan::None;
  plan->clipMax = clip.max;
  return plan;
}

Tensor trainStepHyper(const TrainStepPlan &plan, Optimizer &opt, int64_t step) {
  const int k = TrainStepPlan::kHyperPerRule;
  std::vector<float> hyper(size_t(std::max(plan.hyperSize(), 1)), 0.0f);
  std::vector<bool> done(plan.rules.size(), false);
  for (const TrainStepPlan::Param &p : plan.params) {
    if (done[size_t(p.rule)])
      continue;
    done[size_t(p.rule)] = true;
    const Optimizer::Slot &s = *slotOf(opt, p.path);
    const Hyper &h = s.hyper;
    double lr = opt.lrAt(p.path, step);
    double t = double(s.t + 1);
    float *at = &hyper[size_t(p.rule * k)];
    if (h.rule == Hyper::AdamW) {
      // As runtime::adamwUpdate computes them.
      at[0] = float(1.0 - lr * h.weightDecay);
      at[1] = float(-(lr / (1.0 - std::pow(h.beta1, t))));
      at[2] = float(std::sqrt(1.0 - std::pow(h.beta2, t)));
    } else if (h.rule == Hyper::Muon) {
      // As runtime::muonUpdate computes them.
      at[0] = float(1.0 - lr * h.weightDecay);
      at[1] = float(-lr);
      at[2] = float(runtime::muonMomentum(h, step));
    } else {
      at[0] = float(-lr);
      at[1] = t <= 1 ? 0.0f : float(h.momentum); // the first update starts the buffer
    }
  }
  for (Optimizer::Slot &s : opt.mutableSlots())
    ++s.t;
  Tensor out;
  out.shape = {int64_t(hyper.size())};
  out.f32 = std::move(hyper);
  return out;
}

std::map<std::string, Tensor> trainStepState(const TrainStepPlan &plan, const Optimizer &opt) {
  std::map<std::string, Tensor> state;
  for (const TrainStepPlan::Param &p : plan.params) {
    const Optimizer::Slot &s = *slotOf(opt, p.path);
    for (const std::string &name : plan.stateNames(p)) {
      Tensor t;
      t.shape = s.shape;
      if (name == "grad_sum") // empty between updates
        t.f32.assign(size_t(Tensor::count(s.shape)), 0.0f);
      else
        t.f32 = stateVector(s, name);
      state[name + ":" + p.path] = std::move(t);
    }
  }
  Tensor hyper;
  hyper.shape = {std::max(plan.hyperSize(), 1)};
  hyper.f32.assign(size_t(hyper.shape[0]), 0.0f);
  state["hyper"] = std::move(hyper);
  return state;
}

void storeTrainStepState(const std::map<std::string, Tensor> &state, Optimizer &opt) {
  for (Optimizer::Slot &s : opt.mutableSlots())
    for (const std::string name : {"exp_avg", "exp_avg_sq", "momentum_buffer"})
      if (auto it = state.find(name + ":" + s.path); it != state.end())
        stateVector(s, name) = it->second.f32;
}

} // namespace frond::cli
