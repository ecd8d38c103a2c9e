//===- GradCheckTest.cpp - autodiff against central differences, in f64 --===//
//
// Every model in kCases (tests/unit/Inputs/gradcheck/: a .spec lowered by
// MLIRGen with floats as f64, or a frond function written in f64) is
// compiled twice: the forward, and its gradient (-frond-autodiff,
// CompileOptions::gradient). For a few elements of every trainable
// parameter (the one with the largest gradient, then random ones) the
// gradient is compared with central differences of the forward's loss:
//
//   fd = (L(p + h·e_i) − L(p − h·e_i)) / 2h,    h = 1e-6
//   pass when |ad − fd| <= 1e-6 · max(1, |fd|)
//
// In f64 the difference quotient is good to about eps·|L|/h + h²·|L'''|,
// ~1e-9 here, so a rule that is wrong by more than ~1e-6 of the gradient
// fails. Where the loss curves too sharply for that (PLDR's power law
// x^p with x near its 1e-9 floor: there h²·|L'''| reaches ~1e-4), a case
// uses the fourth-order quotient (8 (L(+h) − L(−h)) − (L(+2h) − L(−2h)))
// / 12h, whose truncation error is h⁴·|L'''''| / 30. Sequences are 70 or
// 150 long: attention then has skipped, partial and fully visible 64-wide
// tiles.
//
// Extending: add a file under Inputs/gradcheck and a row to kCases. A row
// with `waitsFor` names a rule that may not exist yet: while the compiler
// says so ("no gradient rule", "not generated yet", "cannot be compiled
// yet"), the case is skipped with that reason; once the rule exists it
// runs like any other.
//
// Code is compiled at -O0 and cached in the build tree (FROND_CACHE_DIR,
// else <build>/tests/unit/jit-cache): only the first run after a build
// pays for LLVM.
//
//===----------------------------------------------------------------------===//
#include "frond/Dialect/Frond/IR/FrondDialect.h"
#include "frond/JIT/Jit.h"
#include "frond/MLIRGen/MLIRGen.h"
#include "frond/lang/Graph.h"
#include "frond/lang/Sema.h"
#include "frond/runtime/Init.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "llvm/ADT/StringRef.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <functional>
#include <map>
#include <optional>
#include <ostream>
#include <random>
#include <string>

using namespace frond;
using runtime::DType;
using runtime::Tensor;

namespace {

struct GradCase {
  const char *file;               ///< under tests/unit/Inputs/gradcheck/
  const char *waitsFor = nullptr; ///< a rule that may not exist yet
  int64_t seqLen = 70;            ///< t of the spec's inputs
  double step = 1e-6;             ///< h
  double tol = 1e-6;              ///< |ad − fd| <= tol · max(1, |fd|)
  /// A known wrong rule, skipped with this reason until it is fixed.
  const char *knownBug = nullptr;
  /// The fourth-order difference quotient instead of the central one.
  bool fourthOrder = false;
};

/// gtest prints a case as its file name.
void PrintTo(const GradCase &c, std::ostream *os) { *os << c.file; }

const GradCase kCases[] = {
    // Layers, elementwise ops, reductions, losses.
    {"mlp-layernorm.spec"},
    {"elementwise.spec"},
    {"heads-softmax.spec"},
    {"cross-entropy-options.spec"},
    {"unary-kinds.mlir"},
    {"matmul-swiglu-reduce.mlir"},
    // f64 -> f32 -> f64 makes the loss a staircase of f32 steps (~6e-8
    // relative): a large step (exact for its quadratic loss) and a
    // tolerance above that rounding.
    {"cast-round-trip.mlir", nullptr, /*seqLen=*/0, /*step=*/1e-2, /*tol=*/1e-4},
    // Softmax attention: every mask form and score form.
    {"attention-causal.spec", nullptr, 150},
    {"attention-prefix-lm.spec"},
    {"attention-sliding-window.spec"},
    {"attention-document.spec", nullptr, 150},
    {"attention-no-mask.spec"},
    {"attention-softcap.spec"},
    {"attention-temperature.spec"},
    {"attention-alibi-fixed.spec"},
    {"attention-relative-bias-fixed.spec"},
    {"attention-gqa.spec"},
    {"recur-shared.spec"},
    // PLDR's power-law attention (causal metric) and its DAG losses (expm
    // of A_LM): fourth-order differences, see the file comment.
    {"attention-power-law.spec", nullptr, 70, 1e-6, 1e-6, nullptr, /*fourthOrder=*/true},
    {"dag-power-law.spec", nullptr, 70, 1e-6, 1e-6, nullptr, /*fourthOrder=*/true},
    // The recurrent kinds, RoPE, slicing, clamp/cumsum, factorised linear
    // layers and score regions that read tensors (learnable or frozen).
    {"rope.spec"},
    {"slice-concat.spec"},
    {"clamp-cumsum.spec"},
    {"lowrank-linear.spec"},
    {"attention-linear.spec"},
    {"attention-relaxed-linear.spec"},
    {"attention-aft.spec"},
    {"attention-alibi-learnable.spec"},
    {"attention-alibi-frozen.spec"},
    {"attention-relative-bias-learnable.spec"},
};

const int64_t kBatch = 2;
const uint64_t kSeed = 7;
const double kInitStd = 0.5; ///< large enough that attention patterns matter
const int kRandomSamples = 4; ///< per tensor, besides the largest gradient

std::string inputPath(const char *file) {
  return std::string(FROND_SOURCE_DIR) + "/tests/unit/Inputs/gradcheck/" + file;
}

std::string cacheDir() {
  if (const char *d = std::getenv("FROND_CACHE_DIR"); d && *d)
    return d;
  return FROND_GRADCHECK_CACHE_DIR;
}

/// An f64 tensor of `shape` with N(0, std²) elements (deterministic in
/// `name`).
Tensor normalTensor(const std::string &name, std::vector<int64_t> shape, double std) {
  Tensor t = Tensor::zeros(DType::F64, std::move(shape));
  for (int64_t i = 0; i < t.numel(); ++i)
    t.f64[size_t(i)] = std * runtime::normalAt(kSeed, "gradcheck." + name, uint64_t(i));
  return t;
}

/// A spec model's inputs: token ids below the vocabulary, per-sample
/// lengths in [1, t-1], document ids in runs of 23 (documents cross the
/// 64-wide tiles), float inputs N(0, 1).
std::map<std::string, Tensor> specInputs(const ModelInstance &m, int64_t T) {
  int64_t vocab = 32;
  for (auto &[k, v] : m.args)
    if (k == "vocab" && v.kind == Value::Int)
      vocab = v.i;
  std::mt19937_64 rng(kSeed);
  std::map<std::string, Tensor> out;
  for (const InputInfo &in : m.inputs) {
    std::vector<int64_t> shape;
    for (size_t d = 0; d < in.shape.size(); ++d) {
      const Dim &dim = in.shape[d];
      shape.push_back(dim.known() ? dim.size : dim.name == "b" || d == 0 ? kBatch : T);
    }
    if (in.type == "float") {
      out[in.name] = normalTensor(in.name, shape, 1.0);
      continue;
    }
    Tensor t = Tensor::zeros(DType::I64, shape);
    for (int64_t i = 0; i < t.numel(); ++i) {
      if (shape.size() == 1)
        t.i64[size_t(i)] = 1 + int64_t(rng() % uint64_t(T - 1));
      else if (in.name == "doc")
        t.i64[size_t(i)] = (i % T + 13 * (i / T)) / 23;
      else
        t.i64[size_t(i)] = int64_t(rng() % uint64_t(vocab));
    }
    out[in.name] = std::move(t);
  }
  return out;
}

/// A model, as a module and the values of its arguments by name.
struct Loaded {
  mlir::OwningOpRef<mlir::ModuleOp> module;
  std::map<std::string, Tensor> values; ///< inputs and parameters (specs)
};

/// Loads `c`; on failure returns false with the reason in `error`.
bool load(mlir::MLIRContext &ctx, const GradCase &c, Loaded &out, std::string &error) {
  std::string path = inputPath(c.file);
  if (llvm::StringRef(c.file).ends_with(".mlir")) {
    ctx.loadDialect<mlir::frond::FrondDialect, mlir::func::FuncDialect,
                    mlir::arith::ArithDialect, mlir::tensor::TensorDialect>();
    out.module = mlir::parseSourceFile<mlir::ModuleOp>(path, &ctx);
    error = out.module ? "" : path + " does not parse";
    return bool(out.module);
  }
  Program program;
  program.stdlibDir = std::string(FROND_SOURCE_DIR) + "/stdlib";
  DiagEngine diags;
  graph::Graph g;
  std::optional<ExperimentInstance> inst;
  if (program.load(path, diags))
    inst = resolveExperiment(program, "", "", diags, {}, &g);
  if (inst && !diags.hasErrors()) {
    MLIRGenOptions options;
    options.f64 = true;
    out.module = mlirGen(ctx, g, inst->model, diags, options);
  }
  if (!out.module || diags.hasErrors()) {
    error = path + " does not lower:\n" + diags.render();
    return false;
  }
  out.values = specInputs(inst->model, c.seqLen);
  for (auto &[name, t] : runtime::initParams(inst->model, kSeed, kInitStd))
    out.values[name] = t.withFloatType(DType::F64);
  return true;
}

/// The argument list of `cm` from `values`; arguments without a value
/// (the parameters and inputs of a hand-written function) get N(0, 1) f64
/// values, added to `values`.
std::vector<Tensor *> arguments(const jit::CompiledModel &cm,
                                std::map<std::string, Tensor> &values) {
  std::vector<Tensor *> args;
  for (const jit::Slot &s : cm.arguments()) {
    auto it = values.find(s.name);
    if (it == values.end()) {
      EXPECT_EQ(s.dtype, DType::F64) << "no value for argument '" << s.name << "'";
      EXPECT_TRUE(std::none_of(s.shape.begin(), s.shape.end(), [](int64_t e) { return e < 0; }))
          << "argument '" << s.name << "' needs a value of a dynamic shape";
      it = values.emplace(s.name, normalTensor(s.name, s.shape, 1.0)).first;
    }
    args.push_back(&it->second);
  }
  return args;
}

/// The loss output of a forward: "loss", else the only "loss:<name>" (the
/// one -frond-autodiff differentiates).
int lossIndex(const jit::CompiledModel &cm) {
  int only = -1, count = 0;
  for (size_t i = 0; i < cm.results().size(); ++i) {
    llvm::StringRef name = cm.results()[i].name;
    if (name == "loss")
      return int(i);
    if (name.starts_with("loss:"))
      only = int(i), ++count;
  }
  return count == 1 ? only : -1;
}

/// Runs `cm` and returns output `index` element 0 (NaN after a failure).
double runScalar(jit::CompiledModel &cm, const std::vector<Tensor *> &args, int index) {
  std::vector<const Tensor *> in(args.begin(), args.end());
  std::vector<Tensor> outs;
  std::string error;
  if (!cm.run(in, outs, error)) {
    ADD_FAILURE() << error;
    return NAN;
  }
  return outs[size_t(index)].at(0);
}

/// d loss / d p[i] from differences of `cm`'s output `lossAt` (p[i] is
/// restored after).
double differenceQuotient(jit::CompiledModel &cm, const std::vector<Tensor *> &args, int lossAt,
                          Tensor &p, int64_t i, const GradCase &c) {
  double saved = p.f64[size_t(i)];
  auto lossAtStep = [&](double dx) {
    p.f64[size_t(i)] = saved + dx;
    double l = runScalar(cm, args, lossAt);
    p.f64[size_t(i)] = saved;
    return l;
  };
  double h = c.step, central = lossAtStep(h) - lossAtStep(-h);
  if (!c.fourthOrder)
    return central / (2 * h);
  return (8 * central - (lossAtStep(2 * h) - lossAtStep(-2 * h))) / (12 * h);
}

/// The elements to check: the largest |gradient|, then random others.
std::vector<int64_t> sampleElements(const Tensor &grad, const std::string &name) {
  std::vector<int64_t> picks;
  int64_t n = grad.numel(), largest = 0;
  for (int64_t i = 1; i < n; ++i)
    if (std::fabs(grad.at(i)) > std::fabs(grad.at(largest)))
      largest = i;
  picks.push_back(largest);
  std::mt19937_64 rng(std::hash<std::string>()(name) ^ kSeed);
  for (int k = 0; k < kRandomSamples && int64_t(picks.size()) < n; ++k) {
    int64_t i = int64_t(rng() % uint64_t(n));
    if (std::find(picks.begin(), picks.end(), i) == picks.end())
      picks.push_back(i);
  }
  return picks;
}

/// Whether `error` says that something is not implemented yet (as opposed
/// to being wrong).
bool isNotImplementedYet(const std::string &error) {
  for (const char *says : {"no gradient rule", "not generated yet", "cannot be compiled yet"})
    if (error.find(says) != std::string::npos)
      return true;
  return false;
}

class GradCheck : public ::testing::TestWithParam<GradCase> {};

TEST_P(GradCheck, MatchesCentralDifferences) {
  const GradCase &c = GetParam();
  if (c.knownBug)
    GTEST_SKIP() << c.file << ": known bug: " << c.knownBug;
  mlir::MLIRContext ctx;
  Loaded model;
  std::string error;
  // A case waiting for a rule is skipped while the compiler says the rule
  // (or the code generation it needs) does not exist yet.
  auto skipOrFail = [&](const char *what) {
    if (c.waitsFor && isNotImplementedYet(error))
      GTEST_SKIP() << c.file << " waits for " << c.waitsFor << ":\n" << error;
    FAIL() << c.file << ": " << what << ":\n" << error;
  };
  if (!load(ctx, c, model, error))
    return skipOrFail("the model does not load");
  mlir::OwningOpRef<mlir::ModuleOp> forwardModule(model.module->clone());
  jit::CompileOptions options;
  options.cacheDir = cacheDir();
  // -O0: LLVM's optimisations would take most of the time (about 8x the
  // compile time of -O2 here) and change no rule's numbers.
  options.optLevel = 0;
  options.gradient = true;
  auto gradient = jit::CompiledModel::compile(std::move(model.module), error, options);
  if (!gradient)
    return skipOrFail("the gradient does not compile");
  options.gradient = false;
  auto forward = jit::CompiledModel::compile(std::move(forwardModule), error, options);
  ASSERT_TRUE(forward) << c.file << ": the forward does not compile:\n" << error;

  int lossAt = lossIndex(*forward);
  ASSERT_GE(lossAt, 0) << c.file << ": the forward has no loss to differentiate";
  std::vector<Tensor *> args = arguments(*forward, model.values);
  ASSERT_FALSE(HasFailure());
  std::vector<const Tensor *> in(args.begin(), args.end());
  std::vector<Tensor> grads;
  ASSERT_TRUE(gradient->run(in, grads, error)) << error;
  ASSERT_EQ(gradient->results()[0].name, "loss");
  double loss = runScalar(*forward, args, lossAt);
  EXPECT_NEAR(grads[0].at(0), loss, 1e-12 * std::max(1.0, std::fabs(loss)))
      << "the gradient function's loss differs from the forward's";

  double worst = 0; // max |ad − fd| / max(1, |fd|)
  int checked = 0;
  for (size_t r = 1; r < grads.size(); ++r) {
    std::string name = gradient->results()[r].name.substr(5); // "grad:<name>"
    size_t a = 0;
    while (a < forward->arguments().size() && forward->arguments()[a].name != name)
      ++a;
    ASSERT_LT(a, args.size()) << "no argument for " << gradient->results()[r].name;
    Tensor &p = *args[a];
    ASSERT_EQ(grads[r].shape, p.shape) << name;
    for (int64_t i : sampleElements(grads[r], name)) {
      double fd = differenceQuotient(*forward, args, lossAt, p, i, c), ad = grads[r].at(i);
      double err = std::fabs(ad - fd) / std::max(1.0, std::fabs(fd));
      worst = std::max(worst, err);
      ++checked;
      EXPECT_LE(err, c.tol) << c.file << ": d loss / d " << name << "[" << i
                            << "]: autodiff " << ad << ", central differences " << fd;
    }
  }
  std::printf("%s: %d elements of %zu tensors, max |ad - fd| / max(1, |fd|) = %.2e "
              "(tolerance %.0e)\n",
              c.file, checked, grads.size() - 1, worst, c.tol);
}

std::string caseName(const ::testing::TestParamInfo<GradCase> &info) {
  std::string s = info.param.file;
  s = s.substr(0, s.rfind('.'));
  for (char &ch : s)
    if (!std::isalnum(static_cast<unsigned char>(ch)))
      ch = '_';
  return s;
}

INSTANTIATE_TEST_SUITE_P(Models, GradCheck, ::testing::ValuesIn(kCases), caseName);

} // namespace
