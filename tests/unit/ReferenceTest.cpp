//===- ReferenceTest.cpp - the libtorch reference against hand formulas --===//
//
// Small graphs built by hand, each checked against an independent direct
// formula (fp32, tolerance 1e-5 unless stated), then baseline.spec end to
// end: finite loss near ln(256) at small init, bit-identical across runs.
//
//===----------------------------------------------------------------------===//
#include "frond/lang/Loader.h"
#include "frond/reference/Reference.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

using namespace frond;
using namespace frond::reference;
using at::Tensor;

#ifndef FROND_SOURCE_DIR
#error "FROND_SOURCE_DIR must name the source tree (see tests/unit/CMakeLists.txt)"
#endif

namespace {

constexpr double kTol = 1e-5;

Value str(const char *s) { return Value::ofStr(s); }
Shape rank(size_t r) { return Shape(r, Dim{"", -1}); }

/// Builds a graph (or a region) node by node.
struct Builder {
  graph::Graph g;
  int add(std::string op, std::vector<int> ops = {},
          std::map<std::string, Value> attrs = {}, std::string dtype = "float",
          Shape shape = {}, std::string name = "") {
    graph::Node n;
    n.op = std::move(op);
    n.operands = std::move(ops);
    n.attrs = std::move(attrs);
    n.dtype = std::move(dtype);
    n.shape = std::move(shape);
    n.name = std::move(name);
    return g.add(std::move(n));
  }
  int input(const std::string &name, std::string dtype = "float", size_t r = 0) {
    return add("input", {}, {}, dtype, rank(r), name);
  }
  int param(const std::string &path) { return add("param", {}, {}, "float", {}, path); }
  void output(const std::string &name, int id) { g.outputs.push_back({name, id}); }
};

/// Runs `g` and returns output "out"; fails the test on a diagnostic.
Tensor run(const graph::Graph &g, const std::map<std::string, Tensor> &in,
           const ParamStore &ps = {}) {
  DiagEngine diags;
  Outputs out = runReference(g, in, ps, diags);
  EXPECT_FALSE(diags.hasErrors()) << diags.render();
  return out.count("out") ? out.at("out") : Tensor();
}

void expectClose(const Tensor &got, const Tensor &want, double tol = kTol) {
  ASSERT_TRUE(got.defined());
  ASSERT_EQ(got.sizes(), want.sizes());
  double err = (got.to(at::kDouble) - want.to(at::kDouble)).abs().max().item<double>();
  EXPECT_LE(err, tol) << "max abs error " << err;
}

Tensor randn(std::vector<int64_t> s, uint64_t salt) {
  // Deterministic test data from the reference's own generator.
  Tensor t = at::empty(s, at::kFloat);
  for (int64_t i = 0; i < t.numel(); ++i)
    t.data_ptr<float>()[i] = float(normalAt(salt, "test", uint64_t(i)));
  return t;
}

/// A mask region over (b, h, q, k): `k <= q`.
std::unique_ptr<graph::Graph> causalRegion() {
  Builder r;
  int q = r.add("region_arg", {}, {{"index", Value::ofInt(2)}}, "index");
  int k = r.add("region_arg", {}, {{"index", Value::ofInt(3)}}, "index");
  r.add("yield", {r.add("compare", {k, q}, {{"kind", str("le")}}, "bool")}, {}, "bool");
  // region_arg 0/1 absent on purpose: indices are by attribute.
  return std::make_unique<graph::Graph>(std::move(r.g));
}

/// An attention node over inputs q, k, v (+ captures) with given regions.
Builder attentionGraph(std::unique_ptr<graph::Graph> mask,
                       std::unique_ptr<graph::Graph> score, double scale,
                       std::vector<std::string> captures = {},
                       const char *kind = "softmax") {
  Builder b;
  bool metric = std::string(kind) == "power_law";
  std::vector<int> ops = {b.input("q", "float", 4), b.input("k", "float", 4),
                          b.input("v", "float", 4),
                          metric ? b.input("metric", "float", 4) : -1};
  for (auto &c : captures)
    ops.push_back(b.input(c, c == "src_len" ? "int" : "float", 1));
  int a = b.add("attention", ops, {{"kind", str(kind)}, {"scale", Value::ofFloat(scale)}});
  b.g.nodes[a].regions.push_back(mask ? std::move(mask) : std::make_unique<graph::Graph>());
  b.g.nodes[a].regions.push_back(score ? std::move(score) : std::make_unique<graph::Graph>());
  b.output("out", a);
  return b;
}

/// softmax(q kᵀ · scale + bias) v with an additive bias [B|1, H|1, Tq, Tk].
Tensor naiveAttention(Tensor q, Tensor k, Tensor v, double scale, Tensor bias) {
  Tensor s = at::matmul(q, k.transpose(-2, -1)) * scale + bias;
  return at::matmul(at::softmax(s, -1), v);
}

Tensor causalBias(int64_t t) {
  return at::triu(at::full({t, t}, -INFINITY, at::kFloat), 1);
}

} // namespace

TEST(Reference, LinearThenLayerNorm) {
  Builder b;
  int x = b.input("x", "float", 3);
  int lin = b.add("linear", {x, b.param("w"), b.param("b")});
  int ln = b.add("layer_norm", {lin, b.param("g"), b.param("beta")}, {{"eps", Value::ofFloat(1e-5)}});
  b.output("out", ln);
  ParamStore ps;
  ps.tensors = {{"w", randn({5, 4}, 1)}, {"b", randn({5}, 2)},
                {"g", randn({5}, 3)}, {"beta", randn({5}, 4)}};
  Tensor in = randn({2, 3, 4}, 5);
  // y = x Wᵀ + b; (y - mean) / sqrt(biased var + eps) · g + beta.
  Tensor y = at::matmul(in, ps.tensors["w"].t()) + ps.tensors["b"];
  Tensor mean = y.mean(-1, true);
  Tensor var = (y - mean).square().mean(-1, true);
  Tensor want = (y - mean) / at::sqrt(var + 1e-5) * ps.tensors["g"] + ps.tensors["beta"];
  expectClose(run(b.g, {{"x", in}}, ps), want);
}

TEST(Reference, CausalSoftmaxAttention) {
  Builder b = attentionGraph(causalRegion(), nullptr, 1.0 / std::sqrt(8.0));
  Tensor q = randn({2, 2, 5, 8}, 1), k = randn({2, 2, 5, 8}, 2), v = randn({2, 2, 5, 8}, 3);
  Tensor want = naiveAttention(q, k, v, 1.0 / std::sqrt(8.0), causalBias(5));
  expectClose(run(b.g, {{"q", q}, {"k", k}, {"v", v}}), want);
}

// Eager bf16 attention (the yardstick for bf16 attention tiles): every
// op's result rounded to bf16. Against the same maths done step by step
// on bf16 tensors (tolerance: one bf16 rounding of the output, 2^-8
// relative), and clearly away from f32 (the rounding is really there).
TEST(Reference, EagerBf16Attention) {
  Builder b = attentionGraph(causalRegion(), nullptr, 0.5);
  Tensor q = randn({1, 2, 6, 8}, 1), k = randn({1, 2, 6, 8}, 2), v = randn({1, 2, 6, 8}, 3);
  DiagEngine diags;
  Outputs out = runReference(b.g, {{"q", q}, {"k", k}, {"v", v}}, {}, diags, /*fp64=*/false,
                             at::kBFloat16);
  ASSERT_FALSE(diags.hasErrors()) << diags.render();
  auto bf = [](const Tensor &t) { return t.to(at::kBFloat16).to(at::kFloat); };
  Tensor s = bf(bf(at::matmul(bf(q), bf(k).transpose(-2, -1))) * 0.5) + causalBias(6);
  Tensor want = bf(at::matmul(bf(at::softmax(s, -1)), bf(v)));
  expectClose(out.at("out"), want, 1.0 / 256);
  double fromF32 = (out.at("out") - naiveAttention(q, k, v, 0.5, causalBias(6))).abs().max().item<double>();
  EXPECT_GT(fromF32, 1e-4) << "no bf16 rounding";
}

// The yardstick for tf32 matmul tiles: a linear layer's operands rounded
// to tf32 (to nearest, ties away: the bits plus 0x1000, the low 13
// cleared, done here element by element), the bias added after; the
// gradient reaching the product rounded too, so dW = r(dY)ᵀ r(x) and the
// bias gets dY unrounded. Tolerance 1e-5 (f32 sums in another order), and
// clearly away from f32 (the rounding is really there).
TEST(Reference, MatmulOperandsRoundedToTf32) {
  Builder b;
  int x = b.input("x", "float", 2);
  b.output("out", b.add("linear", {x, b.param("w"), b.param("b")}));
  ParamStore ps;
  ps.tensors = {{"w", randn({5, 16}, 1).requires_grad_()}, {"b", randn({5}, 2).requires_grad_()}};
  Tensor in = randn({3, 16}, 3), upstream = randn({3, 5}, 4);
  DiagEngine diags;
  Outputs out = runReference(b.g, {{"x", in}}, ps, diags, /*fp64=*/false, at::kFloat, "tf32");
  ASSERT_FALSE(diags.hasErrors()) << diags.render();
  (out.at("out") * upstream).sum().backward();

  auto tf32 = [](const Tensor &t) {
    Tensor r = t.detach().contiguous().clone();
    float *p = r.data_ptr<float>();
    for (int64_t i = 0; i < r.numel(); ++i) {
      uint32_t bits;
      std::memcpy(&bits, &p[i], 4);
      bits = (bits + 0x1000u) & 0xFFFFE000u;
      std::memcpy(&p[i], &bits, 4);
    }
    return r;
  };
  Tensor w = ps.tensors["w"].detach(), bias = ps.tensors["b"].detach();
  expectClose(out.at("out").detach(), at::matmul(tf32(in), tf32(w).t()) + bias);
  expectClose(ps.tensors["w"].grad(), at::matmul(tf32(upstream).t(), tf32(in)));
  expectClose(ps.tensors["b"].grad(), upstream.sum(0));
  double fromF32 = (out.at("out").detach() - (at::matmul(in, w.t()) + bias)).abs().max().item<double>();
  EXPECT_GT(fromF32, 1e-5) << "no tf32 rounding";
}

TEST(Reference, GroupedQueryAttention) {
  // Four query heads over two key/value heads: head i reads kv head i / 2.
  Builder b = attentionGraph(causalRegion(), nullptr, 0.25);
  Tensor q = randn({1, 4, 3, 16}, 1), k = randn({1, 2, 3, 16}, 2), v = randn({1, 2, 3, 16}, 3);
  std::vector<Tensor> heads;
  for (int64_t h = 0; h < 4; ++h)
    heads.push_back(naiveAttention(q.select(1, h), k.select(1, h / 2),
                                   v.select(1, h / 2), 0.25, causalBias(3)));
  expectClose(run(b.g, {{"q", q}, {"k", k}, {"v", v}}), at::stack(heads, 1));
}

TEST(Reference, PowerLawLinearAndAftKinds) {
  Tensor q = randn({2, 2, 4, 4}, 1), k = randn({2, 2, 4, 4}, 2), v = randn({2, 2, 4, 4}, 3);
  Tensor G = randn({2, 2, 4, 4}, 4);
  std::map<std::string, Tensor> in = {{"q", q}, {"k", k}, {"v", v}, {"metric", G}};
  // power_law: softmax(q G kᵀ · scale + causal) v.
  Builder pl = attentionGraph(causalRegion(), nullptr, 0.5, {}, "power_law");
  Tensor s = at::matmul(at::matmul(q, G), k.transpose(-2, -1)) * 0.5 + causalBias(4);
  expectClose(run(pl.g, in), at::matmul(at::softmax(s, -1), v));
  // linear: Σ_k m·s·v_k / Σ_k m·s, and relaxed_linear without the division.
  Tensor w = (at::matmul(q, k.transpose(-2, -1)) * 0.5) * at::tril(at::ones({4, 4}));
  Builder lin = attentionGraph(causalRegion(), nullptr, 0.5, {}, "linear");
  expectClose(run(lin.g, in), at::matmul(w, v) / w.sum(-1, true), 1e-4);
  Builder rel = attentionGraph(causalRegion(), nullptr, 0.5, {}, "relaxed_linear");
  expectClose(run(rel.g, in), at::matmul(w, v));
  // aft with a causal mask (Palm): scale · q ⊙ cumsum_t(k ⊙ v).
  Builder aft = attentionGraph(causalRegion(), nullptr, 0.5, {}, "aft");
  expectClose(run(aft.g, in), 0.5 * q * at::cumsum(k * v, 2));
}

TEST(Reference, PalmPrefixMaskAndPositions) {
  // The region palm.spec records: (q < S ∧ k < S) ∨ (q ≥ S ∧ k < S) ∨
  // (q ≥ S ∧ k ≥ S ∧ k ≤ q), with S = src_len[b] read by extract.
  Builder r;
  int bi = r.add("region_arg", {}, {{"index", Value::ofInt(0)}}, "index");
  int qi = r.add("region_arg", {}, {{"index", Value::ofInt(2)}}, "index");
  int ki = r.add("region_arg", {}, {{"index", Value::ofInt(3)}}, "index");
  int cap = r.add("capture", {}, {{"index", Value::ofInt(0)}}, "int", rank(1));
  auto S = [&] { return r.add("extract", {cap, bi}, {}, "int"); };
  auto cmp = [&](int a, int c, const char *kind) {
    return r.add("compare", {a, c}, {{"kind", str(kind)}}, "bool");
  };
  auto both = [&](int a, int c, const char *kind) {
    return r.add("binary", {a, c}, {{"kind", str(kind)}}, "bool");
  };
  int src = both(cmp(qi, S(), "lt"), cmp(ki, S(), "lt"), "and");
  int tgtSrc = both(cmp(qi, S(), "ge"), cmp(ki, S(), "lt"), "and");
  int tgtTgt = both(both(cmp(qi, S(), "ge"), cmp(ki, S(), "ge"), "and"), cmp(ki, qi, "le"), "and");
  r.add("yield", {both(both(src, tgtSrc, "or"), tgtTgt, "or")}, {}, "bool");
  Builder b = attentionGraph(std::make_unique<graph::Graph>(std::move(r.g)), nullptr,
                             1.0, {"src_len"});
  // SPE positions: t, restarting at src_len; segment: 0 source, 1 target.
  int len = -1;
  for (size_t i = 0; i < b.g.nodes.size(); ++i)
    if (b.g.nodes[i].name == "src_len")
      len = int(i);
  int ids = b.input("ids", "int", 2);
  b.output("pos", b.add("positions", {ids, len}, {}, "int", rank(2)));
  b.output("seg", b.add("segment", {ids, len}, {}, "int", rank(2)));

  // With q = k = 0 every visible key gets the same weight; v = one-hot keys
  // makes out[b, h, i, j] = 1/|visible(i)| if j is visible to i, else 0.
  const int64_t T = 5;
  Tensor srcLen = at::tensor({2, 4}, at::kLong);
  Tensor q = at::zeros({2, 1, T, 4}), k = at::zeros({2, 1, T, 4});
  Tensor v = at::eye(T).expand({2, 1, T, T}).contiguous();
  DiagEngine diags;
  Outputs out = runReference(b.g, {{"q", q}, {"k", k}, {"v", v}, {"src_len", srcLen},
                                   {"ids", at::zeros({2, T}, at::kLong)}},
                             {}, diags);
  ASSERT_FALSE(diags.hasErrors()) << diags.render();
  for (int64_t s = 0; s < 2; ++s) {
    int64_t S = srcLen[s].item<int64_t>();
    for (int64_t i = 0; i < T; ++i) {
      for (int64_t j = 0; j < T; ++j) {
        bool visible = (i < S && j < S) || (i >= S && j < S) || (i >= S && j >= S && j <= i);
        EXPECT_EQ(out["out"][s][0][i][j].item<float>() > 0, visible)
            << "sample " << s << " query " << i << " key " << j;
      }
      EXPECT_EQ(out["pos"][s][i].item<int64_t>(), i < S ? i : i - S);
      EXPECT_EQ(out["seg"][s][i].item<int64_t>(), i < S ? 0 : 1);
    }
  }
}

TEST(Reference, AlibiScore) {
  // score alibi(s, b, h, q, k, slopes) = s - slopes[h] * (q - k)
  Builder r;
  int s = r.add("region_arg", {}, {{"index", Value::ofInt(0)}});
  int h = r.add("region_arg", {}, {{"index", Value::ofInt(2)}}, "index");
  int qi = r.add("region_arg", {}, {{"index", Value::ofInt(3)}}, "index");
  int ki = r.add("region_arg", {}, {{"index", Value::ofInt(4)}}, "index");
  int slopes = r.add("capture", {}, {{"index", Value::ofInt(0)}}, "float", rank(1));
  int slope = r.add("extract", {slopes, h});
  int dist = r.add("cast", {r.add("binary", {qi, ki}, {{"kind", str("sub")}}, "int")});
  int pen = r.add("binary", {slope, dist}, {{"kind", str("mul")}});
  r.add("yield", {r.add("binary", {s, pen}, {{"kind", str("sub")}})});
  Builder b = attentionGraph(causalRegion(), std::make_unique<graph::Graph>(std::move(r.g)),
                             0.5, {"slopes"});
  Tensor q = randn({2, 2, 4, 4}, 1), k = randn({2, 2, 4, 4}, 2), v = randn({2, 2, 4, 4}, 3);
  Tensor sl = at::tensor({0.5f, 0.25f});
  Tensor i = at::arange(4).view({4, 1}), j = at::arange(4).view({1, 4});
  Tensor bias = causalBias(4) - sl.view({2, 1, 1}) * (i - j).to(at::kFloat);
  Tensor want = naiveAttention(q, k, v, 0.5, bias);
  expectClose(run(b.g, {{"q", q}, {"k", k}, {"v", v}, {"slopes", sl}}), want);
}

TEST(Reference, RopeLayouts) {
  // x = 1..8 (D = 8) at position 3, theta 10000: rotations by hand.
  const double p = 3, theta = 1e4;
  std::vector<double> x = {1, 2, 3, 4, 5, 6, 7, 8};
  auto rot = [&](const char *layout) {
    Builder b;
    int in = b.input("x", "float", 4), pos = b.input("pos", "int", 2);
    b.output("out", b.add("rope", {in, pos}, {{"layout", str(layout)},
                                               {"theta", Value::ofFloat(theta)},
                                               {"scale", Value::ofFloat(1.0)}}));
    Tensor xt = at::tensor(std::vector<float>(x.begin(), x.end())).view({1, 1, 1, 8});
    return run(b.g, {{"x", xt}, {"pos", at::full({1, 1}, int64_t(p), at::kLong)}}).view({8});
  };
  auto expect = [&](Tensor got, std::vector<double> want) {
    expectClose(got, at::tensor(std::vector<float>(want.begin(), want.end())), 2e-5);
  };
  std::vector<double> half(8), inter(8), trunc(8);
  for (int i = 0; i < 4; ++i) {
    double a = p * std::pow(theta, -2.0 * i / 8), c = std::cos(a), s = std::sin(a);
    half[i] = x[i] * c - x[i + 4] * s; // pairs (x_i, x_{i+4})
    half[i + 4] = x[i + 4] * c + x[i] * s;
    inter[2 * i] = x[2 * i] * c - x[2 * i + 1] * s; // pairs (x_2i, x_2i+1)
    inter[2 * i + 1] = x[2 * i + 1] * c + x[2 * i] * s;
    // truncated: ω = (1/theta)^linspace(0, 1, 2) ‖ (0, 0)
    double w = i < 2 ? std::pow(1 / theta, double(i)) : 0.0;
    double ct = std::cos(p * w), st = std::sin(p * w);
    trunc[i] = x[i] * ct + x[i + 4] * st;
    trunc[i + 4] = -x[i] * st + x[i + 4] * ct;
  }
  expect(rot("half"), half);
  expect(rot("interleaved"), inter);
  expect(rot("truncated"), trunc);
  EXPECT_EQ(trunc[2], x[2]); // the zero-frequency half is untouched
}

TEST(Reference, CrossEntropyShiftIgnoreSmoothing) {
  Tensor logits = at::tensor({1.0f, 2.0f, 0.5f, -1.0f, 0.0f, 3.0f, 2.0f, 2.0f, 2.0f, 0.3f, 0.1f, 0.2f})
                      .view({1, 4, 3});
  Tensor targets = at::tensor({0, 2, -100, 1}, at::kLong).view({1, 4});
  auto ce = [&](bool shift, double eps) {
    Builder b;
    int l = b.input("l", "float", 3), t = b.input("t", "int", 2);
    b.output("out", b.add("cross_entropy", {l, t},
                          {{"shift", Value::ofBool(shift)},
                           {"ignore_index", Value::ofInt(-100)},
                           {"label_smoothing", Value::ofFloat(eps)}}));
    return run(b.g, {{"l", logits}, {"t", targets}});
  };
  // By hand: log p over each row, in double.
  auto logp = [&](int row, int v) {
    double m = 0;
    for (int j = 0; j < 3; ++j)
      m += std::exp(logits[0][row][j].item<double>());
    return logits[0][row][v].item<double>() - std::log(m);
  };
  auto term = [&](int row, int tgt, double eps) {
    double smooth = 0;
    for (int j = 0; j < 3; ++j)
      smooth -= logp(row, j) / 3;
    return -(1 - eps) * logp(row, tgt) + eps * smooth;
  };
  // Shifted: rows 0, 1, 2 predict targets 2, -100 (ignored), 1.
  double shifted = (term(0, 2, 0) + term(2, 1, 0)) / 2;
  // Unshifted: rows 0, 1, 3 against 0, 2, 1 (row 2 ignored), with ε = 0.1.
  double smoothed = (term(0, 0, 0.1) + term(1, 2, 0.1) + term(3, 1, 0.1)) / 3;
  EXPECT_NEAR(ce(true, 0.0).item<double>(), shifted, kTol);
  EXPECT_NEAR(ce(false, 0.1).item<double>(), smoothed, kTol);
}

TEST(Reference, PerSampleSliceWithPad) {
  // lm[:, src_len:] left-aligns each sample's rest, padded with -100.
  Builder b;
  int x = b.input("x", "int", 2), s = b.input("s", "int", 1);
  b.output("out", b.add("slice", {x, s, -1}, {{"dim", Value::ofInt(1)}, {"pad", Value::ofInt(-100)}},
                        "int", rank(2)));
  Tensor in = at::arange(10, at::kLong).view({2, 5});
  Tensor got = run(b.g, {{"x", in}, {"s", at::tensor({3, 1}, at::kLong)}});
  Tensor want = at::tensor({3, 4, -100, -100, 6, 7, 8, 9}, at::kLong).view({2, 4});
  ASSERT_TRUE(got.defined());
  EXPECT_TRUE(at::equal(got, want)) << got;
}

TEST(Reference, UnknownNodeIsADiagnostic) {
  Builder b;
  int x = b.input("x", "float", 1);
  b.g.nodes[b.add("mystery", {x})].loc = Loc{std::make_shared<std::string>("m.spec"), 3, 7};
  DiagEngine diags;
  Outputs out = runReference(b.g, {{"x", at::ones({2})}}, {}, diags);
  EXPECT_TRUE(out.empty());
  ASSERT_EQ(diags.errorCount(), 1u);
  EXPECT_NE(diags.render().find("mystery"), std::string::npos) << diags.render();
  EXPECT_NE(diags.render().find("m.spec:3:7"), std::string::npos) << diags.render();
}

TEST(Reference, BaselineEndToEnd) {
  Program program;
  program.stdlibDir = std::string(FROND_SOURCE_DIR) + "/stdlib";
  DiagEngine diags;
  ASSERT_TRUE(program.load(std::string(FROND_SOURCE_DIR) + "/experiments/baseline.spec", diags))
      << diags.render();
  std::vector<Override> ov = {{"model.layers", Value::ofInt(1), "--set model.layers=1"},
                              {"model.d", Value::ofInt(32), "--set model.d=32"}};
  graph::Graph g;
  auto inst = resolveExperiment(program, "", "", diags, ov, &g);
  ASSERT_TRUE(inst.has_value()) << diags.render();
  ASSERT_FALSE(diags.hasErrors()) << diags.render();

  std::string text = "the quick brown fox jumps over the lazy dog, again.!";
  Tensor tokens = at::empty({2, 16}, at::kLong);
  for (int64_t i = 0; i < 32; ++i)
    tokens.data_ptr<int64_t>()[i] = (unsigned char)text[i];

  auto once = [&](bool grad) {
    ParamStore ps = initParams(inst->model, /*seed=*/7, 0.02, grad);
    EXPECT_TRUE(ps.tensors.at("logits.weight").is_same(ps.tensors.at("tok.weight")));
    DiagEngine d;
    Outputs out = runReference(g, {{"tokens", tokens}}, ps, d);
    EXPECT_FALSE(d.hasErrors()) << d.render();
    return std::make_pair(out, ps);
  };
  auto [a, psA] = once(false);
  auto [b, psB] = once(true);
  ASSERT_TRUE(a.count("loss:lm") && a.count("head:logits"));
  double loss = a["loss:lm"].item<double>();
  EXPECT_TRUE(std::isfinite(loss));
  // Small init: logits ≈ 0, so the loss is close to ln(256) ≈ 5.545.
  EXPECT_NEAR(loss, std::log(256.0), 0.1);
  EXPECT_TRUE(at::equal(a["head:logits"], b["head:logits"].detach()));
  EXPECT_TRUE(at::equal(a["loss:lm"], b["loss:lm"].detach()));
  // Gradients flow to the parameters, once to the tied table.
  b["loss:lm"].backward();
  Tensor gTok = psB.tensors.at("tok.weight").grad();
  ASSERT_TRUE(gTok.defined());
  EXPECT_GT(gTok.abs().sum().item<double>(), 0.0);
}

TEST(Reference, EveryExperimentEvaluates) {
  // Every seed experiment's graph runs through the reference: finite
  // losses at small init. Inputs: ids [b, t] in [0, 32), lengths [b] = 5.
  for (const char *name : {"baseline", "palm", "palm_recursive", "beam", "dual_form", "pldr"}) {
    // pldr's dag variant adds the DAG losses (matrix exponentials).
    std::string variant = std::string(name) == "pldr" ? "dag" : "";
    SCOPED_TRACE(name);
    Program program;
    program.stdlibDir = std::string(FROND_SOURCE_DIR) + "/stdlib";
    DiagEngine diags;
    std::string path = std::string(FROND_SOURCE_DIR) + "/experiments/" + name + ".spec";
    ASSERT_TRUE(program.load(path, diags)) << diags.render();
    graph::Graph g;
    auto inst = resolveExperiment(program, "", variant, diags, {}, &g);
    ASSERT_TRUE(inst.has_value() && !diags.hasErrors()) << diags.render();
    std::map<std::string, Tensor> in;
    for (const InputInfo &i : inst->model.inputs)
      in[i.name] = i.shape.size() == 1 ? at::full({2}, 5, at::kLong)
                                       : at::remainder(at::arange(2 * 12, at::kLong) * 7, 32).view({2, 12});
    ParamStore ps = initParams(inst->model, 1);
    Outputs out = runReference(g, in, ps, diags);
    ASSERT_FALSE(diags.hasErrors()) << diags.render();
    ASSERT_TRUE(out.count("loss") || !out.empty());
    for (auto &[k, v] : out) {
      if (k.rfind("loss", 0) == 0) {
        EXPECT_TRUE(std::isfinite(v.item<double>())) << k;
      }
    }
  }
}
