//===- EvalCommands.cpp - `frond eval` and `frond check --numerics` -------===//
//
// Both build one deterministic batch and deterministic parameters, run the
// JIT-compiled forward; check --numerics also runs the libtorch reference
// (only in frond-numerics, built with FROND_HAVE_REFERENCE) and compares.
//
//===----------------------------------------------------------------------===//
#include "CheckpointInput.h"
#include "Cli.h"
#include "EvalInputs.h"
#include "NumericsReference.h"

#include "frond/JIT/Jit.h"
#include "frond/MLIRGen/MLIRGen.h"
#include "frond/runtime/Accuracy.h"
#include "frond/runtime/CudaMgpu.h"
#include "frond/runtime/Data.h"
#include "frond/runtime/Init.h"
#ifdef FROND_HAVE_REFERENCE
#include "Numerics.h"
#endif

#include "mlir/IR/MLIRContext.h"

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <optional>
#include <random>
#include <unistd.h>

namespace frond::cli {

std::string setting(const ExperimentInstance &e, const std::string &key) {
  for (auto &[k, v] : e.settings)
    if (k == key)
      return v;
  return "";
}

long long modelVocab(const ModelInstance &m) {
  for (auto &[k, v] : m.args)
    if (k == "vocab" && v.kind == Value::Int && v.i > 0)
      return v.i;
  for (const ParamInfo &p : m.params)
    if (p.component == "embedding" && !p.shape.empty() && p.shape[0].known())
      return p.shape[0].size;
  return 0;
}

using runtime::DType;
using runtime::Tensor;

namespace {


/// A model, its recorded graph and one deterministic batch.
struct EvalSetup {
  std::optional<ExperimentInstance> inst;
  graph::Graph graph;
  long long batch = 0, seqLen = 0;
  uint64_t seed = 1;
  std::string dataNote;
  std::map<std::string, Tensor> inputs;
  Tensor labels; ///< the data's labels (fromData only; empty otherwise)
};


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

/// The integer argument `name = N` of the data setting (a task call), or 0.
long long dataArg(const std::string &data, const std::string &name) {
  std::string key = name + " = ";
  for (size_t p = data.find(key); p != std::string::npos; p = data.find(key, p + 1))
    if (p > 0 && (data[p - 1] == '(' || data[p - 1] == ' '))
      return std::atoll(data.c_str() + p + key.size());
  return 0;
}


/// Elaborates the experiment (recording its graph) and builds the batch.
/// Prints diagnostics and returns false on errors.
/// The experiment's own data (validation split, batch 0) when it has a
/// data setting that provides every model input. False after an error;
/// true with `s.inputs` empty when the experiment has no data to use.
static bool dataBatch(const Options &o, EvalSetup &s) {
  const ExperimentInstance &e = *s.inst;
  std::string dataSetting = setting(e, "data");
  if (dataSetting.empty())
    return true;
  std::string error, specDir;
  if (size_t slash = o.file.rfind('/'); slash != std::string::npos)
    specDir = o.file.substr(0, slash);
  auto data = runtime::DataSource::create(dataSetting, specDir, error);
  if (!data) {
    std::fprintf(stderr, "frond: error: %s\n", error.c_str());
    return false;
  }
  if (o.seqLen <= 0 && data->sequenceLength() > 0)
    s.seqLen = data->sequenceLength();
  runtime::Batch b = data->batchAt(runtime::Split::Validation, 0, s.batch, s.seqLen, s.seed);
  if (!b.ok()) {
    std::fprintf(stderr, "frond: error: %s\n", b.error.c_str());
    return false;
  }
  for (const InputInfo &in : e.model.inputs)
    if (!b.inputs.count(in.name))
      return true; // e.g. a float input: the seeded inputs below serve
  for (const InputInfo &in : e.model.inputs)
    s.inputs[in.name] = std::move(b.inputs[in.name]);
  if (data->kind() != runtime::DataSource::Kind::Text) // a task's answers
    s.labels = std::move(b.labels);
  s.dataNote = "validation batch 0 of " + data->describe();
  return true;
}

bool prepareEval(const Options &o, const Program &program,
                 const std::vector<Override> &overrides, DiagEngine &diags,
                 EvalSetup &s, bool fromData) {
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
  if (fromData) {
    if (!dataBatch(o, s))
      return false;
    if (!s.inputs.empty())
      return true;
  }
  long long vocab = modelVocab(m);
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
      // A per-sample integer (src_len, ...): in [1, T-1], or in [1, N]
      // when the data setting bounds it (task.copy_from_source(src_len = N)).
      long long hi = s.seqLen - 1;
      if (long long n = dataArg(setting(e, "data"), in.name); n > 0)
        hi = std::min(hi, n);
      for (auto &v : t.i64)
        v = 1 + int64_t(rng() % uint64_t(hi));
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
/// With `gradient`, the compiled function is the loss's gradient
/// (frond-autodiff); a model that cannot be differentiated then fills
/// `gradientFailure` instead of printing an error.
bool runJit(const Options &o, EvalSetup &s, DiagEngine &diags,
            const std::map<std::string, Tensor> &params,
            std::vector<std::pair<std::string, Tensor>> &outputs,
            double &compileSec, double &runSec, std::string &timing,
            bool gradient = false, std::string *gradientFailure = nullptr) {
  mlir::MLIRContext ctx;
  auto t0 = std::chrono::steady_clock::now();
  MLIRGenOptions genOptions;
  genOptions.f64 = o.f64;
  auto module = mlirGen(ctx, s.graph, s.inst->model, diags, genOptions);
  printDiagnostics(diags);
  if (!module)
    return false;
  double genSec = secondsSince(t0);
  std::string error;
  jit::CompileOptions options = jitOptions(o);
  options.gradient = gradient;
  jit::CompileReport report;
  auto cm = jit::CompiledModel::compile(std::move(module), error, options, &report);
  if (!cm) {
    if (gradientFailure)
      *gradientFailure = error;
    else
      std::fprintf(stderr, "frond: error: %s\n", error.c_str());
    return false;
  }
  compileSec = secondsSince(t0);
  if (!report.note.empty())
    std::fprintf(stderr, "frond: warning: %s\n", report.note.c_str());
  char buf[1024];
  if (report.source == jit::CompileReport::DiskCache)
    std::snprintf(buf, sizeof buf, "MLIRGen %.3f s, loaded from the JIT cache in %.3f s: %s",
                  genSec, report.loadSec, report.entry.c_str());
  else if (report.source == jit::CompileReport::MemoryCache)
    std::snprintf(buf, sizeof buf, "MLIRGen %.3f s, already compiled in this process", genSec);
  else
    std::snprintf(buf, sizeof buf, "MLIRGen %.3f s, pipeline %.3f s, LLVM %.3f s%s%s%s", genSec,
                  report.pipelineSec, report.llvmSec,
                  options.llvmTuning.isQuick() ? " (--codegen quick)" : "",
                  report.entry.empty() ? "" : "; cached as ", report.entry.c_str());
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
  // --repeat N: a warm-up run (left out of --profile-kernels' table), then
  // N timed runs; runSec is their median.
  long long runs = o.repeat > 1 ? o.repeat + 1 : 1;
  std::vector<double> times;
  for (long long r = 0; r < runs; ++r) {
    bool warmUp = runs > 1 && r == 0;
    if (warmUp && o.profileKernels)
      runtime::cuda::setMgpuKernelProfiling(false);
    outs.clear();
    t0 = std::chrono::steady_clock::now();
    if (!cm->run(args, outs, error)) {
      std::fprintf(stderr, "frond: error: %s\n", error.c_str());
      return false;
    }
    if (!warmUp)
      times.push_back(secondsSince(t0));
    if (warmUp && o.profileKernels)
      runtime::cuda::setMgpuKernelProfiling(true);
  }
  std::sort(times.begin(), times.end());
  runSec = times[times.size() / 2];
  for (size_t i = 0; i < outs.size(); ++i)
    outputs.push_back({cm->results()[i].name, std::move(outs[i])});
  return true;
}

} // namespace

/// " (median of N runs after a warm-up)" with --repeat, else "".
static std::string repeatNote(const Options &o) {
  return o.repeat > 1 ? " (median of " + std::to_string(o.repeat) + " runs after a warm-up)" : "";
}

/// eval --gradient: the loss's gradient, compiled and run as training does;
/// prints its global norm and times.
static bool evalGradient(const Options &o, EvalSetup &s, DiagEngine &diags,
                  const std::map<std::string, Tensor> &params) {
  std::vector<std::pair<std::string, Tensor>> grads;
  double compileSec = 0, runSec = 0;
  std::string timing;
  if (!runJit(o, s, diags, params, grads, compileSec, runSec, timing, /*gradient=*/true))
    return false;
  double squares = 0;
  size_t tensors = 0;
  for (auto &[name, t] : grads) {
    if (name.rfind("grad:", 0) != 0)
      continue;
    ++tensors;
    for (int64_t i = 0; i < t.numel(); ++i)
      squares += double(t.at(i)) * double(t.at(i));
  }
  std::printf("gradient: %zu tensors, global norm %.6g\n", tensors, std::sqrt(squares));
  std::printf("gradient compile: %.3f s (%s)\ngradient run: %.3f s%s\n", compileSec,
              timing.c_str(), runSec, repeatNote(o).c_str());
  if (!std::isfinite(squares))
    std::fprintf(stderr, "frond: warning: the gradient is not finite\n");
  return true;
}

/// `frond eval`.
int evalCommand(const Options &o, const Program &program,
                const std::vector<Override> &overrides, DiagEngine &diags) {
  // --checkpoint: the trained parameters, and the experiment and variant
  // that trained them.
  CheckpointInput ck{"", o.experiment, o.variant, {}};
  if (!o.checkpoint.empty() && !openCheckpoint(o, "eval", ck))
    return 1;
  Options resolved = o;
  resolved.experiment = ck.experiment;
  resolved.variant = ck.variant;
  std::map<std::string, Tensor> given;
  std::string error;
  if (!o.inputsFile.empty() &&
      !readEvalInputs(o.inputsFile, given, resolved.batch, resolved.seqLen, error)) {
    std::fprintf(stderr, "frond: error: %s\n", error.c_str());
    return 1;
  }
  EvalSetup s;
  if (!prepareEval(resolved, program, overrides, diags, s, /*fromData=*/given.empty()))
    return 1;
  if (!given.empty()) {
    std::string names;
    for (auto &[name, t] : given)
      names += (names.empty() ? "" : ", ") + name;
    if (!applyEvalInputs(o.inputsFile, s.inst->model.inputs, given, s.inputs, error)) {
      std::fprintf(stderr, "frond: error: %s\n", error.c_str());
      return 1;
    }
    s.dataNote = names + " from " + o.inputsFile +
                 (given.size() < s.inputs.size() ? ", the other inputs seeded" : "");
  }
  std::map<std::string, Tensor> params;
  std::string paramsNote;
  if (o.checkpoint.empty()) {
    params = runtime::initParams(s.inst->model, s.seed, o.initStd);
    paramsNote = "fresh parameters (seed " + std::to_string(s.seed) + ")";
  } else if (!loadCheckpointParams(ck, s.inst->model, "eval", params)) {
    return 1;
  } else {
    paramsNote = describe(ck);
  }
  if (o.f64) { // the same values, widened
    for (auto &[name, t] : params)
      t = t.withFloatType(DType::F64);
    for (auto &[name, t] : s.inputs)
      t = t.withFloatType(DType::F64);
  }
  std::vector<std::pair<std::string, Tensor>> outputs;
  double compileSec = 0, runSec = 0;
  std::string timing;
  if (!runJit(o, s, diags, params, outputs, compileSec, runSec, timing))
    return 1;
  std::printf("eval %s: model %s, batch %lld x %lld, seed %llu, %s%s\n  parameters: %s\n",
              s.inst->name.c_str(), s.inst->model.name.c_str(), s.batch, s.seqLen,
              (unsigned long long)s.seed, s.dataNote.c_str(), o.f64 ? ", f64" : "",
              paramsNote.c_str());
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
  // A task's answers: the first head's next-token accuracy on them.
  if (!outputs.empty() && outputs[0].first.rfind("head", 0) == 0 && !s.labels.shape.empty()) {
    runtime::LabelScore score = runtime::scoreLabels(outputs[0].second, s.labels);
    if (score.scored)
      std::printf("  %-20s = %.4f  (%lld of %lld scored positions)\n", "accuracy",
                  score.accuracy(), (long long)score.correct, (long long)score.scored);
  }
  std::printf("compile: %.3f s (%s)\nrun: %.3f s%s\n", compileSec, timing.c_str(), runSec,
              repeatNote(o).c_str());
  if (o.gradient && !evalGradient(o, s, diags, params))
    return 1;
  if (!finite)
    std::fprintf(stderr, "frond: warning: a loss is not finite\n");
  return 0;
}


namespace {

/// The output the autodiff pass differentiates: "loss", else the only
/// "loss:<name>"; "" when neither.
std::string differentiatedLoss(const graph::Graph &g) {
  std::string loss;
  int named = 0;
  for (auto &[name, id] : g.outputs) {
    if (name == "loss")
      return name;
    if (name.rfind("loss:", 0) == 0 && ++named == 1)
      loss = name;
  }
  return named == 1 ? loss : "";
}

/// FlexAttention's rule for GPU runs and reduced-precision attention or
/// matmul tiles; the fp32 tolerance alone on the CPU.
NumericsRule numericsRule(const Options &o) {
  return {o.device == "cuda" || o.attentionTiles != "f32" || o.matmulTiles != "f32"};
}

/// The JIT's gradient function against the reference's gradients. A model
/// the compiler cannot differentiate yet is reported, not failed.
bool checkGradients(const Options &o, EvalSetup &s, DiagEngine &diags, const TensorMap &params,
                    NumericsReference &ref) {
  if (ref.loss.empty())
    return true;
  NamedTensors jitGrads;
  double compileSec = 0, runSec = 0;
  std::string timing, failure;
  if (!runJit(o, s, diags, params, jitGrads, compileSec, runSec, timing, /*gradient=*/true,
              &failure)) {
    if (failure.empty())
      return false;
    std::printf("gradients: not compared, the compiler cannot differentiate this model yet:\n%s",
                failure.c_str());
    return true;
  }
  bool failed = false;
  bool ok = compareGradients(jitGrads, ref, failed, numericsRule(o));
  if (failed)
    return printDiagnostics(diags), false;
  std::printf("gradient compile: %.3f s (%s), run: %.3f s\n", compileSec, timing.c_str(), runSec);
  return ok;
}

/// The tensors of `ours` that are not bit-identical to `theirs`' (a line
/// each, `what` naming them); every one of `theirs` must be in `ours`.
size_t countDiffering(const TensorMap &ours, const TensorMap &theirs, const char *what) {
  size_t differing = 0;
  for (auto &[name, t] : theirs) {
    auto it = ours.find(name);
    bool same = it != ours.end() && it->second.dtype == t.dtype && it->second.shape == t.shape &&
                it->second.f32 == t.f32 && it->second.f64 == t.f64 && it->second.i64 == t.i64;
    if (!same) {
      std::printf("%s %s differs from the reference's\n", what, name.c_str());
      ++differing;
    }
  }
  return differing;
}

/// What a batch was made with, as a reference records it.
std::map<std::string, std::string> batchAbout(const EvalSetup &s, const Options &o) {
  char initStd[32];
  std::snprintf(initStd, sizeof initStd, "%.9g", o.initStd);
  return {{"experiment", s.inst->name}, {"model", s.inst->model.name},
          {"batch", std::to_string(s.batch)}, {"seq_len", std::to_string(s.seqLen)},
          {"seed", std::to_string(s.seed)}, {"init_std", initStd}};
}

/// Runs the JIT on this build's parameters and the batch, and compares
/// outputs and gradients with `ref` (whose parameters and inputs must be
/// the same, bit for bit).
int compareWithReference(const Options &o, EvalSetup &s, DiagEngine &diags,
                         NumericsReference &ref, const std::string &source) {
  TensorMap params = runtime::initParams(s.inst->model, s.seed, o.initStd);
  size_t differing = countDiffering(params, ref.params, "parameter") +
                     countDiffering(s.inputs, ref.inputs, "input");
  NamedTensors outputs;
  double compileSec = 0, runSec = 0;
  std::string timing;
  if (!runJit(o, s, diags, params, outputs, compileSec, runSec, timing))
    return 1;
  std::printf("numerics %s: model %s, batch %lld x %lld, seed %llu, %s\n",
              s.inst->name.c_str(), s.inst->model.name.c_str(), s.batch, s.seqLen,
              (unsigned long long)s.seed, s.dataNote.c_str());
  std::printf("reference: %s\n", source.c_str());
  std::printf("parameters: %zu tensors, %s the reference's\n", ref.params.size(),
              differing ? "NOT identical to" : "bit-identical to");
  const char *how =
      o.device == "cuda" ? "mma.sync" : "emulated: the f32 kernel rounding as mma.sync does";
  if (ref.tiles != "f32")
    std::printf("attention tiles: %s (%s)\n", ref.tiles.c_str(), how);
  if (ref.matmulTiles != "f32")
    std::printf("matmul tiles: %s (%s)\n", ref.matmulTiles.c_str(), how);
  bool ok = compareOutputs(outputs, ref, numericsRule(o)) && differing == 0;
  std::printf("compile: %.3f s (%s)\nrun: %.3f s\n", compileSec, timing.c_str(), runSec);
  ok = checkGradients(o, s, diags, params, ref) && ok;
  std::printf("%s\n", ok ? "within tolerance" : "beyond tolerance");
  return ok ? 0 : 1;
}

/// Whether the reference saved in `file` with `kind` ("attention",
/// "matmul") tiles `saved` holds the yardstick of the run's tiles `wanted`
/// (f32 needs none); if not, says so with the fix.
bool savedWithTiles(const std::string &file, const char *kind, const std::string &wanted,
                    const std::string &saved, const std::string &yardstick) {
  if (wanted == "f32" || wanted == saved)
    return true;
  std::fprintf(stderr, "frond: error: %s has no %s to compare %s %s tiles with (it was saved "
                       "with %s tiles %s)\n  fix: save it with check --numerics --%s-tiles %s "
                       "--save-reference FILE\n",
               file.c_str(), yardstick.c_str(), wanted.c_str(), kind, kind, saved.c_str(), kind,
               wanted.c_str());
  return false;
}

/// `check --numerics --reference FILE`: the reference saved by an earlier
/// run, which must be of the same experiment and batch.
int savedNumericsCommand(const Options &o, const Program &program,
                         const std::vector<Override> &overrides, DiagEngine &diags) {
  NumericsReference ref;
  std::string error;
  if (!loadNumericsReference(o.referenceIn, ref, error)) {
    std::fprintf(stderr, "frond: error: %s\n", error.c_str());
    return 1;
  }
  EvalSetup s;
  if (!prepareEval(o, program, overrides, diags, s, /*fromData=*/false))
    return 1;
  std::map<std::string, std::string> about = batchAbout(s, o);
  if (about != ref.about) {
    auto get = [&](const char *k) { return ref.about.count(k) ? ref.about.at(k) : "?"; };
    std::fprintf(stderr,
                 "frond: error: %s is the reference of experiment %s (model %s), batch %s x %s, "
                 "seed %s, init std %s; this run is %s (model %s), batch %lld x %lld, seed %llu, "
                 "init std %g\n  fix: check the same experiment with --batch %s --seq-len %s "
                 "--seed %s --init-std %s, or save a new reference\n",
                 o.referenceIn.c_str(), get("experiment").c_str(), get("model").c_str(),
                 get("batch").c_str(), get("seq_len").c_str(), get("seed").c_str(),
                 get("init_std").c_str(), s.inst->name.c_str(), s.inst->model.name.c_str(),
                 s.batch, s.seqLen, (unsigned long long)s.seed, o.initStd, get("batch").c_str(),
                 get("seq_len").c_str(), get("seed").c_str(), get("init_std").c_str());
    return 1;
  }
  if (!savedWithTiles(o.referenceIn, "attention", o.attentionTiles, ref.tiles,
                      "eager " + o.attentionTiles + " attention") ||
      !savedWithTiles(o.referenceIn, "matmul", o.matmulTiles, ref.matmulTiles,
                      "reference with " + o.matmulTiles + " matmul operands"))
    return 1;
  ref.tiles = o.attentionTiles;
  ref.matmulTiles = o.matmulTiles;
  if (ref.loss != differentiatedLoss(s.graph)) {
    std::fprintf(stderr, "frond: error: %s holds the gradients of '%s', but this model "
                         "differentiates '%s'; save a new reference\n",
                 o.referenceIn.c_str(), ref.loss.c_str(), differentiatedLoss(s.graph).c_str());
    return 1;
  }
  return compareWithReference(o, s, diags, ref, "saved in " + o.referenceIn);
}

} // namespace

/// `frond check --numerics`.
int numericsCommand(const Options &o, const Program &program,
                    const std::vector<Override> &overrides, DiagEngine &diags) {
  if (!o.referenceIn.empty())
    return savedNumericsCommand(o, program, overrides, diags);
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
                       "and this build has no libtorch\n  fix: save one where there is "
                       "libtorch (check --numerics --save-reference FILE) and compare "
                       "with --reference FILE\n");
  return 1;
#else
  EvalSetup s;
  // Random inputs: every per-sample length is exercised, not only the data's.
  if (!prepareEval(o, program, overrides, diags, s, /*fromData=*/false))
    return 1;
  NumericsReference ref;
  if (!numerics::runReference(s.graph, s.inst->model, s.seed, o.initStd, s.inputs, ref.outputs,
                              ref.params, ref.outputs64, diags))
    return printDiagnostics(diags), 1;
  ref.inputs = s.inputs;
  ref.loss = differentiatedLoss(s.graph);
  ref.about = batchAbout(s, o);
  ref.tiles = o.attentionTiles;
  ref.matmulTiles = o.matmulTiles;
  if (ref.reducedTiles() &&
      !numerics::referenceInTiles(ref.tiles, ref.matmulTiles, s.graph, s.inst->model, s.seed,
                                  o.initStd, s.inputs, ref.outputsTiles, diags))
    return printDiagnostics(diags), 1;
  using Grads = NumericsReference::Grads;
  ref.computeGrads = [&](Grads which) {
    TensorMap &grads = which == Grads::F64     ? ref.grads64
                       : which == Grads::Tiles ? ref.gradsTiles
                                               : ref.grads;
    return !grads.empty() ||
           numerics::referenceGradients(s.graph, s.inst->model, s.seed, o.initStd, s.inputs,
                                        ref.loss, grads, diags, which == Grads::F64,
                                        which == Grads::Tiles ? ref.tiles : "f32",
                                        which == Grads::Tiles ? ref.matmulTiles : "f32");
  };
  if (!o.referenceOut.empty()) {
    // Saved before comparing: a JIT that fails does not lose it.
    std::string error;
    if (!ref.loss.empty() &&
        (!ref.computeGrads(Grads::F32) || !ref.computeGrads(Grads::F64) ||
         (ref.reducedTiles() && !ref.computeGrads(Grads::Tiles))))
      return printDiagnostics(diags), 1;
    if (!saveNumericsReference(o.referenceOut, ref, error)) {
      std::fprintf(stderr, "frond: error: %s\n", error.c_str());
      return 1;
    }
    std::printf("reference saved: %s\n", o.referenceOut.c_str());
  }
  return compareWithReference(o, s, diags, ref, "libtorch, run now");
#endif
}

} // namespace frond::cli
