//===- Accuracy.h - next-token accuracy on a task's scored positions ------===//
//
// Synthetic tasks (Data.h) label the positions whose prediction is scored:
// an associative-recall value after its query key, a copied target token.
// A head's logits at position t predict the token at t + 1, so the label
// at t is scored against argmax(logits[t - 1]).
//
//===----------------------------------------------------------------------===//
#pragma once

#include "frond/runtime/Tensor.h"

namespace frond::runtime {

struct LabelScore {
  int64_t correct = 0, scored = 0;
  double accuracy() const { return scored ? double(correct) / double(scored) : 0.0; }
  LabelScore &operator+=(const LabelScore &o) {
    correct += o.correct;
    scored += o.scored;
    return *this;
  }
};

/// Scores `logits : [b, t, vocab]` (f32) against `labels : [b, t]` (i64,
/// kIgnoreLabel where unscored). Returns nothing scored when the shapes do
/// not fit (a head that is not per-position over the whole sequence).
LabelScore scoreLabels(const Tensor &logits, const Tensor &labels);

} // namespace frond::runtime
