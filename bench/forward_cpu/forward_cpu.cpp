//===- forward_cpu.cpp - Frond JIT forward vs libtorch eager, same process -===//
//
//   forward_cpu [--set K=V]... [--batch N] [--seq-len T] [--iters N]
//               [--warmup N] [--seed S] [--chunk-linear 0|1] [SPEC]
//
// Loads SPEC (default experiments/baseline.spec), compiles its model's
// forward once with the JIT (frond::jit::CompiledModel) and builds the same
// batch and parameters for the libtorch reference (the eager ATen
// interpreter of the same recorded graph). It refuses to time anything
// unless every loss agrees to 1e-4 relative. Then it runs warmup + iters
// forwards of each engine, interleaved (Frond, libtorch, Frond, ...), and
// prints median/min milliseconds per forward and the ratio
// libtorch_time / frond_time (> 1: Frond is faster).
//
// Both timings are of one whole forward: Frond's includes copying the
// results out of the buffers the compiled code returns; libtorch's runs
// under NoGradGuard.
//
//===----------------------------------------------------------------------===//
#include "../common/BenchSupport.h"

#include "frond/JIT/Jit.h"
#include "frond/MLIRGen/MLIRGen.h"
#include "frond/reference/Reference.h"
#include "frond/runtime/Init.h"

#include "mlir/IR/MLIRContext.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>

using namespace frond;
using namespace frond::bench;
using runtime::Tensor;

namespace {

int run(const Options &o) {
  graph::Graph graph;
  std::optional<ExperimentInstance> inst = loadExperiment(o, graph);
  if (!inst)
    return 1;
  DiagEngine diags;
  std::map<std::string, Tensor> inputs;
  if (!makeInputs(o, *inst, inputs))
    return 1;

  // Frond: MLIRGen + CPU pipeline + JIT, once.
  auto params = runtime::initParams(inst->model, uint64_t(o.seed));
  mlir::MLIRContext ctx;
  auto t0 = Clock::now();
  auto module = mlirGen(ctx, graph, inst->model, diags);
  if (!module) {
    std::fputs(diags.render().c_str(), stderr);
    return 1;
  }
  std::string error;
  // No disk cache: the benchmark reports the real compile time.
  jit::CompileReport report;
  jit::CompileOptions compile;
  compile.chunkLinearAttention = o.chunkLinear;
  auto cm = jit::CompiledModel::compile(std::move(module), error, compile, &report);
  if (!cm) {
    std::fprintf(stderr, "forward_cpu: %s\n", error.c_str());
    return 1;
  }
  double compileMs = msSince(t0);
  std::vector<const Tensor *> args;
  for (const jit::Slot &a : cm->arguments()) {
    auto in = inputs.find(a.name);
    auto p = params.find(a.name);
    if (in == inputs.end() && p == params.end()) {
      std::fprintf(stderr, "forward_cpu: no value for argument '%s'\n", a.name.c_str());
      return 1;
    }
    args.push_back(in != inputs.end() ? &in->second : &p->second);
  }

  // libtorch: the reference's own parameters (bit-identical to initParams).
  reference::ParamStore store = reference::initParams(inst->model, uint64_t(o.seed));
  std::map<std::string, at::Tensor> atenInputs;
  for (auto &[name, t] : inputs)
    atenInputs[name] = toAten(t);
  at::NoGradGuard noGrad;

  std::vector<Tensor> frondOut;
  auto runFrond = [&] {
    if (!cm->run(args, frondOut, error)) {
      std::fprintf(stderr, "forward_cpu: %s\n", error.c_str());
      std::exit(1);
    }
  };
  reference::Outputs refOut;
  auto runTorch = [&] {
    refOut = reference::runReference(graph, atenInputs, store, diags);
    if (refOut.empty()) {
      std::fputs(diags.render().c_str(), stderr);
      std::exit(1);
    }
  };

  // Agreement first: no ratio for engines that compute different things.
  runFrond();
  runTorch();
  bool agree = true;
  int losses = 0;
  for (size_t i = 0; i < frondOut.size(); ++i) {
    const std::string &name = cm->results()[i].name;
    if (name.rfind("loss", 0) != 0 || frondOut[i].numel() != 1)
      continue;
    auto it = refOut.find(name);
    if (it == refOut.end())
      continue;
    double a = frondOut[i].at(0), b = it->second.item<double>();
    double rel = std::fabs(a - b) / std::max(std::fabs(b), 1e-30);
    bool ok = rel <= 1e-4;
    std::printf("%-12s frond %.7f  libtorch %.7f  rel diff %.2e  %s\n", name.c_str(), a, b,
                rel, ok ? "ok" : "DIFFERENT");
    agree = agree && ok;
    ++losses;
  }
  if (!agree || losses == 0) {
    std::fprintf(stderr, "forward_cpu: %s; no timing reported\n",
                 losses ? "the losses disagree beyond 1e-4 relative" : "no loss to compare");
    return 1;
  }

  std::printf("model %s (%s), batch %lld x %lld, seed %lld, %lld warmup + %lld iters "
              "(interleaved)\n",
              inst->model.name.c_str(), o.spec.c_str(), o.batch, o.seqLen, o.seed, o.warmup,
              o.iters);
  std::printf("linear attention kinds: %s\n",
              o.chunkLinear ? "chunked scans" : "tiled query x key loops (--chunk-linear 0)");
  std::printf("frond compile: %.0f ms (pipeline %.0f ms, LLVM %.0f ms)\n", compileMs,
              report.pipelineSec * 1e3, report.llvmSec * 1e3);
  timeInterleaved(o, "forward", runFrond, runTorch);
  printEnvironment();
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  Options o;
  // --chunk-linear 0: linear attention kinds in the tiled query x key loops
  // instead of chunked scans (to compare the two against the same baseline).
  o.extraInts = {{"--chunk-linear", [&](long long n) { o.chunkLinear = n != 0; }}};
  o.extraUsage = " [--chunk-linear 0|1]";
  int rc = parseArgs(argc, argv, "forward_cpu", "Frond JIT forward vs libtorch eager", o);
  if (rc >= 0)
    return rc;
  runOnLargeStack([&] { rc = run(o); });
  return rc;
}
