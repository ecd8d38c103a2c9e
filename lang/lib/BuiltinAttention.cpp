//===- BuiltinAttention.cpp - the attention primitive and its parts ------===//
//
// attention(): checks the arguments, registers the projections (and, for
// power_law, PLDR's metric network) and records the attention as graph
// nodes: projections, heads, QK-norm, RoPE, the core with its mask and
// score regions, and the output projection.
//
//===----------------------------------------------------------------------===//
#include "BuiltinHelpers.h"

#include "llvm/ADT/StringExtras.h"

#include <cmath>

using namespace frond;

namespace frond::builtin {

namespace {

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

Value recordMetric(E &e, const Value &q, const AttentionInfo &info, size_t base, Loc at,
                   bool causal);

/// Records attention as its parts: projections, heads, optional QK-norm
/// and RoPE, the `attention` core with mask/score regions (and, for
/// power_law, PLDR's metric network), then the output projection.
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

/// PLDR's metric: A = LN(qᵀq) through a residual GLU network, then
/// A_LM = iSwiGLU(W A + b) + 1e-9, A_P = A_LM ** P, G = alpha A_P + beta.
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

} // namespace

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

} // namespace frond::builtin
