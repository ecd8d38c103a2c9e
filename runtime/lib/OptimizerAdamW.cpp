//===- OptimizerAdamW.cpp - the AdamW update of one parameter ----------===//
//
// The same f32 operations in the same order as libtorch's
// torch::optim::AdamW (1.13), so the
// results agree to rounding.
//
//===----------------------------------------------------------------------===//
#include "frond/runtime/Optimizer.h"

#include "GradientElement.h"

#include <algorithm>
#include <cmath>

using namespace frond::runtime;

using detail::effGrad;

void frond::runtime::adamwUpdate(float *p, const float *g, float *m, float *v, int64_t n,
                                 const Hyper &h, double lr, int64_t t, float gradScale,
                                 double clipValue) {
  const float decay = float(1.0 - lr * h.weightDecay);
  const float b1 = float(h.beta1), b2 = float(h.beta2);
  const float a1 = float(1.0 - h.beta1), a2 = float(1.0 - h.beta2);
  const double bc1 = 1.0 - std::pow(h.beta1, double(t));
  const double bc2 = 1.0 - std::pow(h.beta2, double(t));
  const float bc2Sqrt = float(std::sqrt(bc2));
  const float eps = float(h.eps);
  const float negStep = float(-(lr / bc1));
  const float cv = float(clipValue);
  for (int64_t i = 0; i < n; ++i) {
    float gi = effGrad(g[i], gradScale, cv);
    if (h.weightDecay != 0)
      p[i] = p[i] * decay;
    m[i] = m[i] * b1 + a1 * gi;
    v[i] = v[i] * b2 + a2 * (gi * gi);
    float denom = std::sqrt(v[i]) / bc2Sqrt + eps;
    p[i] = p[i] + negStep * (m[i] / denom);
  }
}
