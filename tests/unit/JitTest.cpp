//===- JitTest.cpp - the JIT's in-memory and on-disk caches --------------===//
//
// A small frond function (y = x + x, loss = sum-free: y itself) compiled
// twice: in one process the second compile is the same CompiledModel; with
// the first one gone, the second comes from the disk cache and computes the
// same numbers. Also: results sharing a buffer, a gradient, and a
// ResidentCall (arguments kept between calls, frond/JIT/ResidentCall.h).
//
//===----------------------------------------------------------------------===//
#include "TestUtil.h"

#include "frond/Dialect/Frond/IR/FrondDialect.h"
#include "frond/JIT/Jit.h"
#include "frond/JIT/ResidentCall.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"

#include <filesystem>

using namespace frond;

namespace {

const char *kDouble = R"mlir(
func.func @twice_forward(%x: tensor<?x4xf32> {frond.name = "x"}) -> tensor<?x4xf32>
    attributes {frond.outputs = ["head:y"]} {
  %y = frond.binary add %x, %x : (tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<?x4xf32>
  return %y : tensor<?x4xf32>
}
)mlir";

mlir::OwningOpRef<mlir::ModuleOp> parse(mlir::MLIRContext &ctx, const char *text) {
  ctx.loadDialect<mlir::frond::FrondDialect, mlir::func::FuncDialect>();
  return mlir::parseSourceString<mlir::ModuleOp>(text, &ctx);
}

/// Runs `cm` on x = [[0, 1, 2, 3], [4, 5, 6, 7]] and returns y.
std::vector<float> runOnRamp(jit::CompiledModel &cm) {
  runtime::Tensor x = runtime::Tensor::zeros(runtime::DType::F32, {2, 4});
  for (int i = 0; i < 8; ++i)
    x.f32[size_t(i)] = float(i);
  std::vector<runtime::Tensor> outs;
  std::string error;
  EXPECT_TRUE(cm.run({&x}, outs, error)) << error;
  return outs.empty() ? std::vector<float>{} : outs[0].f32;
}

const std::vector<float> kExpected = {0, 2, 4, 6, 8, 10, 12, 14};

TEST(Jit, SecondCompileInOneProcessIsTheSameModel) {
  mlir::MLIRContext ctx;
  std::string error;
  jit::CompileReport first, second;
  auto a = jit::CompiledModel::compile(parse(ctx, kDouble), error, {}, &first);
  ASSERT_TRUE(a) << error;
  auto b = jit::CompiledModel::compile(parse(ctx, kDouble), error, {}, &second);
  ASSERT_TRUE(b) << error;
  EXPECT_EQ(first.source, jit::CompileReport::Compiled);
  EXPECT_EQ(second.source, jit::CompileReport::MemoryCache);
  EXPECT_EQ(a.get(), b.get());
  EXPECT_EQ(first.key, second.key);
  EXPECT_EQ(runOnRamp(*b), kExpected);
}

TEST(Jit, DiskCacheServesALaterCompile) {
  test::TempDir dir("frond-jit-cache");
  jit::CompileOptions options;
  options.cacheDir = (dir.path / "jit").string();
  options.optLevel = 1; // a key of its own, apart from the other test's
  std::string error;
  jit::CompileReport first, second;
  {
    mlir::MLIRContext ctx;
    auto a = jit::CompiledModel::compile(parse(ctx, kDouble), error, options, &first);
    ASSERT_TRUE(a) << error;
    EXPECT_EQ(runOnRamp(*a), kExpected);
  } // the model is gone: no in-memory hit below
  EXPECT_EQ(first.source, jit::CompileReport::Compiled);
  EXPECT_TRUE(first.note.empty()) << first.note;
  ASSERT_TRUE(std::filesystem::exists(first.entry)) << first.entry;

  mlir::MLIRContext ctx;
  auto b = jit::CompiledModel::compile(parse(ctx, kDouble), error, options, &second);
  ASSERT_TRUE(b) << error;
  EXPECT_EQ(second.source, jit::CompileReport::DiskCache);
  EXPECT_EQ(second.entry, first.entry);
  EXPECT_EQ(second.pipelineSec, 0.0);
  EXPECT_EQ(runOnRamp(*b), kExpected);
}

// f64 arguments and results are passed as doubles, not truncated.
TEST(Jit, F64ArgumentsAndResults) {
  std::string text = kDouble;
  for (size_t p = text.find("f32"); p != std::string::npos; p = text.find("f32", p))
    text.replace(p, 3, "f64");
  mlir::MLIRContext ctx;
  std::string error;
  auto cm = jit::CompiledModel::compile(parse(ctx, text.c_str()), error);
  ASSERT_TRUE(cm) << error;
  EXPECT_EQ(cm->arguments()[0].dtype, runtime::DType::F64);
  EXPECT_EQ(cm->results()[0].dtype, runtime::DType::F64);
  runtime::Tensor x = runtime::Tensor::zeros(runtime::DType::F64, {1, 4});
  x.f64 = {1.0 / 3.0, 1e-300, -1e300, 0.1};
  std::vector<runtime::Tensor> outs;
  ASSERT_TRUE(cm->run({&x}, outs, error)) << error;
  ASSERT_EQ(outs.size(), 1u);
  EXPECT_EQ(outs[0].f64, (std::vector<double>{2.0 / 3.0, 2e-300, -2e300, 0.2}));
  // An f32 tensor for an f64 argument is an error that names both.
  runtime::Tensor y = runtime::Tensor::zeros(runtime::DType::F32, {1, 4});
  EXPECT_FALSE(cm->run({&y}, outs, error));
  EXPECT_NE(error.find("must be a rank-2 f64 tensor, got f32 [1, 4]"), std::string::npos) << error;
}

TEST(Jit, OptionsChangeTheKey) {
  mlir::MLIRContext ctx;
  std::string error;
  jit::CompileOptions o2, o3;
  o3.optLevel = 3;
  jit::CompileReport r2, r3;
  ASSERT_TRUE(jit::CompiledModel::compile(parse(ctx, kDouble), error, o2, &r2)) << error;
  ASSERT_TRUE(jit::CompiledModel::compile(parse(ctx, kDouble), error, o3, &r3)) << error;
  EXPECT_NE(r2.key, r3.key);
}

} // namespace

namespace {

const char *kSquare = R"mlir(
func.func @sq_forward(%x: tensor<?x3xf32> {frond.name = "x"},
                      %w: tensor<2x3xf32> {frond.name = "w", frond.trainable = true})
    -> tensor<f32> attributes {frond.outputs = ["loss"]} {
  %y = frond.linear %x, %w : (tensor<?x3xf32>, tensor<2x3xf32>) -> tensor<?x2xf32>
  %s = frond.binary mul %y, %y : (tensor<?x2xf32>, tensor<?x2xf32>) -> tensor<?x2xf32>
  %l = frond.reduce mean %s dims = [0, 1] : tensor<?x2xf32> -> tensor<f32>
  return %l : tensor<f32>
}
)mlir";

// loss = mean((x Wᵀ)²) over N·2 elements: dW = 2/(2N) Σ_n y_n x_nᵀ, by hand.
// One buffer returned as several results (a loss that is also a named
// loss, CSE'd zero gradients): every result reads it before it is freed.
const char *kShared = R"mlir(
func.func @shared_forward(%x: tensor<?x4xf32> {frond.name = "x"})
    -> (tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>)
    attributes {frond.outputs = ["head:a", "head:b", "head:c"]} {
  %y = frond.binary add %x, %x : (tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<?x4xf32>
  return %y, %y, %y : tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>
}
)mlir";

TEST(Jit, ResultsSharingABuffer) {
  mlir::MLIRContext ctx;
  std::string error;
  auto cm = jit::CompiledModel::compile(parse(ctx, kShared), error, {});
  ASSERT_TRUE(cm) << error;
  runtime::Tensor x = runtime::Tensor::zeros(runtime::DType::F32, {2, 4});
  for (int i = 0; i < 8; ++i)
    x.f32[size_t(i)] = float(i);
  std::vector<runtime::Tensor> outs;
  ASSERT_TRUE(cm->run({&x}, outs, error)) << error;
  ASSERT_EQ(outs.size(), 3u);
  for (const runtime::Tensor &t : outs)
    EXPECT_EQ(t.f32, kExpected);
}

TEST(Jit, GradientOfALinearSquareLoss) {
  mlir::MLIRContext ctx;
  std::string error;
  jit::CompileOptions options;
  options.gradient = true;
  auto cm = jit::CompiledModel::compile(parse(ctx, kSquare), error, options);
  ASSERT_TRUE(cm) << error;
  ASSERT_EQ(cm->results().size(), 2u);
  EXPECT_EQ(cm->results()[0].name, "loss");
  EXPECT_EQ(cm->results()[1].name, "grad:w");
  const int N = 4;
  runtime::Tensor x = runtime::Tensor::zeros(runtime::DType::F32, {N, 3});
  runtime::Tensor w = runtime::Tensor::zeros(runtime::DType::F32, {2, 3});
  for (int i = 0; i < N * 3; ++i)
    x.f32[size_t(i)] = float(i % 5) - 1.5f;
  for (int i = 0; i < 6; ++i)
    w.f32[size_t(i)] = 0.25f * float(i) - 0.5f;
  std::vector<runtime::Tensor> outs;
  ASSERT_TRUE(cm->run({&x, &w}, outs, error)) << error;
  double loss = 0, dw[2][3] = {};
  for (int n = 0; n < N; ++n)
    for (int o = 0; o < 2; ++o) {
      double y = 0;
      for (int i = 0; i < 3; ++i)
        y += double(x.f32[size_t(n * 3 + i)]) * w.f32[size_t(o * 3 + i)];
      loss += y * y / (2.0 * N);
      for (int i = 0; i < 3; ++i)
        dw[o][i] += 2.0 * y * x.f32[size_t(n * 3 + i)] / (2.0 * N);
    }
  EXPECT_NEAR(outs[0].f32[0], loss, 1e-5 * std::abs(loss));
  for (int o = 0; o < 2; ++o)
    for (int i = 0; i < 3; ++i) // tolerance: 1e-5 absolute + 1e-4 relative
      EXPECT_NEAR(outs[1].f32[size_t(o * 3 + i)], dw[o][i], 1e-5 + 1e-4 * std::abs(dw[o][i]));
}

} // namespace

// A ResidentCall keeps its arguments' buffers between calls: a call after
// set() sees the new value, one after a change through data() sees that,
// and values that do not fit the bound argument are refused.
TEST(ResidentCall, CallsSeeArgumentsSetBetweenThem) {
  mlir::MLIRContext ctx;
  std::string error;
  auto cm = jit::CompiledModel::compile(parse(ctx, kDouble), error, {});
  ASSERT_TRUE(cm) << error;
  runtime::Tensor x = runtime::Tensor::zeros(runtime::DType::F32, {2, 4});
  for (int i = 0; i < 8; ++i)
    x.f32[size_t(i)] = float(i);
  auto call = jit::ResidentCall::bind(cm, {&x}, error);
  ASSERT_TRUE(call) << error;
  EXPECT_EQ(call->describe(), "on the CPU");
  x.f32[0] = 100; // bound by copy: the call does not see the caller's tensor
  std::vector<runtime::Tensor> outs;
  ASSERT_TRUE(call->run(outs, error)) << error;
  EXPECT_EQ(outs.at(0).f32, kExpected);

  ASSERT_TRUE(call->set(0, x, error)) << error;
  ASSERT_TRUE(call->run(outs, error)) << error;
  EXPECT_EQ(outs.at(0).f32[0], 200.0f);
  EXPECT_EQ(outs.at(0).f32[7], 14.0f);

  static_cast<float *>(call->data(0))[7] = -1;
  ASSERT_TRUE(call->run(outs, error)) << error;
  EXPECT_EQ(outs.at(0).f32[7], -2.0f);

  runtime::Tensor wider = runtime::Tensor::zeros(runtime::DType::F32, {3, 4});
  EXPECT_FALSE(call->set(0, wider, error));
  EXPECT_EQ(error, "argument 'x' is bound as f32 [2, 4], got f32 [3, 4]");
  runtime::Tensor narrow = runtime::Tensor::zeros(runtime::DType::F32, {2, 3});
  EXPECT_FALSE(jit::ResidentCall::bind(cm, {&narrow}, error));
  EXPECT_EQ(error, "argument 'x' has shape [2, 3], but dimension 1 must be 4");
}
