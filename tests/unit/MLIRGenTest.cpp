//===- MLIRGenTest.cpp - graphs built by hand, lowered to frond MLIR ------===//
//
// Each test records a small model graph the way sema does (see
// lang/include/frond/lang/Graph.h), lowers it with frond::mlirGen and checks
// that the module verifies and holds the expected ops, types and source
// locations, or that a malformed graph is reported at the right node.
//
//===----------------------------------------------------------------------===//
#include "frond/MLIRGen/MLIRGen.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OperationSupport.h"
#include "llvm/Support/raw_ostream.h"

#include <gtest/gtest.h>

using namespace frond;
using graph::Graph;
using graph::Node;

namespace {

Dim sym(const char *name) { return Dim{name, -1}; }
Dim known(long long n) { return Dim{"", n}; }

/// Appends nodes with a location on a fresh line of "model.spec" each.
struct Recorder {
  Graph g;
  std::shared_ptr<const std::string> file =
      std::make_shared<const std::string>("model.spec");
  unsigned line = 1;

  int add(Graph &into, std::string op, std::vector<int> operands, Shape shape,
          std::string dtype, std::map<std::string, Value> attrs = {},
          std::string name = "") {
    Node n;
    n.op = std::move(op);
    n.operands = std::move(operands);
    n.shape = std::move(shape);
    n.dtype = std::move(dtype);
    n.attrs = std::move(attrs);
    n.name = std::move(name);
    n.loc = Loc{file, line++, 3};
    return into.add(std::move(n));
  }
  int add(std::string op, std::vector<int> operands, Shape shape,
          std::string dtype, std::map<std::string, Value> attrs = {},
          std::string name = "") {
    return add(g, std::move(op), std::move(operands), std::move(shape),
               std::move(dtype), std::move(attrs), std::move(name));
  }
  /// The line the last added node is on.
  unsigned last() const { return line - 1; }
};

Value str(const char *s) { return Value::ofStr(s); }
Value num(double f) { return Value::ofFloat(f); }
Value ints(std::vector<long long> xs) {
  Value v;
  v.kind = Value::List;
  for (long long x : xs)
    v.list.push_back(Value::ofInt(x));
  return v;
}

/// A region graph: b, h, q, k (and s first for a score) as region_arg nodes.
struct Region {
  std::unique_ptr<Graph> g = std::make_unique<Graph>();
  int s = -1, b, h, q, k;
  Region(Recorder &r, bool score) {
    int i = 0;
    if (score)
      s = r.add(*g, "region_arg", {}, {}, "float", {{"index", Value::ofInt(i++)}});
    b = r.add(*g, "region_arg", {}, {}, "index", {{"index", Value::ofInt(i++)}});
    h = r.add(*g, "region_arg", {}, {}, "index", {{"index", Value::ofInt(i++)}});
    q = r.add(*g, "region_arg", {}, {}, "index", {{"index", Value::ofInt(i++)}});
    k = r.add(*g, "region_arg", {}, {}, "index", {{"index", Value::ofInt(i++)}});
  }
};

/// embedding -> layer_norm -> linear -> heads -> attention(mask) ->
/// merge -> linear head -> cross_entropy, with `mask` as the mask region.
struct Model {
  Recorder r;
  int tokens, attention, logits, loss;
  ModelInstance m;

  explicit Model(std::function<std::unique_ptr<Graph>(Recorder &)> mask,
                 std::vector<int> captures = {}) {
    m.name = "gpt";
    Shape bt = {sym("b"), sym("t")};
    Shape btd = {sym("b"), sym("t"), known(64)};
    tokens = r.add("input", {}, bt, "int", {}, "tokens");
    int extra = -1;
    if (!captures.empty()) // captures[0] == 1: a per-sample src_len input
      extra = r.add("input", {}, {sym("b")}, "int", {}, "src_len");
    int table = r.add("param", {}, {known(97), known(64)}, "float", {}, "tok");
    int lnw = r.add("param", {}, {known(64)}, "float", {}, "ln.weight");
    int lnb = r.add("param", {}, {known(64)}, "float", {}, "ln.bias");
    int wq = r.add("param", {}, {known(64), known(64)}, "float", {}, "attn.wq");
    int emb = r.add("embedding", {tokens, table}, btd, "float");
    int ln = r.add("layer_norm", {emb, lnw, lnb}, btd, "float", {{"eps", num(1e-5)}});
    int q = r.add("linear", {ln, wq, -1}, btd, "float");
    int qh = r.add("split_heads", {q}, {sym("b"), sym("t"), known(4), known(16)},
                   "float", {{"heads", Value::ofInt(4)}});
    Shape bhtd = {sym("b"), known(4), sym("t"), known(16)};
    int qt = r.add("transpose", {qh}, bhtd, "float",
                   {{"permutation", ints({0, 2, 1, 3})}});
    std::vector<int> ops = {qt, qt, qt};
    if (extra >= 0)
      ops.push_back(extra);
    Node att;
    att.op = "attention";
    att.operands = ops;
    att.shape = bhtd;
    att.dtype = "float";
    att.attrs = {{"kind", str("softmax")}, {"scale", num(0.25)}};
    att.loc = Loc{r.file, r.line++, 3};
    att.regions.push_back(mask(r));
    attention = r.g.add(std::move(att));
    int ot = r.add("transpose", {attention},
                   {sym("b"), sym("t"), known(4), known(16)}, "float",
                   {{"permutation", ints({0, 2, 1, 3})}});
    int om = r.add("merge_heads", {ot}, btd, "float");
    logits = r.add("linear", {om, table}, {sym("b"), sym("t"), known(97)},
                   "float");
    loss = r.add("cross_entropy", {logits, tokens}, {}, "float",
                 {{"shift", Value::ofBool(true)}});
    r.g.outputs = {{"head:logits", logits}, {"loss:lm", loss}, {"loss", loss}};
  }
};

std::unique_ptr<Graph> causal(Recorder &r) {
  Region reg(r, /*score=*/false);
  int le = r.add(*reg.g, "compare", {reg.k, reg.q}, {}, "bool", {{"kind", str("le")}});
  r.add(*reg.g, "yield", {le}, {}, "bool");
  return std::move(reg.g);
}

std::string print(mlir::ModuleOp module) {
  std::string out;
  llvm::raw_string_ostream os(out);
  // Local scope prints locations inline rather than as #loc aliases.
  module->print(
      os, mlir::OpPrintingFlags().enableDebugInfo(true, false).useLocalScope());
  return out;
}

std::string messages(const DiagEngine &d) {
  std::string out;
  for (const Diagnostic &x : d.all())
    out += x.loc.str() + ": " + x.message + "\n";
  return out;
}

/// `g` lowered as model `name` and printed; "" with the diagnostics in
/// `why` when MLIRGen fails.
std::string lowered(const Graph &g, const char *name, std::string &why) {
  ModelInstance mi;
  mi.name = name;
  mlir::MLIRContext ctx;
  DiagEngine diags;
  auto module = mlirGen(ctx, g, mi, diags);
  if (!module) {
    why = messages(diags);
    return "";
  }
  return print(*module);
}

#define EXPECT_HAS(text, needle)                                               \
  EXPECT_NE((text).find(needle), std::string::npos)                            \
      << "missing: " << (needle) << "\nin:\n"                                  \
      << (text)

TEST(MLIRGen, TransformerLayer) {
  Model model(causal);
  mlir::MLIRContext ctx;
  DiagEngine diags;
  auto module = mlirGen(ctx, model.r.g, model.m, diags);
  ASSERT_TRUE(module) << messages(diags);
  EXPECT_FALSE(diags.hasErrors());
  std::string ir = print(*module);
  EXPECT_HAS(ir, "func.func @gpt_forward(%arg0: tensor<?x?xi64> {frond.name = "
                 "\"tokens\"} loc(\"model.spec\":1:3), %arg1: tensor<97x64xf32> "
                 "{frond.name = \"tok\", frond.trainable = true}");
  EXPECT_HAS(ir, "{frond.name = \"attn.wq\", frond.trainable = true}");
  EXPECT_HAS(ir, "-> (tensor<?x?x97xf32>, tensor<f32>, tensor<f32>)");
  EXPECT_HAS(ir, "frond.outputs = [\"head:logits\", \"loss:lm\", \"loss\"]");
  EXPECT_HAS(ir, "frond.embedding %arg0, %arg1 : (tensor<?x?xi64>, "
                 "tensor<97x64xf32>) -> tensor<?x?x64xf32> loc(\"model.spec\":6:3)");
  EXPECT_HAS(ir, "frond.layer_norm %0 weight %arg2 bias %arg3 eps = 1.000000e-05");
  EXPECT_HAS(ir, "frond.linear %1, %arg4 : (tensor<?x?x64xf32>, "
                 "tensor<64x64xf32>) -> tensor<?x?x64xf32>");
  EXPECT_HAS(ir, "frond.split_heads %2 heads = 4");
  EXPECT_HAS(ir, "frond.transpose %3 permutation = [0, 2, 1, 3] : "
                 "tensor<?x?x4x16xf32> -> tensor<?x4x?x16xf32>");
  EXPECT_HAS(ir, "frond.attention softmax %4, %4, %4 scale = 2.500000e-01 : "
                 "tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32>, "
                 "tensor<?x4x?x16xf32> -> tensor<?x4x?x16xf32> mask {");
  EXPECT_HAS(ir, "^bb0(%b: index loc(\"model.spec\":12:3), %h: index");
  EXPECT_HAS(ir, "arith.cmpi sle, %k, %q : index loc(\"model.spec\":16:3)");
  EXPECT_HAS(ir, "frond.yield %10 : i1 loc(\"model.spec\":17:3)");
  EXPECT_HAS(ir, "frond.merge_heads");
  EXPECT_HAS(ir, "frond.cross_entropy %8, %arg0 {shift} : (tensor<?x?x97xf32>, "
                 "tensor<?x?xi64>) -> tensor<f32> loc(\"model.spec\":21:3)");
  EXPECT_HAS(ir, "return %8, %9, %9 : tensor<?x?x97xf32>, tensor<f32>, tensor<f32>");
}

TEST(MLIRGen, PrefixMaskCapturesPerSampleLength) {
  // mask prefix_lm(b, h, q, k, src_len) = k <= q or k < src_len[b]
  Model model(
      [](Recorder &r) {
        Region reg(r, false);
        int len = r.add(*reg.g, "capture", {}, {sym("b")}, "int",
                        {{"index", Value::ofInt(0)}});
        int le = r.add(*reg.g, "compare", {reg.k, reg.q}, {}, "bool", {{"kind", str("le")}});
        int at = r.add(*reg.g, "extract", {len, reg.b}, {}, "int");
        int lt = r.add(*reg.g, "compare", {reg.k, at}, {}, "bool", {{"kind", str("lt")}});
        int any = r.add(*reg.g, "binary", {le, lt}, {}, "bool", {{"kind", str("or")}});
        r.add(*reg.g, "yield", {any}, {}, "bool");
        return std::move(reg.g);
      },
      {1});
  mlir::MLIRContext ctx;
  DiagEngine diags;
  auto module = mlirGen(ctx, model.r.g, model.m, diags);
  ASSERT_TRUE(module) << messages(diags);
  std::string ir = print(*module);
  EXPECT_HAS(ir, "%arg1: tensor<?xi64> {frond.name = \"src_len\"}");
  EXPECT_HAS(ir, "captures(%arg1 : tensor<?xi64>)");
  EXPECT_HAS(ir, "%k: index loc(\"model.spec\":16:3), %cap: tensor<?xi64>");
  EXPECT_HAS(ir, "tensor.extract %cap[%b] : tensor<?xi64>");
  // index meets i64: the index is cast (Graph.h's convention).
  EXPECT_HAS(ir, "%11 = arith.index_cast %k : index to i64");
  EXPECT_HAS(ir, "arith.cmpi slt, %11, %extracted : i64");
  EXPECT_HAS(ir, "arith.ori");
}

TEST(MLIRGen, AlibiScoreRegion) {
  // score alibi(s, b, h, q, k, slopes) = s - slopes[h] * (q - k)
  Recorder r;
  Shape bhtd = {sym("b"), known(4), sym("t"), known(16)};
  int q = r.add("input", {}, bhtd, "float", {}, "q");
  int slopes = r.add("param", {}, {known(4)}, "float", {}, "slopes");
  Region reg(r, /*score=*/true);
  int sl = r.add(*reg.g, "capture", {}, {known(4)}, "float", {{"index", Value::ofInt(0)}});
  int d = r.add(*reg.g, "binary", {reg.q, reg.k}, {}, "index", {{"kind", str("sub")}});
  int df = r.add(*reg.g, "cast", {d}, {}, "float");
  int m = r.add(*reg.g, "extract", {sl, reg.h}, {}, "float");
  int bias = r.add(*reg.g, "binary", {m, df}, {}, "float", {{"kind", str("mul")}});
  int out = r.add(*reg.g, "binary", {reg.s, bias}, {}, "float", {{"kind", str("sub")}});
  r.add(*reg.g, "yield", {out}, {}, "float");
  Node att;
  att.op = "attention";
  att.operands = {q, q, q, -1, slopes}; // absent metric as -1
  att.shape = bhtd;
  att.dtype = "float";
  att.attrs = {{"kind", str("softmax")}, {"scale", Value::ofInt(1)},
               {"kv_source", Value::ofBool(false)}};
  att.loc = Loc{r.file, 20, 7};
  att.regions.push_back(std::make_unique<Graph>()); // no mask
  att.regions.push_back(std::move(reg.g));
  int a = r.g.add(std::move(att));
  r.g.outputs = {{"head:out", a}};
  std::string why, ir = lowered(r.g, "alibi", why);
  ASSERT_FALSE(ir.empty()) << why;
  EXPECT_HAS(ir, "captures(%arg1 : tensor<4xf32>)");
  EXPECT_HAS(ir, "-> tensor<?x4x?x16xf32> score {");
  EXPECT_HAS(ir, "%cap: tensor<4xf32> loc(\"model.spec\":20:7)");
  EXPECT_HAS(ir, "} loc(\"model.spec\":20:7)");
  EXPECT_EQ(ir.find("mask {"), std::string::npos) << ir;
  EXPECT_HAS(ir, "arith.subi %q, %k : index");
  EXPECT_HAS(ir, "arith.index_cast %1 : index to i64");
  EXPECT_HAS(ir, "arith.sitofp %2 : i64 to f32");
  EXPECT_HAS(ir, "tensor.extract %cap[%h] : tensor<4xf32>");
  EXPECT_HAS(ir, "arith.mulf");
  EXPECT_HAS(ir, "arith.subf %s, ");
  EXPECT_HAS(ir, "frond.yield %5 : f32");
}

TEST(MLIRGen, PositionsSegmentAndConstants) {
  Recorder r;
  Shape bt = {sym("b"), sym("t")};
  int ids = r.add("input", {}, bt, "int", {}, "tokens");
  int len = r.add("input", {}, {sym("b")}, "int", {}, "src_len");
  int pos = r.add("positions", {ids, len}, bt, "int");
  int plain = r.add("positions", {ids}, bt, "int");
  int three = r.add("constant", {}, {}, "int", {{"value", Value::ofInt(3)}});
  int seg = r.add("segment", {ids, three}, bt, "int");
  int x = r.add("cast", {pos}, bt, "float");
  int half = r.add("constant", {}, {}, "int", {{"value", Value::ofInt(2)}});
  int y = r.add("binary", {x, half}, bt, "float", {{"kind", str("div")}});
  r.g.outputs = {{"head:pos", pos}, {"head:plain", plain}, {"head:seg", seg},
                 {"head:y", y}};
  std::string why, ir = lowered(r.g, "pos", why);
  ASSERT_FALSE(ir.empty()) << why;
  EXPECT_HAS(ir, "tensor.dim %arg0, %c0");
  EXPECT_HAS(ir, "frond.iota dim = 1 sizes(");
  EXPECT_HAS(ir, "tensor.expand_shape %arg1 [[0, 1]] output_shape [");
  EXPECT_HAS(ir, "frond.compare ge");
  EXPECT_HAS(ir, "frond.binary sub");
  EXPECT_HAS(ir, "frond.select");
  EXPECT_HAS(ir, "arith.constant dense<3> : tensor<i64>");
  EXPECT_HAS(ir, "frond.cast %");
  // The int constant divides a float tensor: it is re-typed, not cast.
  EXPECT_HAS(ir, "arith.constant dense<2.000000e+00> : tensor<f32> loc(\"model.spec\":8:3)");
  EXPECT_HAS(ir, "frond.binary div");
}

TEST(MLIRGen, IndexingSqueezeAndIntegerResults) {
  Recorder r;
  int x = r.add("input", {}, {sym("b"), sym("t"), known(8)}, "float", {}, "x");
  int ids = r.add("input", {}, {sym("b"), sym("t")}, "int", {}, "ids");
  // x[:, -1] = slice then squeeze; then unsqueeze(…, 0) and dropout.
  int last = r.add("slice", {x, -1, -1}, {sym("b"), known(1), known(8)}, "float",
                   {{"dim", Value::ofInt(1)}, {"static_start", Value::ofInt(-1)}});
  int sq = r.add("squeeze", {last}, {sym("b"), known(8)}, "float", {{"dim", Value::ofInt(1)}});
  int un = r.add("unsqueeze", {sq}, {known(1), sym("b"), known(8)}, "float",
                 {{"dim", Value::ofInt(0)}});
  int drop = r.add("dropout", {un}, {known(1), sym("b"), known(8)}, "float",
                   {{"p", num(0.1)}});
  int i0 = r.add("constant", {}, {}, "index", {{"value", Value::ofInt(0)}});
  int i2 = r.add("constant", {}, {}, "index", {{"value", Value::ofInt(2)}});
  int elem = r.add("extract", {sq, i0, i2}, {}, "float");
  // -ids and ids // 2 have integer results of float-only ops.
  int neg = r.add("unary", {ids}, {sym("b"), sym("t")}, "int", {{"kind", str("neg")}});
  int two = r.add("constant", {}, {}, "int", {{"value", Value::ofInt(2)}});
  int div = r.add("binary", {ids, two}, {sym("b"), sym("t")}, "float", {{"kind", str("div")}});
  int fl = r.add("unary", {div}, {sym("b"), sym("t")}, "int", {{"kind", str("floor")}});
  r.g.outputs = {{"head:drop", drop}, {"head:elem", elem}, {"head:neg", neg},
                 {"head:floor", fl}};
  std::string why, ir = lowered(r.g, "shapes", why);
  ASSERT_FALSE(ir.empty()) << why;
  EXPECT_HAS(ir, "frond.slice %arg0[-1 : ] dim = 1 : (tensor<?x?x8xf32>) -> tensor<?x1x8xf32>");
  EXPECT_HAS(ir, "tensor.collapse_shape %0 [[0], [1, 2]] : tensor<?x1x8xf32> into tensor<?x8xf32>");
  EXPECT_HAS(ir, "tensor.expand_shape %collapsed [[0, 1], [2]] output_shape [1, %dim, 8] : "
                 "tensor<?x8xf32> into tensor<1x?x8xf32>");
  EXPECT_EQ(ir.find("dropout"), std::string::npos) << ir;
  EXPECT_HAS(ir, "tensor.extract %collapsed[%c0_0, %c2] : tensor<?x8xf32>");
  EXPECT_EQ(ir.find("tensor<index>"), std::string::npos) << ir;
  EXPECT_HAS(ir, "tensor.from_elements");
  EXPECT_HAS(ir, "frond.unary neg %1 : tensor<?x?xf32>");
  EXPECT_HAS(ir, "frond.unary floor");
  EXPECT_HAS(ir, "-> (tensor<1x?x8xf32>, tensor<f32>, tensor<?x?xi64>, tensor<?x?xi64>)");
}

TEST(MLIRGen, TiedParametersShareAnArgument) {
  Recorder r;
  int ids = r.add("input", {}, {sym("b"), sym("t")}, "int", {}, "tokens");
  int tok = r.add("param", {}, {known(97), known(16)}, "float", {}, "tok.weight");
  int emb = r.add("embedding", {ids, tok}, {sym("b"), sym("t"), known(16)}, "float");
  int head = r.add("param", {}, {known(97), known(16)}, "float", {}, "logits.weight");
  int logits = r.add("linear", {emb, head, -1}, {sym("b"), sym("t"), known(97)}, "float");
  r.g.outputs = {{"head:logits", logits}};
  ModelInstance mi;
  mi.name = "tied";
  mi.params.push_back({"tok.weight", {known(97), known(16)}, 1552, "embedding"});
  ParamInfo tied{"logits.weight", {known(97), known(16)}, 0, "head"};
  tied.tiedTo = "tok.weight";
  mi.params.push_back(tied);
  mlir::MLIRContext ctx;
  DiagEngine diags;
  auto module = mlirGen(ctx, r.g, mi, diags);
  ASSERT_TRUE(module) << messages(diags);
  std::string ir = print(*module);
  EXPECT_EQ(ir.find("logits.weight"), std::string::npos) << ir;
  EXPECT_HAS(ir, "frond.linear %0, %arg1 : (tensor<?x?x16xf32>, tensor<97x16xf32>)");
}

TEST(MLIRGen, UnknownOpIsReportedAtItsNode) {
  Recorder r;
  int x = r.add("input", {}, {sym("b"), known(8)}, "float", {}, "x");
  int y = r.add("frobnicate", {x}, {sym("b"), known(8)}, "float");
  r.g.outputs = {{"head:y", y}};
  ModelInstance mi;
  mi.name = "bad";
  mlir::MLIRContext ctx;
  DiagEngine diags;
  EXPECT_FALSE(mlirGen(ctx, r.g, mi, diags));
  ASSERT_EQ(diags.errorCount(), 1u) << messages(diags);
  EXPECT_EQ(diags.all()[0].loc.line, 2u);
  EXPECT_HAS(diags.all()[0].message, "no op 'frond.frobnicate'");
}

TEST(MLIRGen, UnknownKindListsTheKinds) {
  Recorder r;
  int x = r.add("input", {}, {known(8)}, "float", {}, "x");
  int y = r.add("unary", {x}, {known(8)}, "float", {{"kind", str("sine")}});
  r.g.outputs = {{"head:y", y}};
  ModelInstance mi;
  mlir::MLIRContext ctx;
  DiagEngine diags;
  EXPECT_FALSE(mlirGen(ctx, r.g, mi, diags));
  ASSERT_EQ(diags.errorCount(), 1u);
  EXPECT_HAS(diags.all()[0].message, "unknown kind 'sine' (expected neg, exp,");
}

TEST(MLIRGen, VerifierErrorsPointAtTheNode) {
  Recorder r;
  int x = r.add("input", {}, {sym("b"), known(64)}, "float", {}, "x");
  int w = r.add("param", {}, {known(32), known(48)}, "float", {}, "w");
  int y = r.add("linear", {x, w}, {sym("b"), known(32)}, "float");
  r.g.outputs = {{"head:y", y}};
  ModelInstance mi;
  mi.name = "m";
  mlir::MLIRContext ctx;
  DiagEngine diags;
  EXPECT_FALSE(mlirGen(ctx, r.g, mi, diags));
  ASSERT_EQ(diags.errorCount(), 1u) << messages(diags);
  EXPECT_EQ(diags.all()[0].loc.line, 3u);
  EXPECT_EQ(*diags.all()[0].loc.file, "model.spec");
  EXPECT_HAS(diags.all()[0].message, "does not verify: 'frond.linear' op");
}

TEST(MLIRGen, RegionWithoutYield) {
  Model model([](Recorder &r) {
    Region reg(r, false);
    r.add(*reg.g, "compare", {reg.k, reg.q}, {}, "bool", {{"kind", str("le")}});
    return std::move(reg.g);
  });
  mlir::MLIRContext ctx;
  DiagEngine diags;
  EXPECT_FALSE(mlirGen(ctx, model.r.g, model.m, diags));
  ASSERT_EQ(diags.errorCount(), 1u);
  EXPECT_HAS(diags.all()[0].message, "mask region has no 'yield'");
  EXPECT_EQ(diags.all()[0].loc.line, model.r.g.nodes[model.attention].loc.line);
}

TEST(MLIRGen, OperandMustComeFirst) {
  Recorder r;
  int x = r.add("input", {}, {known(8)}, "float", {}, "x");
  int y = r.add("unary", {x + 5}, {known(8)}, "float", {{"kind", str("exp")}});
  r.g.outputs = {{"head:y", y}};
  ModelInstance mi;
  mlir::MLIRContext ctx;
  DiagEngine diags;
  EXPECT_FALSE(mlirGen(ctx, r.g, mi, diags));
  ASSERT_EQ(diags.errorCount(), 1u);
  EXPECT_HAS(diags.all()[0].message, "operand node #5 is not defined");
}

} // namespace
