//===- GenerationDecode.cpp - the one-token decode graph -------------------===//
//
// The forward for one new token per sequence (tokens [b, 1]) at its own
// position gen.pos [b]:
// - positions/segment count from gen.pos[b] (RoPE, learned positions,
//   PALM's restart at src_len);
// - self-attention writes the new K/V into its cache at gen.pos
//   (frond.cache_write, in place) and attends over the first
//   max(gen.pos) + 1 cache slots (or all of them, plan.wholeCache), with
//   the query at its absolute position and keys after it hidden (their
//   slots are stale or empty);
// - attention over the prompt (PALM's partial attention) reads K/V from its
//   source cache; the head reads cached prompt values (a metric) likewise;
// - cumsum adds the new value to its running state.
// A mask that reads tokens at key positions reads gen.history [b, T] (every
// token so far, kept by the caller). Results: logits [b, V] and each cache's
// update (the new K/V slices, the next states).
//
//===----------------------------------------------------------------------===//
#include "GenerationImpl.h"

namespace frond::generation {

namespace {

class DecodeBuilder {
public:
  DecodeBuilder(const Analysis &a, GenerationPlan &plan, DiagEngine &diags)
      : a(a), g(*a.g), plan(plan), w(plan.decode), diags(diags) {}

  bool build() {
    const graph::Node &tokens = g.nodes[size_t(a.tokens)];
    batch = tokens.shape[0];
    map.assign(g.nodes.size(), -1);
    pos = w.input("gen.pos", {batch}, "int", tokens.loc);
    for (int id : a.decodeNodes)
      if (g.nodes[size_t(id)].op != "param" && (map[size_t(id)] = emit(id)) < 0)
        return false;
    int head = map[size_t(a.head)];
    Shape bv = {batch, w.node(head).shape[2]};
    w.output("logits", w.add("squeeze", {head}, bv, "float", w.node(head).loc,
                             {{"dim", Value::ofInt(1)}}));
    for (auto &[name, id] : updates)
      w.output("cache:" + name, id);
    // One position: the sequence extent is 1 in every type.
    const Dim &t = tokens.shape[1];
    for (graph::Node &node : plan.decode.nodes)
      for (Dim &d : node.shape)
        if (!d.known() && d.name == t.name)
          d = Dim{"", 1};
    return true;
  }

private:
  const Analysis &a;
  const graph::Graph &g;
  GenerationPlan &plan;
  Writer w;
  DiagEngine &diags;
  std::vector<int> map;
  std::vector<std::pair<std::string, int>> updates;
  Dim batch;
  int pos = -1, keys = -1, history = -1;
  std::map<std::string, int> packedInputs;

  int emit(int id) {
    const graph::Node &n = g.nodes[size_t(id)];
    auto it = a.cacheName.find(id);
    if (a.role[size_t(id)] == Role::Prompt)
      return w.input("cache:" + it->second, n.shape, n.dtype, n.loc);
    bool packs = (n.op == "linear" || n.op == "lowrank_linear") && isParam(n.operands[1]) &&
                 (n.op == "linear" || isParam(n.operands[2]));
    std::vector<int> ops;
    for (size_t i = 0; i < n.operands.size(); ++i) // packed weights: not as they are
      ops.push_back(packs && (i == 1 || (i == 2 && n.op == "lowrank_linear"))
                        ? -1
                        : valueOf(n.operands[i]));
    if (packs)
      return packedLinear(n, ops);
    if ((n.op == "positions" || n.op == "segment") && !n.operands.empty() &&
        a.role[size_t(n.operands[0])] == Role::Position)
      return positions(n, ops);
    if (n.op == "attention")
      return attention(id, ops);
    if (n.op == "cumsum" && it != a.cacheName.end()) {
      // The running sum through the previous position, plus the new value,
      // compensated (Kahan): the full cumsum accumulates in f64 and rounds
      // once, so a plain f32 running sum would drift from it by an ulp per
      // step, which PLDR's power law on the metric amplifies.
      Shape one = n.shape;
      one[size_t(a.seqAxis[size_t(id)])] = Dim{"", 1};
      int sum = w.input("cache:" + it->second, one, n.dtype, n.loc);
      int comp = w.input("cache:" + it->second + ".c", one, n.dtype, n.loc);
      auto op = [&](const char *kind, int x, int y) {
        return w.add("binary", {x, y}, n.shape, n.dtype, n.loc, {{"kind", Value::ofStr(kind)}});
      };
      int addend = op("sub", ops[0], comp);        // y = x - c
      int next = op("add", sum, addend);           // t = s + y
      // c' = (t - s) - y; NaN once t is infinite (inf - inf), where the sum
      // is t itself: no compensation then.
      int lost = w.nanToZero(op("sub", op("sub", next, sum), addend));
      updates.push_back({it->second, next});
      updates.push_back({it->second + ".c", lost});
      return op("sub", next, lost);                // t - c': the sum, rounded once
    }
    return w.copy(n, ops);
  }

  /// The new node of `id`; parameters are added where first used, so one
  /// that decode reads only transposed (packedLinear) is no argument.
  int valueOf(int id) {
    if (id < 0)
      return -1;
    if (map[size_t(id)] < 0 && g.nodes[size_t(id)].op == "param")
      map[size_t(id)] = w.copy(g.nodes[size_t(id)], {});
    return map[size_t(id)];
  }

  bool isParam(int id) const { return id >= 0 && g.nodes[size_t(id)].op == "param"; }

  /// The weight [out, in] as the caller's transposed copy [in, out]
  /// (GenerationPlan::packed), one input per parameter.
  int packed(int param) {
    const graph::Node &p = g.nodes[size_t(param)];
    auto [it, fresh] = packedInputs.try_emplace(p.name, -1);
    if (fresh) {
      plan.packed.push_back(p.name);
      it->second = w.input("packed:" + p.name, {p.shape[1], p.shape[0]}, "float", p.loc);
    }
    return it->second;
  }

  /// A linear of one position is a matrix-vector product: x · Wᵀ reads the
  /// caller's Wᵀ, so the compiled step does not repack every weight
  /// ([out, in] to [in, out] for vector FMAs) each time it runs.
  int packedLinear(const graph::Node &n, const std::vector<int> &ops) {
    auto product = [&](int x, int param, long long out) {
      Shape s = w.node(x).shape;
      s.back() = Dim{"", out};
      return w.add("matmul", {x, packed(param)}, s, "float", n.loc);
    };
    const graph::Node &w0 = g.nodes[size_t(n.operands[1])];
    if (n.op == "linear") {
      int y = product(ops[0], n.operands[1], w0.shape[0].size);
      if (ops.size() > 2 && ops[2] >= 0)
        y = w.add("binary", {y, ops[2]}, n.shape, "float", n.loc, {{"kind", Value::ofStr("add")}});
      return y;
    }
    // lowrank_linear: W2 act(W1 x).
    int h = product(ops[0], n.operands[1], w0.shape[0].size);
    auto act = n.attrs.find("activation");
    if (act != n.attrs.end() && act->second.s != "none")
      h = w.add("unary", {h}, w.node(h).shape, "float", n.loc, {{"kind", act->second}});
    return product(h, n.operands[2], g.nodes[size_t(n.operands[2])].shape[0].size);
  }

  /// t + gen.pos[b] (then PALM's restart at r[b]: t - r from t >= r on;
  /// segment: t >= r as 0/1).
  int positions(const graph::Node &n, const std::vector<int> &ops) {
    Shape bt = n.shape;
    Loc at = n.loc;
    int t = w.add("positions", {ops[0], -1}, bt, "int", at);
    t = w.add("binary", {t, w.unsqueeze(pos, 1)}, bt, "int", at, {{"kind", Value::ofStr("add")}});
    int r = ops.size() > 1 ? ops[1] : -1;
    if (r < 0)
      return t;
    if (w.node(r).shape.size() == 1)
      r = w.unsqueeze(r, 1);
    int after = w.add("compare", {t, r}, bt, "bool", at, {{"kind", Value::ofStr("ge")}});
    if (n.op == "segment")
      return w.add("cast", {after}, bt, "int", at);
    int shifted = w.add("binary", {t, r}, bt, "int", at, {{"kind", Value::ofStr("sub")}});
    return w.add("select", {after, shifted, t}, bt, "int", at);
  }

  int attention(int id, std::vector<int> ops) {
    const graph::Node &n = g.nodes[size_t(id)];
    // A mask reading tokens at key positions reads every token so far.
    for (size_t c = 4; c < n.operands.size(); ++c)
      if (n.operands[c] == a.tokens)
        ops[c] = historyInput();
    AttentionMode mode = a.attention[size_t(id)];
    if (mode == AttentionMode::KV) {
      const std::string &name = a.cacheName.at(id);
      ops[1] = appendToCache(name + ".k", n.operands[1], ops[1]);
      ops[2] = appendToCache(name + ".v", n.operands[2], ops[2]);
    } else if (mode == AttentionMode::State) {
      return decodeRecurrent(w, n, g.nodes[size_t(n.operands[1])],
                             g.nodes[size_t(n.operands[2])], ops[0], ops[1], ops[2],
                             a.cacheName.at(id), updates);
    }
    int att = w.copy(n, ops);
    // Keys after the query are stale cache slots: hide them, unless the
    // mask already does (k <= q).
    bool causal = !n.regions.empty() && hidesLaterKeys(*n.regions[0]);
    rewriteRegions(w, att, pos, /*guard=*/mode == AttentionMode::KV && !causal, -1);
    return att;
  }

  /// Writes the new slice `update` into the cache `name` at gen.pos and
  /// returns the cache's first max(gen.pos) + 1 positions (all of them
  /// with plan.wholeCache).
  int appendToCache(const std::string &name, int source, int update) {
    const graph::Node &n = g.nodes[size_t(source)];
    int axis = a.seqAxis[size_t(source)];
    Shape full = n.shape, seen = n.shape;
    full[size_t(axis)] = Dim{"max_tokens", -1};
    seen[size_t(axis)] = Dim{"keys", -1};
    int cache = w.input("cache:" + name, full, n.dtype, n.loc);
    int written = w.add("cache_write", {update, cache, pos}, full, n.dtype, n.loc,
                        {{"dim", Value::ofInt(axis)}});
    updates.push_back({name, update});
    if (plan.wholeCache)
      return written;
    return w.add("slice", {written, -1, keyCount()}, seen, n.dtype, n.loc,
                 {{"dim", Value::ofInt(axis)}});
  }

  /// max_b(gen.pos[b]) + 1, the cache positions any sample has written.
  int keyCount() {
    if (keys >= 0)
      return keys;
    Loc at = w.node(pos).loc;
    Value dims;
    dims.kind = Value::List;
    dims.list.push_back(Value::ofInt(0));
    int last = w.add("reduce", {pos}, {}, "int", at,
                     {{"kind", Value::ofStr("max")}, {"dims", dims}});
    return keys = w.add("binary", {last, w.constant(Value::ofInt(1), "int", at)}, {}, "int",
                        at, {{"kind", Value::ofStr("add")}});
  }

  int historyInput() {
    if (history < 0) {
      plan.history = true;
      history = w.input("gen.history", {batch, Dim{"max_tokens", -1}}, "int",
                        g.nodes[size_t(a.tokens)].loc);
    }
    return history;
  }
};

} // namespace

bool buildDecode(const Analysis &a, GenerationPlan &plan, DiagEngine &diags) {
  return DecodeBuilder(a, plan, diags).build();
}

} // namespace frond::generation
