//===- Builtins.cpp - the primitives of the .spec language ---------------===//
//
// One table: name -> signature and a function that checks the arguments,
// infers the result shape and registers learnable tensors. Parameter shapes
// follow PyTorch's conventions (linear weight [out, in]) so counts match the
// reference implementations. `frond help builtins` prints this table.
//
//===----------------------------------------------------------------------===//
#include "Elaborate.h"

#include "llvm/ADT/StringExtras.h"

#include <cmath>

using namespace frond;

namespace {

using E = Elaborator;

Dim known(long long n) { return Dim{"", n}; }

/// The last dimension of x as a known size, or an error.
bool width(E &e, const Bound &b, const std::string &arg, long long &out) {
  const Value &x = b[arg];
  if (!e.expectTensor(x, b.loc(arg), "'" + arg + "' of " + b.fn))
    return false;
  if (x.shape.empty() || !x.shape.back().known()) {
    auto &d = e.error(b.loc(arg), b.fn + " needs a known feature width");
    d.expected = "a tensor whose last dimension is a number, e.g. [b, t, 64]";
    d.found = x.describe();
    return false;
  }
  out = x.shape.back().size;
  return true;
}

bool isStr(E &e, const Bound &b, const std::string &arg,
           const std::vector<std::string> &allowed) {
  const Value &v = b[arg];
  if (v.kind == Value::Str &&
      std::find(allowed.begin(), allowed.end(), v.s) != allowed.end())
    return true;
  auto &d = e.error(b.loc(arg), "invalid " + arg + " for " + b.fn);
  d.expected = "one of \"" + llvm::join(allowed, "\", \"") + "\"";
  d.found = v.describe();
  return false;
}

bool positiveNumber(E &e, const Bound &b, const std::string &arg, bool allowZero = false) {
  const Value &v = b[arg];
  if (v.isNumber() && (v.num() > 0 || (allowZero && v.num() == 0)))
    return true;
  auto &d = e.error(b.loc(arg), "'" + arg + "' of " + b.fn + " must be a " +
                                    (allowZero ? "non-negative" : "positive") + " number");
  d.found = v.describe();
  return false;
}

Value withLast(const Value &x, long long n) {
  Shape s = x.shape;
  s.back() = known(n);
  return Value::tensor(s, "float");
}

/// Elementwise functions: tensors keep their shape; numbers stay numbers
/// (mask and score bodies compute on scalars).
Value elementwise(E &e, const Bound &b) {
  const Value &x = b["x"];
  Value out;
  if (x.kind == Value::Tensor) {
    if (x.s == "bool") {
      auto &d = e.error(b.loc("x"), b.fn + " needs a numeric tensor");
      d.found = x.describe();
      return Value::invalid();
    }
    out = Value::tensor(x.shape, "float");
  } else if (x.isNumber()) {
    out = Value::tensor({}, "float");
  }
  if (out.kind == Value::Tensor) {
    int in = e.use(x, b.loc("x"));
    if (b.fn == "softcap")
      return e.record(out, "softcap", {in}, {{"cap", Value::ofFloat(b["cap"].num())}}, b.callLoc);
    if (b.fn == "clamp")
      return e.record(out, "clamp", {in},
                      {{"min", Value::ofFloat(b["lo"].num())}, {"max", Value::ofFloat(b["hi"].num())}},
                      b.callLoc);
    if (b.fn == "dropout") // Identity at evaluation; training adds the mask.
      return e.record(out, "dropout", {in}, {{"p", Value::ofFloat(b["p"].num())}}, b.callLoc);
    return e.record(out, "unary", {in}, {{"kind", Value::ofStr(b.fn)}}, b.callLoc);
  }
  auto &d = e.error(b.loc("x"), b.fn + " needs a tensor or a number");
  d.found = x.describe();
  return Value::invalid();
}

Value linear(E &e, const Bound &b) {
  long long in;
  if (!width(e, b, "x", in) || !e.expectInt(b["out"], b.loc("out"), "'out' of linear", 1))
    return Value::invalid();
  long long out = b["out"].i;
  const Value &rank = b["rank"], &bias = b["bias"];
  if (bias.kind != Value::Bool) {
    e.error(b.loc("bias"), "'bias' of linear must be true or false").found = bias.describe();
    return Value::invalid();
  }
  if (b.given("act") && rank.kind == Value::None) {
    auto &d = e.error(b.loc("act"), "'act' applies between the factors of a low-rank linear");
    d.fix = "give rank = r as well, or apply the activation to the output";
    return Value::invalid();
  }
  if (!isStr(e, b, "act", {"none", "relu2", "relu", "gelu", "silu"}))
    return Value::invalid();
  e.openScope("linear", nullptr);
  int w = -1, w1 = -1, w2 = -1, bn = -1;
  if (rank.kind == Value::None) {
    w = e.addParam("weight", {known(out), known(in)}, "linear", b.callLoc);
  } else {
    if (!e.expectInt(rank, b.loc("rank"), "'rank' of linear", 1)) {
      e.closeScope();
      return Value::invalid();
    }
    w1 = e.addParam("w1", {known(rank.i), known(in)}, "linear", b.callLoc);
    w2 = e.addParam("w2", {known(out), known(rank.i)}, "linear", b.callLoc);
  }
  if (bias.b)
    bn = e.addParam("bias", {known(out)}, "linear", b.callLoc);
  e.closeScope();
  int x = e.use(b["x"], b.loc("x"));
  if (rank.kind == Value::None)
    return e.record(withLast(b["x"], out), "linear", {x, w, bn}, {}, b.callLoc);
  Value r = e.record(withLast(b["x"], out), "lowrank_linear", {x, w1, w2},
                     {{"activation", b["act"]}}, b.callLoc);
  if (bn >= 0)
    r = e.record(withLast(b["x"], out), "binary", {r.node, bn}, {{"kind", Value::ofStr("add")}}, b.callLoc);
  return r;
}

/// The node of the attention parameter `name` (registered by attention()).
int attnParam(E &e, size_t base, const std::string &path, const std::string &name) {
  for (size_t k = base; k < e.inst->params.size(); ++k)
    if (e.inst->params[k].path == path + "." + name)
      return k < e.paramNodes.size() ? e.paramNodes[k] : -1;
  // Shared weights (recur): registered by an earlier iteration.
  for (size_t k = 0; k < e.inst->params.size(); ++k)
    if (e.inst->params[k].path == path + "." + name)
      return k < e.paramNodes.size() ? e.paramNodes[k] : -1;
  return -1;
}

/// Records attention as its parts: projections, heads, optional QK-norm
/// and RoPE, the `attention` core with mask/score regions (and, for
/// power_law, PLDR's metric network), then the output projection.
Value applyRope(E &e, const Value &x, const Value &pos, Loc at);
Value recordMetric(E &e, const Value &q, const AttentionInfo &info, size_t base, Loc at,
                   bool causal);

Value recordAttention(E &e, const Bound &b, const AttentionInfo &info, size_t base, long long dk) {
  const Value &x = b["x"];
  Loc at = b.callLoc;
  long long H = info.heads, Hkv = info.kvHeads, D = info.headDim;
  long long d = x.shape.back().size;
  auto P = [&](const char *n) { return attnParam(e, base, info.path, n); };
  const Value &kvIn = b["kv"].kind == Value::Tensor ? b["kv"] : x;
  auto shapeWith = [](const Value &v, std::vector<Dim> tail, size_t keep) {
    Shape s(v.shape.begin(), v.shape.begin() + keep);
    s.insert(s.end(), tail.begin(), tail.end());
    return s;
  };
  auto proj = [&](const Value &in, const char *w, const char *bias, long long rows) {
    return e.record(Value::tensor(shapeWith(in, {known(rows)}, in.shape.size() - 1), "float"),
                    "linear", {e.use(in, at), P(w), P(bias)}, {}, at);
  };
  auto heads = [&](const Value &v, long long n) {
    return e.record(Value::tensor(shapeWith(v, {known(n), known(D)}, v.shape.size() - 1), "float"),
                    "split_heads", {e.use(v, at)}, {{"heads", Value::ofInt(n)}}, at);
  };
  Value q = heads(proj(x, "wq", "bq", H * D), H);
  Value k = heads(proj(kvIn, "wk", "bk", Hkv * D), Hkv);
  Value v = heads(proj(kvIn, "wv", "bv", Hkv * D), Hkv);
  if (info.qkNorm) {
    q = e.record(q, "rms_norm", {e.use(q, at), P("q_norm")}, {{"eps", Value::ofFloat(1e-6)}}, at);
    k = e.record(k, "rms_norm", {e.use(k, at), P("k_norm")}, {{"eps", Value::ofFloat(1e-6)}}, at);
  }
  if (b["pos"].kind == Value::Pos)
    q = applyRope(e, q, b["pos"], at);
  const Value &kpos = b["kv"].kind == Value::Tensor ? b["kv_pos"] : b["pos"];
  if (kpos.kind == Value::Pos)
    k = applyRope(e, k, kpos, at);
  auto transpose = [&](const Value &t) {
    Shape s = t.shape;
    std::swap(s[1], s[2]);
    Value perm;
    perm.kind = Value::List;
    for (long long i : {0, 2, 1, 3})
      perm.list.push_back(Value::ofInt(i));
    return e.record(Value::tensor(s, "float"), "transpose", {e.use(t, at)}, {{"permutation", perm}}, at);
  };
  q = transpose(q);
  k = transpose(k);
  v = transpose(v);
  std::vector<int> operands = {q.node, k.node, v.node, -1};
  std::string kind = info.kind;
  bool faithful = b["faithful"].kind == Value::Bool && b["faithful"].b;
  if (kind == "power_law" && faithful) {
    // PLDR's public code: one metric G [b, h, D, D] from every position.
    operands[3] = e.use(recordMetric(e, q, info, base, at, false), at);
  } else if (kind == "power_law") {
    // Causal: query t reads G_t [b, h, t, D, D] from positions <= t;
    // q G kᵀ = (q G) kᵀ, so the rest is softmax attention of q_t G_t.
    Value g = recordMetric(e, q, info, base, at, true);
    Shape row = {q.shape[0], q.shape[1], q.shape[2], known(1), q.shape[3]};
    Value q1 = e.record(Value::tensor(row, "float"), "unsqueeze", {e.use(q, at)},
                        {{"dim", Value::ofInt(3)}}, at);
    Value qg = e.record(Value::tensor(row, "float"), "matmul", {q1.node, g.node}, {}, at);
    q = e.record(Value::tensor(q.shape, "float"), "squeeze", {qg.node}, {{"dim", Value::ofInt(3)}},
                 at);
    operands[0] = q.node;
    kind = "softmax";
  }
  // Regions: the mask first, then the score, sharing one capture list.
  auto mask = std::make_unique<graph::Graph>();
  auto score = std::make_unique<graph::Graph>();
  if (b["mask"].kind == Value::Mask)
    e.checkMaskValue(b["mask"], false, b.loc("mask"), mask.get());
  score->captures = mask->captures;
  if (b["score"].kind == Value::Score)
    e.checkMaskValue(b["score"], true, b.loc("score"), score.get());
  for (int c : score->captures)
    operands.push_back(c);
  Shape outShape = q.shape;
  Value core = e.record(Value::tensor(outShape, "float"), "attention", operands,
                        {{"kind", Value::ofStr(kind)},
                         {"scale", Value::ofFloat(1.0 / std::sqrt(double(D)))},
                         {"kv_source", Value::ofBool(b["kv"].kind == Value::Tensor)}},
                        at);
  e.graph->nodes[core.node].regions.push_back(std::move(mask));
  e.graph->nodes[core.node].regions.push_back(std::move(score));
  Value merged = e.record(Value::tensor(shapeWith(x, {known(H * D)}, x.shape.size() - 1), "float"),
                          "merge_heads", {e.use(transpose(core), at)}, {}, at);
  (void)dk;
  return e.record(withLast(x, d), "linear", {merged.node, P("wo"), P("bo")}, {}, at);
}

Value attention(E &e, const Bound &b) {
  long long d;
  if (!width(e, b, "x", d) || !e.expectInt(b["heads"], b.loc("heads"), "'heads' of attention", 1))
    return Value::invalid();
  const Value &x = b["x"];
  long long H = b["heads"].i;
  long long Hkv = H, D = d / H;
  if (b["kv_heads"].kind != Value::None) {
    if (!e.expectInt(b["kv_heads"], b.loc("kv_heads"), "'kv_heads' of attention", 1))
      return Value::invalid();
    Hkv = b["kv_heads"].i;
    if (H % Hkv) {
      auto &diag = e.error(b.loc("kv_heads"), "heads must be a multiple of kv_heads");
      diag.found = std::to_string(H) + " heads, " + std::to_string(Hkv) + " kv_heads";
      diag.fix = "choose kv_heads dividing " + std::to_string(H);
      return Value::invalid();
    }
  }
  if (b["head_dim"].kind != Value::None) {
    if (!e.expectInt(b["head_dim"], b.loc("head_dim"), "'head_dim' of attention", 1))
      return Value::invalid();
    D = b["head_dim"].i;
  } else if (d % H) {
    auto &diag = e.error(b.loc("heads"), "model width is not divisible by the number of heads");
    diag.found = "width " + std::to_string(d) + ", " + std::to_string(H) + " heads";
    diag.fix = "pass head_dim = ... or change heads";
    return Value::invalid();
  }
  if (!isStr(e, b, "kind", {"softmax", "linear", "relaxed_linear", "aft", "power_law"}))
    return Value::invalid();
  std::string kind = b["kind"].s;
  AttentionInfo info;
  info.kind = kind;
  info.heads = H;
  info.kvHeads = Hkv;
  info.headDim = D;
  info.loc = b.callLoc;
  // K/V source: the sequence itself, or (partial/cross attention) a tensor
  // of the same batch with its own length and width.
  long long dk = d;
  const Value &kv = b["kv"];
  if (kv.kind != Value::None) {
    if (!e.expectTensor(kv, b.loc("kv"), "'kv' of attention"))
      return Value::invalid();
    if (kv.shape.size() != x.shape.size() || !kv.shape.back().known()) {
      auto &diag = e.error(b.loc("kv"), "the K/V source must be [batch, length, width] like x");
      diag.expected = "rank " + std::to_string(x.shape.size()) + " with a known width";
      diag.found = kv.describe();
      return Value::invalid();
    }
    if (kv.shape[0] != x.shape[0]) {
      auto &diag = e.error(b.loc("kv"), "the K/V source has another batch dimension");
      diag.expected = x.shape[0].str();
      diag.found = kv.shape[0].str();
      return Value::invalid();
    }
    dk = kv.shape.back().size;
    info.kvSource = shapeStr(kv.shape);
  }
  if (!e.checkMaskValue(b["mask"], false, b.loc("mask")) && b["mask"].kind != Value::None)
    return Value::invalid();
  if (!e.checkMaskValue(b["score"], true, b.loc("score")) && b["score"].kind != Value::None)
    return Value::invalid();
  auto describeFn = [](const Value &v) {
    if (v.kind == Value::None)
      return std::string();
    std::string s = v.display;
    if (!v.fields.empty()) {
      s += "(";
      bool first = true;
      for (auto &[k, f] : v.fields) {
        s += (first ? "" : ", ") + k + " = " +
             (f.kind == Value::Tensor && f.display.empty() ? f.describe() : f.str());
        first = false;
      }
      s += ")";
    }
    return s;
  };
  info.mask = describeFn(b["mask"]);
  info.score = describeFn(b["score"]);
  for (const char *p : {"pos", "kv_pos"}) {
    const Value &pos = b[p];
    if (pos.kind != Value::None && pos.kind != Value::Pos) {
      auto &diag = e.error(b.loc(p), std::string("'") + p + "' of attention must be a position encoding");
      diag.found = pos.describe();
      diag.fix = "use rope(...)";
      return Value::invalid();
    }
  }
  if (b["pos"].kind == Value::Pos)
    info.pos = b["pos"].str();
  if (b["kv_pos"].kind == Value::Pos)
    info.flags.push_back("kv_pos " + b["kv_pos"].str());
  for (const char *flag : {"capture", "faithful"}) {
    const Value &f = b[flag];
    if (f.kind != Value::Bool) {
      e.error(b.loc(flag), std::string("'") + flag + "' of attention must be true or false").found =
          f.describe();
      return Value::invalid();
    }
    if (f.b)
      info.flags.push_back(std::string(flag) == "capture" ? "captures scores" : "faithful");
  }
  const Value &qkn = b["qk_norm"];
  if (!(qkn.kind == Value::Bool || (qkn.kind == Value::Str && qkn.s == "weightless"))) {
    auto &diag = e.error(b.loc("qk_norm"), "invalid qk_norm");
    diag.expected = "true (learned RMS weights), false, or \"weightless\"";
    diag.found = qkn.describe();
    return Value::invalid();
  }
  info.qkNorm = qkn.kind == Value::Str || qkn.b;
  bool bias = b["bias"].kind == Value::Bool && b["bias"].b;
  bool outBias = b["out_bias"].kind == Value::Bool ? b["out_bias"].b : bias;

  std::string comp = kv.kind != Value::None ? "partial attention" : "attention";
  size_t paramBase = e.inst ? e.inst->params.size() : 0;
  info.path = e.openScope("attention", nullptr);
  e.addParam("wq", {known(H * D), known(d)}, comp, b.callLoc);
  e.addParam("wk", {known(Hkv * D), known(dk)}, comp, b.callLoc);
  e.addParam("wv", {known(Hkv * D), known(dk)}, comp, b.callLoc);
  e.addParam("wo", {known(d), known(H * D)}, comp, b.callLoc);
  if (bias)
    for (auto [n, rows] : {std::pair{"bq", H * D}, {"bk", Hkv * D}, {"bv", Hkv * D}})
      e.addParam(n, {known(rows)}, comp, b.callLoc);
  if (outBias)
    e.addParam("bo", {known(d)}, comp, b.callLoc);
  if (qkn.kind == Value::Bool && qkn.b) {
    e.addParam("q_norm", {known(D)}, comp, b.callLoc);
    e.addParam("k_norm", {known(D)}, comp, b.callLoc);
  }
  if (kind == "power_law") {
    // PLDR: A = LN(qᵀq), a residual GLU network on A, then per-head W, b,
    // P (power), alpha, beta, all (H, D, D).
    e.hasPowerLaw = true;
    long long layers = b["a_layers"].i, dense = b["a_dense"].i;
    long long dff = (4 * D * 2) / 3;
    bool ok = e.expectInt(b["a_layers"], b.loc("a_layers"), "'a_layers' of power_law attention", 0) &&
              e.expectInt(b["a_dense"], b.loc("a_dense"), "'a_dense' of power_law attention", 1);
    for (const char *k : {"a_layers", "a_dense"})
      if (ok && b[k].i > 64) {
        auto &diag = e.error(b.loc(k), std::string("'") + k + "' of power_law attention is too large");
        diag.expected = "at most 64";
        diag.found = std::to_string(b[k].i);
        ok = false;
      }
    if (ok && b["a_dff"].kind != Value::None) {
      ok = e.expectInt(b["a_dff"], b.loc("a_dff"), "'a_dff' of power_law attention", 1);
      dff = b["a_dff"].i;
    }
    if (!ok || dff < 1) {
      e.closeScope();
      return Value::invalid();
    }
    e.addParam("a_norm.weight", {known(D)}, comp, b.callLoc);
    e.addParam("a_norm.bias", {known(D)}, comp, b.callLoc);
    for (long long l = 0; l < layers; ++l) {
      std::string p = "a_res." + std::to_string(l);
      for (long long g = 0; g < dense; ++g) {
        std::string q = p + ".glu" + std::to_string(g);
        e.addParam(q + ".w1", {known(dff), known(D)}, comp, b.callLoc);
        e.addParam(q + ".b1", {known(dff)}, comp, b.callLoc);
        e.addParam(q + ".w2", {known(dff), known(D)}, comp, b.callLoc);
        e.addParam(q + ".b2", {known(dff)}, comp, b.callLoc);
        e.addParam(q + ".w3", {known(D), known(dff)}, comp, b.callLoc);
        e.addParam(q + ".b3", {known(D)}, comp, b.callLoc);
      }
      e.addParam(p + ".norm.weight", {known(D)}, comp, b.callLoc);
      e.addParam(p + ".norm.bias", {known(D)}, comp, b.callLoc);
    }
    for (const char *n : {"plga_w", "plga_b", "plga_p", "plga_alpha", "plga_beta"})
      e.addParam(n, {known(H), known(D), known(D)}, comp, b.callLoc);
  }
  e.closeScope();
  if (e.inst)
    e.inst->attentions.push_back(info);
  if (!e.graph)
    return withLast(x, d);
  return recordAttention(e, b, info, paramBase, dk);
}

Value crossEntropy(E &e, const Bound &b) {
  const Value &logits = b["logits"], &targets = b["targets"];
  if (!e.expectTensor(logits, b.loc("logits"), "'logits' of cross_entropy") ||
      !e.expectTensor(targets, b.loc("targets"), "'targets' of cross_entropy"))
    return Value::invalid();
  if (logits.shape.size() < 2 || logits.s != "float") {
    auto &d = e.error(b.loc("logits"), "cross_entropy needs float logits [..., vocab]");
    d.found = logits.describe();
    return Value::invalid();
  }
  if (targets.s != "int") {
    auto &d = e.error(b.loc("targets"), "cross_entropy needs integer targets");
    d.found = targets.describe();
    d.fix = "pass token ids, e.g. the model's `tokens` input";
    return Value::invalid();
  }
  Shape lead(logits.shape.begin(), logits.shape.end() - 1);
  if (lead != targets.shape) {
    auto &d = e.error(b.callLoc, "logits and targets do not line up");
    d.expected = "targets " + shapeStr(lead) + " for logits " + shapeStr(logits.shape);
    d.found = "targets " + shapeStr(targets.shape);
    d.fix = "slice both the same way, e.g. lm[:, n:] with tokens[:, n:]";
    return Value::invalid();
  }
  if (!positiveNumber(e, b, "smoothing", true))
    return Value::invalid();
  if (b["shift"].kind != Value::Bool || b["ignore"].kind != Value::Int) {
    auto &d = e.error(b.callLoc, "cross_entropy needs shift = true/false and an integer ignore index");
    d.found = "shift " + b["shift"].describe() + ", ignore " + b["ignore"].describe();
    return Value::invalid();
  }
  return e.record(Value::tensor({}, "float"), "cross_entropy",
                  {e.use(logits, b.loc("logits")), e.use(targets, b.loc("targets"))},
                  {{"ignore_index", b["ignore"]}, {"label_smoothing", Value::ofFloat(b["smoothing"].num())},
                   {"shift", b["shift"]}},
                  b.callLoc);
}

Value reduce(E &e, const Bound &b) {
  const Value &x = b["x"];
  if (!e.expectTensor(x, b.loc("x"), "'x' of " + b.fn))
    return Value::invalid();
  int in = e.use(x, b.loc("x"));
  if (b["dim"].kind == Value::None) {
    std::vector<Value> all;
    for (size_t i = 0; i < x.shape.size(); ++i)
      all.push_back(Value::ofInt(i));
    Value dims;
    dims.kind = Value::List;
    dims.list = all;
    return e.record(Value::tensor({}, "float"), "reduce", {in},
                    {{"kind", Value::ofStr(b.fn)}, {"dims", dims}}, b.callLoc);
  }
  if (!e.expectInt(b["dim"], b.loc("dim"), "'dim'"))
    return Value::invalid();
  long long r = x.shape.size(), k = b["dim"].i < 0 ? b["dim"].i + r : b["dim"].i;
  if (k < 0 || k >= r) {
    auto &d = e.error(b.loc("dim"), "dimension out of range");
    d.expected = "a dimension of " + shapeStr(x.shape);
    d.found = std::to_string(b["dim"].i);
    return Value::invalid();
  }
  Shape s = x.shape;
  if (b.fn == "mean" || b.fn == "sum") {
    s.erase(s.begin() + k);
    Value dims;
    dims.kind = Value::List;
    dims.list = {Value::ofInt(k)};
    return e.record(Value::tensor(s, "float"), "reduce", {in},
                    {{"kind", Value::ofStr(b.fn)}, {"dims", dims}}, b.callLoc);
  }
  return e.record(Value::tensor(s, b.fn == "cumsum" ? x.s : "float"), b.fn, {in},
                  {{"dim", Value::ofInt(k)}}, b.callLoc);
}

/// PLDR's metric: A = LN(qᵀq) through a residual GLU network, then
/// A_LM = iSwiGLU(W A + b) + 1e-9, A_P = A_LM ** P, G = alpha A_P + beta.
Value recordMetric(E &e, const Value &q, const AttentionInfo &info, size_t base, Loc at,
                   bool causal);

/// Rotates x [b, t, h, D] by a rope() encoding: positions are 0..t-1, or
/// restart at the encoding's `restart_at` (PALM's separate positions).
Value applyRope(E &e, const Value &x, const Value &pos, Loc at) {
  if (!e.graph)
    return x;
  Value restart = pos.fields.count("restart_at") ? pos.fields.at("restart_at") : Value::none();
  Shape bt(x.shape.begin(), x.shape.begin() + std::min<size_t>(2, x.shape.size()));
  Value positions = e.record(Value::tensor(bt, "int"), "positions",
                             {e.use(x, at), e.use(restart, at)}, {}, at);
  auto num = [&](const char *k, double dflt) {
    return Value::ofFloat(pos.fields.count(k) ? pos.fields.at(k).num() : dflt);
  };
  Value layout = pos.fields.count("layout") ? pos.fields.at("layout") : Value::ofStr("half");
  return e.record(Value::tensor(x.shape, "float"), "rope", {e.use(x, at), positions.node},
                  {{"layout", layout}, {"theta", num("theta", 10000.0)}, {"scale", num("scale", 1.0)}},
                  at);
}

/// A configuration object (optimizer, schedule, data, metric, init...):
/// arguments are type-checked against the signature's defaults.
BuiltinFn config(std::string category) {
  return [category](E &e, const Bound &b) -> Value {
    Value v;
    v.kind = Value::Config;
    v.s = category;
    v.display = b.fn;
    for (auto &[k, val] : b.v) {
      v.fields[k] = val;
      if (k == "lr" && !(val.isNumber() && val.num() > 0)) {
        auto &d = e.error(b.loc(k), "learning rate must be a positive number");
        d.found = val.describe();
        return Value::invalid();
      }
      if ((k == "top_p" || k == "split" || k == "p") && val.isNumber() &&
          (val.num() <= 0 || val.num() > 1)) {
        auto &d = e.error(b.loc(k), "'" + k + "' must be in (0, 1]");
        d.found = val.describe();
        return Value::invalid();
      }
    }
    return v;
  };
}

/// With `causal`, one metric per query position, [b, h, t, D, D], from the
/// running sum A_t = sum_{s <= t} q_sᵀ q_s (PLDR's intended causal form).
Value recordMetric(E &e, const Value &q, const AttentionInfo &info, size_t base, Loc at,
                   bool causal) {
  long long D = info.headDim;
  auto P = [&](const std::string &n) { return attnParam(e, base, info.path, n); };
  Shape dd = {q.shape[0], q.shape[1], known(D), known(D)};
  if (causal)
    dd.insert(dd.begin() + 2, q.shape[2]);
  auto node = [&](const std::string &op, std::vector<int> ops, std::map<std::string, Value> attrs = {}) {
    return e.record(Value::tensor(dd, "float"), op, std::move(ops), std::move(attrs), at);
  };
  auto unsqueeze = [&](const Value &v, long long dim) {
    Shape s = v.shape;
    s.insert(s.begin() + dim, known(1));
    return e.record(Value::tensor(s, "float"), "unsqueeze", {e.use(v, at)},
                    {{"dim", Value::ofInt(dim)}}, at);
  };
  // The per-head (h, D, D) parameters broadcast over positions as (h, 1, D, D).
  auto perHead = [&](const std::string &n) {
    int p = P(n);
    if (!causal || p < 0)
      return p;
    Value v = Value::tensor({known(info.heads), known(D), known(D)}, "float");
    v.node = p;
    v.graphOf = e.graph;
    return unsqueeze(v, 1).node;
  };
  auto bin = [&](const char *k, const Value &a, int bnode) {
    return node("binary", {e.use(a, at), bnode}, {{"kind", Value::ofStr(k)}});
  };
  Value a;
  if (causal) {
    Value col = unsqueeze(q, 4), row = unsqueeze(q, 3); // [b, h, t, D, 1], [b, h, t, 1, D]
    a = node("cumsum", {node("matmul", {col.node, row.node}).node}, {{"dim", Value::ofInt(2)}});
  } else {
    Shape qt = {q.shape[0], q.shape[1], q.shape[3], q.shape[2]};
    Value perm;
    perm.kind = Value::List;
    for (long long i : {0, 1, 3, 2})
      perm.list.push_back(Value::ofInt(i));
    Value qT = e.record(Value::tensor(qt, "float"), "transpose", {e.use(q, at)}, {{"permutation", perm}}, at);
    a = node("matmul", {qT.node, e.use(q, at)});
  }
  Value eps = Value::ofFloat(1e-6);
  a = node("layer_norm", {a.node, P("a_norm.weight"), P("a_norm.bias")}, {{"eps", eps}});
  for (int l = 0;; ++l) {
    std::string p = "a_res." + std::to_string(l);
    if (P(p + ".norm.weight") < 0)
      break;
    Value z = a;
    for (int g = 0;; ++g) {
      std::string w = p + ".glu" + std::to_string(g);
      if (P(w + ".w1") < 0)
        break;
      auto lin = [&](const Value &in, const std::string &wn, const std::string &bn, long long rows) {
        Shape s = dd;
        s.back() = known(rows);
        return e.record(Value::tensor(s, "float"), "linear", {e.use(in, at), P(wn), P(bn)}, {}, at);
      };
      long long dff = 0;
      for (auto &prm : e.inst->params)
        if (prm.path == info.path + "." + w + ".w1")
          dff = prm.shape[0].size;
      Value g1 = lin(z, w + ".w1", w + ".b1", dff);
      Value g2 = lin(z, w + ".w2", w + ".b2", dff);
      Value act = e.record(g1, "unary", {g1.node}, {{"kind", Value::ofStr("silu")}}, at);
      Value prod = e.record(g1, "binary", {act.node, g2.node}, {{"kind", Value::ofStr("mul")}}, at);
      z = lin(prod, w + ".w3", w + ".b3", D);
    }
    a = bin("add", a, z.node);
    a = node("layer_norm", {a.node, P(p + ".norm.weight"), P(p + ".norm.bias")}, {{"eps", eps}});
  }
  Value wa = node("matmul", {perHead("plga_w"), a.node});
  wa = bin("add", wa, perHead("plga_b"));
  Value sig = node("unary", {wa.node}, {{"kind", Value::ofStr("silu")}});
  Value alm = bin("mul", wa, sig.node);
  alm = bin("add", alm, e.use(Value::ofFloat(1e-9), at));
  Value ap = bin("pow", alm, perHead("plga_p"));
  Value g = node("matmul", {perHead("plga_alpha"), ap.node});
  g = bin("add", g, perHead("plga_beta"));
  e.powerLawMatrices.push_back({alm.node, ap.node, g.node});
  return g;
}

std::map<std::string, Builtin> makeBuiltins() {
  std::map<std::string, Builtin> t;
  auto model = [&](const char *n, std::vector<std::string> sig, BuiltinFn fn, const char *doc) {
    t[n] = Builtin{std::move(sig), std::move(fn), true, doc};
  };
  auto pure = [&](const char *n, std::vector<std::string> sig, BuiltinFn fn, const char *doc) {
    t[n] = Builtin{std::move(sig), std::move(fn), false, doc};
  };
  auto cfg = [&](const char *n, const char *cat, std::vector<std::string> sig, const char *doc) {
    t[n] = Builtin{std::move(sig), config(cat), false, doc};
  };

  // --- layers with parameters ---------------------------------------------
  model("embed", {"ids", "vocab", "dim", "init=none"}, [](E &e, const Bound &b) -> Value {
    const Value &ids = b["ids"];
    if (!e.expectTensor(ids, b.loc("ids"), "'ids' of embed"))
      return Value::invalid();
    if (ids.s != "int") {
      auto &d = e.error(b.loc("ids"), "embed needs integer ids");
      d.found = ids.describe();
      return Value::invalid();
    }
    if (!e.expectInt(b["vocab"], b.loc("vocab"), "'vocab' of embed", 1) ||
        !e.expectInt(b["dim"], b.loc("dim"), "'dim' of embed", 1))
      return Value::invalid();
    e.openScope("embed", nullptr);
    int table = e.addParam("weight", {known(b["vocab"].i), known(b["dim"].i)}, "embedding", b.callLoc);
    e.closeScope();
    Shape s = ids.shape;
    s.push_back(known(b["dim"].i));
    return e.record(Value::tensor(s, "float"), "embedding", {e.use(ids, b.loc("ids")), table}, {},
                    b.callLoc);
  }, "token/segment embedding table [vocab, dim]");
  model("linear", {"x", "out", "bias=true", "rank=none", "act=\"none\"", "init=none"}, linear,
        "x W^T + b; rank = r factorises it as W2 act(W1 x)");
  model("rmsnorm", {"x", "weight=true", "eps=1e-6"}, [](E &e, const Bound &b) -> Value {
    long long d;
    if (!width(e, b, "x", d))
      return Value::invalid();
    int w = -1;
    if (b["weight"].kind == Value::Bool && b["weight"].b) {
      e.openScope("rmsnorm", nullptr);
      w = e.addParam("weight", {known(d)}, "norm", b.callLoc);
      e.closeScope();
    }
    return e.record(Value::tensor(b["x"].shape, "float"), "rms_norm", {e.use(b["x"], b.loc("x")), w},
                    {{"eps", Value::ofFloat(b["eps"].num())}}, b.callLoc);
  }, "RMS normalisation over the last dimension");
  model("layernorm", {"x", "affine=true", "eps=1e-5"}, [](E &e, const Bound &b) -> Value {
    long long d;
    if (!width(e, b, "x", d))
      return Value::invalid();
    int w = -1, bias = -1;
    if (b["affine"].kind == Value::Bool && b["affine"].b) {
      e.openScope("layernorm", nullptr);
      w = e.addParam("weight", {known(d)}, "norm", b.callLoc);
      bias = e.addParam("bias", {known(d)}, "norm", b.callLoc);
      e.closeScope();
    }
    return e.record(Value::tensor(b["x"].shape, "float"), "layer_norm",
                    {e.use(b["x"], b.loc("x")), w, bias}, {{"eps", Value::ofFloat(b["eps"].num())}},
                    b.callLoc);
  }, "layer normalisation over the last dimension");
  model("attention",
        {"x", "heads", "kv_heads=none", "head_dim=none", "kind=\"softmax\"", "mask=none",
         "score=none", "pos=none", "kv=none", "kv_pos=none", "qk_norm=false", "bias=false",
         "out_bias=none", "capture=false", "a_layers=2", "a_dense=2", "a_dff=none",
         "faithful=false", "init=none", "out_init=none"},
        attention,
        "multi-head attention; kind softmax|linear|relaxed_linear|aft|power_law; "
        "kv = source tensor for partial/cross attention");

  // --- tensor functions without parameters --------------------------------
  for (const char *n : {"gelu", "silu", "relu", "relu2", "sigmoid", "tanh", "exp", "log",
                        "sqrt", "abs", "softplus", "floor"})
    pure(n, {"x"}, elementwise, "elementwise");
  pure("softcap", {"x", "cap"}, [](E &e, const Bound &b) -> Value {
    if (!positiveNumber(e, b, "cap"))
      return Value::invalid();
    return elementwise(e, b);
  }, "cap * tanh(x / cap)");
  pure("clamp", {"x", "lo", "hi"}, elementwise, "clamp to [lo, hi]");
  pure("dropout", {"x", "p=0.0"}, [](E &e, const Bound &b) -> Value {
    const Value &p = b["p"];
    if (!p.isNumber() || p.num() < 0 || p.num() >= 1) {
      auto &d = e.error(b.loc("p"), "dropout probability must be in [0, 1)");
      d.found = p.describe();
      return Value::invalid();
    }
    return elementwise(e, b);
  }, "dropout (identity at evaluation)");
  pure("where", {"cond", "a", "b"}, [](E &e, const Bound &b) -> Value {
    // Shapes and types as for a + b, broadcast with the condition; the
    // recording below replaces the nodes those checks would add.
    graph::Graph *saved = e.graph;
    e.graph = nullptr;
    Value ab = e.binary("+", b["a"], b["b"], b.callLoc);
    Value r = e.binary("*", ab, b["cond"].kind == Value::Tensor
                                    ? Value::tensor(b["cond"].shape, "int")
                                    : Value::ofInt(1), b.callLoc);
    e.graph = saved;
    if (r.kind == Value::Tensor)
      r.s = ab.kind == Value::Tensor ? ab.s : r.s;
    return e.record(r, "select", {e.use(b["cond"], b.loc("cond")), e.use(b["a"], b.loc("a")),
                                  e.use(b["b"], b.loc("b"))}, {}, b.callLoc);
  }, "elementwise choice");
  for (const char *n : {"min", "max"})
    pure(n, {"a", "b"}, [](E &e, const Bound &b) {
      graph::Graph *saved = e.graph;
      e.graph = nullptr;
      Value r = e.binary("+", b["a"], b["b"], b.callLoc);
      e.graph = saved;
      return e.record(r, "binary", {e.use(b["a"], b.loc("a")), e.use(b["b"], b.loc("b"))},
                      {{"kind", Value::ofStr(b.fn)}}, b.callLoc);
    }, "elementwise minimum/maximum");
  model("heads", {"x", "n"}, [](E &e, const Bound &b) -> Value {
    long long d;
    if (!width(e, b, "x", d) || !e.expectInt(b["n"], b.loc("n"), "'n' of heads", 1))
      return Value::invalid();
    if (d % b["n"].i) {
      auto &diag = e.error(b.loc("n"), "width " + std::to_string(d) +
                                           " does not split into " + std::to_string(b["n"].i) + " heads");
      diag.fix = "choose a number of heads that divides the width";
      return Value::invalid();
    }
    Shape s = b["x"].shape;
    s.back() = known(b["n"].i);
    s.push_back(known(d / b["n"].i));
    return e.record(Value::tensor(s, "float"), "split_heads", {e.use(b["x"], b.loc("x"))},
                    {{"heads", b["n"]}}, b.callLoc);
  }, "[..., n*D] -> [..., n, D]");
  model("merge", {"x"}, [](E &e, const Bound &b) -> Value {
    const Value &x = b["x"];
    if (!e.expectTensor(x, b.loc("x"), "'x' of merge"))
      return Value::invalid();
    if (x.shape.size() < 2 || !x.shape.back().known() || !x.shape[x.shape.size() - 2].known()) {
      auto &d = e.error(b.loc("x"), "merge needs [..., heads, head_dim] with known sizes");
      d.found = x.describe();
      return Value::invalid();
    }
    Shape s(x.shape.begin(), x.shape.end() - 2);
    s.push_back(known(x.shape.back().size * x.shape[x.shape.size() - 2].size));
    return e.record(Value::tensor(s, "float"), "merge_heads", {e.use(x, b.loc("x"))}, {}, b.callLoc);
  }, "[..., n, D] -> [..., n*D]");
  model("cumsum", {"x", "dim=1"}, [](E &e, const Bound &b) {
    e.hasCumsum = true;
    return reduce(e, b);
  }, "cumulative sum along dim (a recurrence: `cache state` keeps its running sum)");
  model("unsqueeze", {"x", "dim"}, [](E &e, const Bound &b) -> Value {
    const Value &x = b["x"];
    if (!e.expectTensor(x, b.loc("x"), "'x' of unsqueeze") || !e.expectInt(b["dim"], b.loc("dim"), "'dim'"))
      return Value::invalid();
    long long r = x.shape.size() + 1, k = b["dim"].i < 0 ? b["dim"].i + r : b["dim"].i;
    if (k < 0 || k >= r) {
      auto &d = e.error(b.loc("dim"), "dimension out of range");
      d.expected = "a position in a tensor of rank " + std::to_string(r);
      d.found = std::to_string(b["dim"].i);
      return Value::invalid();
    }
    Shape s = x.shape;
    s.insert(s.begin() + k, known(1));
    return e.record(Value::tensor(s, x.s), "unsqueeze", {e.use(x, b.loc("x"))},
                    {{"dim", Value::ofInt(k)}}, b.callLoc);
  }, "insert a dimension of size 1");
  model("softmax", {"x", "dim=-1"}, reduce, "softmax along dim");
  model("mean", {"x", "dim=none"}, reduce, "mean (all elements when dim is none)");
  model("sum", {"x", "dim=none"}, reduce, "sum (all elements when dim is none)");
  model("concat", {"a", "b", "dim=-1"}, [](E &e, const Bound &b) -> Value {
    const Value &x = b["a"], &y = b["b"];
    if (!e.expectTensor(x, b.loc("a"), "'a' of concat") || !e.expectTensor(y, b.loc("b"), "'b' of concat") ||
        !e.expectInt(b["dim"], b.loc("dim"), "'dim'"))
      return Value::invalid();
    long long r = x.shape.size(), k = b["dim"].i < 0 ? b["dim"].i + r : b["dim"].i;
    bool ok = x.shape.size() == y.shape.size() && k >= 0 && k < r;
    for (long long i = 0; ok && i < r; ++i)
      ok = i == k || x.shape[i] == y.shape[i];
    if (!ok) {
      auto &d = e.error(b.callLoc, "concat needs equal shapes except along dim");
      d.found = shapeStr(x.shape) + " and " + shapeStr(y.shape) + ", dim " + std::to_string(b["dim"].i);
      return Value::invalid();
    }
    Shape s = x.shape;
    s[k] = x.shape[k].known() && y.shape[k].known()
               ? known(x.shape[k].size + y.shape[k].size)
               : Dim{x.shape[k].str() + " + " + y.shape[k].str(), -1};
    return e.record(Value::tensor(s, x.s), "concat", {e.use(x, b.loc("a")), e.use(y, b.loc("b"))},
                    {{"dim", Value::ofInt(k)}}, b.callLoc);
  }, "concatenate along dim");

  // --- positions ----------------------------------------------------------
  auto intIds = [](E &e, const Bound &b) -> bool {
    const Value &ids = b["ids"];
    if (!e.expectTensor(ids, b.loc("ids"), "'ids' of " + b.fn))
      return false;
    if (ids.s == "int")
      return true;
    e.error(b.loc("ids"), b.fn + " needs integer ids").found = ids.describe();
    return false;
  };
  auto lengthArg = [](E &e, const Bound &b, const std::string &k) -> bool {
    const Value &v = b[k];
    if (v.kind == Value::None || v.kind == Value::Int ||
        (v.kind == Value::Tensor && v.s == "int" && v.shape.size() == 1))
      return true;
    auto &d = e.error(b.loc(k), "'" + k + "' must be a length: an integer or a per-sample int tensor [b]");
    d.found = v.describe();
    return false;
  };
  model("segment", {"ids", "boundary"}, [=](E &e, const Bound &b) -> Value {
    if (!intIds(e, b) || !lengthArg(e, b, "boundary"))
      return Value::invalid();
    return e.record(Value::tensor(b["ids"].shape, "int"), "segment",
                    {e.use(b["ids"], b.loc("ids")), e.use(b["boundary"], b.loc("boundary"))}, {},
                    b.callLoc);
  }, "0 before the boundary (source), 1 from it on (target)");
  model("positions", {"ids", "restart_at=none"}, [=](E &e, const Bound &b) -> Value {
    if (!intIds(e, b) || !lengthArg(e, b, "restart_at"))
      return Value::invalid();
    return e.record(Value::tensor(b["ids"].shape, "int"), "positions",
                    {e.use(b["ids"], b.loc("ids")), e.use(b["restart_at"], b.loc("restart_at"))}, {},
                    b.callLoc);
  }, "0..t-1, restarting from 0 at restart_at (separate positional encoding)");
  pure("rope", {"theta=10000.0", "layout=\"half\"", "restart_at=none", "scale=1.0"},
       [=](E &e, const Bound &b) -> Value {
    if (!positiveNumber(e, b, "theta") || !positiveNumber(e, b, "scale") ||
        !isStr(e, b, "layout", {"half", "interleaved", "truncated"}) ||
        !lengthArg(e, b, "restart_at"))
      return Value::invalid();
    Value v;
    v.kind = Value::Pos;
    v.s = "rope";
    for (auto &[k, f] : b.v)
      if (f.kind != Value::None)
        v.fields[k] = f;
    return v;
  }, "rotary positions: half (NeoX), interleaved pairs, or truncated (Palm)");
  model("rotary", {"x", "pos"}, [](E &e, const Bound &b) -> Value {
    const Value &x = b["x"], &pos = b["pos"];
    if (!e.expectTensor(x, b.loc("x"), "'x' of rotary"))
      return Value::invalid();
    if (pos.kind != Value::Pos) {
      e.error(b.loc("pos"), "'pos' of rotary must be a position encoding").found = pos.describe();
      return Value::invalid();
    }
    long long mult = pos.fields.count("layout") && pos.fields.at("layout").s == "truncated" ? 4 : 2;
    if (x.shape.empty() || !x.shape.back().known() || x.shape.back().size % mult) {
      auto &d = e.error(b.loc("x"), "rotary needs a head dimension divisible by " + std::to_string(mult));
      d.found = x.describe();
      return Value::invalid();
    }
    return applyRope(e, x, pos, b.callLoc);
  }, "apply a rope() encoding to [b, t, h, D]");

  // --- losses -------------------------------------------------------------
  model("cross_entropy", {"logits", "targets", "shift=false", "ignore=-100", "smoothing=0.0"},
        crossEntropy, "mean token cross-entropy; shift predicts the next token");
  model("dag", {"matrix=\"a_lm\""}, [](E &e, const Bound &b) -> Value {
    if (!isStr(e, b, "matrix", {"a_lm", "a_p", "g_lm"}))
      return Value::invalid();
    if (!e.hasPowerLaw) {
      auto &d = e.error(b.callLoc, "dag() needs power_law attention earlier in the model");
      d.fix = "use attention(..., kind = \"power_law\") or remove the DAG loss";
      return Value::invalid();
    }
    if (!e.graph)
      return Value::tensor({}, "float");
    // One operand per power_law attention so far: its [b, h, D, D] matrix.
    static const std::map<std::string, int> column = {{"a_lm", 0}, {"a_p", 1}, {"g_lm", 2}};
    std::vector<int> matrices;
    for (const auto &m : e.powerLawMatrices)
      matrices.push_back(m[column.at(b["matrix"].s)]);
    return e.record(Value::tensor({}, "float"), "dag", matrices,
                    {{"matrix", b["matrix"]}}, b.callLoc);
  }, "PLDR DAG regulariser mean |log(tr(expm(M∘M))/D)| over layers, batch and heads");

  // --- initialisers -------------------------------------------------------
  cfg("zeros", "init", {}, "initialise to 0");
  cfg("ones", "init", {}, "initialise to 1");
  cfg("constant", "init", {"value"}, "initialise to a constant");
  cfg("normal", "init", {"std=0.02", "mean=0.0"}, "normal initialisation");
  cfg("uniform", "init", {"lo", "hi"}, "uniform initialisation");
  cfg("alibi_slopes", "init", {}, "ALiBi's geometric head slopes");
  cfg("xavier_uniform", "init", {"gain=1.0"}, "Xavier/Glorot uniform");
  cfg("xavier_normal", "init", {"gain=1.0"}, "Xavier/Glorot normal");
  cfg("torch_default", "init", {}, "PyTorch's default for the layer (U(+-1/sqrt(fan_in)))");
  cfg("identity", "init", {"scale=1.0", "noise=0.0"}, "scale * I + noise * N(0, 1) (PALM's Fp bootstrap)");

  // --- experiment configuration --------------------------------------------
  cfg("adamw", "optimizer", {"lr", "weight_decay=0.0", "betas=[]", "eps=1e-8"}, "AdamW");
  cfg("sgd", "optimizer", {"lr", "momentum=0.0", "nesterov=false", "weight_decay=0.0"},
      "SGD with momentum");
  cfg("muon", "optimizer",
      {"lr", "momentum=0.95", "nesterov=true", "ns_steps=5", "weight_decay=0.0",
       "momentum_warmup=0", "momentum_start=0.85", "fallback=none"},
      "Muon (Newton-Schulz orthogonalised momentum); fallback optimizer for embeddings, head, 1-D");
  cfg("cosine", "schedule", {"warmup=0", "min_lr=0.0"}, "linear warmup then cosine decay");
  cfg("wsd", "schedule", {"warmup=0", "decay=0.2", "min_lr=0.0", "decay_shape=\"linear\""},
      "warmup-stable-decay; decay_shape linear or cosine (Palm's cooldown)");
  cfg("linear_decay", "schedule", {"warmup=0", "min_lr=0.0"}, "linear warmup then linear decay");
  cfg("flat", "schedule", {"warmup=0"}, "linear warmup then constant");
  cfg("clip_norm", "clip", {"max"}, "clip gradients by global norm");
  cfg("clip_value", "clip", {"max"}, "clip gradients elementwise");
  cfg("text", "data", {"path", "tokenizer=\"bytes\"", "split=0.9"}, "a text file, byte-tokenised");
  cfg("task.associative_recall", "data", {"pairs=8", "queries=4", "vocab=64", "length=64"},
      "multi-query associative recall");
  cfg("task.copy_from_source", "data", {"src_len=32", "tgt_len=32", "vocab=64"},
      "copy the source segment into the target");
  cfg("task.needle", "data", {"length=256", "depth=0.5", "vocab=64"}, "needle in a haystack");
  cfg("task.icl_labels", "data", {"demos=32", "classes=2", "vocab=64", "length=128"},
      "in-context classification: demos then a query (dual-form experiments)");
  for (const char *m : {"perplexity", "accuracy", "source_ablation", "rec2ftp"})
    cfg(m, "metric", {}, "evaluation metric");
  cfg("sim_aou", "metric", {"against=\"finetuned\"", "states=\"residual\""},
      "SimAOU: cosine of ICL and fine-tuning updates of hidden states");
  cfg("sim_am", "metric", {"against=\"finetuned\""},
      "SimAM: cosine of pre-softmax attention rows, ICL vs fine-tuned");
  cfg("kendall_tau", "metric", {}, "Kendall's tau between attention and query similarity");
  return t;
}

} // namespace

const std::map<std::string, Builtin> &frond::builtins() {
  static const std::map<std::string, Builtin> table = makeBuiltins();
  return table;
}

std::string frond::builtinsHelp() {
  std::string out;
  for (auto &[name, b] : builtins())
    out += name + "(" + llvm::join(b.signature, ", ") + ")\n    " + b.doc + "\n";
  return out;
}
