//===- TrainLoop.cpp - frond train's steps, validation and summary --------===//
//
// The loop of `frond train` (TrainLoop.h). Rows go to metrics.jsonl as they
// happen (flushed), so an interrupted or failed run keeps what it measured;
// a non-finite loss or gradient stops the run before anything new is
// saved and names the last good checkpoint.
//
//===----------------------------------------------------------------------===//
#include "TrainLoop.h"
#include "CompiledStep.h"
#include "TrainOutput.h"

#include "frond/runtime/Accuracy.h"
#include "frond/runtime/Checkpoint.h"
#include "frond/runtime/CudaMgpu.h"

#include <atomic>
#include <cmath>
#include <csignal>
#include <cstring>
#include <unistd.h>

namespace frond::cli {

using runtime::Split;
using runtime::Tensor;

bool BoundFunction::bind(std::map<std::string, Tensor> &params,
                         const std::set<std::string> &inputs, std::string &error,
                         std::map<std::string, Tensor> *state) {
  args.assign(fn->arguments().size(), nullptr);
  inputNames.assign(args.size(), "");
  kept.assign(args.size(), nullptr);
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string &name = fn->arguments()[i].name;
    if (inputs.count(name)) {
      inputNames[i] = name;
      continue;
    }
    Tensor *t = nullptr;
    if (auto p = params.find(name); p != params.end())
      t = &p->second;
    else if (auto q = state ? state->find(name) : params.end(); state && q != state->end())
      t = &q->second;
    if (!t) {
      error = "the compiled model takes '" + name +
              "', which is neither a parameter nor an input the data gives";
      return false;
    }
    args[i] = t;
    if (name != "hyper") // the step's changing values are copied at each call
      kept[i] = t;
  }
  for (size_t i = 0; i < fn->results().size(); ++i) {
    const std::string &n = fn->results()[i].name;
    if (n == "loss") {
      lossIndex = int(i);
      break;
    }
    if (n.rfind("loss:", 0) == 0)
      lossIndex = lossIndex == -1 ? int(i) : -2;
  }
  if (lossIndex < 0) {
    error = "the model needs exactly one loss (or a total 'loss') to train";
    return false;
  }
  return true;
}

bool BoundFunction::run(const runtime::Batch &b, std::vector<Tensor> &outs, std::string &error) {
  for (size_t i = 0; i < args.size(); ++i)
    if (!inputNames[i].empty()) {
      auto it = b.inputs.find(inputNames[i]);
      if (it == b.inputs.end()) {
        error = "the batch has no input '" + inputNames[i] + "'";
        return false;
      }
      args[i] = &it->second;
    }
  outs.clear();
  if (!fn->replayable() && !keepArguments)
    return fn->run(args, outs, error);
  // The same buffers at every call (a new batch shape binds new ones, from
  // the kept arguments' latest values).
  for (size_t i = 0; resident && i < args.size(); ++i)
    if (!resident->fits(i, *args[i])) {
      pullArguments();
      resident.reset();
    }
  if (!resident)
    resident = jit::ResidentCall::bind(fn, args, error);
  else
    for (size_t i = 0; i < args.size(); ++i)
      if ((!keepArguments || !kept[i]) && !resident->set(i, *args[i], error))
        return false;
  return resident && resident->run(outs, error);
}

void BoundFunction::pullArguments() {
  if (!resident || !keepArguments)
    return;
  for (size_t i = 0; i < kept.size(); ++i)
    if (kept[i])
      std::memcpy(kept[i]->data(), resident->data(i),
                  size_t(kept[i]->numel()) * runtime::elementSize(kept[i]->dtype));
}

bool BoundFunction::pushArguments(std::string &error) {
  if (!resident || !keepArguments)
    return true;
  for (size_t i = 0; i < kept.size(); ++i)
    if (kept[i] && !resident->set(i, *kept[i], error))
      return false;
  return true;
}

int BoundFunction::resultIndex(const std::string &name) const {
  for (size_t i = 0; i < fn->results().size(); ++i)
    if (fn->results()[i].name == name)
      return int(i);
  return -1;
}

namespace {

std::string finiteName(double v) {
  return std::isnan(v) ? "nan" : v > 0 ? "inf" : v < 0 ? "-inf" : "0";
}

std::atomic<bool> g_interrupted{false};
void onInterrupt(int) {
  g_interrupted = true;
  std::signal(SIGINT, SIG_DFL); // a second Ctrl-C stops at once
}

class TrainLoop {
public:
  explicit TrainLoop(TrainSetup &s)
      : s(s), plan(s.plan), tty(s.o.progress && isatty(2)),
        logEvery(std::max(1LL, (plan.total + 19) / 20)),
        tokensPerStep(plan.batch * plan.seqLen * plan.accumulate),
        lastCheckpoint(s.o.resume.empty() ? -1 : s.resumed.startStep) {}

  int run();

private:
  TrainSetup &s;
  const TrainPlan &plan;
  bool tty;
  long long logEvery, tokensPerStep, lastCheckpoint;
  double valSec = 0, trainSec = 0, ckptSec = 0;
  std::chrono::steady_clock::time_point session0 = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point lastDraw = session0 - std::chrono::seconds(1);
  std::vector<Tensor> outs;
  std::map<std::string, Tensor> grads;
  std::vector<std::pair<long long, double>> valAccuracy; ///< (step, accuracy)
  std::string error;

  double runTime() const { return s.resumed.priorTime + secondsSince(session0); }
  void writeRow(const JsonObject &row) { appendRow(s.metrics, row); }
  void clearLine() {
    if (tty)
      std::fputs("\r\033[K", stderr);
  }
  bool validate(long long step, double &loss);
  bool checkpoint(long long step);
  int nonFinite(const std::string &what, long long step);
  /// One optimizer step's loss and gradients (accumulated and averaged
  /// over plan.accumulate micro-batches) into `grads`.
  bool lossAndGradients(long long step, double &loss);
  /// Runs s.grad on micro-batch `a` of `step`, adding its loss to `loss`
  /// (its other results in `outs`).
  bool microBatch(long long step, long long a, double &loss);
  /// One step with the update compiled into s.grad: its loss and the
  /// gradient norm (the parameters change in the call's buffers).
  bool compiledStep(long long step, double &loss, double &gradNorm);
  /// With the compiled step: the parameters and optimizer state back from
  /// the step's buffers, for validation and checkpoints.
  void syncHost();
  void drawProgress(long long step, double loss, double lr, double tps);
  void printSummary(long long step);
};

void TrainLoop::syncHost() {
  if (!s.trainStep)
    return;
  s.grad.pullArguments();
  storeTrainStepState(*s.stepState, s.opt);
  s.opt.copyTiedParams(s.params);
}

bool TrainLoop::validate(long long step, double &loss) {
  auto t0 = std::chrono::steady_clock::now();
  syncHost();
  if (!s.fwd.pushArguments(error)) // the parameters, once for all batches
    return fail(error), false;
  double sum = 0;
  // Task data labels its answers: the first head's next-token accuracy
  // on them (text labels every token; its loss says enough).
  runtime::LabelScore score;
  const ModelInstance &m = s.e.model;
  for (long long i = 0; i < plan.valBatches; ++i) {
    runtime::Batch b = s.data.batchAt(Split::Validation, i, plan.batch, plan.seqLen, plan.seed);
    if (!b.ok())
      return fail(b.error), false;
    if (!s.fwd.run(b, outs, error))
      return fail(error), false;
    sum += outs[size_t(s.fwd.lossIndex)].at(0);
    if (!m.heads.empty() && s.data.kind() != runtime::DataSource::Kind::Text)
      score += runtime::scoreLabels(outs[0], b.labels);
  }
  loss = sum / double(plan.valBatches);
  valSec += secondsSince(t0);
  if (!std::isfinite(loss))
    return true; // reported by the caller
  s.resumed.valHistory.push_back({step, loss});
  JsonObject row;
  row.integer("step", step).num("val_loss", loss, 17);
  if (score.scored) {
    row.num("val_accuracy", score.accuracy(), 9).integer("val_scored", score.scored);
    valAccuracy.push_back({step, score.accuracy()});
  }
  writeRow(row.integer("val_batches", plan.valBatches).num("time", runTime(), 6));
  if (s.o.progress) {
    clearLine();
    std::fprintf(stderr, "step %*lld/%lld  val_loss %.4f", int(std::to_string(plan.total).size()),
                 step, plan.total, loss);
    if (score.scored)
      std::fprintf(stderr, "  val_accuracy %.4f", score.accuracy());
    std::fputc('\n', stderr);
  }
  return true;
}

bool TrainLoop::checkpoint(long long step) {
  auto t0 = std::chrono::steady_clock::now();
  syncHost();
  runtime::TrainingState ts;
  ts.step = step;
  ts.rng = "seed=" + std::to_string(plan.seed);
  ts.dataPosition = step * plan.accumulate;
  ts.extra["model_hash"] = s.modelHash;
  ts.extra["seed"] = std::to_string(plan.seed);
  ts.extra["batch"] = std::to_string(plan.batch);
  ts.extra["seq_len"] = std::to_string(plan.seqLen);
  ts.extra["accumulate"] = std::to_string(plan.accumulate);
  ts.extra["steps"] = std::to_string(plan.total);
  ts.extra["experiment"] = s.e.name;
  ts.extra["variant"] = variantName(s.e);
  char t[32];
  std::snprintf(t, sizeof t, "%.6f", runTime());
  ts.extra["time"] = t;
  for (auto &[k, v] : s.e.settings)
    ts.extra["setting." + k] = v;
  if (!runtime::saveCheckpoint((s.runDir / "checkpoint").string(), s.params, s.opt.state(), ts,
                               error))
    return fail("writing the checkpoint failed: " + error), false;
  lastCheckpoint = step;
  ckptSec += secondsSince(t0);
  return true;
}

int TrainLoop::nonFinite(const std::string &what, long long step) {
  clearLine();
  std::string where = lastCheckpoint >= 0
                          ? "the last good checkpoint, step " + std::to_string(lastCheckpoint) +
                                ", is in " + (s.runDir / "checkpoint").string()
                          : "no checkpoint was written yet";
  return fail(what + " at step " + std::to_string(step) +
                  "; training stopped and saved nothing new; " + where,
              "lower the learning rate, clip gradients (train { clip = clip_norm(1.0) }) or "
              "add warmup, then start a fresh run");
}

bool TrainLoop::microBatch(long long step, long long a, double &loss) {
  runtime::Batch b = s.data.batchAt(Split::Train, step * plan.accumulate + a, plan.batch,
                                    plan.seqLen, plan.seed);
  if (!b.ok())
    return fail(b.error), false;
  if (!s.grad.run(b, outs, error))
    return fail(error), false;
  loss += outs[size_t(s.grad.lossIndex)].at(0);
  return true;
}

bool TrainLoop::lossAndGradients(long long step, double &loss) {
  loss = 0;
  grads.clear();
  for (long long a = 0; a < plan.accumulate; ++a) {
    if (!microBatch(step, a, loss))
      return false;
    for (size_t i = 0; i < outs.size(); ++i) {
      const std::string &n = s.grad.fn->results()[i].name;
      if (n.rfind("grad:", 0) != 0)
        continue;
      std::string path = n.substr(5);
      if (a == 0) {
        grads[path] = std::move(outs[i]);
      } else {
        Tensor &g = grads[path];
        for (size_t j = 0; j < g.f32.size(); ++j)
          g.f32[j] += outs[i].f32[j];
      }
    }
  }
  if (plan.accumulate > 1) {
    loss /= double(plan.accumulate);
    float scale = 1.0f / float(plan.accumulate);
    for (auto &[path, g] : grads)
      for (float &v : g.f32)
        v *= scale;
  }
  return true;
}

bool TrainLoop::compiledStep(long long step, double &loss, double &gradNorm) {
  // One call per micro-batch; the last one's `apply` (hyper's last entry)
  // makes it update.
  Tensor &hyper = (*s.stepState)["hyper"];
  hyper = trainStepHyper(*s.trainStep, s.opt, step);
  loss = 0;
  for (long long a = 0; a < plan.accumulate; ++a) {
    if (plan.accumulate > 1)
      hyper.f32.back() = a == plan.accumulate - 1 ? 1.0f : 0.0f;
    if (!microBatch(step, a, loss))
      return false;
  }
  loss /= double(plan.accumulate);
  gradNorm = outs[size_t(s.grad.resultIndex("grad_norm"))].at(0);
  return true;
}

void TrainLoop::drawProgress(long long step, double loss, double lr, double tps) {
  // On a terminal the line is redrawn at most 10 times a second.
  long long startStep = s.resumed.startStep;
  bool draw = tty ? secondsSince(lastDraw) >= 0.1 || step == plan.stopAt
                  : step % logEvery == 0 || step == plan.stopAt || step == startStep + 1;
  if (!s.o.progress || !draw)
    return;
  lastDraw = std::chrono::steady_clock::now();
  double perStep = secondsSince(session0) / double(step - startStep);
  double eta = perStep * double(plan.stopAt - step);
  char line[256];
  int w = int(std::to_string(plan.total).size());
  std::snprintf(line, sizeof line, "step %*lld/%lld  loss %.4f  lr %.2e  %s tok/s  ETA %s", w,
                step, plan.total, loss, lr, rate(tps).c_str(), duration(eta).c_str());
  if (tty) {
    const int width = 20;
    int filled = int(double(width) * double(step) / double(plan.total));
    std::string bar = "[" + std::string(size_t(filled), '#') +
                      std::string(size_t(width - filled), '.') + "] ";
    std::fprintf(stderr, "\r\033[K%s%s", bar.c_str(), line);
  } else {
    std::fprintf(stderr, "%s\n", line);
  }
  std::fflush(stderr);
}

int TrainLoop::run() {
  std::signal(SIGINT, onInterrupt);
  struct RestoreSignal {
    ~RestoreSignal() { std::signal(SIGINT, SIG_DFL); }
  } restoreSignal;
  long long startStep = s.resumed.startStep;
  if (startStep == 0) {
    double val0 = NAN;
    if (!validate(0, val0))
      return 1;
    if (!std::isfinite(val0))
      return nonFinite("the validation loss is not finite before training", 0);
  }
  long long step = startStep;
  while (step < plan.stopAt) {
    auto t0 = std::chrono::steady_clock::now();
    double loss = 0, gradNorm = 0;
    double lr = s.opt.lrAt(step);
    if (!(s.trainStep ? compiledStep(step, loss, gradNorm) : lossAndGradients(step, loss)))
      return 1;
    if (!std::isfinite(loss))
      return nonFinite("the training loss is not finite (" + finiteName(loss) + ")", step + 1);
    if (s.trainStep) {
      if (!std::isfinite(gradNorm))
        return nonFinite("a gradient is not finite (norm " + finiteName(gradNorm) + ")", step + 1);
    } else {
      if (!s.opt.step(s.params, grads, step, error)) {
        if (error.find("not finite") != std::string::npos)
          return nonFinite("a gradient is not finite (" + error + ")", step + 1);
        return fail(error);
      }
      gradNorm = s.opt.lastGradNorm();
    }
    trainSec += secondsSince(t0);
    ++step;
    s.resumed.history.push_back({step, loss});
    double tps = double((step - startStep) * tokensPerStep) / std::max(trainSec, 1e-9);
    writeRow(JsonObject()
                 .integer("step", step)
                 .num("loss", loss, 17)
                 .num("lr", lr, 9)
                 .num("grad_norm", gradNorm, 9)
                 .integer("tokens", step * tokensPerStep)
                 .num("tokens_per_s", tps, 6)
                 .num("time", runTime(), 6));
    drawProgress(step, loss, lr, tps);
    bool last = step == plan.stopAt;
    if ((plan.evalEvery > 0 && step % plan.evalEvery == 0) || last) {
      double v = 0;
      if (!validate(step, v))
        return 1;
      if (!std::isfinite(v))
        return nonFinite("the validation loss is not finite (" + finiteName(v) + ")", step);
    }
    if ((plan.checkpointEvery > 0 && step % plan.checkpointEvery == 0) || last ||
        g_interrupted) {
      if (!checkpoint(step))
        return 1;
    }
    if (g_interrupted && !last) {
      clearLine();
      std::fclose(s.metrics);
      std::fprintf(stderr,
                   "frond: interrupted at step %lld of %lld; checkpoint saved\n"
                   "  continue with: %s\n",
                   step, plan.total, resumeCommand(s.o, s.runDir.string()).c_str());
      return 130;
    }
  }
  clearLine();
  std::fclose(s.metrics);
  printSummary(step);
  return 0;
}

void TrainLoop::printSummary(long long step) {
  const auto &history = s.resumed.history, &valHistory = s.resumed.valHistory;
  double trainMean = 0;
  size_t n = std::min<size_t>(10, history.size());
  for (size_t i = history.size() - n; i < history.size(); ++i)
    trainMean += history[i].second;
  trainMean /= double(std::max<size_t>(n, 1));
  auto ent = s.data.unigramEntropy();
  double wall = secondsSince(s.wall0);
  long long sessionTokens = (step - s.resumed.startStep) * tokensPerStep;
  std::printf("summary: step %lld of %lld%s\n", step, plan.total,
              step < plan.total ? " (stopped early by --steps)" : "");
  std::printf("  train loss       %.6f  (mean of the last %zu steps)\n", trainMean, n);
  if (!valHistory.empty()) {
    const auto &[vs, vl] = valHistory.back();
    const auto &[fs0, fl] = valHistory.front();
    std::printf("  validation loss  %.6f  (step %lld, %lld batches; %.6f at step %lld)\n", vl, vs,
                plan.valBatches, fl, fs0);
  }
  if (!valAccuracy.empty()) {
    const auto &[as, acc] = valAccuracy.back();
    std::printf("  val accuracy     %.4f  (step %lld, next-token accuracy on the task's scored "
                "positions; %.4f at step %lld)\n",
                acc, as, valAccuracy.front().second, valAccuracy.front().first);
  }
  std::printf("  unigram entropy  %.6f nats  (the loss of a model that ignores context)\n",
              ent.nats);
  std::printf("  throughput       %s tokens/s  (%s tokens in %.2f s of training steps)\n",
              withCommas((long long)std::llround(double(sessionTokens) /
                                                 std::max(trainSec, 1e-9)))
                  .c_str(),
              withCommas(sessionTokens).c_str(), trainSec);
  std::printf("  wall time        %.2f s  (compile %.2f s, validation %.2f s, checkpoints %.2f s)\n",
              wall, s.compileSec, valSec, ckptSec);
  if (s.o.device == "cuda") {
    std::printf("  GPU memory       %s\n",
                runtime::describeBufferPool(runtime::cuda::mgpuMemoryStats()).c_str());
    std::printf(s.trainStep ? "  training step    %s  (the update compiled in)\n"
                            : "  gradient step    %s\n",
                (s.grad.resident ? s.grad.resident->describe()
                                 : jit::ResidentCall::kernelByKernel(s.grad.fn->whyNotReplayable()))
                    .c_str());
  }
  std::printf("  stored in        %s  (metrics.jsonl, checkpoint/ at step %lld, run.json)\n",
              s.runDir.c_str(), lastCheckpoint);
  if (step < plan.total)
    std::printf("  continue with:   %s\n", resumeCommand(s.o, s.runDir.string()).c_str());
}

} // namespace

int runTrainLoop(TrainSetup &s) { return TrainLoop(s).run(); }

} // namespace frond::cli
