//===- SemaTest.cpp - tests for semantic analysis through the C++ API -----===//
//
// Parameter counts of small models computed by hand, shapes of heads, tying,
// recur vs repeat, trainable patterns, variants, run-configuration overrides
// and diagnostic counts. Specs are written to temporary files because
// Program::load takes a path; the standard library is the source tree's.
//
//===----------------------------------------------------------------------===//
#include "frond/lang/Loader.h"
#include "frond/lang/Parser.h"
#include "frond/lang/Sema.h"

#include "TestUtil.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <unistd.h>

using namespace frond;
namespace fs = std::filesystem;

#ifndef FROND_SOURCE_DIR
#error "FROND_SOURCE_DIR must name the source tree (see tests/unit/CMakeLists.txt)"
#endif

namespace {

/// A fresh directory under the system temp dir, removed at the end.
/// Temporary directories for spec and config files (TestUtil.h).
struct TempDir : frond::test::TempDir {
  TempDir() : frond::test::TempDir("frond-sema") {}
};

/// One spec on disk, loaded into a Program with the source stdlib.
class Spec {
public:
  explicit Spec(const std::string &text, const std::string &name = "test.spec") {
    file = dir.write(name, text);
    program.stdlibDir = std::string(FROND_SOURCE_DIR) + "/stdlib";
    loaded = program.load(file, diags);
  }

  /// Elaborates the experiment (or the last model) and returns it; fails
  /// the test, printing the diagnostics, when that does not work.
  ExperimentInstance resolve(const std::string &variant = "",
                             const std::vector<Override> &ov = {},
                             const std::string &experiment = "") {
    EXPECT_TRUE(loaded) << diags.render();
    auto inst = resolveExperiment(program, experiment, variant, diags, ov);
    EXPECT_TRUE(inst.has_value()) << diags.render();
    EXPECT_FALSE(diags.hasErrors()) << diags.render();
    return inst ? *inst : ExperimentInstance{};
  }

  bool check(const std::vector<Override> &ov = {}) {
    return loaded && checkProgram(program, diags, ov);
  }

  TempDir dir;
  std::string file;
  DiagEngine diags;
  Program program;
  bool loaded = false;
};

/// A model whose body is `body`, with a token input and a scalar loss.
std::string model(const std::string &body, const std::string &params = "d = 8") {
  return "model m(" + params + ") {\n  input tokens[b, t]\n" + body +
         "\n  loss = mean(x)\n}\n";
}

long long countOf(const ModelInstance &m, const std::string &path) {
  for (auto &p : m.params)
    if (p.path == path)
      return p.count;
  ADD_FAILURE() << "no parameter " << path;
  return -1;
}

const ParamInfo *param(const ModelInstance &m, const std::string &path) {
  for (auto &p : m.params)
    if (p.path == path)
      return &p;
  return nullptr;
}

/// Sum of the parameters whose path starts with `prefix`.
long long countUnder(const ModelInstance &m, const std::string &prefix) {
  long long n = 0;
  for (auto &p : m.params)
    if (p.path.rfind(prefix, 0) == 0)
      n += p.count;
  return n;
}

//===----------------------------------------------------------------------===//
// Parameter counts of single layers
//===----------------------------------------------------------------------===//

TEST(SemaParams, EmbedIsVocabTimesDim) {
  Spec s(model("  x = embed(tokens, 100, d)"));
  auto e = s.resolve();
  ASSERT_EQ(e.model.params.size(), 1u);
  EXPECT_EQ(e.model.params[0].path, "embed.weight");
  EXPECT_EQ(e.model.params[0].component, "embedding");
  EXPECT_EQ(e.model.totalParams(), 100 * 8);
}

TEST(SemaParams, LinearWithAndWithoutBias) {
  Spec with(model("  x = linear(embed(tokens, 10, d), 6)"));
  // embed 10 x 8, weight [6, 8], bias [6].
  EXPECT_EQ(with.resolve().model.totalParams(), 80 + 48 + 6);
  Spec without(model("  x = linear(embed(tokens, 10, d), 6, bias = false)"));
  EXPECT_EQ(without.resolve().model.totalParams(), 80 + 48);
}

TEST(SemaParams, FactorisedLinear) {
  Spec s(model("  x = linear(embed(tokens, 10, d), 6, rank = 2, act = \"relu\") as proj"));
  auto e = s.resolve();
  // W1 [2, 8] and W2 [6, 2] instead of W [6, 8]; bias [6].
  EXPECT_EQ(countOf(e.model, "proj.w1"), 2 * 8);
  EXPECT_EQ(countOf(e.model, "proj.w2"), 6 * 2);
  EXPECT_EQ(countOf(e.model, "proj.bias"), 6);
  EXPECT_EQ(param(e.model, "proj.weight"), nullptr);
  EXPECT_EQ(e.model.totalParams(), 80 + 16 + 12 + 6);
}

TEST(SemaParams, Norms) {
  Spec s(model("  e = embed(tokens, 10, d)\n"
               "  a = rmsnorm(e) as rms\n"
               "  c = rmsnorm(e, weight = false) as rms_plain\n"
               "  f = layernorm(e) as ln\n"
               "  g = layernorm(e, affine = false) as ln_plain\n"
               "  x = a + c + f + g"));
  auto e = s.resolve();
  EXPECT_EQ(countOf(e.model, "rms.weight"), 8);
  EXPECT_EQ(countOf(e.model, "ln.weight"), 8);
  EXPECT_EQ(countOf(e.model, "ln.bias"), 8);
  EXPECT_EQ(countUnder(e.model, "rms_plain"), 0);
  EXPECT_EQ(countUnder(e.model, "ln_plain"), 0);
  EXPECT_EQ(e.model.totalParams(), 80 + 8 + 16);
}

TEST(SemaParams, MultiHeadAttention) {
  Spec s(model("  x = attention(embed(tokens, 10, d), 4) as attn", "d = 16"));
  auto e = s.resolve();
  // wq, wk, wv, wo: 4 x 16 x 16; no biases by default.
  EXPECT_EQ(countUnder(e.model, "attn."), 4 * 16 * 16);
  ASSERT_EQ(e.model.attentions.size(), 1u);
  const AttentionInfo &a = e.model.attentions[0];
  EXPECT_EQ(a.path, "attn");
  EXPECT_EQ(a.kind, "softmax");
  EXPECT_EQ(a.heads, 4);
  EXPECT_EQ(a.kvHeads, 4);
  EXPECT_EQ(a.headDim, 4);
  EXPECT_FALSE(a.qkNorm);
}

TEST(SemaParams, GroupedQueryAttention) {
  Spec s(model("  x = attention(embed(tokens, 10, d), 4, kv_heads = 2) as attn", "d = 16"));
  auto e = s.resolve();
  // Head dim 4: wq [16, 16], wk and wv [2 * 4, 16], wo [16, 16].
  EXPECT_EQ(countOf(e.model, "attn.wq"), 256);
  EXPECT_EQ(countOf(e.model, "attn.wk"), 128);
  EXPECT_EQ(countOf(e.model, "attn.wv"), 128);
  EXPECT_EQ(countOf(e.model, "attn.wo"), 256);
  EXPECT_EQ(e.model.attentions[0].kvHeads, 2);
  EXPECT_EQ(countUnder(e.model, "attn."), 768);
}

TEST(SemaParams, ExplicitHeadDim) {
  Spec s(model("  x = attention(embed(tokens, 10, d), 3, head_dim = 8) as attn", "d = 16"));
  auto e = s.resolve();
  // 3 heads of 8: wq [24, 16], wk, wv [24, 16], wo [16, 24].
  EXPECT_EQ(countUnder(e.model, "attn."), 4 * 24 * 16);
  EXPECT_EQ(e.model.attentions[0].headDim, 8);
}

TEST(SemaParams, AttentionBiasesAndQkNorm) {
  Spec s(model("  e = embed(tokens, 10, d)\n"
               "  a = attention(e, 4, qk_norm = true) as qk\n"
               "  b2 = attention(e, 4, qk_norm = \"weightless\") as qkw\n"
               "  c = attention(e, 4, bias = true) as biased\n"
               "  f = attention(e, 4, bias = true, out_bias = false) as in_biased\n"
               "  x = a + b2 + c + f",
               "d = 16"));
  auto e = s.resolve();
  // qk_norm = true adds RMS weights [D] for q and k.
  EXPECT_EQ(countUnder(e.model, "qk."), 1024 + 2 * 4);
  EXPECT_EQ(countOf(e.model, "qk.q_norm"), 4);
  // "weightless" normalises without weights.
  EXPECT_EQ(countUnder(e.model, "qkw."), 1024);
  EXPECT_TRUE(e.model.attentions[1].qkNorm);
  // bias = true: bq, bk, bv [16] and bo [16] (out_bias follows bias).
  EXPECT_EQ(countUnder(e.model, "biased."), 1024 + 4 * 16);
  EXPECT_EQ(countUnder(e.model, "in_biased."), 1024 + 3 * 16);
}

TEST(SemaParams, PartialAttentionUsesTheSourceWidth) {
  Spec s("model m(d = 16) {\n"
         "  input tokens[b, t], source[b, s]\n"
         "  src = embed(source, 10, 12) as src_embed\n"
         "  x = attention(embed(tokens, 10, d), 4, kv = src) as cross\n"
         "  loss = mean(x)\n"
         "  cache source_kv\n"
         "}\n");
  auto e = s.resolve();
  // Keys and values project the 12-wide source: wk, wv [16, 12].
  EXPECT_EQ(countOf(e.model, "cross.wq"), 16 * 16);
  EXPECT_EQ(countOf(e.model, "cross.wk"), 16 * 12);
  EXPECT_EQ(countOf(e.model, "cross.wv"), 16 * 12);
  EXPECT_EQ(countOf(e.model, "cross.wo"), 16 * 16);
  EXPECT_EQ(param(e.model, "cross.wk")->component, "partial attention");
  ASSERT_EQ(e.model.attentions.size(), 1u);
  EXPECT_EQ(e.model.attentions[0].kvSource, "[b, s, 12]");
  EXPECT_EQ(e.model.caches, std::vector<std::string>{"source_kv"});
}

TEST(SemaParams, PowerLawExtras) {
  // d = 16, 4 heads: D = 4. Defaults a_layers = 2, a_dense = 2,
  // a_dff = 4 * D * 2 / 3 = 10 (integer division).
  //   a_norm: 2 D = 8
  //   per GLU: w1, w2 [10, 4] + b1, b2 [10] + w3 [4, 10] + b3 [4] = 144
  //   per residual layer: 2 GLUs + norm 2 D = 296; two layers: 592
  //   plga_w, _b, _p, _alpha, _beta: 5 x [4, 4, 4] = 320
  // On top of the 4 x 16 x 16 projections: 1024 + 8 + 592 + 320 = 1944.
  Spec s(model("  x = attention(embed(tokens, 10, d), 4, kind = \"power_law\") as pl\n"
               "  cache g",
               "d = 16"));
  auto e = s.resolve();
  EXPECT_EQ(countUnder(e.model, "pl."), 1944);
  EXPECT_EQ(countOf(e.model, "pl.a_res.1.glu1.w3"), 4 * 10);
  EXPECT_EQ(countOf(e.model, "pl.plga_alpha"), 4 * 4 * 4);
  EXPECT_EQ(e.model.attentions[0].kind, "power_law");

  // One layer of one GLU of width 6: 8 + (24 + 6 + 24 + 6 + 24 + 4 + 8) + 320.
  Spec small(model("  x = attention(embed(tokens, 10, d), 4, kind = \"power_law\", "
                   "a_layers = 1, a_dense = 1, a_dff = 6) as pl",
                   "d = 16"));
  EXPECT_EQ(countUnder(small.resolve().model, "pl."), 1024 + 8 + 96 + 320);
}

//===----------------------------------------------------------------------===//
// Heads, recursion, names
//===----------------------------------------------------------------------===//

TEST(SemaModel, TiedHeadHasNoParameters) {
  Spec s("model m(d = 8, vocab = 32) {\n"
         "  input tokens[b, t]\n"
         "  x = embed(tokens, vocab, d) as tok\n"
         "  head logits = linear(x, vocab, bias = false) tied tok\n"
         "  loss = cross_entropy(logits, tokens)\n"
         "}\n");
  auto e = s.resolve();
  const ParamInfo *w = param(e.model, "logits.weight");
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(w->count, 0);
  EXPECT_EQ(w->tiedTo, "tok.weight");
  EXPECT_EQ(w->component, "head");
  EXPECT_EQ(e.model.totalParams(), 32 * 8);
  ASSERT_EQ(e.model.heads.size(), 1u);
  EXPECT_EQ(e.model.heads[0].tiedTo, "tok");
}

TEST(SemaModel, InitFromKeepsItsOwnParameters) {
  Spec s("model m(d = 8, vocab = 32) {\n"
         "  input tokens[b, t]\n"
         "  x = embed(tokens, vocab, d) as tok\n"
         "  head logits = linear(x, vocab, bias = false) init from tok\n"
         "  loss = cross_entropy(logits, tokens)\n"
         "}\n");
  auto e = s.resolve();
  const ParamInfo *w = param(e.model, "logits.weight");
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(w->count, 32 * 8);
  EXPECT_EQ(w->initFrom, "tok.weight");
  EXPECT_EQ(e.model.heads[0].initFrom, "tok");
  EXPECT_EQ(e.model.totalParams(), 2 * 32 * 8);
}

TEST(SemaModel, HeadShapes) {
  Spec s("model m(d = 8, vocab = 32) {\n"
         "  input tokens[b, t]\n"
         "  x = embed(tokens, vocab, d)\n"
         "  head logits = linear(x, vocab)\n"
         "  head pooled = linear(mean(x, dim = 1), 3)\n"
         "  loss = cross_entropy(logits, tokens)\n"
         "}\n");
  auto e = s.resolve();
  ASSERT_EQ(e.model.heads.size(), 2u);
  EXPECT_EQ(e.model.heads[0].name, "logits");
  EXPECT_EQ(shapeStr(e.model.heads[0].shape), "[b, t, 32]");
  EXPECT_FALSE(e.model.heads[0].shape[0].known());
  EXPECT_EQ(e.model.heads[0].shape[2].size, 32);
  EXPECT_EQ(shapeStr(e.model.heads[1].shape), "[b, 3]");
  ASSERT_EQ(e.model.inputs.size(), 1u);
  EXPECT_EQ(shapeStr(e.model.inputs[0].shape), "[b, t]");
  EXPECT_EQ(e.model.inputs[0].type, "int");
}

TEST(SemaModel, RecurSharesWeightsRepeatDoesNot) {
  const char *body = "  x = embed(tokens, 10, d)\n"
                     "  %s 3 as step {\n"
                     "    x = x + linear(x, 8)\n"
                     "  }";
  char buf[256];
  snprintf(buf, sizeof buf, body, "recur");
  Spec recur(model(buf));
  auto r = recur.resolve();
  // One linear [8, 8] + [8], counted once.
  EXPECT_EQ(r.model.totalParams(), 80 + 72);
  EXPECT_NE(param(r.model, "step.linear.weight"), nullptr);
  ASSERT_EQ(r.model.recursion.size(), 1u);
  EXPECT_NE(r.model.recursion[0].find("shared weights"), std::string::npos);

  snprintf(buf, sizeof buf, body, "repeat");
  Spec repeat(model(buf));
  auto p = repeat.resolve();
  EXPECT_EQ(p.model.totalParams(), 80 + 3 * 72);
  EXPECT_NE(param(p.model, "step.0.linear.weight"), nullptr);
  EXPECT_NE(param(p.model, "step.2.linear.weight"), nullptr);
  EXPECT_NE(p.model.recursion[0].find("separate weights"), std::string::npos);
}

TEST(SemaModel, BlocksNameTheirCallsInOrder) {
  Spec s("import std.blocks.{mlp}\n" +
         model("  x = embed(tokens, 10, d)\n"
               "  x = x + mlp(x, hidden = 16)\n"
               "  x = x + mlp(x, hidden = 16) as second"));
  auto e = s.resolve();
  // mlp: linear [16, 8] + [16], linear [8, 16] + [8] = 144 + 136 per call.
  EXPECT_EQ(countUnder(e.model, "mlp."), 280);
  EXPECT_EQ(countUnder(e.model, "second."), 280);
  EXPECT_NE(param(e.model, "mlp.linear.weight"), nullptr);
  EXPECT_NE(param(e.model, "mlp.linear_1.weight"), nullptr);
  EXPECT_EQ(e.model.totalParams(), 80 + 2 * 280);
}

//===----------------------------------------------------------------------===//
// Experiments: trainable patterns, variants, overrides
//===----------------------------------------------------------------------===//

const char *kExperiment = "model m(d = 8, layers = 2) {\n"
                          "  input tokens[b, t]\n"
                          "  x = embed(tokens, 10, d) as tok\n"
                          "  repeat layers as layer {\n"
                          "    x = x + linear(x, d) as proj\n"
                          "  }\n"
                          "  loss = mean(x)\n"
                          "}\n"
                          "\n"
                          "experiment e {\n"
                          "  model = m()\n"
                          "  train { steps = 100 %s }\n"
                          "  variant wide { d = 16 }\n"
                          "  variant deep { layers = 4 }\n"
                          "}\n";

std::string experiment(const std::string &train = "") {
  char buf[1024];
  snprintf(buf, sizeof buf, kExperiment, train.c_str());
  return buf;
}

TEST(SemaExperiment, TrainablePatternFreezesTheRest) {
  Spec s(experiment(", trainable = [\"layer.*\"]"));
  auto e = s.resolve();
  // Embedding 80 frozen; two linears of 72 train.
  EXPECT_EQ(e.model.totalParams(), 80 + 2 * 72);
  EXPECT_EQ(e.model.trainableParams(), 2 * 72);
  EXPECT_FALSE(param(e.model, "tok.weight")->trainable);
  EXPECT_TRUE(param(e.model, "layer.1.proj.bias")->trainable);
}

TEST(SemaExperiment, FrozenPattern) {
  Spec s(experiment(", frozen = [\"*.bias\", \"tok.*\"]"));
  auto e = s.resolve();
  EXPECT_EQ(e.model.trainableParams(), 2 * 64);
  EXPECT_FALSE(param(e.model, "layer.0.proj.bias")->trainable);
}

TEST(SemaExperiment, VariantChangesTheCount) {
  Spec s(experiment());
  EXPECT_EQ(s.resolve().model.totalParams(), 80 + 2 * 72);
  // d = 16: embedding 160, linear 16 x 16 + 16 = 272.
  auto wide = s.resolve("wide");
  EXPECT_EQ(wide.variant, "wide");
  EXPECT_EQ(wide.model.totalParams(), 160 + 2 * 272);
  EXPECT_EQ(s.resolve("deep").model.totalParams(), 80 + 4 * 72);
  EXPECT_EQ(s.resolve().variants, (std::vector<std::string>{"wide", "deep"}));
}

TEST(SemaExperiment, UnknownVariantIsOneError) {
  Spec s(experiment());
  ASSERT_TRUE(s.loaded);
  EXPECT_FALSE(resolveExperiment(s.program, "", "narrow", s.diags).has_value());
  EXPECT_EQ(s.diags.errorCount(), 1u);
  EXPECT_NE(s.diags.all()[0].message.find("has no variant 'narrow'"), std::string::npos);
  EXPECT_NE(s.diags.all()[0].fix.find("wide, deep"), std::string::npos);
}

TEST(SemaExperiment, ConfigOverrides) {
  Spec s(experiment());
  std::vector<Override> ov = {{"model.layers", Value::ofInt(3), "--set model.layers=3"},
                              {"train.steps", Value::ofInt(500), "frond.toml:2"}};
  auto e = s.resolve("", ov);
  EXPECT_EQ(e.model.totalParams(), 80 + 3 * 72);
  bool found = false;
  for (auto &[k, v] : e.settings)
    if (k == "train.steps") {
      EXPECT_EQ(v, "500");
      found = true;
    }
  EXPECT_TRUE(found);
  // Overrides apply to variants too, and win over them.
  std::vector<Override> d = {{"model.d", Value::ofInt(4), "--set model.d=4"}};
  EXPECT_EQ(s.resolve("wide", d).model.totalParams(), 40 + 2 * 20);
}

TEST(SemaExperiment, OverrideOfUnknownParameter) {
  Spec s(experiment());
  ASSERT_TRUE(s.loaded);
  std::vector<Override> ov = {{"model.width", Value::ofInt(3), "--set model.width=3"}};
  EXPECT_FALSE(checkProgram(s.program, s.diags, ov));
  ASSERT_GE(s.diags.errorCount(), 1u);
  EXPECT_NE(s.diags.all()[0].message.find("has no parameter 'width'"), std::string::npos);
  EXPECT_NE(s.diags.all()[0].message.find("--set model.width=3"), std::string::npos);
}

TEST(SemaExperiment, ExplainTextShowsTheTotals) {
  Spec s(experiment(", trainable = [\"layer.*\"]"));
  std::string text = explainText(s.resolve());
  EXPECT_NE(text.find("experiment e\n"), std::string::npos) << text;
  EXPECT_NE(text.find("model m(d = 8, layers = 2)"), std::string::npos) << text;
  EXPECT_NE(text.find("(trainable 144, frozen 80)"), std::string::npos) << text;
  EXPECT_NE(text.find("repeat 2 as layer (separate weights)"), std::string::npos) << text;
  EXPECT_NE(text.find("variants: wide, deep"), std::string::npos) << text;
}

//===----------------------------------------------------------------------===//
// Diagnostics
//===----------------------------------------------------------------------===//

TEST(SemaDiagnostics, CleanProgramHasNone) {
  Spec s(experiment());
  EXPECT_TRUE(s.check());
  EXPECT_EQ(s.diags.errorCount(), 0u);
  EXPECT_TRUE(s.diags.all().empty());
}

TEST(SemaDiagnostics, IndependentErrorsAreAllCounted) {
  Spec s(model("  x = embed(tokens, 10, d)\n"
               "  a = linear(x, 0)\n"
               "  c = attention(x, 3)\n"
               "  cache kvv"));
  EXPECT_FALSE(s.check());
  EXPECT_EQ(s.diags.errorCount(), 3u) << s.diags.render();
  // Each is located in the spec.
  for (auto &d : s.diags.all()) {
    EXPECT_TRUE(d.loc.valid());
    EXPECT_EQ(*d.loc.file, s.file);
  }
  std::vector<unsigned> lines;
  for (auto &d : s.diags.all())
    lines.push_back(d.loc.line);
  std::sort(lines.begin(), lines.end());
  EXPECT_EQ(lines, (std::vector<unsigned>{4, 5, 6}));
}

TEST(SemaDiagnostics, UnknownNameSuggestsTheClosest) {
  Spec s(model("  x = embed(tokens, 10, d)\n  y = xx + 1"));
  EXPECT_FALSE(s.check());
  ASSERT_EQ(s.diags.errorCount(), 1u);
  const Diagnostic &d = s.diags.all()[0];
  EXPECT_EQ(d.message, "unknown name 'xx'");
  EXPECT_EQ(d.loc.line, 4u);
  EXPECT_EQ(d.loc.col, 7u);
  EXPECT_EQ(d.fix, "did you mean 'x'?");
}

TEST(SemaDiagnostics, SyntaxErrorsAreLocatedAndCapped) {
  DiagEngine diags;
  std::string text;
  for (int i = 0; i < 40; ++i)
    text += "let a" + std::to_string(i) + " = 1 $ 2\n";
  auto m = parseSpec("many.spec", text, diags);
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(diags.errorCount(), DiagEngine::kMaxErrors);
  EXPECT_EQ(diags.all()[0].loc.line, 1u);
  EXPECT_EQ(diags.all()[0].loc.col, 12u); // the '$' of `let a0 = 1 $ 2`
  EXPECT_EQ(diags.all()[0].message, "unexpected character '$'");
}

TEST(SemaDiagnostics, ParserNeverThrowsOnBinaryInput) {
  DiagEngine diags;
  std::string text = "let a = 1\n";
  text += std::string("\0\xff\xfe(", 4);
  EXPECT_NO_THROW(parseSpec("bin.spec", text, diags));
  EXPECT_EQ(diags.errorCount(), 1u);
  DiagEngine deep;
  std::string nested = "let a = " + std::string(5000, '(') + "1" + std::string(5000, ')');
  EXPECT_NO_THROW(parseSpec("deep.spec", nested, deep));
  ASSERT_EQ(deep.errorCount(), 1u);
  EXPECT_EQ(deep.all()[0].message, "nesting is too deep");
}

TEST(SemaDiagnostics, MissingImportStopsLoading) {
  Spec s("import std.nosuch\n" + model("  x = embed(tokens, 10, d)"));
  EXPECT_FALSE(s.loaded);
  ASSERT_EQ(s.diags.errorCount(), 1u);
  EXPECT_EQ(s.diags.all()[0].message, "cannot find module 'std.nosuch'");
}

TEST(SemaDiagnostics, RepeatedBaseErrorsAreReportedOnce) {
  // The base experiment and its variant share the model: its error is
  // reported once, not once per variant.
  Spec s("model m(d = 8) {\n"
         "  input tokens[b, t]\n"
         "  x = linear(embed(tokens, 10, d), 0)\n"
         "  loss = mean(x)\n"
         "}\n"
         "experiment e {\n"
         "  model = m()\n"
         "  variant v { d = 16 }\n"
         "}\n");
  EXPECT_FALSE(s.check());
  EXPECT_EQ(s.diags.errorCount(), 1u) << s.diags.render();
}

} // namespace
