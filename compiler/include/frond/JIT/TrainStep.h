//===- TrainStep.h - the optimizer update compiled into the gradient ----*- C++ -*-===//
//
// A training step on the GPU should not send the gradients to the host
// and the parameters back: the update belongs on the device, generated
// like every other kernel. addTrainStep appends it, as frond ops, to the
// gradient function -frond-autodiff made (@<model>_grad), giving
//
//   func.func @<model>_train_step(<the gradient's arguments>...,
//                                 <state>..., %hyper: tensor<Hxf32>)
//       -> (<the gradient's non-gradient results>..., grad_norm)
//
// The updated parameters and state are written into their argument
// buffers (bufferization.materialize_in_destination into a writable
// to_buffer), not returned: a caller that keeps the arguments between
// calls (jit::ResidentCall) finds them updated and copies nothing. The rules are runtime::Optimizer's, in the same
// f32 operations and order (frond/runtime/Optimizer.h):
//
//   AdamW   p <- p * decay;  m <- m b1 + (1-b1) g;  v <- v b2 + (1-b2) g²;
//           p <- p + negStep * (m / (sqrt(v) / bc2Sqrt + eps))
//   SGD     d <- g (+ wd p);  buf <- buf * momNow + d;
//           d <- nesterov ? d + mom buf : buf;  p <- p + negLr * d
//   Muon    buf <- buf + (1-beta)(g - buf);  u = nesterov ? g + beta (buf - g) : buf;
//           X = u (transposed when rows > cols) / (|u|_F + 1e-7), |u|_F summed
//           in f64; ns_steps times A = X X^T, X = a X + (b A + c A A) X with
//           (a, b, c) = (3.4445, -4.7750, 2.0315) (frond.matmul: on the GPU
//           the matmul kernels); p <- p * decay + negLr * (X sqrt(max(1, rows/cols)))
//           (f32 Newton-Schulz only: the bf16 `faithful` form stays on the host)
//
// with g the gradient scaled by clip_norm's factor min(1, max / |g|)
// (|g| over every updated parameter's gradient, summed in f64 in the step
// and returned as grad_norm) or clamped by clip_value. The values that change
// from step to step come in `hyper`, three per rule (Hyper below): the
// host computes them in double as the host optimizer does.
//
//===----------------------------------------------------------------------===//
#ifndef FROND_JIT_TRAINSTEP_H
#define FROND_JIT_TRAINSTEP_H

#include "mlir/IR/BuiltinOps.h"

#include <string>
#include <vector>

namespace frond::jit {

struct TrainStepPlan {
  /// One update rule's constants; the parameters that share it read the
  /// same three `hyper` entries, starting at 3 * its index:
  ///   AdamW: decay (1 - lr wd), negStep (-lr / bc1), bc2Sqrt (sqrt(bc2))
  ///   SGD:   negLr (-lr), momNow (0 on the first update, else momentum), unused
  ///   Muon:  decay, negLr, beta (the momentum at this step, after its warmup)
  struct Rule {
    enum Kind { AdamW, SGD, Muon } kind = AdamW;
    bool weightDecay = false; ///< AdamW: p *= decay; SGD: d += wd p
    float wd = 0;             ///< SGD's weight decay
    float b1 = 0, a1 = 0, b2 = 0, a2 = 0, eps = 0; ///< AdamW: betas and 1 - betas
    float momentum = 0;       ///< SGD (0: no momentum buffer)
    bool nesterov = false;    ///< SGD, Muon
    int nsSteps = 5;          ///< Muon: Newton-Schulz iterations (on 2-D parameters)
  };
  struct Param {
    std::string path; ///< the gradient function's parameter argument
    int rule = 0;     ///< index into rules
  };
  std::vector<Rule> rules;
  std::vector<Param> params;
  enum Clip { None, Norm, Value } clip = None;
  double clipMax = 0;
  int accumulate = 1; ///< micro-batches per update

  static constexpr int kHyperPerRule = 3;
  /// The entries of `hyper`: three per rule, then `apply` under accumulation.
  int hyperSize() const;
  /// The state a parameter's rule keeps ("exp_avg", "exp_avg_sq",
  /// "momentum_buffer"), then "grad_sum" under accumulation, in argument order.
  std::vector<std::string> stateNames(const Param &p) const;
};

/// Adds @<model>_train_step beside @<model>_grad in `module` (see above).
/// Argument names: the gradient's, then "<state>:<path>" for each
/// parameter's state, then "hyper"; result names: the gradient's results
/// other than "grad:*", then "grad_norm". False with `error` set when a named parameter is not
/// a trainable argument of the gradient function or has no gradient.
bool addTrainStep(mlir::ModuleOp module, const TrainStepPlan &plan, std::string &error);

} // namespace frond::jit

#endif // FROND_JIT_TRAINSTEP_H
