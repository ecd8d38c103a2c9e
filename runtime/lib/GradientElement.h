//===- GradientElement.h - the gradient element an optimizer sees -*- C++ -*-===//
#pragma once

#include <algorithm>

namespace frond::runtime::detail {

/// A gradient element scaled by clip_norm's factor and clamped by
/// clip_value's bound (0: none).
inline float effGrad(float g, float scale, float clipValue) {
  if (scale != 1.0f)
    g *= scale;
  if (clipValue > 0)
    g = std::clamp(g, -clipValue, clipValue);
  return g;
}

} // namespace frond::runtime::detail
