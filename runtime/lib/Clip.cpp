//===- Clip.cpp - gradient clipping by global norm or by value ----------===//
#include "SettingValue.h"
#include "frond/runtime/Optimizer.h"

#include <algorithm>
#include <cmath>

using namespace frond::runtime;
using namespace frond::runtime::detail;

double frond::runtime::globalNorm(const std::map<std::string, Tensor> &grads) {
  double sum = 0;
  for (auto &[name, g] : grads)
    if (g.dtype == DType::F32)
      for (float x : g.f32)
        sum += double(x) * double(x);
  return std::sqrt(sum);
}

double frond::runtime::clipGradNorm(std::map<std::string, Tensor> &grads, double max) {
  double norm = globalNorm(grads);
  if (norm > max && norm > 0) {
    float scale = float(max / norm);
    for (auto &[name, g] : grads)
      for (float &x : g.f32)
        x *= scale;
  }
  return norm;
}

void frond::runtime::clipGradValue(std::map<std::string, Tensor> &grads, double max) {
  float m = float(max);
  for (auto &[name, g] : grads)
    for (float &x : g.f32)
      x = std::clamp(x, -m, m);
}

bool frond::runtime::parseClip(const std::string &text, Clip &out, std::string &error) {
  SValue v;
  if (!parseSettingValue(text, v, error)) {
    error = "train.clip: " + error;
    return false;
  }
  if (v.kind == SValue::None) {
    out = Clip();
    return true;
  }
  // A bare number (frond.toml's train.clip = 1.0) limits the global norm; 0 is none.
  if (v.kind == SValue::Number && v.num >= 0 && std::isfinite(v.num)) {
    out = v.num > 0 ? Clip{Clip::Norm, v.num} : Clip();
    return true;
  }
  if (v.kind != SValue::Call || (v.s != "clip_norm" && v.s != "clip_value")) {
    error = "train.clip: expected clip_norm(max), clip_value(max) or a number >= 0, got '" + text + "'";
    return false;
  }
  std::map<std::string, const SValue *> args;
  if (!bindArgs(v, {"max"}, args, error)) {
    error = "train.clip: " + error;
    return false;
  }
  if (!args.count("max")) {
    error = "train.clip: " + v.s + "() needs max (e.g. " + v.s + "(1.0))";
    return false;
  }
  Clip c;
  c.kind = v.s == "clip_norm" ? Clip::Norm : Clip::Value;
  if (!numberArg(args, "max", "train.clip " + v.s + "()", c.max, error, 0, true))
    return false;
  out = c;
  return true;
}
