//===- TrainCommand.cpp - `frond train` -----------------------------------===//
//
// Trains an experiment's model on the CPU: the JIT-compiled gradient
// function (@<model>_grad, jit::CompileOptions::gradient) gives the loss and
// every trainable parameter's gradient, the experiment's optimizer updates
// the parameters, and the forward (@<model>_forward) measures the
// validation loss on a fixed set of validation batches.
//
// A run directory holds
//   run.json        the resolved settings, spec, variant, seed, command line
//   metrics.jsonl   one JSON object per line, flushed as written:
//                     {"step": k, "loss", "lr", "grad_norm", "tokens",
//                      "tokens_per_s", "time"}   after update k (1-based;
//                                                 loss before the update)
//                     {"step": k, "val_loss", "val_batches", "time"}
//                     {"event": "resume", "step": k, "time", "command"}
//   checkpoint/     the latest checkpoint (frond/runtime/Checkpoint.h):
//                   parameters, optimizer state, step and data position,
//                   each file written atomically
//
// Batches are pure functions of (seed, split, step) and the optimizer state
// is restored bit for bit, so --resume continues with exactly the losses an
// uninterrupted run has (the JIT's code is single-threaded and
// deterministic).
//
//===----------------------------------------------------------------------===//
#include "Cli.h"
#include "TrainOutput.h"
#include "TrainRunDir.h"

#include "frond/JIT/Jit.h"
#include "frond/MLIRGen/MLIRGen.h"
#include "frond/runtime/Accuracy.h"
#include "frond/runtime/Checkpoint.h"
#include "frond/runtime/CudaMgpu.h"
#include "frond/runtime/Data.h"
#include "frond/runtime/Init.h"
#include "frond/runtime/Optimizer.h"

#include "mlir/IR/MLIRContext.h"
#include "llvm/Support/raw_ostream.h"

#include <atomic>
#include <cerrno>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <unistd.h>

namespace fs = std::filesystem;

namespace frond::cli {

using runtime::DType;
using runtime::Split;
using runtime::Tensor;

namespace {

std::string finiteName(double v) {
  return std::isnan(v) ? "nan" : v > 0 ? "inf" : v < 0 ? "-inf" : "0";
}

std::atomic<bool> g_interrupted{false};
void onInterrupt(int) {
  g_interrupted = true;
  std::signal(SIGINT, SIG_DFL); // a second Ctrl-C stops at once
}

/// A compiled function with its arguments bound: inputs by name from each
/// batch, parameters by path (stable pointers into the parameter map).
struct Bound {
  std::shared_ptr<jit::CompiledModel> fn;
  std::vector<const Tensor *> args;
  std::vector<std::string> inputNames; ///< per argument: "" for a parameter
  int lossIndex = -1;

  bool bind(std::map<std::string, Tensor> &params, const std::set<std::string> &inputs,
            std::string &error) {
    args.assign(fn->arguments().size(), nullptr);
    inputNames.assign(args.size(), "");
    for (size_t i = 0; i < args.size(); ++i) {
      const std::string &name = fn->arguments()[i].name;
      if (inputs.count(name)) {
        inputNames[i] = name;
        continue;
      }
      auto p = params.find(name);
      if (p == params.end()) {
        error = "the compiled model takes '" + name +
                "', which is neither a parameter nor an input the data gives";
        return false;
      }
      args[i] = &p->second;
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

  bool run(const runtime::Batch &b, std::vector<Tensor> &outs, std::string &error) {
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
    return fn->run(args, outs, error);
  }
};

} // namespace

/// `frond train`.
int trainCommand(const Options &o, const Program &program,
                 const std::vector<Override> &overrides, DiagEngine &diags) {
  auto wall0 = std::chrono::steady_clock::now();
  if (!o.out.empty() && !o.resume.empty())
    return usageError("--out and --resume exclude each other: a resumed run continues in "
                      "its own directory");

  // --- the experiment -------------------------------------------------------------
  graph::Graph graph;
  auto inst = resolveExperiment(program, o.experiment, o.variant, diags, overrides, &graph);
  if (!inst || diags.hasErrors())
    return printDiagnostics(diags), 1;
  printDiagnostics(diags); // warnings
  const ExperimentInstance &e = *inst;
  const ModelInstance &m = e.model;
  if (e.modelOnly)
    return fail(o.file + " has no experiment: training needs one (its data and train settings)",
                "add `experiment NAME { model = " + m.name +
                    "(), data = text(\"data/corpus.txt\"), train { steps = 300 } }`");
  for (const char *key : {"train.init_from", "train.label_smoothing", "train.dtype"})
    if (!setting(e, key).empty())
      std::fprintf(stderr, "frond: warning: frond train does not support %s yet; ignored\n",
                   key);

  auto num = [&](const std::string &key, long long def) {
    std::string v = setting(e, key);
    return v.empty() ? def : std::atoll(v.c_str());
  };
  std::string specDir = fs::path(o.file).parent_path().string();
  std::string dataSetting = setting(e, "data");
  if (dataSetting.empty())
    return fail("experiment '" + e.name + "' has no data to train on",
                "add `data = text(\"data/corpus.txt\")` (or a task, e.g. "
                "task.associative_recall()) to the experiment");
  std::string error;
  auto data = runtime::DataSource::create(dataSetting, specDir, error);
  if (!data)
    return fail(error);

  TrainPlan plan;
  plan.total = num("train.steps", 500);
  plan.batch = o.batch > 0 ? o.batch : num("train.batch", 8);
  plan.seqLen = o.seqLen > 0 ? o.seqLen
                             : num("train.seq_len", data->sequenceLength() > 0
                                                        ? data->sequenceLength()
                                                        : 128);
  plan.accumulate = std::max(1LL, num("train.accumulate", 1));
  plan.seed = uint64_t(o.seed >= 0 ? o.seed : num("train.seed", 1));
  plan.stopAt = o.steps > 0 ? o.steps : plan.total;
  if (plan.stopAt > plan.total)
    return usageError("--steps " + std::to_string(o.steps) + " is beyond the run's " +
                      std::to_string(plan.total) +
                      " steps (--steps stops a run early; the learning-rate schedule spans "
                      "train.steps). To train longer, pass --set train.steps=" +
                      std::to_string(o.steps));
  long long defaultEvery = std::max(1LL, (plan.total + 9) / 10);
  plan.evalEvery = o.evalEvery >= 0 ? o.evalEvery
                                    : num("train.eval_every", num("eval.every", defaultEvery));
  plan.checkpointEvery = o.checkpointEvery >= 0
                             ? o.checkpointEvery
                             : num("train.checkpoint_every", plan.evalEvery);
  plan.valBatches = std::max(1LL, num("eval.batches", 10));
  data->setSeed(plan.seed);

  long long vocab = modelVocab(m);
  if (vocab > 0)
    if (std::string err = data->checkVocab(vocab); !err.empty())
      return fail(err);
  for (Split s : {Split::Train, Split::Validation})
    if (std::string err = data->check(s, plan.batch, plan.seqLen); !err.empty())
      return fail(err);
  std::set<std::string> inputNames;
  for (const InputInfo &in : m.inputs)
    inputNames.insert(in.name);

  // --- compile: the gradient for training, the forward for validation --------------
  mlir::MLIRContext ctx;
  auto gradModule = mlirGen(ctx, graph, m, diags);
  auto fwdModule = mlirGen(ctx, graph, m, diags);
  printDiagnostics(diags);
  if (!gradModule || !fwdModule)
    return 1;
  std::string modelText;
  {
    llvm::raw_string_ostream os(modelText);
    fwdModule->print(os);
  }
  std::string modelHash = hex(fnv1a(modelText));
  auto compileOne = [&](mlir::OwningOpRef<mlir::ModuleOp> mod, bool gradient, Bound &out,
                        std::string &how) {
    jit::CompileOptions options = jitOptions(o);
    options.gradient = gradient;
    jit::CompileReport report;
    out.fn = jit::CompiledModel::compile(std::move(mod), error, options, &report);
    if (!out.fn)
      return false;
    if (!report.note.empty())
      std::fprintf(stderr, "frond: warning: %s\n", report.note.c_str());
    how = report.source == jit::CompileReport::Compiled ? "compiled" : "cached";
    return true;
  };
  auto tc = std::chrono::steady_clock::now();
  Bound grad, fwd;
  std::string gradHow, fwdHow;
  if (!compileOne(std::move(gradModule), true, grad, gradHow))
    return fail(error, error.find("no gradient") != std::string::npos ||
                               error.find("differentiat") != std::string::npos
                           ? "frond train needs a gradient rule for every op on the path to "
                             "the loss; see `frond compile --emit=mlir` for the ops"
                           : "");
  if (!compileOne(std::move(fwdModule), false, fwd, fwdHow))
    return fail(error);
  double compileSec = secondsSince(tc);

  // --- parameters and optimizer: fresh or from the checkpoint ------------------------
  std::map<std::string, Tensor> params;
  auto opt = runtime::makeOptimizer(e, m.params, error);
  if (!opt)
    return fail(error);
  fs::path runDir;
  ResumedRun resumed;
  long long &startStep = resumed.startStep;
  double &priorTime = resumed.priorTime;
  auto &history = resumed.history, &valHistory = resumed.valHistory;
  std::vector<std::pair<long long, double>> valAccuracy; ///< (step, accuracy)
  if (!o.resume.empty()) {
    if (int status = resumeRun(o, e, plan, modelHash, *opt, params, runDir, resumed);
        status >= 0)
      return status;
  } else {
    params = runtime::initParams(m, plan.seed, 0.02);
    if (int status = newRunDir(o, e, runDir); status >= 0)
      return status;
  }

  // The compiled functions read the parameters through pointers into `params`.
  if (!grad.bind(params, inputNames, error) || !fwd.bind(params, inputNames, error))
    return fail(error);

  // --- the run directory -------------------------------------------------------------
  std::error_code ec;
  fs::create_directories(runDir, ec);
  if (ec)
    return fail("cannot create the run directory '" + runDir.string() + "': " + ec.message(),
                "pass a writable --out DIR, or set run.out_dir in frond.toml");
  fs::path metricsPath = runDir / "metrics.jsonl";
  if (o.resume.empty()) {
    if (!writeRunJson(o, e, plan, *data, modelHash, runDir, error))
      return fail(error);
  } else if (resumed.droppedLines > 0) {
    std::string text;
    for (auto &l : resumed.keptLines)
      text += l + "\n";
    if (!runtime::writeFileAtomic(metricsPath.string(), text, error))
      return fail(error);
    std::fprintf(stderr,
                 "frond: note: dropped %zu metrics rows written after the checkpoint "
                 "(step %lld)\n",
                 resumed.droppedLines, startStep);
  }
  std::FILE *metrics = std::fopen(metricsPath.c_str(), "a");
  if (!metrics)
    return fail("cannot open " + metricsPath.string() + ": " + std::strerror(errno));
  auto writeRow = [&](const JsonObject &row) {
    std::fputs((row.text() + "\n").c_str(), metrics);
    std::fflush(metrics);
  };
  if (!o.resume.empty()) {
    if (!resumed.metricsExisted)
      std::fprintf(stderr, "frond: warning: %s was missing; it starts again at step %lld\n",
                   metricsPath.c_str(), startStep);
    writeRow(JsonObject()
                 .str("event", "resume")
                 .integer("step", startStep)
                 .num("time", priorTime, 6)
                 .str("command", commandLine()));
  }

  // --- header -------------------------------------------------------------------------
  long long tokensPerStep = plan.batch * plan.seqLen * plan.accumulate;
  std::printf("train %s%s%s: model %s, %s parameters (%s trainable)\n", e.name.c_str(),
              e.variant.empty() ? "" : " --variant ", e.variant.c_str(), m.name.c_str(),
              withCommas(m.totalParams()).c_str(), withCommas(m.trainableParams()).c_str());
  std::printf("  data:     %s\n", data->describe().c_str());
  std::printf("  steps:    %lld%s, batch %lld x %lld%s, seed %llu; validation every %lld "
              "steps on %lld batches\n",
              plan.total,
              plan.stopAt < plan.total ? (" (stopping at " + std::to_string(plan.stopAt) + ")").c_str()
                                       : "",
              plan.batch, plan.seqLen,
              plan.accumulate > 1 ? (" x " + std::to_string(plan.accumulate) + " accumulated").c_str()
                                  : "",
              (unsigned long long)plan.seed, plan.evalEvery, plan.valBatches);
  std::printf("  optimizer: %s\n", opt->summary().c_str());
  std::printf("  compile:  %.2f s (gradient %s, forward %s; %s)\n", compileSec, gradHow.c_str(),
              fwdHow.c_str(), o.device == "cuda" ? "CUDA device 0" : "CPU");
  std::printf("  run:      %s%s\n", runDir.c_str(),
              o.resume.empty() ? "" : (" (resumed at step " + std::to_string(startStep) + ")").c_str());
  std::fflush(stdout);

  // --- the loop --------------------------------------------------------------------------
  bool tty = o.progress && isatty(2);
  long long logEvery = std::max(1LL, (plan.total + 19) / 20);
  double valSec = 0, trainSec = 0, ckptSec = 0;
  auto session0 = std::chrono::steady_clock::now();
  auto lastDraw = session0 - std::chrono::seconds(1);
  auto runTime = [&] { return priorTime + secondsSince(session0); };
  long long lastCheckpoint = o.resume.empty() ? -1 : startStep;
  std::vector<Tensor> outs;
  auto clearLine = [&] {
    if (tty)
      std::fputs("\r\033[K", stderr);
  };

  auto validate = [&](long long step, double &loss) -> bool {
    auto t0 = std::chrono::steady_clock::now();
    double sum = 0;
    // Task data labels its answers: the first head's next-token accuracy
    // on them (text labels every token; its loss says enough).
    runtime::LabelScore score;
    for (long long i = 0; i < plan.valBatches; ++i) {
      runtime::Batch b = data->batchAt(Split::Validation, i, plan.batch, plan.seqLen, plan.seed);
      if (!b.ok())
        return fail(b.error), false;
      if (!fwd.run(b, outs, error))
        return fail(error), false;
      sum += outs[size_t(fwd.lossIndex)].at(0);
      if (!m.heads.empty() && data->kind() != runtime::DataSource::Kind::Text)
        score += runtime::scoreLabels(outs[0], b.labels);
    }
    loss = sum / double(plan.valBatches);
    valSec += secondsSince(t0);
    if (!std::isfinite(loss))
      return true; // reported by the caller
    valHistory.push_back({step, loss});
    JsonObject row;
    row.integer("step", step).num("val_loss", loss, 17);
    if (score.scored) {
      row.num("val_accuracy", score.accuracy(), 9).integer("val_scored", score.scored);
      valAccuracy.push_back({step, score.accuracy()});
    }
    writeRow(row.integer("val_batches", plan.valBatches).num("time", runTime(), 6));
    if (o.progress) {
      clearLine();
      std::fprintf(stderr, "step %*lld/%lld  val_loss %.4f", int(std::to_string(plan.total).size()),
                   step, plan.total, loss);
      if (score.scored)
        std::fprintf(stderr, "  val_accuracy %.4f", score.accuracy());
      std::fputc('\n', stderr);
    }
    return true;
  };
  auto checkpoint = [&](long long step) -> bool {
    auto t0 = std::chrono::steady_clock::now();
    runtime::TrainingState ts;
    ts.step = step;
    ts.rng = "seed=" + std::to_string(plan.seed);
    ts.dataPosition = step * plan.accumulate;
    ts.extra["model_hash"] = modelHash;
    ts.extra["seed"] = std::to_string(plan.seed);
    ts.extra["batch"] = std::to_string(plan.batch);
    ts.extra["seq_len"] = std::to_string(plan.seqLen);
    ts.extra["accumulate"] = std::to_string(plan.accumulate);
    ts.extra["steps"] = std::to_string(plan.total);
    ts.extra["experiment"] = e.name;
    ts.extra["variant"] = variantName(e);
    char t[32];
    std::snprintf(t, sizeof t, "%.6f", runTime());
    ts.extra["time"] = t;
    for (auto &[k, v] : e.settings)
      ts.extra["setting." + k] = v;
    if (!runtime::saveCheckpoint((runDir / "checkpoint").string(), params, opt->state(), ts,
                                 error))
      return fail("writing the checkpoint failed: " + error), false;
    lastCheckpoint = step;
    ckptSec += secondsSince(t0);
    return true;
  };
  auto nonFinite = [&](const std::string &what, long long step) {
    clearLine();
    std::string where = lastCheckpoint >= 0
                            ? "the last good checkpoint, step " + std::to_string(lastCheckpoint) +
                                  ", is in " + (runDir / "checkpoint").string()
                            : "no checkpoint was written yet";
    return fail(what + " at step " + std::to_string(step) +
                    "; training stopped and saved nothing new; " + where,
                "lower the learning rate, clip gradients (train { clip = clip_norm(1.0) }) or "
                "add warmup, then start a fresh run");
  };

  std::signal(SIGINT, onInterrupt);
  struct RestoreSignal {
    ~RestoreSignal() { std::signal(SIGINT, SIG_DFL); }
  } restoreSignal;
  double val0 = NAN;
  if (startStep == 0) {
    if (!validate(0, val0))
      return 1;
    if (!std::isfinite(val0))
      return nonFinite("the validation loss is not finite before training", 0);
  }
  long long step = startStep;
  std::map<std::string, Tensor> grads;
  while (step < plan.stopAt) {
    auto t0 = std::chrono::steady_clock::now();
    double loss = 0;
    grads.clear();
    for (long long a = 0; a < plan.accumulate; ++a) {
      runtime::Batch b = data->batchAt(Split::Train, step * plan.accumulate + a, plan.batch,
                                       plan.seqLen, plan.seed);
      if (!b.ok())
        return fail(b.error);
      if (!grad.run(b, outs, error))
        return fail(error);
      loss += outs[size_t(grad.lossIndex)].at(0);
      for (size_t i = 0; i < outs.size(); ++i) {
        const std::string &n = grad.fn->results()[i].name;
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
    if (!std::isfinite(loss))
      return nonFinite("the training loss is not finite (" + finiteName(loss) + ")", step + 1);
    double lr = opt->lrAt(step);
    if (!opt->step(params, grads, step, error)) {
      if (error.find("not finite") != std::string::npos)
        return nonFinite("a gradient is not finite (" + error + ")", step + 1);
      return fail(error);
    }
    trainSec += secondsSince(t0);
    ++step;
    history.push_back({step, loss});
    long long sessionSteps = step - startStep;
    double tps = double(sessionSteps * tokensPerStep) / std::max(trainSec, 1e-9);
    writeRow(JsonObject()
                 .integer("step", step)
                 .num("loss", loss, 17)
                 .num("lr", lr, 9)
                 .num("grad_norm", opt->lastGradNorm(), 9)
                 .integer("tokens", step * tokensPerStep)
                 .num("tokens_per_s", tps, 6)
                 .num("time", runTime(), 6));
    // On a terminal the line is redrawn at most 10 times a second.
    bool draw = tty ? secondsSince(lastDraw) >= 0.1 || step == plan.stopAt
                    : step % logEvery == 0 || step == plan.stopAt || step == startStep + 1;
    if (o.progress && draw) {
      lastDraw = std::chrono::steady_clock::now();
      double perStep = secondsSince(session0) / double(sessionSteps);
      double eta = perStep * double(plan.stopAt - step);
      char line[256];
      int w = int(std::to_string(plan.total).size());
      std::snprintf(line, sizeof line, "step %*lld/%lld  loss %.4f  lr %.2e  %s tok/s  ETA %s",
                    w, step, plan.total, loss, lr, rate(tps).c_str(), duration(eta).c_str());
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
      std::fclose(metrics);
      std::fprintf(stderr,
                   "frond: interrupted at step %lld of %lld; checkpoint saved\n"
                   "  continue with: %s\n",
                   step, plan.total, resumeCommand(o, runDir.string()).c_str());
      return 130;
    }
  }
  clearLine();
  std::fclose(metrics);

  // --- summary -----------------------------------------------------------------------------
  double trainMean = 0;
  size_t n = std::min<size_t>(10, history.size());
  for (size_t i = history.size() - n; i < history.size(); ++i)
    trainMean += history[i].second;
  trainMean /= double(std::max<size_t>(n, 1));
  auto ent = data->unigramEntropy();
  double wall = secondsSince(wall0);
  long long sessionTokens = (step - startStep) * tokensPerStep;
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
              wall, compileSec, valSec, ckptSec);
  if (o.device == "cuda")
    std::printf("  GPU memory       %s\n",
                runtime::describeBufferPool(runtime::cuda::mgpuMemoryStats()).c_str());
  std::printf("  stored in        %s  (metrics.jsonl, checkpoint/ at step %lld, run.json)\n",
              runDir.c_str(), lastCheckpoint);
  if (step < plan.total)
    std::printf("  continue with:   %s\n", resumeCommand(o, runDir.string()).c_str());
  return 0;
}

} // namespace frond::cli
