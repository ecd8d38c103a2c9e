//===- NumericsReference.cpp - comparing with libtorch, live or saved ------===//
#include "NumericsReference.h"

#include "frond/runtime/Checkpoint.h"

#include <cmath>
#include <filesystem>
#include <cstdio>

namespace frond::cli {

using runtime::Tensor;

namespace {

/// Element-wise differences of `t` from `r`: max abs, max rel (where
/// r != 0), and whether every element has |t - r| <= atol + rtol * |r|
/// (NaN matches NaN, infinities must be equal).
struct ErrorStats {
  double maxAbs = 0, maxRel = 0;
  bool within = true;
};

ErrorStats compare(const Tensor &t, const Tensor &r, double atol, double rtol) {
  ErrorStats s;
  for (int64_t i = 0; i < t.numel(); ++i) {
    double a = t.at(i), b = r.at(i);
    double err = std::fabs(a - b);
    if (!(std::isfinite(a) && std::isfinite(b))) {
      if (!(std::isnan(a) && std::isnan(b)) && a != b)
        s.within = false, err = INFINITY;
      else
        err = 0;
    }
    s.maxAbs = std::max(s.maxAbs, err);
    if (b != 0)
      s.maxRel = std::max(s.maxRel, err / std::fabs(b));
    if (err > atol + rtol * std::fabs(b))
      s.within = false;
  }
  return s;
}

/// The line under a tensor compared with libtorch: how far the JIT's `jit`
/// and libtorch's fp32 `ref` each are from the fp64 reference `ref64`;
/// beyond tolerance, whether that is rounding (the JIT no further than
/// twice libtorch's fp32 distance) or a real error.
void printAgainstFp64(int nameWidth, const Tensor &jit, const Tensor &ref, const Tensor &ref64,
                      bool within) {
  double j = compare(jit, ref64, 0.0, 0.0).maxAbs, l = compare(ref, ref64, 0.0, 0.0).maxAbs;
  std::printf("  %-*s %-14s vs fp64: jit max abs %.3e, libtorch fp32 max abs %.3e%s\n", nameWidth,
              "", "", j, l,
              within       ? ""
              : j <= 2 * l ? " (rounding: no further from fp64 than libtorch)"
                           : " (further from fp64 than libtorch)");
}

/// Mean |t - r| over the elements; infinite for a non-finite mismatch.
double meanAbsError(const Tensor &t, const Tensor &r) {
  double sum = 0;
  for (int64_t i = 0; i < t.numel(); ++i) {
    double a = t.at(i), b = r.at(i);
    if (!(std::isfinite(a) && std::isfinite(b))) {
      if (!(std::isnan(a) && std::isnan(b)) && a != b)
        return INFINITY;
      continue;
    }
    sum += std::fabs(a - b);
  }
  return t.numel() ? sum / double(t.numel()) : 0.0;
}

/// Under the eager rule, a tensor beyond the fp32 tolerance: whether it is
/// within twice the eager computation's distance from fp64, and the line
/// saying so. False (and no line) when a yardstick is missing.
bool judgeAgainstEager(int nameWidth, const Tensor &jit, const TensorMap &eager,
                       const TensorMap &ref64, const std::string &name, const std::string &what) {
  auto e = eager.find(name), r = ref64.find(name);
  if (e == eager.end() || r == ref64.end() || e->second.shape != jit.shape ||
      r->second.shape != jit.shape) {
    std::printf("  %-*s %-14s no %s or fp64 yardstick to judge it by\n", nameWidth, "", "",
                what.c_str());
    return false;
  }
  double j = 0, l = 0;
  bool ok = withinTwiceEager(jit, e->second, r->second, j, l);
  std::printf("  %-*s %-14s vs fp64: mean abs err jit %.3e, %s %.3e (ratio %.2f): %s\n",
              nameWidth, "", "", j, what.c_str(), l, l > 0 ? j / l : INFINITY,
              ok ? "ok, within 2x eager" : "BEYOND 2x eager");
  return ok;
}

/// The eager computation the rule compares with, and its name.
std::pair<const TensorMap *, std::string> eagerYardstick(const NumericsReference &ref,
                                                         bool gradients) {
  if (ref.reducedTiles())
    return {gradients ? &ref.gradsTiles : &ref.outputsTiles, ref.tilesName()};
  return {gradients ? &ref.grads : &ref.outputs, "libtorch fp32"};
}

// Tensor names in a saved reference: "<group>/<name>".
const std::pair<const char *, TensorMap NumericsReference::*> kGroups[] = {
    {"param", &NumericsReference::params},   {"input", &NumericsReference::inputs},
    {"out", &NumericsReference::outputs},    {"out64", &NumericsReference::outputs64},
    {"grad", &NumericsReference::grads},     {"grad64", &NumericsReference::grads64},
    {"out_tiles", &NumericsReference::outputsTiles},
    {"grad_tiles", &NumericsReference::gradsTiles},
};
constexpr const char *kFormat = "frond.numerics-reference.v1";

} // namespace

std::string NumericsReference::tilesName() const {
  std::string name = tiles != "f32" ? "eager " + tiles + " attention" : "";
  if (matmulTiles != "f32")
    name += (name.empty() ? "" : ", ") + matmulTiles + " matmul operands";
  return name;
}

bool withinTwiceEager(const Tensor &jit, const Tensor &eager, const Tensor &ref64,
                      double &jitMean, double &eagerMean) {
  jitMean = meanAbsError(jit, ref64);
  eagerMean = meanAbsError(eager, ref64);
  return jitMean <= 2 * eagerMean;
}

bool saveNumericsReference(const std::string &path, const NumericsReference &ref,
                           std::string &error) {
  TensorMap all;
  for (auto &[group, member] : kGroups)
    for (auto &[name, t] : ref.*member)
      all[std::string(group) + "/" + name] = t;
  std::map<std::string, std::string> metadata = ref.about;
  metadata["format"] = kFormat;
  metadata["loss"] = ref.loss;
  metadata["attention_tiles"] = ref.tiles;
  metadata["matmul_tiles"] = ref.matmulTiles;
  return runtime::writeSafetensors(path, all, metadata, error);
}

bool loadNumericsReference(const std::string &path, NumericsReference &ref, std::string &error) {
  TensorMap all;
  std::map<std::string, std::string> metadata;
  std::error_code missing;
  if (!std::filesystem::is_regular_file(path, missing)) {
    error = path + ": no such numerics reference; fix: write it where libtorch is installed "
                   "with frond check --numerics --save-reference " + path +
            " (same experiment, --batch, --seq-len, --seed and --init-std)";
    return false;
  }
  if (!runtime::readSafetensors(path, all, metadata, error))
    return false;
  if (metadata["format"] != kFormat) {
    error = path + " is not a numerics reference (written by frond check --numerics "
                   "--save-reference FILE)";
    return false;
  }
  for (auto &[key, t] : all) {
    size_t slash = key.find('/');
    bool known = false;
    for (auto &[group, member] : kGroups)
      if (slash != std::string::npos && key.compare(0, slash, group) == 0) {
        (ref.*member)[key.substr(slash + 1)] = t;
        known = true;
      }
    if (!known) {
      error = path + ": unexpected tensor '" + key + "' in a numerics reference";
      return false;
    }
  }
  ref.loss = metadata["loss"];
  // Written before attention tiles were recorded: f32.
  ref.tiles = metadata.count("attention_tiles") ? metadata["attention_tiles"] : "f32";
  ref.matmulTiles = metadata.count("matmul_tiles") ? metadata["matmul_tiles"] : "f32";
  metadata.erase("format");
  metadata.erase("loss");
  metadata.erase("attention_tiles");
  metadata.erase("matmul_tiles");
  ref.about = metadata;
  return true;
}

bool compareOutputs(const NamedTensors &outputs, const NumericsReference &ref,
                    NumericsRule rule) {
  const double atol = 1e-5, rtol = 1e-4;
  std::printf("tolerance (fp32): |jit - ref| <= %g + %g * |ref| per element\n", atol, rtol);
  auto [eager, eagerName] = eagerYardstick(ref, /*gradients=*/false);
  if (rule.eagerRule)
    std::printf("  or, beyond it: mean |jit - fp64| <= 2 * mean |%s - fp64|\n",
                eagerName.c_str());
  bool ok = true;
  for (auto &[name, t] : outputs) {
    auto it = ref.outputs.find(name);
    if (it == ref.outputs.end()) {
      std::printf("  %-20s missing from the reference\n", name.c_str());
      ok = false;
      continue;
    }
    const Tensor &r = it->second;
    if (r.shape != t.shape) {
      std::printf("  %-20s shape %s, reference %s\n", name.c_str(), t.shapeStr().c_str(),
                  r.shapeStr().c_str());
      ok = false;
      continue;
    }
    ErrorStats e = compare(t, r, atol, rtol);
    std::printf("  %-20s %-14s max abs err %.3e  max rel err %.3e  %s\n", name.c_str(),
                t.shapeStr().c_str(), e.maxAbs, e.maxRel,
                e.within ? "ok" : rule.eagerRule ? "beyond fp32 tolerance" : "BEYOND TOLERANCE");
    bool within = e.within;
    if (!within && rule.eagerRule) {
      within = judgeAgainstEager(20, t, *eager, ref.outputs64, name, eagerName);
    } else if (auto r64 = ref.outputs64.find(name);
               r64 != ref.outputs64.end() && r64->second.shape == t.shape) {
      printAgainstFp64(20, t, r, r64->second, e.within);
    }
    ok = ok && within;
  }
  return ok;
}

bool compareGradients(const NamedTensors &jitGrads, NumericsReference &ref, bool &failed,
                      NumericsRule rule) {
  using Grads = NumericsReference::Grads;
  failed = false;
  if (ref.computeGrads && !ref.computeGrads(Grads::F32))
    return failed = true, false;
  bool have64 = !ref.computeGrads;
  std::printf("gradients of %s (%zu trainable tensors), tolerance |jit - ref| <= 1e-4 * max|ref| + "
              "1e-7 per tensor:\n",
              ref.loss.c_str(), jitGrads.size() - 1);
  auto [eager, eagerName] = eagerYardstick(ref, /*gradients=*/true);
  if (rule.eagerRule)
    std::printf("  or, beyond it: mean |jit - fp64| <= 2 * mean |%s - fp64|\n",
                eagerName.c_str());
  bool ok = true;
  for (auto &[name, t] : jitGrads) {
    if (name.rfind("grad:", 0) != 0)
      continue;
    std::string path = name.substr(5);
    auto it = ref.grads.find(path);
    if (it == ref.grads.end() || it->second.shape != t.shape) {
      std::printf("  %-28s no matching reference gradient\n", path.c_str());
      ok = false;
      continue;
    }
    double maxRef = 0;
    for (int64_t i = 0; i < it->second.numel(); ++i)
      maxRef = std::max(maxRef, std::fabs(it->second.at(i)));
    ErrorStats e = compare(t, it->second, 1e-7 + 1e-4 * maxRef, 0.0);
    std::printf("  %-28s %-14s max |ref| %.3e  max abs err %.3e  %s\n", path.c_str(),
                t.shapeStr().c_str(), maxRef, e.maxAbs,
                e.within ? "ok" : rule.eagerRule ? "beyond fp32 tolerance" : "BEYOND TOLERANCE");
    bool within = e.within;
    if (!e.within) {
      if (!have64 && !ref.computeGrads(Grads::F64))
        return failed = true, false;
      have64 = true;
      if (rule.eagerRule) {
        if (ref.reducedTiles() && ref.computeGrads && !ref.computeGrads(Grads::Tiles))
          return failed = true, false;
        within = judgeAgainstEager(28, t, *eager, ref.grads64, path, eagerName);
      } else if (auto r64 = ref.grads64.find(path);
                 r64 != ref.grads64.end() && r64->second.shape == t.shape) {
        printAgainstFp64(28, t, it->second, r64->second, e.within);
      }
    }
    ok = ok && within;
  }
  return ok;
}

} // namespace frond::cli
