//===- forward_cpu.cpp - Frond JIT forward vs libtorch eager, same process -===//
//
//   forward_cpu [--set K=V]... [--batch N] [--seq-len T] [--iters N]
//               [--warmup N] [--seed S] [SPEC]
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
#include "../BenchArgs.h"
#include "frond/JIT/Jit.h"
#include "frond/MLIRGen/MLIRGen.h"
#include "frond/lang/Loader.h"
#include "frond/lang/Parser.h"
#include "frond/lang/Sema.h"
#include "frond/reference/Reference.h"
#include "frond/runtime/Init.h"

#include "mlir/IR/MLIRContext.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <thread>

using namespace frond;
using runtime::DType;
using runtime::Tensor;

namespace {

struct Options {
  std::string spec = "experiments/baseline.spec";
  std::vector<Override> overrides;
  long long batch = 8, seqLen = 256, iters = 5, warmup = 1, seed = 1;
};

using Clock = std::chrono::steady_clock;
double msSince(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

std::string setting(const ExperimentInstance &e, const std::string &key) {
  for (auto &[k, v] : e.settings)
    if (k == key)
      return v;
  return "";
}

/// The bytes of a text(...) data setting (path relative to the spec), or "".
std::string textData(const ExperimentInstance &e, const std::string &spec) {
  std::string data = setting(e, "data");
  size_t p = data.rfind("text(", 0) == 0 ? data.find("path = \"") : std::string::npos;
  if (p == std::string::npos)
    return "";
  p += 8;
  std::string path = data.substr(p, data.find('"', p) - p);
  if (path[0] != '/') {
    size_t slash = spec.rfind('/');
    path = (slash == std::string::npos ? "." : spec.substr(0, slash)) + "/" + path;
  }
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

/// The batch `frond eval` would build (token windows of the corpus, or
/// seeded ids), for inputs shaped [b, t].
bool makeInputs(const Options &o, const ExperimentInstance &e,
                std::map<std::string, Tensor> &inputs) {
  long long vocab = 256;
  for (auto &[k, v] : e.model.args)
    if (k == "vocab" && v.kind == Value::Int)
      vocab = v.i;
  std::string bytes = textData(e, o.spec);
  std::mt19937_64 rng(uint64_t(o.seed) * 0x9E3779B97F4A7C15ull + 0x5EED);
  for (const InputInfo &in : e.model.inputs) {
    if (in.type == "float" || in.shape.size() != 2) {
      std::fprintf(stderr, "forward_cpu: input '%s' is not a [b, t] token tensor\n",
                   in.name.c_str());
      return false;
    }
    Tensor t = Tensor::zeros(DType::I64, {o.batch, o.seqLen});
    for (int64_t i = 0; i < t.numel(); ++i)
      t.i64[size_t(i)] = bytes.empty() ? int64_t(rng() % uint64_t(vocab))
                                       : int64_t((unsigned char)bytes[size_t(i) % bytes.size()]) % vocab;
    inputs[in.name] = std::move(t);
  }
  return true;
}

at::Tensor toAten(const Tensor &t) {
  if (t.dtype == DType::F32)
    return at::from_blob(const_cast<float *>(t.f32.data()), t.shape, at::kFloat).clone();
  return at::from_blob(const_cast<int64_t *>(t.i64.data()), t.shape, at::kLong).clone();
}

struct Stats {
  double median, min;
};
Stats stats(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return {n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2, v.front()};
}

/// Which BLAS / oneDNN libraries are mapped into this process.
std::string loadedMathLibs() {
  std::ifstream maps("/proc/self/maps");
  std::string line, out;
  std::set<std::string> seen;
  while (std::getline(maps, line)) {
    size_t slash = line.find('/');
    if (slash == std::string::npos)
      continue;
    std::string path = line.substr(slash);
    if ((path.find("blas") != std::string::npos || path.find("dnnl") != std::string::npos ||
         path.find("mkl") != std::string::npos || path.find("lapack") != std::string::npos) &&
        seen.insert(path).second)
      out += "    " + path + "\n";
  }
  return out;
}

int run(const Options &o) {
  DiagEngine diags;
  Program program;
  program.load(o.spec, diags);
  graph::Graph graph;
  std::optional<ExperimentInstance> inst;
  if (!diags.hasErrors())
    inst = resolveExperiment(program, "", "", diags, o.overrides, &graph);
  if (!inst || diags.hasErrors()) {
    std::fputs(diags.render().c_str(), stderr);
    return 1;
  }
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
  auto cm = jit::CompiledModel::compile(std::move(module), error, {}, &report);
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

  std::vector<double> frondMs, torchMs;
  for (long long i = 0; i < o.warmup + o.iters; ++i) {
    auto t = Clock::now();
    runFrond();
    double f = msSince(t);
    t = Clock::now();
    runTorch();
    double r = msSince(t);
    if (i >= o.warmup)
      frondMs.push_back(f), torchMs.push_back(r);
  }
  Stats f = stats(frondMs), r = stats(torchMs);
  std::printf("model %s (%s), batch %lld x %lld, seed %lld, %lld warmup + %lld iters "
              "(interleaved)\n",
              inst->model.name.c_str(), o.spec.c_str(), o.batch, o.seqLen, o.seed, o.warmup,
              o.iters);
  std::printf("frond compile: %.0f ms (pipeline %.0f ms, LLVM %.0f ms)\n", compileMs,
              report.pipelineSec * 1e3, report.llvmSec * 1e3);
  std::printf("frond    forward: median %9.1f ms  min %9.1f ms\n", f.median, f.min);
  std::printf("libtorch forward: median %9.1f ms  min %9.1f ms\n", r.median, r.min);
  std::printf("ratio libtorch/frond (median): %.3f  (%s)\n", r.median / f.median,
              r.median > f.median ? "Frond faster" : "libtorch faster");
  std::printf("threads: libtorch at::get_num_threads() = %d, interop %d; frond: 1 "
              "(generated code is single-threaded); hardware_concurrency %u\n",
              at::get_num_threads(), at::get_num_interop_threads(),
              std::thread::hardware_concurrency());
  std::printf("libtorch math libraries mapped:\n%s", loadedMathLibs().c_str());
  return 0;
}

int usage(const char *msg) {
  std::fprintf(stderr,
               "forward_cpu: %s\nusage: forward_cpu [--set K=V]... [--batch N] [--seq-len T] "
               "[--iters N] [--warmup N] [--seed S] [SPEC]\n",
               msg);
  return 2;
}

} // namespace

int main(int argc, char **argv) {
  Options o;
  bench::Args args;
  for (auto [name, slot] : {std::pair{"--batch", &o.batch}, {"--seq-len", &o.seqLen},
                            {"--iters", &o.iters}, {"--warmup", &o.warmup}, {"--seed", &o.seed}})
    args.ints[name] = [slot = slot](long long n) { *slot = n; };
  std::string error = bench::parseArgs(argc, argv, args);
  if (!error.empty())
    return usage(error.c_str());
  if (args.help)
    return usage("Frond JIT forward vs libtorch eager"), 0;
  o.overrides = args.overrides;
  if (!args.spec.empty())
    o.spec = args.spec;
  if (o.batch < 1 || o.seqLen < 2 || o.iters < 1)
    return usage("needs --batch >= 1, --seq-len >= 2, --iters >= 1");
  int rc = 0;
  runOnLargeStack([&] { rc = run(o); });
  return rc;
}
