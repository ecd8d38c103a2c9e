//===- GenerationPrefill.cpp - the prefill graph ---------------------------===//
//
// The forward over right-padded prompts [b, t] with their lengths
// (gen.lengths [b]), changed only where padding could leak into a prompt:
// - attention whose mask may see later keys also requires k < length;
// - a read of the last position (x[:, -1:]) reads each prompt's own last;
// - a summary over positions (PLDR's qᵀq) skips the padding.
// Results: each prompt's last logits [b, V] and every cache's first value:
// K/V over the prompt, a running state at the last position, prompt
// values (PALM's source K/V, PLDR's metric).
//
//===----------------------------------------------------------------------===//
#include "GenerationImpl.h"

namespace frond::generation {

namespace {

long long intAttr(const graph::Node &n, const char *name, long long dflt) {
  auto it = n.attrs.find(name);
  return it != n.attrs.end() && it->second.kind == Value::Int ? it->second.i : dflt;
}

class PrefillBuilder {
public:
  PrefillBuilder(const Analysis &a, GenerationPlan &plan, DiagEngine &diags)
      : a(a), g(*a.g), w(plan.prefill), diags(diags) {}

  bool build() {
    std::vector<int> roots{a.head};
    for (auto &[node, name] : a.cacheName) {
      roots.push_back(node);
      AttentionMode mode = a.attention[size_t(node)];
      if (mode == AttentionMode::KV || mode == AttentionMode::State)
        roots.insert(roots.end(), {g.nodes[size_t(node)].operands[1],
                                   g.nodes[size_t(node)].operands[2]});
    }
    map.assign(g.nodes.size(), -1);
    Loc at = g.nodes[size_t(a.tokens)].loc;
    lengths = w.input("gen.lengths", {g.nodes[size_t(a.tokens)].shape[0]}, "int", at);
    last = w.add("binary", {lengths, w.constant(Value::ofInt(1), "int", at)},
                 w.node(lengths).shape, "int", at, {{"kind", Value::ofStr("sub")}});
    for (int id : closure(g, roots))
      if ((map[size_t(id)] = emit(id)) < 0)
        return false;

    int logits = w.positionOf(map[size_t(a.head)], 1, last);
    Shape bv = {w.node(logits).shape[0], w.node(logits).shape[2]};
    w.output("logits", w.add("squeeze", {logits}, bv, "float", w.node(logits).loc,
                             {{"dim", Value::ofInt(1)}}));
    for (auto &[node, name] : a.cacheName) {
      const graph::Node &n = g.nodes[size_t(node)];
      if (a.attention[size_t(node)] == AttentionMode::KV) {
        w.output("cache:" + name + ".k", map[size_t(n.operands[1])]);
        w.output("cache:" + name + ".v", map[size_t(n.operands[2])]);
      } else if (a.attention[size_t(node)] == AttentionMode::State) {
        prefillRecurrent(w, n, map[size_t(n.operands[1])], map[size_t(n.operands[2])],
                         w.validPositions(map[size_t(a.tokens)], lengths), name);
      } else if (n.op == "cumsum") {
        int sum = w.positionOf(map[size_t(node)], a.seqAxis[size_t(node)], last);
        w.output("cache:" + name, sum);
        // Decode's compensation starts at zero: the prompt's sum is the
        // cumsum's own (accumulated in f64, rounded once). (sum - sum is a
        // zero of its shape; NaN where the sum is infinite, hence nanToZero.)
        const graph::Node &s = w.node(sum);
        int zero = w.add("binary", {sum, sum}, s.shape, s.dtype, s.loc,
                         {{"kind", Value::ofStr("sub")}});
        w.output("cache:" + name + ".c", w.nanToZero(zero));
      } else {
        w.output("cache:" + name, map[size_t(node)]);
      }
    }
    return true;
  }

private:
  const Analysis &a;
  const graph::Graph &g;
  Writer w;
  DiagEngine &diags;
  std::vector<int> map;
  int lengths = -1, last = -1;

  int emit(int id) {
    const graph::Node &n = g.nodes[size_t(id)];
    std::vector<int> ops;
    for (int o : n.operands)
      ops.push_back(o < 0 ? -1 : map[size_t(o)]);
    if (n.op == "attention") {
      int att = w.copy(n, ops);
      AttentionMode mode = a.attention[size_t(id)];
      bool causal = !n.regions.empty() && hidesLaterKeys(*n.regions[0]);
      if (mode != AttentionMode::Source && !causal)
        rewriteRegions(w, att, -1, /*guard=*/true, lengths);
      return att;
    }
    if (n.op == "slice" && a.role[size_t(id)] == Role::Step) // x[:, -1:]
      return w.positionOf(ops[0], int(intAttr(n, "dim", 1)), last);
    if (a.summaries.count(id))
      return summary(n, ops);
    return w.copy(n, ops);
  }

  /// A reduction or contraction over positions, with padding zeroed first.
  int summary(const graph::Node &n, std::vector<int> ops) {
    bool sums = n.op == "matmul" || (n.op == "reduce" && n.attrs.count("kind") &&
                                     n.attrs.at("kind").s == "sum");
    if (!sums) {
      auto &d = diags.error(n.loc, "cannot generate with a cache: '" + n.op +
                                       "' summarises the prompt, and padding of shorter "
                                       "prompts cannot be kept out of it");
      d.fix = "generate with full recomputation (--no-cache)";
      return -1;
    }
    for (size_t i = 0; i < n.operands.size(); ++i) {
      int o = n.operands[i];
      if (o < 0 || a.role[size_t(o)] != Role::Position)
        continue;
      int axis = a.seqAxis[size_t(o)];
      int rank = int(g.nodes[size_t(o)].shape.size());
      int valid = w.validPositions(map[size_t(a.tokens)], lengths); // [b, t]
      for (int d = 1; d < axis; ++d)
        valid = w.unsqueeze(valid, d);
      while (int(w.node(valid).shape.size()) < rank)
        valid = w.unsqueeze(valid, int(w.node(valid).shape.size()));
      int zero = w.constant(Value::ofFloat(0.0), "float", n.loc);
      ops[i] = w.add("select", {valid, ops[i], zero}, w.node(ops[i]).shape,
                     w.node(ops[i]).dtype, n.loc);
    }
    return w.copy(n, ops);
  }
};

} // namespace

bool buildPrefill(const Analysis &a, GenerationPlan &plan, DiagEngine &diags) {
  return PrefillBuilder(a, plan, diags).build();
}

} // namespace frond::generation
