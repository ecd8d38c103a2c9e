//===- train_cpu.cpp - one training step, Frond vs libtorch, same process -===//
//
//   train_cpu [--set K=V]... [--batch N] [--seq-len T] [--iters N]
//             [--warmup N] [--seed S] [SPEC]
//
// One training step of SPEC's model (default experiments/baseline.spec):
//
// - Frond: the compiler's gradient function (`-frond-autodiff`, JIT
//   compiled once; the forward and the backward in one call) then the
//   runtime's AdamW (frond/runtime/Optimizer.h) with the experiment's
//   settings;
// - libtorch: the reference interpreter of the same graph under autograd,
//   backward(), then torch::optim::AdamW with the same lr, betas, eps and
//   weight decay.
//
// Both start from the same parameters. Before timing, it checks that the
// first step's loss agrees to 1e-4 relative and that the loss after one
// update agrees to 1e-3 (the two AdamW implementations round differently),
// and refuses to time engines that disagree. Then warmup + iters steps of
// each, interleaved, and the ratio libtorch_time / frond_time.
//
//===----------------------------------------------------------------------===//
#include "../common/BenchSupport.h"

#include "frond/JIT/Jit.h"
#include "frond/MLIRGen/MLIRGen.h"
#include "frond/reference/Reference.h"
#include "frond/runtime/Init.h"
#include "frond/runtime/Optimizer.h"

#include "mlir/IR/MLIRContext.h"

#include <torch/optim.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>

using namespace frond;
using namespace frond::bench;
using runtime::Tensor;

namespace {

/// --quick-codegen 1: LLVM without its loop unroller and vectorizer
/// (frond --codegen quick).
bool g_quickCodegen = false;

[[noreturn]] void die(const std::string &msg) {
  std::fprintf(stderr, "train_cpu: %s\n", msg.c_str());
  std::exit(1);
}

int run(const Options &o) {
  graph::Graph graph;
  std::optional<ExperimentInstance> inst = loadExperiment(o, graph);
  if (!inst)
    return 1;
  const ModelInstance &m = inst->model;
  std::map<std::string, Tensor> inputs;
  if (!makeInputs(o, *inst, inputs))
    return 1;

  // Frond: the gradient function, compiled once (no disk cache: the real
  // compile time), and the runtime's optimizer.
  auto params = runtime::initParams(m, uint64_t(o.seed));
  DiagEngine diags;
  mlir::MLIRContext ctx;
  auto t0 = Clock::now();
  auto module = mlirGen(ctx, graph, m, diags);
  if (!module) {
    std::fputs(diags.render().c_str(), stderr);
    return 1;
  }
  std::string error;
  jit::CompileOptions copts;
  copts.gradient = true;
  if (g_quickCodegen)
    copts.llvmTuning = jit::LLVMTuning::quick();
  jit::CompileReport report;
  auto cm = jit::CompiledModel::compile(std::move(module), error, copts, &report);
  if (!cm)
    die(error);
  double compileMs = msSince(t0);
  std::vector<const Tensor *> args;
  for (const jit::Slot &a : cm->arguments()) {
    auto in = inputs.find(a.name);
    auto p = params.find(a.name);
    if (in == inputs.end() && p == params.end())
      die("no value for argument '" + a.name + "'");
    args.push_back(in != inputs.end() ? &in->second : &p->second);
  }
  auto opt = runtime::makeOptimizer(*inst, m.params, error);
  if (!opt)
    die(error);
  const runtime::Hyper &h = opt->config().hyper;
  if (h.rule != runtime::Hyper::AdamW || !opt->config().groups.empty())
    die("the benchmark compares AdamW without parameter groups; the experiment's optimizer "
        "is different");

  std::vector<Tensor> outs;
  std::map<std::string, Tensor> grads;
  int64_t frondStep = 0;
  double frondLoss = 0;
  auto stepFrond = [&] {
    if (!cm->run(args, outs, error))
      die(error);
    grads.clear();
    for (size_t i = 0; i < outs.size(); ++i) {
      const std::string &name = cm->results()[i].name;
      if (name == "loss")
        frondLoss = outs[i].at(0);
      else if (name.rfind("grad:", 0) == 0)
        grads[name.substr(5)] = std::move(outs[i]);
    }
    if (!opt->step(params, grads, frondStep++, error))
      die(error);
  };

  // libtorch: the reference under autograd and torch::optim::AdamW, from
  // the same parameters.
  reference::ParamStore store = reference::initParams(m, uint64_t(o.seed), 0.02, true);
  std::vector<at::Tensor> leaves;
  for (const ParamInfo &p : m.params)
    if (p.trainable && p.tiedTo.empty())
      leaves.push_back(store.get(p.path));
  torch::optim::AdamW torchOpt(leaves, torch::optim::AdamWOptions(h.lr)
                                           .betas({h.beta1, h.beta2})
                                           .eps(h.eps)
                                           .weight_decay(h.weightDecay));
  std::map<std::string, at::Tensor> atenInputs;
  for (auto &[name, t] : inputs)
    atenInputs[name] = toAten(t);
  int64_t torchStep = 0;
  double torchLoss = 0;
  auto stepTorch = [&] {
    // Frond's schedule, so both take the same lr at every step.
    for (auto &g : torchOpt.param_groups())
      static_cast<torch::optim::AdamWOptions &>(g.options()).lr(opt->lrAt(torchStep));
    ++torchStep;
    torchOpt.zero_grad();
    reference::Outputs out = reference::runReference(graph, atenInputs, store, diags);
    auto it = out.find("loss");
    if (it == out.end())
      it = out.find("loss:" + m.losses.front().name);
    if (it == out.end()) {
      std::fputs(diags.render().c_str(), stderr);
      die("the reference computed no loss");
    }
    torchLoss = it->second.item<double>();
    it->second.backward();
    torchOpt.step();
  };

  // Agreement first: no ratio for engines that compute different things.
  for (int s = 0; s < 2; ++s) {
    stepFrond();
    stepTorch();
    double rel = std::fabs(frondLoss - torchLoss) / std::max(std::fabs(torchLoss), 1e-30);
    double tol = s == 0 ? 1e-4 : 1e-3;
    std::printf("step %d loss: frond %.7f  libtorch %.7f  rel diff %.2e  (tolerance %g) %s\n",
                s + 1, frondLoss, torchLoss, rel, tol, rel <= tol ? "ok" : "DIFFERENT");
    if (!(rel <= tol))
      die("the losses disagree; no timing reported");
  }

  std::printf("model %s (%s), batch %lld x %lld, seed %lld, %lld warmup + %lld iters "
              "(interleaved); one step = forward + backward + AdamW\n",
              m.name.c_str(), o.spec.c_str(), o.batch, o.seqLen, o.seed, o.warmup, o.iters);
  std::printf("frond compile (gradient function): %.0f ms (pipeline %.0f ms, LLVM %.0f ms; "
              "%s codegen)\n",
              compileMs, report.pipelineSec * 1e3, report.llvmSec * 1e3,
              g_quickCodegen ? "quick" : "full");
  timeInterleaved(o, "step", stepFrond, stepTorch);
  printEnvironment();
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  Options o;
  o.extraInts = {{"--quick-codegen", [&](long long n) { g_quickCodegen = n != 0; }}};
  o.extraUsage = " [--quick-codegen 0|1]";
  int rc = parseArgs(argc, argv, "train_cpu",
                     "one training step (forward + backward + AdamW), Frond vs libtorch", o);
  if (rc >= 0)
    return rc;
  runOnLargeStack([&] { rc = run(o); });
  return rc;
}
