//===- ExpmTest.cpp - frond.expm through the JIT against closed forms -----===//
//
// The scaling-and-squaring lowering (ExpmToLinalg.cpp) on matrices whose
// exponential is known exactly, with 1-norms from 0.1 to 1000 so the
// number of squarings differs per matrix of one batch: rotation generators
// [[0, -t], [t, 0]] -> [[cos t, -sin t], [sin t, cos t]], a nilpotent
// [[0, a], [0, 0]] -> [[1, a], [0, 1]], a diagonal -> exp of the diagonal,
// and a 3 x 3 Jordan block J(1) -> e [[1, 1, 1/2], [0, 1, 1], [0, 0, 1]].
// f32 in and out; one copy goes through f64 (frond.cast) to cover that path.
//
//===----------------------------------------------------------------------===//
#include "TestUtil.h"

#include "frond/Dialect/Frond/IR/FrondDialect.h"
#include "frond/JIT/Jit.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"

#include <cmath>

using namespace frond;

namespace {

// a: a batch of 2 x 2 matrices [n, 2, 2] in f32 and through f64;
// j: one 3 x 3 matrix (rank 2); q: [2, 1, 2, 2] (rank 4).
const char *kExpm = R"mlir(
func.func @expm_forward(%a: tensor<?x2x2xf32> {frond.name = "a"},
                        %j: tensor<3x3xf32> {frond.name = "j"},
                        %q: tensor<2x1x2x2xf32> {frond.name = "q"})
    -> (tensor<?x2x2xf32>, tensor<?x2x2xf32>, tensor<3x3xf32>, tensor<2x1x2x2xf32>)
    attributes {frond.outputs = ["head:a", "head:a64", "head:j", "head:q"]} {
  %ea = frond.expm %a : tensor<?x2x2xf32>
  %a64 = frond.cast %a : tensor<?x2x2xf32> -> tensor<?x2x2xf64>
  %e64 = frond.expm %a64 : tensor<?x2x2xf64>
  %ea64 = frond.cast %e64 : tensor<?x2x2xf64> -> tensor<?x2x2xf32>
  %ej = frond.expm %j : tensor<3x3xf32>
  %eq = frond.expm %q : tensor<2x1x2x2xf32>
  return %ea, %ea64, %ej, %eq : tensor<?x2x2xf32>, tensor<?x2x2xf32>, tensor<3x3xf32>, tensor<2x1x2x2xf32>
}
)mlir";

using Matrix = std::vector<double>;

struct Case {
  Matrix a, expected;
};

Case rotation(double t) {
  return {{0, -t, t, 0}, {std::cos(t), -std::sin(t), std::sin(t), std::cos(t)}};
}

runtime::Tensor tensorOf(const std::vector<Matrix> &ms, std::vector<int64_t> shape) {
  runtime::Tensor t = runtime::Tensor::zeros(runtime::DType::F32, shape);
  size_t i = 0;
  for (const Matrix &m : ms)
    for (double v : m)
      t.f32[i++] = float(v);
  return t;
}

/// |got - want| <= tol * max(1, |want|) per element, with the matrix index.
void expectClose(const runtime::Tensor &got, const std::vector<Matrix> &want, double tol,
                 const char *what) {
  size_t i = 0;
  for (size_t m = 0; m < want.size(); ++m)
    for (double w : want[m]) {
      EXPECT_NEAR(got.f32[i], w, tol * std::max(1.0, std::abs(w)))
          << what << ": matrix " << m << ", element " << i % want[m].size();
      ++i;
    }
}

TEST(Expm, ClosedFormsAcrossNorms) {
  mlir::MLIRContext ctx;
  ctx.loadDialect<mlir::frond::FrondDialect, mlir::func::FuncDialect>();
  std::string error;
  auto cm = jit::CompiledModel::compile(mlir::parseSourceString<mlir::ModuleOp>(kExpm, &ctx),
                                        error, {});
  ASSERT_TRUE(cm) << error;

  // 1-norms 0.1, 0.5 (no squaring), 3, 100, 1000 and 31 (diagonal).
  std::vector<Case> cases = {rotation(0.1), rotation(0.5), rotation(3.0), rotation(100.0),
                             {{0, 1000, 0, 0}, {1, 1000, 0, 1}},
                             {{-20, 0, 0, 1.5}, {std::exp(-20.0), 0, 0, std::exp(1.5)}}};
  std::vector<Matrix> as, want;
  for (const Case &c : cases)
    as.push_back(c.a), want.push_back(c.expected);
  const double e = std::exp(1.0);
  Matrix jordan = {1, 1, 0, 0, 1, 1, 0, 0, 1};
  Matrix expJordan = {e, e, e / 2, 0, e, e, 0, 0, e};

  runtime::Tensor a = tensorOf(as, {int64_t(as.size()), 2, 2});
  runtime::Tensor j = tensorOf({jordan}, {3, 3});
  runtime::Tensor q = tensorOf({as[2], as[3]}, {2, 1, 2, 2});
  std::vector<runtime::Tensor> outs;
  ASSERT_TRUE(cm->run({&a, &j, &q}, outs, error)) << error;
  ASSERT_EQ(outs.size(), 4u);
  // f32: a few ulps, times the squarings (rotation by 100 rad: 2^8 of them
  // amplify the rounding of cos/sin of 100 / 2^8).
  expectClose(outs[0], want, 2e-5, "f32");
  expectClose(outs[1], want, 1e-6, "f64");
  expectClose(outs[2], {expJordan}, 1e-6, "jordan");
  expectClose(outs[3], {want[2], want[3]}, 2e-5, "rank 4");
}

} // namespace
