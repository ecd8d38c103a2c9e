//===- OptimizerSettings.cpp - optimizers and groups from an experiment ---===//
//
// Reads the "train.*" settings an elaborated experiment records
// (ExperimentInstance::settings, in the language's printed form) into an
// OptimizerConfig. Every bad value is an error string naming the setting,
// the argument and what is allowed.
//
//===----------------------------------------------------------------------===//
#include "SettingValue.h"
#include "frond/lang/Sema.h"
#include "frond/runtime/Optimizer.h"

#include <cmath>

using namespace frond;
using namespace frond::runtime;
using namespace frond::runtime::detail;


namespace {

bool betasArg(const std::map<std::string, const SValue *> &args, const std::string &what,
              double &b1, double &b2, std::string &error) {
  auto it = args.find("betas");
  if (it == args.end())
    return true;
  const SValue &v = *it->second;
  if (v.kind == SValue::List && v.list.empty())
    return true; // betas = []: the defaults
  if (v.kind != SValue::List || v.list.size() != 2 || v.list[0].kind != SValue::Number ||
      v.list[1].kind != SValue::Number) {
    error = what + ": betas must be a list of two numbers like [0.9, 0.95], got " + v.text;
    return false;
  }
  for (auto &b : v.list)
    if (!(b.num >= 0 && b.num < 1)) {
      error = what + ": each of betas must be in [0, 1), got " + v.text;
      return false;
    }
  b1 = v.list[0].num;
  b2 = v.list[1].num;
  return true;
}

bool momentumOk(double m, const std::string &what, std::string &error, const char *name) {
  if (!(m >= 0 && m < 1)) {
    error = what + ": " + name + " must be in [0, 1), got " + std::to_string(m);
    return false;
  }
  return true;
}

bool boolArg(const std::map<std::string, const SValue *> &args, const std::string &name,
             const std::string &what, bool &out, std::string &error) {
  auto it = args.find(name);
  if (it == args.end())
    return true;
  if (it->second->kind != SValue::Bool) {
    error = what + ": " + name + " must be true or false, got " + it->second->text;
    return false;
  }
  out = it->second->b;
  return true;
}

bool intArg(const std::map<std::string, const SValue *> &args, const std::string &name,
            const std::string &what, int64_t &out, int64_t max, std::string &error) {
  auto it = args.find(name);
  if (it == args.end())
    return true;
  const SValue &v = *it->second;
  if (v.kind != SValue::Number || v.num != std::floor(v.num) || v.num < 0 || v.num > double(max)) {
    error = what + ": " + name + " must be a whole number in [0, " + std::to_string(max) +
            "], got " + v.text;
    return false;
  }
  out = int64_t(v.num);
  return true;
}

bool lrArg(const std::map<std::string, const SValue *> &args, const std::string &what,
           double &lr, std::string &error) {
  if (!args.count("lr")) {
    error = what + " needs lr (e.g. lr = 1e-3)";
    return false;
  }
  return numberArg(args, "lr", what, lr, error, 0, /*strictlyPositive=*/true);
}

bool optimizerFrom(const SValue &v, Hyper &h, Hyper &fallback, bool &hasFallback,
                   const std::string &where, bool allowMuon, std::string &error) {
  if (v.kind != SValue::Call) {
    error = where + ": expected adamw(...), sgd(...) or muon(...), got '" + v.text + "'";
    return false;
  }
  std::string what = where + " " + v.s + "()";
  std::map<std::string, const SValue *> args;
  h = Hyper();
  if (v.s == "adamw") {
    h.rule = Hyper::AdamW;
    if (!bindArgs(v, {"lr", "weight_decay", "betas", "eps"}, args, error)) {
      error = where + ": " + error;
      return false;
    }
    return lrArg(args, what, h.lr, error) &&
           numberArg(args, "weight_decay", what, h.weightDecay, error, 0) &&
           betasArg(args, what, h.beta1, h.beta2, error) &&
           numberArg(args, "eps", what, h.eps, error, 0);
  }
  if (v.s == "sgd") {
    h.rule = Hyper::SGD;
    if (!bindArgs(v, {"lr", "momentum", "nesterov", "weight_decay"}, args, error)) {
      error = where + ": " + error;
      return false;
    }
    if (!lrArg(args, what, h.lr, error) ||
        !numberArg(args, "momentum", what, h.momentum, error, 0) ||
        !momentumOk(h.momentum, what, error, "momentum") ||
        !boolArg(args, "nesterov", what, h.nesterov, error) ||
        !numberArg(args, "weight_decay", what, h.weightDecay, error, 0))
      return false;
    if (h.nesterov && h.momentum == 0) {
      error = what + ": nesterov = true needs momentum > 0 (e.g. momentum = 0.9)";
      return false;
    }
    return true;
  }
  if (v.s == "muon") {
    if (!allowMuon) {
      error = what + ": Muon's fallback must be adamw(...) or sgd(...)";
      return false;
    }
    h.rule = Hyper::Muon;
    h.momentum = 0.95;
    h.nesterov = true;
    if (!bindArgs(v, {"lr", "momentum", "nesterov", "ns_steps", "weight_decay",
                      "momentum_warmup", "momentum_start", "fallback"},
                  args, error)) {
      error = where + ": " + error;
      return false;
    }
    if (!lrArg(args, what, h.lr, error) ||
        !numberArg(args, "momentum", what, h.momentum, error, 0) ||
        !momentumOk(h.momentum, what, error, "momentum") ||
        !boolArg(args, "nesterov", what, h.nesterov, error) ||
        !intArg(args, "ns_steps", what, h.nsSteps, 100, error) ||
        !numberArg(args, "weight_decay", what, h.weightDecay, error, 0) ||
        !intArg(args, "momentum_warmup", what, h.momentumWarmup, int64_t(1) << 40, error) ||
        !numberArg(args, "momentum_start", what, h.momentumStart, error, 0) ||
        !momentumOk(h.momentumStart, what, error, "momentum_start"))
      return false;
    // fallback = none: AdamW with Muon's lr and weight decay, torch defaults.
    fallback = Hyper();
    fallback.rule = Hyper::AdamW;
    fallback.lr = h.lr;
    fallback.weightDecay = h.weightDecay;
    hasFallback = false;
    if (auto it = args.find("fallback"); it != args.end() && it->second->kind != SValue::None) {
      Hyper unused;
      bool nested = false;
      if (!optimizerFrom(*it->second, fallback, unused, nested, what + " fallback", false, error))
        return false;
      hasFallback = true;
    }
    return true;
  }
  error = where + ": unknown optimizer '" + v.s + "' (expected adamw, sgd or muon)";
  return false;
}

} // namespace

bool frond::runtime::parseOptimizer(const std::string &text, Hyper &out, Hyper &fallback,
                                    bool &hasFallback, std::string &error) {
  SValue v;
  if (!parseSettingValue(text, v, error)) {
    error = "train.optimizer: " + error;
    return false;
  }
  Hyper h, fb;
  bool has = false;
  if (!optimizerFrom(v, h, fb, has, "train.optimizer", true, error))
    return false;
  out = h;
  fallback = fb;
  hasFallback = has;
  return true;
}

bool frond::runtime::parseGroup(const std::string &name, const std::string &text,
                                ParamGroup &out, std::string &error) {
  std::string where = "train group '" + name + "'";
  size_t open = text.find_first_not_of(' ');
  if (open == std::string::npos || text[open] != '(') {
    error = where + ": expected (patterns) settings, got '" + text + "'";
    return false;
  }
  // The patterns are printed unquoted, joined by ", ": the list ends at the
  // first ')' after which the rest reads as settings.
  for (size_t close = text.find(')', open); close != std::string::npos;
       close = text.find(')', close + 1)) {
    SValue call;
    std::string rest = text.substr(close + 1);
    std::string ignored;
    if (!parseSettingValue("group(" + rest + ")", call, ignored))
      continue;
    ParamGroup g;
    g.name = name;
    std::string pats = text.substr(open + 1, close - open - 1);
    for (size_t s = 0; s <= pats.size();) {
      size_t e = pats.find(", ", s);
      std::string p = pats.substr(s, e == std::string::npos ? std::string::npos : e - s);
      if (p.size() >= 2 && p.front() == '"' && p.back() == '"')
        p = p.substr(1, p.size() - 2);
      if (!p.empty())
        g.patterns.push_back(p);
      if (e == std::string::npos)
        break;
      s = e + 2;
    }
    if (g.patterns.empty()) {
      error = where + ": no patterns (write group " + name + "(\"*attn*\") { lr = ... })";
      return false;
    }
    std::map<std::string, const SValue *> args;
    if (!bindArgs(call, {"lr", "weight_decay", "betas", "eps", "momentum", "optimizer"}, args,
                  error)) {
      error = where + ": " + error;
      return false;
    }
    if (args.count("optimizer")) {
      Hyper fb;
      bool hasFb = false;
      if (!optimizerFrom(*args["optimizer"], g.optimizer, fb, hasFb, where + " optimizer",
                         true, error))
        return false;
      g.hasOptimizer = true;
    }
    g.hasLr = args.count("lr");
    g.hasWeightDecay = args.count("weight_decay");
    g.hasEps = args.count("eps");
    g.hasMomentum = args.count("momentum");
    g.beta1 = 0.9, g.beta2 = 0.999;
    if (auto it = args.find("betas");
        it != args.end() && !(it->second->kind == SValue::List && it->second->list.empty()))
      g.hasBetas = true;
    if ((g.hasLr && !numberArg(args, "lr", where, g.lr, error, 0, true)) ||
        !numberArg(args, "weight_decay", where, g.weightDecay, error, 0) ||
        !numberArg(args, "eps", where, g.eps, error, 0) ||
        !numberArg(args, "momentum", where, g.momentum, error, 0) ||
        (g.hasMomentum && !momentumOk(g.momentum, where, error, "momentum")) ||
        !betasArg(args, where, g.beta1, g.beta2, error))
      return false;
    out = g;
    return true;
  }
  error = where + ": cannot read the settings in '" + text +
          "' (expected lr, weight_decay, betas, eps, momentum or optimizer = value)";
  return false;
}

bool frond::runtime::optimizerConfigFromSettings(
    const std::vector<std::pair<std::string, std::string>> &settings, OptimizerConfig &out,
    std::string &error) {
  OptimizerConfig c;
  c.hyper.rule = Hyper::AdamW;
  c.hyper.lr = 1e-3;
  c.fallback = c.hyper;
  c.totalSteps = 500;
  double lrOverride = 0; // train.lr (frond.toml, --set): replaces the optimizer's lr
  for (auto &[key, value] : settings) {
    if (key == "train.optimizer") {
      bool hasFb = false;
      if (!parseOptimizer(value, c.hyper, c.fallback, hasFb, error))
        return false;
    } else if (key == "train.schedule") {
      if (!parseSchedule(value, c.schedule, error))
        return false;
    } else if (key == "train.clip") {
      if (!parseClip(value, c.clip, error))
        return false;
    } else if (key == "train.steps") {
      SValue v;
      if (!parseSettingValue(value, v, error) || v.kind != SValue::Number || !v.isInt ||
          v.num < 1 || v.num > 1e15) {
        error = "train.steps must be a positive whole number, got '" + value + "'";
        return false;
      }
      c.totalSteps = int64_t(v.num);
    } else if (key == "train.lr") {
      SValue v;
      if (!parseSettingValue(value, v, error) || v.kind != SValue::Number || !(v.num > 0) ||
          !std::isfinite(v.num)) {
        error = "train.lr must be a number > 0, got '" + value + "'";
        return false;
      }
      lrOverride = v.num;
    } else if (key.rfind("train.group.", 0) == 0) {
      ParamGroup g;
      if (!parseGroup(key.substr(12), value, g, error))
        return false;
      c.groups.push_back(std::move(g));
    }
  }
  if (lrOverride > 0) {
    // Muon's AdamW fallback shares Muon's lr unless it was given its own.
    if (c.fallback.lr == c.hyper.lr)
      c.fallback.lr = lrOverride;
    c.hyper.lr = lrOverride;
  }
  out = std::move(c);
  return true;
}

std::unique_ptr<Optimizer> frond::runtime::makeOptimizer(const ExperimentInstance &e,
                                                         const std::vector<ParamInfo> &params,
                                                         std::string &error) {
  OptimizerConfig c;
  if (!optimizerConfigFromSettings(e.settings, c, error))
    return nullptr;
  std::vector<std::string> heads;
  for (auto &h : e.model.heads)
    heads.push_back(h.name);
  return std::make_unique<Optimizer>(std::move(c), params, heads);
}
