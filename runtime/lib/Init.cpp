//===- Init.cpp - deterministic parameters without libtorch --------------===//
//
// Mirrors initParams/normalAt of runtime/reference/lib/Reference.cpp; the
// numerics check (frond check --numerics) relies on both giving the same
// bits for the same seed.
//
//===----------------------------------------------------------------------===//
#include "frond/runtime/Init.h"

#include <algorithm>
#include <cmath>

namespace frond::runtime {

static uint64_t splitmix64(uint64_t x) {
  uint64_t z = x + 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

static uint64_t fnv1a64(const std::string &s) {
  uint64_t h = 0xCBF29CE484222325ull;
  for (unsigned char c : s)
    h = (h ^ c) * 0x100000001B3ull;
  return h;
}

/// A uniform double in (0, 1] from 53 random bits.
static double unit(uint64_t bits) {
  return double((bits >> 11) + 1) * 0x1.0p-53;
}

double normalAt(uint64_t seed, const std::string &path, uint64_t i) {
  uint64_t key = splitmix64(seed ^ fnv1a64(path));
  double u1 = unit(splitmix64(key + 2 * i));
  double u2 = unit(splitmix64(key + 2 * i + 1));
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
}

static bool isBias(const std::string &last) {
  return last.rfind("bias", 0) == 0 ||
         (!last.empty() && last[0] == 'b' && last.size() <= 2);
}

static Tensor initOne(const ParamInfo &p, uint64_t seed, double std) {
  std::vector<int64_t> sizes;
  for (const Dim &d : p.shape)
    sizes.push_back(std::max<long long>(d.size, 0));
  std::string last = p.path.substr(p.path.rfind('.') + 1);
  bool norm = p.component == "norm" || p.path.find("norm") != std::string::npos;
  Tensor t = Tensor::zeros(DType::F32, sizes);
  if (isBias(last))
    return t;
  if (norm) {
    std::fill(t.f32.begin(), t.f32.end(), 1.0f);
    return t;
  }
  for (int64_t i = 0, n = t.numel(); i < n; ++i)
    t.f32[size_t(i)] = float(std * normalAt(seed, p.path, uint64_t(i)));
  return t;
}

std::string tieOwner(const ModelInstance &m, const ParamInfo &p) {
  std::string target = p.tiedTo;
  for (int hops = 0; !target.empty() && hops < 16; ++hops) {
    auto it = std::find_if(m.params.begin(), m.params.end(),
                           [&](const ParamInfo &q) { return q.path == target; });
    if (it == m.params.end() || it->tiedTo.empty())
      break;
    target = it->tiedTo;
  }
  return target;
}

std::map<std::string, Tensor> initParams(const ModelInstance &m, uint64_t seed,
                                         double std) {
  std::map<std::string, Tensor> store;
  // Owners first, then copies (initFrom), then shared values (tiedTo),
  // following chains of ties: the reference's order.
  for (const ParamInfo &p : m.params)
    if (p.tiedTo.empty())
      store[p.path] = initOne(p, seed, std);
  for (const ParamInfo &p : m.params)
    if (p.tiedTo.empty() && !p.initFrom.empty()) {
      auto from = store.find(p.initFrom);
      if (from != store.end() && from->second.shape == store[p.path].shape)
        store[p.path] = from->second;
    }
  for (const ParamInfo &p : m.params) {
    std::string owner = tieOwner(m, p);
    if (!owner.empty() && store.count(owner))
      store[p.path] = store[owner];
  }
  return store;
}

} // namespace frond::runtime
