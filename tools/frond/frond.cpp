//===- frond.cpp - the Frond command-line driver --------------------------===//
//
//   frond check FILE      parse + semantic checks (exit 0 clean, 1 errors)
//   frond print FILE      canonical pretty-print
//   frond explain FILE    the resolved model: structure, shapes, parameters
//   frond compile FILE    the model's forward as frond MLIR (or its graph)
//   frond eval FILE       JIT-compile the forward and run it on one batch
//   frond check --numerics FILE   the JIT against the libtorch reference
//   frond config          the resolved run configuration
//   frond help builtins   the language's primitives
//
// Every command reads run configuration (frond.toml, --config, --set).
//
//===----------------------------------------------------------------------===//
#include "frond/lang/Loader.h"
#include "frond/lang/Parser.h"
#include "frond/lang/Printer.h"
#include "frond/lang/Sema.h"
#include "frond/JIT/Jit.h"
#include "frond/MLIRGen/MLIRGen.h"
#include "frond/runtime/Init.h"
#include "frond/runtime/RunConfig.h"
#ifdef FROND_HAVE_REFERENCE
#include "Numerics.h"
#endif

#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OperationSupport.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>
#include <cmath>
#include <climits>
#include <cstdio>
#include <unistd.h>
#include <fstream>
#include <iterator>
#include <malloc.h>
#include <cstring>
#include <iostream>
#include <random>

using namespace frond;

namespace {

const char *kUsage = R"(usage: frond <command> [options] FILE

commands:
  check FILE       parse and check a spec; exit 0 when clean, 1 on errors
  print FILE       print a spec in canonical form
  explain FILE     show the resolved model: attention, components, parameter
                   counts, heads, losses, caches, training settings
  compile FILE     lower the experiment's model to frond MLIR: one function
                   @<model>_forward (--emit=graph prints the recorded graph)
  eval FILE        JIT-compile the model's forward for the CPU and run it on
                   one deterministic batch; print each loss and the timings
  config           print the resolved run configuration (TOML)
  help [builtins]  this text, or the list of the language's functions

options:
  --config FILE    run configuration (default: ./frond.toml when present)
  --set KEY=VALUE  override a configuration value, e.g. --set model.layers=4
                   or --set train.steps=500 (repeatable)
  --experiment N   which experiment of the file (default: the first)
  --variant V      explain or compile a variant instead of the base experiment
  --emit=KIND      what compile prints: mlir (default) or graph
  --batch N        eval / check --numerics: batch size (default: train.batch)
  --seq-len T      eval / check --numerics: sequence length (default:
                   train.seq_len)
  --seed S         eval / check --numerics: parameter and data seed (default:
                   train.seed, else 1)
  --numerics       check: also run the JIT against the libtorch reference
  --stdlib DIR     standard library directory (default: found automatically)
  -h, --help       help for a command: frond <command> --help
)";

const std::map<std::string, std::string> kCommandHelp = {
    {"check", "usage: frond check [--config F] [--set K=V]... [--experiment N] [--variant V] FILE\n"
              "       frond check --numerics [--batch N] [--seq-len T] [--seed S] ... FILE\n\n"
              "Parses FILE and its imports and checks names, shapes, masks, losses,\n"
              "experiments, variants and sweeps. Errors are printed as\n"
              "file:line:col: error: ... with the source line and a fix.\n"
              "--numerics also runs the experiment's model once with the JIT (as\n"
              "eval does) and once with the libtorch reference, on the same batch\n"
              "and parameters, and prints the max abs and max rel error of every\n"
              "head and loss; fp32 tolerance: |jit - ref| <= 1e-5 + 1e-4 * |ref|\n"
              "per element. Needs a build with libtorch.\n"
              "Exit status: 0 clean, 1 errors or beyond tolerance, 2 bad command line.\n"},
    {"eval", "usage: frond eval [--experiment N] [--variant V] [--set K=V]...\n"
             "                  [--batch N] [--seq-len T] [--seed S] FILE\n\n"
             "Elaborates the experiment's model, lowers it to frond MLIR and\n"
             "through the CPU pipeline, JIT-compiles it and runs it on one\n"
             "deterministic batch with deterministic parameters (seed S):\n"
             "text(...) data gives consecutive byte windows of the file, anything\n"
             "else seeded random token ids below the vocabulary; per-sample int\n"
             "inputs (e.g. src_len) get seeded values in [1, T-1]. Prints every\n"
             "loss and the compile and run times. Exit status: 0 ok, 1 errors\n"
             "(including constructs the pipeline cannot lower yet).\n"},
    {"print", "usage: frond print FILE\n\n"
              "Prints FILE in canonical form (comments are not kept). Printing the\n"
              "output again gives the same text.\n"},
    {"explain", "usage: frond explain [--experiment N] [--variant V] [--set K=V]... FILE\n\n"
                "Elaborates the experiment's model and prints its inputs, recursion,\n"
                "attention layers, every component with its parameter count and\n"
                "whether it trains, heads, losses, caches and settings.\n"},
    {"compile", "usage: frond compile [--experiment N] [--variant V] [--set K=V]...\n"
                "                     [--emit=graph|mlir] FILE\n\n"
                "Elaborates the experiment's model (as explain does), recording its\n"
                "dataflow, and prints it lowered to the frond MLIR dialect: one\n"
                "func.func @<model>_forward taking the inputs then the parameters\n"
                "(each named by a frond.name attribute) and returning the heads and\n"
                "losses (named by frond.outputs), every op with its spec location.\n"
                "--emit=graph prints the recorded graph instead. Exit status: 0 ok,\n"
                "1 errors (including constructs that cannot be compiled yet).\n"},
    {"config", "usage: frond config [--config F] [--set K=V]...\n\n"
               "Prints the resolved run configuration as TOML, with the origin of\n"
               "each value.\n"},
    {"help", "usage: frond help [builtins]\n"},
};

struct Options {
  std::string command, file, configPath, experiment, variant, stdlib;
  std::string emit = "mlir";
  std::vector<std::string> sets;
  bool help = false;
  bool numerics = false;
  long long batch = 0, seqLen = 0; ///< 0: from the experiment's settings
  long long seed = -1;             ///< -1: train.seed, else 1
};

int usageError(const std::string &msg) {
  std::fprintf(stderr, "frond: error: %s\n(see frond --help)\n", msg.c_str());
  return 2;
}

Value toValue(const ConfigValue &v) {
  if (auto *i = std::get_if<int64_t>(&v)) return Value::ofInt(*i);
  if (auto *f = std::get_if<double>(&v)) return Value::ofFloat(*f);
  if (auto *b = std::get_if<bool>(&v)) return Value::ofBool(*b);
  if (auto *s = std::get_if<std::string>(&v)) return Value::ofStr(*s);
  Value l;
  l.kind = Value::List;
  for (auto &s : std::get<std::vector<std::string>>(v))
    l.list.push_back(Value::ofStr(s));
  return l;
}

/// Loads the run configuration; returns false (after printing) on errors.
bool loadConfig(const Options &o, RunConfig &cfg, std::vector<Override> &ov) {
  std::vector<ConfigError> errs;
  if (!loadRunConfig(o.configPath, o.sets, cfg, errs)) {
    for (auto &e : errs)
      std::fprintf(stderr, "%s\n", e.str().c_str());
    return false;
  }
  for (const char *section : {"model", "train", "data"})
    for (auto &[k, v, origin] : cfg.overrides(section))
      ov.push_back({std::string(section) + "." + k, toValue(v), origin});
  return true;
}

int printDiagnostics(const DiagEngine &d) {
  std::string out = d.render();
  std::fputs(out.c_str(), stderr);
  if (d.hasErrors())
    std::fprintf(stderr, "%u error%s\n", d.errorCount(), d.errorCount() == 1 ? "" : "s");
  return d.hasErrors() ? 1 : 0;
}

/// `frond compile`: the recorded graph, or the module MLIRGen makes of it.
int compile(const Options &o, const Program &program,
            const std::vector<Override> &overrides, DiagEngine &diags) {
  graph::Graph graph;
  auto inst = resolveExperiment(program, o.experiment, o.variant, diags,
                                overrides, &graph);
  if (!inst || diags.hasErrors())
    return printDiagnostics(diags), 1;
  if (o.emit == "graph") {
    printDiagnostics(diags);
    std::fputs(graph.str().c_str(), stdout);
    return 0;
  }
  mlir::MLIRContext ctx;
  auto module = mlirGen(ctx, graph, inst->model, diags);
  printDiagnostics(diags);
  if (!module)
    return 1;
  std::string text;
  llvm::raw_string_ostream os(text);
  module->print(os, mlir::OpPrintingFlags().enableDebugInfo(true, /*prettyForm=*/false));
  std::fputs(text.c_str(), stdout);
  return 0;
}

//===----------------------------------------------------------------------===//
// eval and check --numerics
//===----------------------------------------------------------------------===//

using runtime::DType;
using runtime::Tensor;

double secondsSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

/// A model, its recorded graph and one deterministic batch.
struct EvalSetup {
  std::optional<ExperimentInstance> inst;
  graph::Graph graph;
  long long batch = 0, seqLen = 0;
  uint64_t seed = 1;
  std::string dataNote;
  std::map<std::string, Tensor> inputs;
};

std::string setting(const ExperimentInstance &e, const std::string &key) {
  for (auto &[k, v] : e.settings)
    if (k == key)
      return v;
  return "";
}

/// The path of a text(...) data setting, or "".
std::string textDataPath(const std::string &data) {
  if (data.rfind("text(", 0) != 0)
    return "";
  size_t p = data.find("path = \"");
  if (p == std::string::npos)
    return "";
  p += 8;
  size_t q = data.find('"', p);
  return q == std::string::npos ? "" : data.substr(p, q - p);
}

/// Elaborates the experiment (recording its graph) and builds the batch.
/// Prints diagnostics and returns false on errors.
bool prepareEval(const Options &o, const Program &program,
                 const std::vector<Override> &overrides, DiagEngine &diags,
                 EvalSetup &s) {
  s.inst = resolveExperiment(program, o.experiment, o.variant, diags, overrides,
                             &s.graph);
  if (!s.inst || diags.hasErrors())
    return printDiagnostics(diags), false;
  const ExperimentInstance &e = *s.inst;
  auto num = [&](const std::string &key, long long def) {
    std::string v = setting(e, key);
    return v.empty() ? def : std::atoll(v.c_str());
  };
  s.batch = o.batch > 0 ? o.batch : num("train.batch", 8);
  s.seqLen = o.seqLen > 0 ? o.seqLen : num("train.seq_len", 128);
  s.seed = uint64_t(o.seed >= 0 ? o.seed : num("train.seed", 1));
  if (s.batch <= 0 || s.seqLen < 2) {
    std::fprintf(stderr, "frond: error: eval needs a batch >= 1 and a sequence length >= 2\n");
    return false;
  }
  const ModelInstance &m = e.model;
  long long vocab = 0;
  for (auto &[k, v] : m.args)
    if (k == "vocab" && v.kind == Value::Int)
      vocab = v.i;
  if (vocab <= 0)
    for (const ParamInfo &p : m.params)
      if (p.component == "embedding" && !p.shape.empty() && p.shape[0].known()) {
        vocab = p.shape[0].size;
        break;
      }
  if (vocab <= 0)
    vocab = 256;

  // text(...): the file's bytes, read relative to the spec's directory.
  std::string bytes;
  std::string dataPath = textDataPath(setting(e, "data"));
  if (!dataPath.empty()) {
    std::string full = dataPath;
    if (!dataPath.empty() && dataPath[0] != '/') {
      size_t slash = o.file.rfind('/');
      full = (slash == std::string::npos ? std::string(".") : o.file.substr(0, slash)) +
             "/" + dataPath;
    }
    std::ifstream in(full, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    if (bytes.empty()) {
      std::fprintf(stderr, "frond: error: cannot read the experiment's data file '%s'\n",
                   full.c_str());
      return false;
    }
    s.dataNote = "consecutive byte windows of " + dataPath;
  } else {
    s.dataNote = "seeded random token ids below " + std::to_string(vocab);
  }

  std::mt19937_64 rng(s.seed * 0x9E3779B97F4A7C15ull + 0x5EED);
  for (const InputInfo &in : m.inputs) {
    std::vector<int64_t> shape;
    for (size_t d = 0; d < in.shape.size(); ++d) {
      const Dim &dim = in.shape[d];
      if (dim.known())
        shape.push_back(dim.size);
      else if (dim.name == "b" || (dim.name != "t" && d == 0))
        shape.push_back(s.batch);
      else if (dim.name == "t" || d == 1)
        shape.push_back(s.seqLen);
      else {
        std::fprintf(stderr,
                     "frond: error: eval cannot choose a size for dimension '%s' of input '%s'\n",
                     dim.name.c_str(), in.name.c_str());
        return false;
      }
    }
    bool isFloat = in.type == "float";
    Tensor t = Tensor::zeros(isFloat ? DType::F32 : DType::I64, shape);
    if (isFloat) {
      for (int64_t i = 0; i < t.numel(); ++i)
        t.f32[size_t(i)] = float(runtime::normalAt(s.seed, "input." + in.name, uint64_t(i)));
    } else if (shape.size() == 1) {
      // A per-sample integer (src_len, ...): in [1, T-1].
      for (auto &v : t.i64)
        v = 1 + int64_t(rng() % uint64_t(s.seqLen - 1));
    } else if (!bytes.empty() && shape.size() == 2) {
      // Sample i: the bytes [i*T, (i+1)*T) of the file (wrapping around).
      for (int64_t i = 0; i < t.numel(); ++i)
        t.i64[size_t(i)] = int64_t((unsigned char)bytes[size_t(i) % bytes.size()]) % vocab;
    } else {
      for (auto &v : t.i64)
        v = int64_t(rng() % uint64_t(vocab));
    }
    s.inputs[in.name] = std::move(t);
  }
  return true;
}

/// MLIRGen + CPU pipeline + JIT + one call. Prints diagnostics; false on errors.
bool runJit(const Options &o, EvalSetup &s, DiagEngine &diags,
            const std::map<std::string, Tensor> &params,
            std::vector<std::pair<std::string, Tensor>> &outputs,
            double &compileSec, double &runSec, std::string &timing) {
  (void)o;
  mlir::MLIRContext ctx;
  auto t0 = std::chrono::steady_clock::now();
  auto module = mlirGen(ctx, s.graph, s.inst->model, diags);
  printDiagnostics(diags);
  if (!module)
    return false;
  double genSec = secondsSince(t0);
  std::string error;
  auto cm = jit::CompiledModel::compile(std::move(module), error);
  if (!cm) {
    std::fprintf(stderr, "frond: error: %s\n", error.c_str());
    return false;
  }
  compileSec = secondsSince(t0);
  char buf[256];
  std::snprintf(buf, sizeof buf, "MLIRGen %.3f s, pipeline %.3f s, LLVM %.3f s",
                genSec, cm->pipelineSeconds(), cm->llvmSeconds());
  timing = buf;
  std::vector<const Tensor *> args;
  for (const jit::Slot &a : cm->arguments()) {
    auto in = s.inputs.find(a.name);
    if (in != s.inputs.end()) {
      args.push_back(&in->second);
      continue;
    }
    auto p = params.find(a.name);
    if (p == params.end()) {
      std::fprintf(stderr, "frond: error: no value for argument '%s'\n", a.name.c_str());
      return false;
    }
    args.push_back(&p->second);
  }
  std::vector<Tensor> outs;
  t0 = std::chrono::steady_clock::now();
  if (!cm->run(args, outs, error)) {
    std::fprintf(stderr, "frond: error: %s\n", error.c_str());
    return false;
  }
  runSec = secondsSince(t0);
  for (size_t i = 0; i < outs.size(); ++i)
    outputs.push_back({cm->results()[i].name, std::move(outs[i])});
  return true;
}

/// `frond eval`.
int evalCommand(const Options &o, const Program &program,
                const std::vector<Override> &overrides, DiagEngine &diags) {
  EvalSetup s;
  if (!prepareEval(o, program, overrides, diags, s))
    return 1;
  auto params = runtime::initParams(s.inst->model, s.seed);
  std::vector<std::pair<std::string, Tensor>> outputs;
  double compileSec = 0, runSec = 0;
  std::string timing;
  if (!runJit(o, s, diags, params, outputs, compileSec, runSec, timing))
    return 1;
  std::printf("eval %s: model %s, batch %lld x %lld, seed %llu, %s\n",
              s.inst->name.c_str(), s.inst->model.name.c_str(), s.batch, s.seqLen,
              (unsigned long long)s.seed, s.dataNote.c_str());
  bool finite = true;
  for (auto &[name, t] : outputs) {
    if (name.rfind("loss", 0) != 0)
      continue;
    if (t.numel() == 1) {
      std::printf("  %-20s = %.6f\n", name.c_str(), t.at(0));
      finite = finite && std::isfinite(t.at(0));
    } else {
      std::printf("  %-20s %s\n", name.c_str(), t.shapeStr().c_str());
    }
  }
  std::printf("compile: %.3f s (%s)\nrun: %.3f s\n", compileSec, timing.c_str(), runSec);
  if (!finite)
    std::fprintf(stderr, "frond: warning: a loss is not finite\n");
  return 0;
}

/// The command line, for handing `check --numerics` to frond-numerics.
char **g_argv = nullptr;

/// `frond check --numerics`.
int numericsCommand(const Options &o, const Program &program,
                    const std::vector<Override> &overrides, DiagEngine &diags) {
#ifndef FROND_HAVE_REFERENCE
  // libtorch lives in a sibling executable so that every other command
  // starts without loading it (it adds over a second to each start).
  (void)o, (void)program, (void)overrides, (void)diags;
  char self[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n > 0) {
    self[n] = 0;
    std::string sibling = std::string(self);
    sibling = sibling.substr(0, sibling.rfind('/') + 1) + "frond-numerics";
    if (access(sibling.c_str(), X_OK) == 0) {
      std::fflush(stdout);
      g_argv[0] = const_cast<char *>(sibling.c_str());
      execv(sibling.c_str(), g_argv);
    }
  }
  std::fprintf(stderr, "frond: error: check --numerics needs the libtorch reference, "
                       "and this build has no libtorch\n");
  return 1;
#else
  EvalSetup s;
  if (!prepareEval(o, program, overrides, diags, s))
    return 1;
  auto params = runtime::initParams(s.inst->model, s.seed);
  std::map<std::string, Tensor> refOut, refParams;
  if (!numerics::runReference(s.graph, s.inst->model, s.seed, s.inputs, refOut,
                              refParams, diags))
    return printDiagnostics(diags), 1;
  // The two initializers must agree bit for bit.
  size_t differing = 0;
  for (auto &[path, t] : refParams) {
    auto it = params.find(path);
    if (it == params.end() || it->second.shape != t.shape ||
        std::memcmp(it->second.f32.data(), t.f32.data(), t.f32.size() * 4) != 0) {
      std::printf("parameter %s differs from the reference's\n", path.c_str());
      ++differing;
    }
  }
  std::vector<std::pair<std::string, Tensor>> outputs;
  double compileSec = 0, runSec = 0;
  std::string timing;
  if (!runJit(o, s, diags, params, outputs, compileSec, runSec, timing))
    return 1;
  const double atol = 1e-5, rtol = 1e-4;
  std::printf("numerics %s: model %s, batch %lld x %lld, seed %llu, %s\n",
              s.inst->name.c_str(), s.inst->model.name.c_str(), s.batch, s.seqLen,
              (unsigned long long)s.seed, s.dataNote.c_str());
  std::printf("parameters: %zu tensors, %s the reference's\n", refParams.size(),
              differing ? "NOT identical to" : "bit-identical to");
  std::printf("tolerance (fp32): |jit - ref| <= %g + %g * |ref| per element\n", atol, rtol);
  bool ok = differing == 0;
  for (auto &[name, t] : outputs) {
    auto it = refOut.find(name);
    if (it == refOut.end()) {
      std::printf("  %-20s missing from the reference\n", name.c_str());
      ok = false;
      continue;
    }
    const Tensor &r = it->second;
    if (r.shape != t.shape) {
      std::printf("  %-20s shape %s, reference %s\n", name.c_str(), t.shapeStr().c_str(),
                  r.shapeStr().c_str());
      ok = false;
      continue;
    }
    double maxAbs = 0, maxRel = 0;
    bool within = true;
    for (int64_t i = 0; i < t.numel(); ++i) {
      double a = t.at(i), b = r.at(i);
      double err = std::fabs(a - b);
      if (!(std::isfinite(a) && std::isfinite(b))) {
        if (!(std::isnan(a) && std::isnan(b)) && a != b)
          within = false, err = INFINITY;
        else
          err = 0;
      }
      maxAbs = std::max(maxAbs, err);
      if (b != 0)
        maxRel = std::max(maxRel, err / std::fabs(b));
      if (err > atol + rtol * std::fabs(b))
        within = false;
    }
    std::printf("  %-20s %-14s max abs err %.3e  max rel err %.3e  %s\n", name.c_str(),
                t.shapeStr().c_str(), maxAbs, maxRel, within ? "ok" : "BEYOND TOLERANCE");
    ok = ok && within;
  }
  std::printf("compile: %.3f s (%s)\nrun: %.3f s\n", compileSec, timing.c_str(), runSec);
  std::printf("%s\n", ok ? "within tolerance" : "beyond tolerance");
  return ok ? 0 : 1;
#endif
}

int runCommand(const Options &o) {
  if (o.command == "help") {
    if (o.file == "builtins") {
      std::fputs(builtinsHelp().c_str(), stdout);
      return 0;
    }
    std::fputs(kUsage, stdout);
    return 0;
  }
  RunConfig cfg;
  std::vector<Override> overrides;
  if (!loadConfig(o, cfg, overrides))
    return 1;
  if (o.command == "config") {
    std::fputs(cfg.dump(true).c_str(), stdout);
    return 0;
  }
  if (o.file.empty())
    return usageError("'" + o.command + "' needs a spec FILE");

  DiagEngine diags;
  if (o.command == "print") {
    auto m = parseSpecFile(o.file, diags);
    if (diags.hasErrors() || !m)
      return printDiagnostics(diags);
    std::fputs(printModule(*m).c_str(), stdout);
    return 0;
  }
  Program program;
  program.stdlibDir = !o.stdlib.empty() ? o.stdlib : cfg.getString("paths.stdlib", "");
  program.load(o.file, diags);
  if (diags.hasErrors())
    return printDiagnostics(diags);
  if (o.command == "check" && o.numerics)
    return numericsCommand(o, program, overrides, diags);
  if (o.command == "check") {
    checkProgram(program, diags, overrides);
    // --experiment / --variant: also check that they exist.
    if (!diags.hasErrors() && (!o.experiment.empty() || !o.variant.empty()))
      resolveExperiment(program, o.experiment, o.variant, diags, overrides);
    int rc = printDiagnostics(diags);
    if (rc == 0)
      std::printf("%s: ok\n", o.file.c_str());
    return rc;
  }
  if (o.command == "explain") {
    auto inst = resolveExperiment(program, o.experiment, o.variant, diags, overrides);
    if (!inst)
      return printDiagnostics(diags) ? 1 : 1;
    printDiagnostics(diags);
    std::fputs(explainText(*inst).c_str(), stdout);
    return 0;
  }
  if (o.command == "compile")
    return compile(o, program, overrides, diags);
  if (o.command == "eval")
    return evalCommand(o, program, overrides, diags);
  return usageError("unknown command '" + o.command + "'");
}

} // namespace

int main(int argc, char **argv) {
  g_argv = argv;
  // Work runs on a large-stack thread (runOnLargeStack); glibc would give it
  // its own arena, grown a page range at a time. One arena with a generous
  // top pad makes parsing large specs several times faster.
  mallopt(M_ARENA_MAX, 1);
  mallopt(M_TOP_PAD, 64 << 20);
  Options o;
  std::vector<std::string> args(argv + 1, argv + argc);
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string &a = args[i];
    auto value = [&](std::string &slot) -> bool {
      size_t eq = a.find('=');
      if (a.rfind("--", 0) == 0 && eq != std::string::npos) {
        slot = a.substr(eq + 1);
        return true;
      }
      if (i + 1 >= args.size())
        return false;
      slot = args[++i];
      return true;
    };
    auto is = [&](const char *flag) {
      return a == flag || a.rfind(std::string(flag) + "=", 0) == 0;
    };
    if (a == "-h" || a == "--help") {
      o.help = true;
    } else if (is("--config")) {
      if (!value(o.configPath)) return usageError("--config needs a FILE");
    } else if (a == "--set") {
      std::string s;
      if (!value(s)) return usageError("--set needs KEY=VALUE");
      o.sets.push_back(s);
    } else if (a.rfind("--set=", 0) == 0) {
      o.sets.push_back(a.substr(6));
    } else if (is("--variant")) {
      if (!value(o.variant)) return usageError("--variant needs a name");
    } else if (is("--experiment")) {
      if (!value(o.experiment)) return usageError("--experiment needs a name");
    } else if (is("--emit")) {
      if (!value(o.emit)) return usageError("--emit needs graph or mlir");
      if (o.emit != "graph" && o.emit != "mlir")
        return usageError("--emit must be graph or mlir, not '" + o.emit + "'");
    } else if (is("--batch") || is("--seq-len") || is("--seed")) {
      std::string v;
      std::string flag = a.substr(0, a.find('='));
      if (!value(v)) return usageError(flag + " needs a number");
      char *end = nullptr;
      long long n = std::strtoll(v.c_str(), &end, 10);
      if (v.empty() || *end || n < 0 || (flag != "--seed" && n == 0))
        return usageError(flag + " needs a " + (flag == "--seed" ? "non-negative" : "positive") +
                          " integer, not '" + v + "'");
      (flag == "--batch" ? o.batch : flag == "--seq-len" ? o.seqLen : o.seed) = n;
    } else if (a == "--numerics") {
      o.numerics = true;
    } else if (is("--stdlib")) {
      if (!value(o.stdlib)) return usageError("--stdlib needs a directory");
    } else if (a.size() > 1 && a[0] == '-') {
      return usageError("unknown option '" + a + "'");
    } else if (o.command.empty()) {
      o.command = a;
    } else if (o.file.empty()) {
      o.file = a;
    } else {
      return usageError("unexpected argument '" + a + "'");
    }
  }
  if (o.command.empty() || (o.help && o.command == "help")) {
    std::fputs(kUsage, o.command.empty() && !o.help ? stderr : stdout);
    return o.command.empty() && !o.help ? 2 : 0;
  }
  if (o.help) {
    auto it = kCommandHelp.find(o.command);
    if (it == kCommandHelp.end())
      return usageError("unknown command '" + o.command + "'");
    std::fputs(it->second.c_str(), stdout);
    return 0;
  }
  int rc = 0;
  runOnLargeStack([&] { rc = runCommand(o); });
  std::fflush(stdout);
  return rc;
}
