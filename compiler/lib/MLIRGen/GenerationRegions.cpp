//===- GenerationRegions.cpp - graph building for the derived functions ---===//
//
// The Writer's node helpers, deep copies of region graphs, and the rewrite
// of attention regions to absolute positions (decode's query sits at
// gen.pos[b], not at 0) with the guard that hides keys a sequence does not
// have: later cache slots in decode, padding after a prompt in prefill.
//
//===----------------------------------------------------------------------===//
#include "GenerationImpl.h"

namespace frond::generation {

namespace {
Dim known(long long n) { return Dim{"", n}; }
} // namespace

int Writer::add(const std::string &op, std::vector<int> operands, Shape shape,
                std::string dtype, Loc loc, std::map<std::string, Value> attrs) {
  graph::Node n;
  n.op = op;
  n.operands = std::move(operands);
  n.shape = std::move(shape);
  n.dtype = std::move(dtype);
  n.loc = loc;
  n.attrs = std::move(attrs);
  return out.add(std::move(n));
}

int Writer::input(const std::string &name, Shape shape, std::string dtype, Loc loc) {
  int id = add("input", {}, std::move(shape), std::move(dtype), loc);
  out.nodes[size_t(id)].name = name;
  return id;
}

int Writer::constant(const Value &v, std::string dtype, Loc loc) {
  return add("constant", {}, {}, std::move(dtype), loc, {{"value", v}});
}

int Writer::copy(const graph::Node &n, std::vector<int> operands) {
  graph::Node c = n.clone();
  c.operands = std::move(operands);
  return out.add(std::move(c));
}

int Writer::unsqueeze(int x, int dim) {
  Shape s = node(x).shape;
  s.insert(s.begin() + dim, known(1));
  return add("unsqueeze", {x}, s, node(x).dtype, node(x).loc, {{"dim", Value::ofInt(dim)}});
}

int Writer::positionOf(int x, int dim, int start) {
  Loc at = node(x).loc;
  int one = constant(Value::ofInt(1), "int", at);
  int end = add("binary", {start, one}, node(start).shape, "int", at,
                {{"kind", Value::ofStr("add")}});
  Shape s = node(x).shape;
  s[size_t(dim)] = known(1);
  return add("slice", {x, start, end}, s, node(x).dtype, at, {{"dim", Value::ofInt(dim)}});
}

int Writer::validPositions(int ids, int lengths) {
  Loc at = node(ids).loc;
  Shape bt(node(ids).shape.begin(), node(ids).shape.begin() + 2);
  int pos = add("positions", {ids, -1}, bt, "int", at);
  int len = unsqueeze(lengths, 1);
  return add("compare", {pos, len}, bt, "bool", at, {{"kind", Value::ofStr("lt")}});
}

int Writer::nanToZero(int x) {
  const graph::Node &n = node(x);
  Shape shape = n.shape;
  std::string dtype = n.dtype;
  Loc at = n.loc;
  int isNumber = add("compare", {x, x}, shape, "bool", at, {{"kind", Value::ofStr("eq")}});
  return add("select", {isNumber, x, constant(Value::ofFloat(0.0), "float", at)}, shape, dtype,
             at);
}

namespace {

/// One region rebuilt: fresh argument nodes, the query index shifted by
/// captures[offsetCapture][b] when that is >= 0, the old body, and the
/// result combined with `guard` (built by the callback from the argument
/// nodes; -1 for none).
std::unique_ptr<graph::Graph>
rebuild(const graph::Graph &old, bool score, int offsetCapture, Loc at,
        const std::function<int(Writer &, const std::vector<int> &)> &guard) {
  auto g = std::make_unique<graph::Graph>();
  Writer w(*g);
  // mask: (b, h, q, k); score: (s, b, h, q, k).
  int base = score ? 1 : 0;
  std::vector<int> args;
  for (int i = 0; i < 4 + base; ++i)
    args.push_back(w.add("region_arg", {}, {}, score && i == 0 ? "float" : "index", at,
                         {{"index", Value::ofInt(i)}}));
  int b = args[size_t(base)], q = args[size_t(base + 2)];
  if (offsetCapture >= 0) {
    int cap = w.add("capture", {}, {Dim{"b", -1}}, "int", at,
                    {{"index", Value::ofInt(offsetCapture)}});
    int off = w.add("extract", {cap, b}, {}, "int", at);
    args[size_t(base + 2)] = q = w.add("binary", {q, off}, {}, "int", at,
                                       {{"kind", Value::ofStr("add")}});
  }
  std::vector<int> map(old.nodes.size(), -1);
  int result = -1;
  for (size_t i = 0; i < old.nodes.size(); ++i) {
    const graph::Node &n = old.nodes[i];
    if (n.op == "region_arg") {
      auto it = n.attrs.find("index");
      map[i] = it != n.attrs.end() && it->second.i >= 0 && it->second.i < long(args.size())
                   ? args[size_t(it->second.i)]
                   : -1;
      continue;
    }
    std::vector<int> ops;
    for (int o : n.operands)
      ops.push_back(o < 0 ? -1 : map[size_t(o)]);
    if (n.op == "yield") {
      result = ops.empty() ? -1 : ops[0];
      continue;
    }
    map[i] = w.copy(n, ops);
  }
  if (guard) {
    int gd = guard(w, args);
    if (gd >= 0)
      result = result < 0 ? gd
                          : w.add("binary", {result, gd}, {}, "bool", at,
                                  {{"kind", Value::ofStr("and")}});
  }
  if (result < 0) // No mask and no guard: every key visible.
    return std::make_unique<graph::Graph>();
  w.add("yield", {result}, {}, score ? "float" : "bool", at);
  return g;
}

} // namespace

void rewriteRegions(Writer &w, int node, int queryOffset, bool guard, int lengths) {
  graph::Node &att = w.out.nodes[size_t(node)];
  while (att.operands.size() < 4)
    att.operands.push_back(-1);
  while (att.regions.size() < 2)
    att.regions.push_back(std::make_unique<graph::Graph>());
  if (!guard && att.regions[0]->nodes.empty() && att.regions[1]->nodes.empty())
    return; // Nothing reads the query's position.
  Loc at = att.loc;
  int offsetCapture = -1, lengthCapture = -1;
  if (queryOffset >= 0) {
    offsetCapture = int(att.operands.size()) - 4;
    att.operands.push_back(queryOffset);
  }
  if (guard && lengths >= 0) {
    lengthCapture = int(att.operands.size()) - 4;
    att.operands.push_back(lengths);
  }
  auto maskGuard = [&](Writer &r, const std::vector<int> &args) -> int {
    if (!guard)
      return -1;
    int k = args[3];
    if (lengthCapture < 0) // decode: k <= q (q absolute)
      return r.add("compare", {k, args[2]}, {}, "bool", at, {{"kind", Value::ofStr("le")}});
    int cap = r.add("capture", {}, {Dim{"b", -1}}, "int", at,
                    {{"index", Value::ofInt(lengthCapture)}});
    int len = r.add("extract", {cap, args[0]}, {}, "int", at);
    return r.add("compare", {k, len}, {}, "bool", at, {{"kind", Value::ofStr("lt")}});
  };
  att.regions[0] = rebuild(*att.regions[0], false, offsetCapture, at, maskGuard);
  if (!att.regions[1]->nodes.empty() && offsetCapture >= 0)
    att.regions[1] = rebuild(*att.regions[1], true, offsetCapture, at, {});
  std::vector<int> captures(att.operands.begin() + 4, att.operands.end());
  att.regions[0]->captures = captures;
  att.regions[1]->captures = captures;
}

} // namespace frond::generation
