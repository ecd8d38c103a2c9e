//===- EvalCommands.cpp - `frond eval` and `frond check --numerics` -------===//
//
// Both build one deterministic batch and deterministic parameters, run the
// JIT-compiled forward; check --numerics also runs the libtorch reference
// (only in frond-numerics, built with FROND_HAVE_REFERENCE) and compares.
//
//===----------------------------------------------------------------------===//
#include "CheckpointInput.h"
#include "Cli.h"

#include "frond/JIT/Jit.h"
#include "frond/MLIRGen/MLIRGen.h"
#include "frond/runtime/Accuracy.h"
#include "frond/runtime/Data.h"
#include "frond/runtime/Init.h"
#ifdef FROND_HAVE_REFERENCE
#include "Numerics.h"
#endif

#include "mlir/IR/MLIRContext.h"

#include <climits>
#include <cmath>
#include <cstdio>
#include <cstring>
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

#ifdef FROND_HAVE_REFERENCE
/// Element-wise differences of `t` from `r`: max abs, max rel (where
/// r != 0), and whether every element has |t - r| <= atol + rtol * |r|
/// (NaN matches NaN, infinities must be equal).
struct ErrorStats {
  double maxAbs = 0, maxRel = 0;
  bool within = true;
};
ErrorStats compare(const Tensor &t, const Tensor &r, double atol, double rtol) {
  ErrorStats s;
  for (int64_t i = 0; i < t.numel(); ++i) {
    double a = t.at(i), b = r.at(i);
    double err = std::fabs(a - b);
    if (!(std::isfinite(a) && std::isfinite(b))) {
      if (!(std::isnan(a) && std::isnan(b)) && a != b)
        s.within = false, err = INFINITY;
      else
        err = 0;
    }
    s.maxAbs = std::max(s.maxAbs, err);
    if (b != 0)
      s.maxRel = std::max(s.maxRel, err / std::fabs(b));
    if (err > atol + rtol * std::fabs(b))
      s.within = false;
  }
  return s;
}

/// The line under a tensor compared with libtorch: how far the JIT's `jit`
/// and libtorch's fp32 `ref` each are from the fp64 reference `ref64`;
/// beyond tolerance, whether that is rounding (the JIT no further than
/// twice libtorch's fp32 distance) or a real error.
void printAgainstFp64(int nameWidth, const Tensor &jit, const Tensor &ref, const Tensor &ref64,
                      bool within) {
  double j = compare(jit, ref64, 0.0, 0.0).maxAbs, l = compare(ref, ref64, 0.0, 0.0).maxAbs;
  std::printf("  %-*s %-14s vs fp64: jit max abs %.3e, libtorch fp32 max abs %.3e%s\n", nameWidth,
              "", "", j, l,
              within       ? ""
              : j <= 2 * l ? " (rounding: no further from fp64 than libtorch)"
                           : " (further from fp64 than libtorch)");
}
#endif

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
    std::snprintf(buf, sizeof buf, "MLIRGen %.3f s, pipeline %.3f s, LLVM %.3f s%s%s", genSec,
                  report.pipelineSec, report.llvmSec,
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

} // namespace

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
  EvalSetup s;
  if (!prepareEval(resolved, program, overrides, diags, s, /*fromData=*/true))
    return 1;
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
  std::printf("compile: %.3f s (%s)\nrun: %.3f s\n", compileSec, timing.c_str(), runSec);
  if (!finite)
    std::fprintf(stderr, "frond: warning: a loss is not finite\n");
  return 0;
}


#ifdef FROND_HAVE_REFERENCE
/// The JIT's gradient function against libtorch autograd, per trainable
/// parameter: |jit - ref| <= 1e-4 * max|ref| + 1e-7 over the tensor (the
/// fp32 relative tolerance, normwise: gradients are small and an absolute
/// floor like the outputs' 1e-5 would hide wrong ones). A model the
/// compiler cannot differentiate yet is reported, not failed.
static bool compareGradients(const Options &o, EvalSetup &s, DiagEngine &diags,
                             const std::map<std::string, Tensor> &params) {
  // The loss the autodiff pass differentiates: "loss", else the only
  // "loss:<name>".
  std::string loss;
  int named = 0;
  for (auto &[name, id] : s.graph.outputs) {
    if (name == "loss")
      loss = name, named = -1000;
    else if (name.rfind("loss:", 0) == 0 && named >= 0 && ++named == 1)
      loss = name;
  }
  if (named > 1)
    loss.clear();
  if (loss.empty())
    return true;
  if (o.device == "cuda") {
    std::printf("gradients: not compared on --device cuda (the forward only so far; "
                "--device cpu compares them)\n");
    return true;
  }
  std::vector<std::pair<std::string, Tensor>> jitGrads;
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
  std::map<std::string, Tensor> refGrads, refGrads64;
  if (!numerics::referenceGradients(s.graph, s.inst->model, s.seed, o.initStd, s.inputs, loss,
                                    refGrads, diags))
    return printDiagnostics(diags), false;
  // The fp64 gradients, the yardstick for rounding, only once a tensor is
  // beyond tolerance (a second libtorch backward, in double precision).
  bool have64 = false;
  auto fp64Grads = [&]() -> const std::map<std::string, Tensor> * {
    if (!have64 && !numerics::referenceGradients(s.graph, s.inst->model, s.seed, o.initStd,
                                                 s.inputs, loss, refGrads64, diags,
                                                 /*fp64=*/true))
      return nullptr;
    have64 = true;
    return &refGrads64;
  };
  std::printf("gradients of %s (%zu trainable tensors), tolerance |jit - ref| <= 1e-4 * max|ref| + "
              "1e-7 per tensor:\n",
              loss.c_str(), jitGrads.size() - 1);
  bool ok = true;
  for (auto &[name, t] : jitGrads) {
    if (name.rfind("grad:", 0) != 0)
      continue;
    std::string path = name.substr(5);
    auto it = refGrads.find(path);
    if (it == refGrads.end() || it->second.shape != t.shape) {
      std::printf("  %-28s no matching reference gradient\n", path.c_str());
      ok = false;
      continue;
    }
    double maxRef = 0;
    for (int64_t i = 0; i < it->second.numel(); ++i)
      maxRef = std::max(maxRef, std::fabs(it->second.at(i)));
    ErrorStats e = compare(t, it->second, 1e-7 + 1e-4 * maxRef, 0.0);
    std::printf("  %-28s %-14s max |ref| %.3e  max abs err %.3e  %s\n", path.c_str(),
                t.shapeStr().c_str(), maxRef, e.maxAbs, e.within ? "ok" : "BEYOND TOLERANCE");
    if (!e.within) {
      const std::map<std::string, Tensor> *grads64 = fp64Grads();
      if (!grads64)
        return printDiagnostics(diags), false;
      auto r64 = grads64->find(path);
      if (r64 != grads64->end() && r64->second.shape == t.shape)
        printAgainstFp64(28, t, it->second, r64->second, e.within);
    }
    ok = ok && e.within;
  }
  std::printf("gradient compile: %.3f s (%s), run: %.3f s\n", compileSec, timing.c_str(), runSec);
  return ok;
}
#endif

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
  // Random inputs: every per-sample length is exercised, not only the data's.
  if (!prepareEval(o, program, overrides, diags, s, /*fromData=*/false))
    return 1;
  auto params = runtime::initParams(s.inst->model, s.seed, o.initStd);
  std::map<std::string, Tensor> refOut, refParams, ref64;
  if (!numerics::runReference(s.graph, s.inst->model, s.seed, o.initStd, s.inputs, refOut,
                              refParams, ref64, diags))
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
    ErrorStats e = compare(t, r, atol, rtol);
    std::printf("  %-20s %-14s max abs err %.3e  max rel err %.3e  %s\n", name.c_str(),
                t.shapeStr().c_str(), e.maxAbs, e.maxRel, e.within ? "ok" : "BEYOND TOLERANCE");
    auto r64 = ref64.find(name);
    if (r64 != ref64.end() && r64->second.shape == t.shape)
      printAgainstFp64(20, t, r, r64->second, e.within);
    ok = ok && e.within;
  }
  std::printf("compile: %.3f s (%s)\nrun: %.3f s\n", compileSec, timing.c_str(), runSec);
  ok = compareGradients(o, s, diags, params) && ok;
  std::printf("%s\n", ok ? "within tolerance" : "beyond tolerance");
  return ok ? 0 : 1;
#endif
}

} // namespace frond::cli
