//===- Schedule.cpp - learning-rate schedules as pure functions ---------===//
#include "SettingValue.h"
#include "frond/runtime/Optimizer.h"

#include <algorithm>
#include <cmath>

using namespace frond::runtime;
using namespace frond::runtime::detail;

double Schedule::factor(int64_t step, int64_t total, double minRatio) const {
  if (step < 0)
    step = 0;
  if (warmup > 0 && step < warmup)
    return double(step + 1) / double(warmup);
  if (kind == Flat)
    return 1.0;
  int64_t last = std::max<int64_t>(total - 1, 0);
  int64_t start = warmup;
  if (kind == WSD) {
    int64_t decaySteps = int64_t(std::llround(decay * double(total)));
    start = std::max<int64_t>(warmup, total - decaySteps);
    if (step < start)
      return 1.0;
  }
  double span = double(std::max<int64_t>(last - start, 1));
  double p = std::clamp(double(step - start) / span, 0.0, 1.0);
  bool cosine = kind == Cosine || (kind == WSD && cosineDecay);
  double shape = cosine ? 0.5 * (1.0 + std::cos(M_PI * p)) : 1.0 - p;
  return minRatio + (1.0 - minRatio) * shape;
}

double Schedule::lrAt(int64_t step, int64_t total, double peak, double baseLr) const {
  double minRatio = baseLr > 0 ? minLr / baseLr : 0.0;
  return peak * factor(step, total, minRatio);
}

bool frond::runtime::parseSchedule(const std::string &text, Schedule &out, std::string &error) {
  SValue v;
  if (!parseSettingValue(text, v, error)) {
    error = "train.schedule: " + error;
    return false;
  }
  if (v.kind != SValue::Call) {
    error = "train.schedule: expected cosine(...), wsd(...), linear_decay(...) or flat(...), got '" +
            text + "'";
    return false;
  }
  Schedule s;
  std::vector<std::string> allowed;
  if (v.s == "cosine") {
    s.kind = Schedule::Cosine;
    allowed = {"warmup", "min_lr"};
  } else if (v.s == "wsd") {
    s.kind = Schedule::WSD;
    allowed = {"warmup", "decay", "min_lr", "decay_shape"};
  } else if (v.s == "linear_decay") {
    s.kind = Schedule::LinearDecay;
    allowed = {"warmup", "min_lr"};
  } else if (v.s == "flat") {
    s.kind = Schedule::Flat;
    allowed = {"warmup"};
  } else {
    error = "train.schedule: unknown schedule '" + v.s +
            "' (expected cosine, wsd, linear_decay or flat)";
    return false;
  }
  std::map<std::string, const SValue *> args;
  if (!bindArgs(v, allowed, args, error)) {
    error = "train.schedule: " + error;
    return false;
  }
  std::string what = "train.schedule " + v.s + "()";
  double warmup = 0;
  if (!numberArg(args, "warmup", what, warmup, error, 0) ||
      !numberArg(args, "min_lr", what, s.minLr, error, 0) ||
      !numberArg(args, "decay", what, s.decay, error, 0))
    return false;
  if (warmup != std::floor(warmup) || warmup > 1e15) {
    error = what + ": warmup must be a whole number of steps, got " + args["warmup"]->text;
    return false;
  }
  s.warmup = int64_t(warmup);
  if (s.decay > 1) {
    error = what + ": decay is the fraction of the steps spent decaying, in [0, 1]; got " +
            args["decay"]->text;
    return false;
  }
  if (auto it = args.find("decay_shape"); it != args.end()) {
    const SValue &d = *it->second;
    if (d.kind != SValue::Str || (d.s != "linear" && d.s != "cosine")) {
      error = what + ": decay_shape must be \"linear\" or \"cosine\", got " + d.text;
      return false;
    }
    s.cosineDecay = d.s == "cosine";
  }
  out = s;
  return true;
}
