//===- Optimizer.h - optimizers, schedules and clipping on host tensors -*- C++ -*-===//
//
// What `train { optimizer = ..., schedule = ..., clip = ..., group ... }`
// means at run time, on runtime::Tensor (f32) parameters:
//
//   adamw(lr, weight_decay, betas, eps)   torch.optim.AdamW (decoupled decay,
//                                         bias correction), bit for bit in f32
//   sgd(lr, momentum, nesterov, weight_decay)   torch.optim.SGD (dampening 0)
//   muon(lr, momentum, nesterov, ns_steps, weight_decay, momentum_warmup,
//        momentum_start, fallback)        Palm's Muon (seeds-math.md 2):
//       m <- lerp(m, g, 1-b); u = lerp(g, m, b) (u = m without Nesterov);
//       X = u / (|u|_F + 1e-7), transposed when rows > cols; ns_steps times
//       A = X X^T; X = aX + (bA + cA^2) X with (a,b,c) = (3.4445, -4.7750,
//       2.0315); u = X * sqrt(max(1, rows/cols));
//       p <- p (1 - lr wd) - lr u;  b ramps momentum_start -> momentum over
//       momentum_warmup steps. A parameter of rank >= 3 is viewed as
//       [shape[0], rest]. Parameters of rank < 2, embeddings (component
//       "embedding" or "embed" in the path) and heads (component "head" or a
//       path under a model head) use the fallback AdamW; fallback = none is
//       AdamW with Muon's lr and weight decay, betas (0.9, 0.999), eps 1e-8.
//
// Groups: `group name("pat", ...) { lr, weight_decay, betas, eps, momentum }`
// — glob patterns ('*', '?') over parameter paths; the first group whose
// pattern matches a parameter gives it those settings (the rest keep the
// optimizer's own; a muon fallback parameter keeps the fallback's own).
//
// Schedules multiply every group's lr by one factor f(step) (steps are
// 0-based: step 0 is the first update, total = train.steps). min_lr is an
// absolute lr for the optimizer's own lr; groups get min_lr / lr of theirs.
//   warmup W:  f = (step + 1) / W for step < W (reaches 1 at step W - 1)
//   flat:      1 after the warmup
//   cosine:    min + (1 - min)(1 + cos(pi p)) / 2, p = (step - W) / (total - 1 - W)
//   linear_decay: min + (1 - min)(1 - p)
//   wsd:       1 until D = max(W, total - round(decay * total)), then
//              linear or cosine over p = (step - D) / (total - 1 - D)
// so the last step (total - 1) runs at exactly min_lr; p is clamped to [0, 1].
//
// Clipping: clip_norm(max) scales all gradients by max / |g| when the global
// L2 norm |g| (over trainable parameters) exceeds max; clip_value(max) clamps
// each element to [-max, max]. Both happen inside step(), on the fly (the
// caller's gradients are not modified).
//
// Frozen parameters (ParamInfo::trainable false) and tied parameters (tiedTo
// set: they share the owner's storage; the owner's gradient must already
// include theirs) get no update and no state; after a step a tied
// parameter present in `params` is set to its owner's new value.
//
// Nothing here throws or aborts on bad input: errors come back as strings.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "frond/runtime/Tensor.h"

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace frond {
struct ParamInfo;
struct ExperimentInstance;
} // namespace frond

namespace frond::runtime {

// --- schedules ------------------------------------------------------------

struct Schedule {
  enum Kind { Flat, Cosine, LinearDecay, WSD } kind = Flat;
  int64_t warmup = 0;
  double minLr = 0.0;        ///< Absolute, for the optimizer's own lr
  double decay = 0.2;        ///< wsd: the fraction of the steps spent decaying
  bool cosineDecay = false;  ///< wsd: decay_shape = "cosine"

  /// The multiplier of step `step` (0-based) of `total`; `minRatio` is the
  /// floor (min_lr / lr).
  double factor(int64_t step, int64_t total, double minRatio) const;
  /// The lr of step `step` for a peak lr `peak` (min_lr scaled with peak /
  /// baseLr when the group's peak differs from the optimizer's own lr).
  double lrAt(int64_t step, int64_t total, double peak, double baseLr) const;
};

/// Parses `cosine(warmup = 700, min_lr = 0.0)` and the other schedules (the
/// form ExperimentInstance::settings records). False with `error` set on an
/// unknown schedule, argument or bad value.
bool parseSchedule(const std::string &text, Schedule &out, std::string &error);

// --- clipping ---------------------------------------------------------------

struct Clip {
  enum Kind { None, Norm, Value } kind = None;
  double max = 0.0;
};

bool parseClip(const std::string &text, Clip &out, std::string &error);

/// The L2 norm over every f32 element of `grads` (in double).
double globalNorm(const std::map<std::string, Tensor> &grads);
/// Scales `grads` in place so their global norm is at most `max`; returns the
/// norm before clipping.
double clipGradNorm(std::map<std::string, Tensor> &grads, double max);
/// Clamps every element of `grads` to [-max, max].
void clipGradValue(std::map<std::string, Tensor> &grads, double max);

// --- optimizer settings -----------------------------------------------------

/// The settings of one update rule.
struct Hyper {
  enum Rule { AdamW, SGD, Muon } rule = AdamW;
  double lr = 1e-3;
  double weightDecay = 0.0;
  double beta1 = 0.9, beta2 = 0.999; ///< AdamW
  double eps = 1e-8;                 ///< AdamW
  double momentum = 0.0;             ///< SGD; Muon's final momentum
  bool nesterov = false;             ///< SGD, Muon
  int64_t nsSteps = 5;               ///< Muon
  int64_t momentumWarmup = 0;        ///< Muon
  double momentumStart = 0.85;       ///< Muon
  bool faithful = false; ///< Muon: round Newton-Schulz to bf16 like the public code
};

/// A parameter group: parameters whose path matches one of `patterns` use
/// the given settings (unset ones keep the optimizer's or fallback's own).
struct ParamGroup {
  std::string name;
  std::vector<std::string> patterns;
  bool hasLr = false, hasWeightDecay = false, hasBetas = false, hasEps = false,
       hasMomentum = false, hasOptimizer = false;
  double lr = 0, weightDecay = 0, beta1 = 0, beta2 = 0, eps = 0, momentum = 0;
  Hyper optimizer; ///< `optimizer = adamw(...)`: the group's own rule, before the fields above
};

/// Parses `(*partial_attention*, *fp*) lr = 6.2e-05, weight_decay = 0.1, ...`
/// (a "train.group.NAME" setting's value).
bool parseGroup(const std::string &name, const std::string &text, ParamGroup &out,
                std::string &error);

/// Parses `adamw(...)`, `sgd(...)` or `muon(...)`; a muon's fallback (if any)
/// goes to `fallback` and `hasFallback`.
bool parseOptimizer(const std::string &text, Hyper &out, Hyper &fallback, bool &hasFallback,
                    std::string &error);

// Parameter groups match paths with frond::globMatch (frond/lang/Sema.h).

struct OptimizerConfig {
  Hyper hyper;                     ///< The optimizer's own settings
  Hyper fallback;                  ///< Muon's rule for non-matrix parameters
  std::vector<ParamGroup> groups;  ///< First match wins
  Schedule schedule;
  Clip clip;
  int64_t totalSteps = 1;
};

// --- the optimizer ------------------------------------------------------------

class Optimizer {
public:
  /// One parameter the optimizer updates and its state.
  struct Slot {
    std::string path;
    std::vector<int64_t> shape;
    Hyper hyper;        ///< After the group and the fallback are applied
    std::string group;  ///< The group's name, "" for none
    int64_t t = 0;      ///< Updates applied to this parameter
    std::vector<float> m, v; ///< exp_avg / momentum buffer; exp_avg_sq
  };

  /// `params`: the model's parameters (frozen and tied ones are skipped).
  Optimizer(OptimizerConfig config, const std::vector<ParamInfo> &params,
            const std::vector<std::string> &headNames = {});

  /// One update with the lr of `step` (0-based). Validates that every
  /// updated parameter and its gradient exist with the expected f32 shape;
  /// on an error nothing is changed. Clipping is applied to the gradients on
  /// the fly.
  bool step(std::map<std::string, Tensor> &params, const std::map<std::string, Tensor> &grads,
            int64_t step, std::string &error);

  /// The optimizer's own lr at `step` (a group's lr scales with it).
  double lrAt(int64_t step) const;
  /// The lr `path` uses at `step` (0 for a parameter that is not updated).
  double lrAt(const std::string &path, int64_t step) const;
  /// The global gradient norm of the last step() (before clipping).
  double lastGradNorm() const { return lastNorm_; }

  /// The state as tensors: "<path>/exp_avg", "<path>/exp_avg_sq",
  /// "<path>/momentum_buffer" (f32, the parameter's shape) and "<path>/step"
  /// (i64 scalar), for the slots that have them.
  std::map<std::string, Tensor> state() const;
  /// Restores state() output; checks every name, dtype and shape.
  bool loadState(const std::map<std::string, Tensor> &state, std::string &error);

  const std::vector<Slot> &slots() const { return slots_; }
  /// For an update applied elsewhere (the compiled step): its counts and state.
  std::vector<Slot> &mutableSlots() { return slots_; }
  /// Sets every tied parameter in `params` to its owner's value (as step()
  /// does after an update).
  void copyTiedParams(std::map<std::string, Tensor> &params) const;
  const OptimizerConfig &config() const { return config_; }
  /// A one-line-per-parameter description (rule, group, lr) for logs.
  std::string describe() const;
  /// One line: the rule, its lr and weight decay, clipping and groups.
  std::string summary() const;

private:
  OptimizerConfig config_;
  std::vector<Slot> slots_;
  std::vector<std::pair<std::string, std::string>> ties_; ///< tied path -> owner
  double lastNorm_ = 0.0;
};

// --- update kernels (one parameter; exposed for tests) -----------------------

/// The lr `lr` is the scheduled one; `t` the 1-based update count.
void adamwUpdate(float *p, const float *g, float *m, float *v, int64_t n, const Hyper &h,
                 double lr, int64_t t, float gradScale = 1.0f, double clipValue = 0.0);
void sgdUpdate(float *p, const float *g, float *buf, int64_t n, const Hyper &h, double lr,
               int64_t t, float gradScale = 1.0f, double clipValue = 0.0);
/// Muon on a rows x cols matrix; `step` is 0-based (momentum warmup).
void muonUpdate(float *p, const float *g, float *buf, int64_t rows, int64_t cols,
                const Hyper &h, double lr, int64_t step, float gradScale = 1.0f,
                double clipValue = 0.0);
/// ns_steps Newton-Schulz iterations on `x` (rows x cols, normalised and
/// transposed inside); returns the orthogonalised matrix, unscaled.
std::vector<float> newtonSchulz5(const std::vector<float> &x, int64_t rows, int64_t cols,
                                 int64_t steps, bool bf16);
/// Muon's momentum at `step` (0-based).
double muonMomentum(const Hyper &h, int64_t step);

// --- from an experiment ------------------------------------------------------

/// Builds the config from "train.*" settings (optimizer, schedule, clip,
/// steps, group.*). Missing: adamw(lr = 1e-3), flat(), no clipping, 500 steps
/// (the run configuration's default).
bool optimizerConfigFromSettings(const std::vector<std::pair<std::string, std::string>> &settings,
                                 OptimizerConfig &out, std::string &error);

/// The optimizer of an elaborated experiment for `params` (usually
/// e.model.params). Null with `error` set on a bad setting.
std::unique_ptr<Optimizer> makeOptimizer(const ExperimentInstance &e,
                                         const std::vector<ParamInfo> &params,
                                         std::string &error);

} // namespace frond::runtime
