//===- Accuracy.cpp - next-token accuracy on a task's scored positions ----===//
#include "frond/runtime/Accuracy.h"
#include "frond/runtime/Data.h"

using namespace frond::runtime;

LabelScore frond::runtime::scoreLabels(const Tensor &logits, const Tensor &labels) {
  LabelScore s;
  if (logits.dtype != DType::F32 || labels.dtype != DType::I64 || logits.shape.size() != 3 ||
      labels.shape.size() != 2 || logits.shape[0] != labels.shape[0] ||
      logits.shape[1] != labels.shape[1])
    return s;
  int64_t B = labels.shape[0], T = labels.shape[1], V = logits.shape[2];
  for (int64_t b = 0; b < B; ++b)
    for (int64_t t = 1; t < T; ++t) {
      int64_t want = labels.i64[size_t(b * T + t)];
      if (want == kIgnoreLabel)
        continue;
      const float *row = logits.f32.data() + (b * T + t - 1) * V;
      int64_t best = 0;
      for (int64_t v = 1; v < V; ++v)
        if (row[v] > row[best])
          best = v;
      s.correct += best == want;
      ++s.scored;
    }
  return s;
}
