//===- Optimizer.cpp - parameter slots, the step, the state ---------------===//
#include "frond/runtime/Optimizer.h"
#include "frond/lang/Sema.h"

#include <cmath>
#include <cstdio>
#include <set>

using namespace frond;
using namespace frond::runtime;

namespace {

/// Embeddings and heads stay with Muon's fallback even when 2-D.
bool isMatrixForMuon(const ParamInfo &p, const std::vector<std::string> &heads) {
  if (p.shape.size() < 2)
    return false;
  if (p.component.find("embed") != std::string::npos ||
      p.component.find("head") != std::string::npos ||
      p.path.find("embed") != std::string::npos)
    return false;
  for (auto &h : heads)
    if (p.path == h || p.path.rfind(h + ".", 0) == 0)
      return false;
  return true;
}

std::string fmt(double x) {
  char b[32];
  std::snprintf(b, sizeof b, "%g", x);
  return b;
}

} // namespace

Optimizer::Optimizer(OptimizerConfig config, const std::vector<ParamInfo> &params,
                     const std::vector<std::string> &headNames)
    : config_(std::move(config)) {
  std::map<std::string, std::string> tiedTo;
  for (auto &p : params)
    if (!p.tiedTo.empty())
      tiedTo[p.path] = p.tiedTo;
  for (auto &p : params) {
    if (!p.tiedTo.empty()) {
      std::string owner = p.tiedTo;
      for (int guard = 0; tiedTo.count(owner) && guard < 64; ++guard)
        owner = tiedTo[owner];
      ties_.push_back({p.path, owner});
      continue;
    }
    if (!p.trainable)
      continue;
    Slot s;
    s.path = p.path;
    for (auto &d : p.shape)
      s.shape.push_back(d.size);
    bool matrix = isMatrixForMuon(p, headNames);
    s.hyper = config_.hyper;
    if (s.hyper.rule == Hyper::Muon && !matrix)
      s.hyper = config_.fallback;
    for (auto &g : config_.groups) {
      bool match = false;
      for (auto &pat : g.patterns)
        match |= globMatch(pat, p.path);
      if (!match)
        continue;
      s.group = g.name;
      // A group's muon leaves non-matrix parameters with the rule they had.
      if (g.hasOptimizer && (g.optimizer.rule != Hyper::Muon || matrix))
        s.hyper = g.optimizer;
      if (g.hasLr)
        s.hyper.lr = g.lr;
      if (g.hasWeightDecay)
        s.hyper.weightDecay = g.weightDecay;
      if (g.hasBetas)
        s.hyper.beta1 = g.beta1, s.hyper.beta2 = g.beta2;
      if (g.hasEps)
        s.hyper.eps = g.eps;
      if (g.hasMomentum)
        s.hyper.momentum = g.momentum;
      break;
    }
    // An unknown (symbolic) size allocates nothing; step() then reports
    // the shape mismatch instead of allocating garbage.
    int64_t n = Tensor::count(s.shape);
    for (int64_t d : s.shape)
      if (d < 0)
        n = 0;
    bool needM = s.hyper.rule != Hyper::SGD || s.hyper.momentum != 0;
    if (needM)
      s.m.assign(size_t(n), 0.0f);
    if (s.hyper.rule == Hyper::AdamW)
      s.v.assign(size_t(n), 0.0f);
    slots_.push_back(std::move(s));
  }
}

double Optimizer::lrAt(int64_t step) const {
  return config_.schedule.lrAt(step, config_.totalSteps, config_.hyper.lr, config_.hyper.lr);
}

double Optimizer::lrAt(const std::string &path, int64_t step) const {
  for (auto &s : slots_)
    if (s.path == path)
      return config_.schedule.lrAt(step, config_.totalSteps, s.hyper.lr, config_.hyper.lr);
  return 0.0;
}

bool Optimizer::step(std::map<std::string, Tensor> &params,
                     const std::map<std::string, Tensor> &grads, int64_t step,
                     std::string &error) {
  // Validate everything first, so that an error changes nothing.
  for (auto &s : slots_) {
    auto p = params.find(s.path);
    if (p == params.end()) {
      error = "optimizer: parameter '" + s.path + "' is missing from the parameters";
      return false;
    }
    auto g = grads.find(s.path);
    if (g == grads.end()) {
      error = "optimizer: no gradient for trainable parameter '" + s.path + "'";
      return false;
    }
    const Tensor *both[2] = {&p->second, &g->second};
    for (const Tensor *t : both) {
      const char *what = t == both[0] ? "parameter" : "gradient";
      if (t->dtype != DType::F32 || t->shape != s.shape ||
          int64_t(t->f32.size()) != Tensor::count(s.shape)) {
        Tensor want;
        want.shape = s.shape;
        error = std::string("optimizer: ") + what + " '" + s.path + "' is " +
                dtypeName(t->dtype) + t->shapeStr() + ", expected f32" + want.shapeStr();
        return false;
      }
    }
  }
  for (auto &[tied, owner] : ties_)
    if (params.count(tied) && !params.count(owner)) {
      error = "optimizer: tied parameter '" + tied + "' has no owner '" + owner + "' in the parameters";
      return false;
    }

  // Clipping over the trainable gradients.
  double sum = 0;
  for (auto &s : slots_)
    for (float x : grads.at(s.path).f32)
      sum += double(x) * double(x);
  lastNorm_ = std::sqrt(sum);
  if (!std::isfinite(lastNorm_)) {
    error = "optimizer: the gradients are not finite at step " + std::to_string(step) +
            " (norm " + fmt(lastNorm_) + "); lower the learning rate or clip them";
    return false;
  }
  float scale = 1.0f;
  double clipValue = 0.0;
  if (config_.clip.kind == Clip::Norm && lastNorm_ > config_.clip.max)
    scale = float(config_.clip.max / lastNorm_);
  if (config_.clip.kind == Clip::Value)
    clipValue = config_.clip.max;

  for (auto &s : slots_) {
    float *p = params[s.path].f32.data();
    const float *g = grads.at(s.path).f32.data();
    int64_t n = Tensor::count(s.shape);
    double lr = config_.schedule.lrAt(step, config_.totalSteps, s.hyper.lr, config_.hyper.lr);
    ++s.t;
    switch (s.hyper.rule) {
    case Hyper::AdamW:
      adamwUpdate(p, g, s.m.data(), s.v.data(), n, s.hyper, lr, s.t, scale, clipValue);
      break;
    case Hyper::SGD:
      sgdUpdate(p, g, s.m.data(), n, s.hyper, lr, s.t, scale, clipValue);
      break;
    case Hyper::Muon: {
      int64_t rows = s.shape.empty() ? 1 : s.shape[0];
      int64_t cols = rows ? n / rows : 0;
      muonUpdate(p, g, s.m.data(), rows, cols, s.hyper, lr, step, scale, clipValue);
      break;
    }
    }
  }
  copyTiedParams(params);
  return true;
}

void Optimizer::copyTiedParams(std::map<std::string, Tensor> &params) const {
  for (auto &[tied, owner] : ties_)
    if (auto it = params.find(tied); it != params.end())
      it->second = params[owner];
}

std::map<std::string, Tensor> Optimizer::state() const {
  std::map<std::string, Tensor> out;
  for (auto &s : slots_) {
    auto vec = [&](const char *name, const std::vector<float> &v) {
      if (v.empty())
        return;
      Tensor t;
      t.shape = s.shape;
      t.f32 = v;
      out[s.path + "/" + name] = std::move(t);
    };
    vec(s.hyper.rule == Hyper::AdamW ? "exp_avg" : "momentum_buffer", s.m);
    vec("exp_avg_sq", s.v);
    Tensor t = Tensor::zeros(DType::I64, {});
    t.i64[0] = s.t;
    out[s.path + "/step"] = std::move(t);
  }
  return out;
}

bool Optimizer::loadState(const std::map<std::string, Tensor> &state, std::string &error) {
  std::set<std::string> used;
  std::vector<Slot> next = slots_;
  for (auto &s : next) {
    auto take = [&](const std::string &name, std::vector<float> &into) {
      std::string key = s.path + "/" + name;
      auto it = state.find(key);
      if (it == state.end()) {
        error = "optimizer state: '" + key + "' is missing (the checkpoint was written by a "
                "different optimizer or model; start without --resume or use the matching "
                "experiment)";
        return false;
      }
      used.insert(key);
      const Tensor &t = it->second;
      if (t.dtype != DType::F32 || t.shape != s.shape ||
          int64_t(t.f32.size()) != Tensor::count(s.shape)) {
        Tensor want;
        want.shape = s.shape;
        error = "optimizer state: '" + key + "' is " + dtypeName(t.dtype) + t.shapeStr() +
                ", expected f32" + want.shapeStr() + " (the parameter's shape)";
        return false;
      }
      into = t.f32;
      return true;
    };
    if (!s.m.empty() &&
        !take(s.hyper.rule == Hyper::AdamW ? "exp_avg" : "momentum_buffer", s.m))
      return false;
    if (!s.v.empty() && !take("exp_avg_sq", s.v))
      return false;
    std::string key = s.path + "/step";
    auto it = state.find(key);
    if (it == state.end() || it->second.dtype != DType::I64 || it->second.i64.size() != 1 ||
        it->second.i64[0] < 0) {
      error = "optimizer state: '" + key + "' is " +
              (it == state.end() ? std::string("missing") : "not a non-negative i64 scalar");
      return false;
    }
    used.insert(key);
    s.t = it->second.i64[0];
  }
  for (auto &[k, v] : state)
    if (!used.count(k)) {
      error = "optimizer state: unexpected entry '" + k +
              "' (no trainable parameter of this optimizer owns it)";
      return false;
    }
  slots_ = std::move(next);
  return true;
}

static const char *ruleName(Hyper::Rule r) {
  return r == Hyper::AdamW ? "adamw" : r == Hyper::SGD ? "sgd" : "muon";
}

std::string Optimizer::summary() const {
  const Hyper &h = config_.hyper;
  std::string out = std::string(ruleName(h.rule)) + " lr " + fmt(h.lr) + ", weight decay " +
                    fmt(h.weightDecay);
  const Clip &c = config_.clip;
  out += c.kind == Clip::None   ? ", no clipping"
         : c.kind == Clip::Norm ? ", clip norm " + fmt(c.max)
                                : ", clip value " + fmt(c.max);
  if (!config_.groups.empty())
    out += ", " + std::to_string(config_.groups.size()) + " parameter group" +
           (config_.groups.size() == 1 ? "" : "s");
  return out;
}

std::string Optimizer::describe() const {
  std::string out;
  for (auto &s : slots_) {
    const char *rule = ruleName(s.hyper.rule);
    out += s.path + ": " + rule + " lr " + fmt(s.hyper.lr) + " wd " + fmt(s.hyper.weightDecay);
    if (!s.group.empty())
      out += " (group " + s.group + ")";
    out += "\n";
  }
  return out;
}
