//===- OptimizerSGD.cpp - the SGD update of one parameter (momentum, Nesterov)===//
//
// The same f32 operations in the same order as libtorch's
// torch::optim::SGD (1.13, dampening 0), so the
// results agree to rounding.
//
//===----------------------------------------------------------------------===//
#include "frond/runtime/Optimizer.h"

#include "GradientElement.h"

#include <algorithm>
#include <cmath>

using namespace frond::runtime;

using detail::effGrad;

void frond::runtime::sgdUpdate(float *p, const float *g, float *buf, int64_t n, const Hyper &h,
                               double lr, int64_t t, float gradScale, double clipValue) {
  const float wd = float(h.weightDecay), mom = float(h.momentum);
  const float negLr = float(-lr);
  const float cv = float(clipValue);
  for (int64_t i = 0; i < n; ++i) {
    float d = effGrad(g[i], gradScale, cv);
    if (h.weightDecay != 0)
      d = d + wd * p[i];
    if (h.momentum != 0) {
      buf[i] = t <= 1 ? d : buf[i] * mom + d; // dampening 0
      d = h.nesterov ? d + mom * buf[i] : buf[i];
    }
    p[i] = p[i] + negLr * d;
  }
}
