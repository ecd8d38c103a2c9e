//===- TrainCommand.cpp - `frond train` -----------------------------------===//
//
// Trains an experiment's model (on the CPU, or the GPU with --device cuda):
// the JIT-compiled gradient function (@<model>_grad,
// jit::CompileOptions::gradient) gives the loss and every trainable
// parameter's gradient, the experiment's optimizer updates the parameters,
// and the forward (@<model>_forward) measures the validation loss on a
// fixed set of validation batches. This file sets a run up (experiment,
// plan, compiled functions, parameters, run directory, header); the steps
// are TrainLoop.cpp's.
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
#include "TrainLoop.h"
#include "CompiledStep.h"
#include "TrainOutput.h"
#include "TrainRunDir.h"

#include "frond/JIT/Jit.h"
#include "frond/MLIRGen/MLIRGen.h"
#include "frond/runtime/Checkpoint.h"
#include "frond/runtime/Data.h"
#include "frond/runtime/Init.h"
#include "frond/runtime/Optimizer.h"

#include "mlir/IR/MLIRContext.h"
#include "llvm/Support/raw_ostream.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <set>

namespace fs = std::filesystem;

namespace frond::cli {

using runtime::Split;
using runtime::Tensor;

namespace {

/// The run's sizes and schedules: command-line options over the
/// experiment's train/eval settings over defaults. Returns -1 to go on,
/// else the exit status.
int resolvePlan(const Options &o, const ExperimentInstance &e, const runtime::DataSource &data,
                TrainPlan &plan) {
  auto num = [&](const std::string &key, long long def) {
    std::string v = setting(e, key);
    return v.empty() ? def : std::atoll(v.c_str());
  };
  plan.total = num("train.steps", 500);
  plan.batch = o.batch > 0 ? o.batch : num("train.batch", 8);
  plan.seqLen = o.seqLen > 0 ? o.seqLen
                             : num("train.seq_len", data.sequenceLength() > 0
                                                        ? data.sequenceLength()
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
  return -1;
}

} // namespace

/// `frond train`.
/// The optimizer's update compiled into the gradient step unless
/// --optimizer-step host asks otherwise or it cannot be (then null with
/// `whyNot` saying why the host updates instead).
static std::shared_ptr<jit::TrainStepPlan> chooseTrainStep(const Options &o, const TrainPlan &plan,
                                                           const runtime::Optimizer &opt,
                                                           std::string &whyNot) {
  if (o.optimizerStep == "host") {
    whyNot = "--optimizer-step host";
    return nullptr;
  }
  return trainStepPlan(opt, int(plan.accumulate), whyNot);
}

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
  if (int status = resolvePlan(o, e, *data, plan); status >= 0)
    return status;
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
  // The optimizer first: its update may be compiled into the gradient.
  auto opt = runtime::makeOptimizer(e, m.params, error);
  if (!opt)
    return fail(error);
  std::string stepWhyNot;
  std::shared_ptr<jit::TrainStepPlan> stepPlan = chooseTrainStep(o, plan, *opt, stepWhyNot);
  if (!stepPlan && o.optimizerStep == "compiled")
    return fail("--optimizer-step compiled: the update cannot be compiled: " + stepWhyNot,
                "use --optimizer-step host");
  auto compileOne = [&](mlir::OwningOpRef<mlir::ModuleOp> mod, bool gradient, BoundFunction &out,
                        std::string &how) {
    jit::CompileOptions options = jitOptions(o);
    options.gradient = gradient;
    if (gradient)
      options.trainStep = stepPlan;
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
  BoundFunction grad, fwd;
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
  fs::path runDir;
  ResumedRun resumed;
  long long &startStep = resumed.startStep;
  if (!o.resume.empty()) {
    if (int status = resumeRun(o, e, plan, modelHash, *opt, params, runDir, resumed);
        status >= 0)
      return status;
  } else {
    params = runtime::initParams(m, plan.seed, 0.02);
    if (int status = newRunDir(o, e, runDir); status >= 0)
      return status;
  }

  // The compiled functions read the parameters through pointers into
  // `params`; a compiled update keeps them (and its state) in its buffers.
  std::map<std::string, Tensor> stepState;
  if (stepPlan) {
    if (!trainStepPlan(*opt, int(plan.accumulate), stepWhyNot)) // the checkpoint's may not fit
      return fail("the compiled optimizer step cannot continue this run: " + stepWhyNot,
                  "resume with --optimizer-step host");
    stepState = trainStepState(*stepPlan, *opt);
    grad.keepArguments = true;
  }
  // The forward keeps the parameters between validation batches (on the
  // GPU in device memory) instead of copying them in for each.
  fwd.keepArguments = true;
  if (!grad.bind(params, inputNames, error, stepPlan ? &stepState : nullptr) ||
      !fwd.bind(params, inputNames, error))
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
  if (!o.resume.empty()) {
    if (!resumed.metricsExisted)
      std::fprintf(stderr, "frond: warning: %s was missing; it starts again at step %lld\n",
                   metricsPath.c_str(), startStep);
    appendRow(metrics, JsonObject()
                           .str("event", "resume")
                           .integer("step", startStep)
                           .num("time", resumed.priorTime, 6)
                           .str("command", commandLine()));
  }

  // --- header -------------------------------------------------------------------------
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
  std::printf("  update:   %s\n",
              stepPlan ? "compiled into the gradient step (the parameters stay in its buffers)"
                       : ("on the host, after each gradient (" + stepWhyNot + ")").c_str());
  std::printf("  compile:  %.2f s (gradient %s, forward %s; %s)\n", compileSec, gradHow.c_str(),
              fwdHow.c_str(), o.device == "cuda" ? "CUDA device 0" : "CPU");
  std::printf("  run:      %s%s\n", runDir.c_str(),
              o.resume.empty() ? "" : (" (resumed at step " + std::to_string(startStep) + ")").c_str());
  std::fflush(stdout);

  TrainSetup setup{o,       e,       plan,    *data,     grad,      fwd,
                   params,  *opt,    stepPlan.get(), &stepState, runDir, resumed,
                   modelHash, metrics, compileSec, wall0};
  return runTrainLoop(setup);
}

} // namespace frond::cli
