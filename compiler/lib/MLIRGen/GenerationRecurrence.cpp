//===- GenerationRecurrence.cpp - recurrent attention as a running state --===//
//
// Causal attention of the kinds without softmax has a state that one new
// key/value updates in O(1) (`cache state`), per K/V head:
//
//   relaxed_linear  out = scale · q S,          S = Σ_k kᵀ v   [D, Dv]
//   linear          out = (q S) / (q z),        z = Σ_k k      [1, D]
//   aft             out = scale · q ⊙ u,        u = Σ_k k ⊙ v  [1, D]
//
// (frond.attention's definitions with the mask k <= q and no score
// region.) Prefill sums over each prompt's positions (padding zeroed);
// decode adds the new key's term, then reads the state with the query.
// Grouped query heads read their K/V head's state: q [b, h, 1, D] is
// viewed as [b, h_kv, g, 1, D] against the state [b, h_kv, 1, ...].
//
//===----------------------------------------------------------------------===//
#include "GenerationImpl.h"

namespace frond::generation {

namespace {

Value perm(std::vector<long long> p) {
  Value v;
  v.kind = Value::List;
  for (long long i : p)
    v.list.push_back(Value::ofInt(i));
  return v;
}

std::string kindOf(const graph::Node &n) {
  auto it = n.attrs.find("kind");
  return it == n.attrs.end() ? "" : it->second.s;
}

double scaleOf(const graph::Node &n) {
  auto it = n.attrs.find("scale");
  return it == n.attrs.end() ? 1.0 : it->second.num();
}

/// Shape and op helpers over a Writer.
struct Ops {
  Writer &w;
  Loc at;
  int transpose(int x, std::vector<long long> p) {
    Shape s;
    for (long long i : p)
      s.push_back(w.node(x).shape[size_t(i)]);
    return w.add("transpose", {x}, s, "float", at, {{"permutation", perm(p)}});
  }
  int matmul(int a, int b) {
    Shape sa = w.node(a).shape, sb = w.node(b).shape;
    Shape s = sa.size() >= sb.size() ? sa : sb;
    // Batch dimensions broadcast (a unit extent takes the other's).
    for (size_t i = 0; i + 2 < s.size(); ++i) {
      const Dim &da = sa[i], &db = sb[i];
      s[i] = da.known() && da.size == 1 ? db : da;
    }
    s[s.size() - 2] = sa[sa.size() - 2];
    s[s.size() - 1] = sb.back();
    return w.add("matmul", {a, b}, s, "float", at);
  }
  int binary(const char *kind, int a, int b) {
    Shape sa = w.node(a).shape, sb = w.node(b).shape;
    Shape s = sa.size() >= sb.size() ? sa : sb;
    for (size_t i = 0; i < s.size() && sa.size() == sb.size(); ++i)
      s[i] = sa[i].known() && sa[i].size == 1 ? sb[i] : sa[i];
    return w.add("binary", {a, b}, s, "float", at, {{"kind", Value::ofStr(kind)}});
  }
  int times(int a, double c) { return binary("mul", a, w.constant(Value::ofFloat(c), "float", at)); }
  int sumOverPositions(int x) { // [b, h, t, D] -> [b, h, 1, D]
    Shape s = w.node(x).shape;
    s[2] = Dim{"", 1};
    return w.add("reduce", {x}, s, "float", at,
                 {{"kind", Value::ofStr("sum")}, {"dims", perm({2})}, {"keep_dims", Value::ofBool(true)}});
  }
  /// q [b, h, 1, D] -> [b, h_kv, g, 1, D] (query head i reads K/V head i / g).
  int group(int q, long long kvHeads) {
    int t = transpose(q, {0, 2, 3, 1}); // [b, 1, D, h]
    Shape s = w.node(t).shape;
    long long h = s[3].size;
    s[3] = Dim{"", kvHeads};
    s.push_back(Dim{"", h / kvHeads});
    t = w.add("split_heads", {t}, s, "float", at, {{"heads", Value::ofInt(kvHeads)}});
    return transpose(t, {0, 3, 4, 1, 2});
  }
  /// The inverse of group: [b, h_kv, g, 1, E] -> [b, h, 1, E].
  int ungroup(int x) {
    int t = transpose(x, {0, 3, 4, 1, 2}); // [b, 1, E, h_kv, g]
    Shape s = w.node(t).shape;
    Dim h{"", s[3].size * s[4].size};
    s.pop_back();
    s[3] = h;
    t = w.add("merge_heads", {t}, s, "float", at);
    return transpose(t, {0, 3, 1, 2});
  }
  /// [b, h_kv, ...] -> [b, h_kv, 1, ...]: broadcast over the group.
  int perGroup(int x) { return w.unsqueeze(x, 2); }
};

} // namespace

std::vector<std::string> recurrentStateParts(const graph::Node &att) {
  std::string kind = kindOf(att);
  if (kind == "linear")
    return {"s", "z"};
  return {kind == "aft" ? "u" : "s"};
}

Shape recurrentStateShape(const graph::Node &k, const graph::Node &v, const std::string &part) {
  const Shape &ks = k.shape, &vs = v.shape;
  if (part == "s")
    return {ks[0], ks[1], ks[3], vs[3]};
  return {ks[0], ks[1], Dim{"", 1}, ks[3]};
}

int decodeRecurrent(Writer &w, const graph::Node &att, const graph::Node &k,
                    const graph::Node &v, int q, int kNew, int vNew, const std::string &name,
                    std::vector<std::pair<std::string, int>> &updates) {
  Ops o{w, att.loc};
  std::string kind = kindOf(att);
  double scale = scaleOf(att);
  auto state = [&](const std::string &part, int term) {
    int prev = w.input("cache:" + name + "." + part, recurrentStateShape(k, v, part), "float",
                       att.loc);
    int next = o.binary("add", prev, term);
    updates.push_back({name + "." + part, next});
    return next;
  };
  int qg = o.group(q, k.shape[1].size); // [b, hkv, g, 1, D]
  int out;
  if (kind == "aft") {
    int u = state("u", o.binary("mul", kNew, vNew));         // [b, hkv, 1, D]
    out = o.times(o.binary("mul", qg, o.perGroup(u)), scale); // [b, hkv, g, 1, D]
  } else {
    int s = state("s", o.matmul(o.transpose(kNew, {0, 1, 3, 2}), vNew)); // [b, hkv, D, Dv]
    out = o.matmul(qg, o.perGroup(s));                                   // [b, hkv, g, 1, Dv]
    if (kind == "linear") {
      int z = state("z", kNew);                                            // [b, hkv, 1, D]
      int den = o.matmul(qg, o.perGroup(o.transpose(z, {0, 1, 3, 2})));    // [.., 1, 1]
      out = o.binary("div", out, den);
    } else {
      out = o.times(out, scale);
    }
  }
  return o.ungroup(out);
}

void prefillRecurrent(Writer &w, const graph::Node &att, int k, int v, int valid,
                      const std::string &name) {
  Ops o{w, att.loc};
  std::string kind = kindOf(att);
  int zero = w.constant(Value::ofFloat(0.0), "float", att.loc);
  // Padding after a prompt adds nothing: valid [b, t] as [b, 1, t, 1].
  int mask = w.unsqueeze(w.unsqueeze(valid, 1), 3);
  int kk = w.add("select", {mask, k, zero}, w.node(k).shape, "float", att.loc);
  if (kind == "aft") {
    w.output("cache:" + name + ".u", o.sumOverPositions(o.binary("mul", kk, v)));
    return;
  }
  w.output("cache:" + name + ".s", o.matmul(o.transpose(kk, {0, 1, 3, 2}), v));
  if (kind == "linear")
    w.output("cache:" + name + ".z", o.sumOverPositions(kk));
}

} // namespace frond::generation
