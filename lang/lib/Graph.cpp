//===- Graph.cpp - printing (`--emit=graph`) and copying recorded dataflow -===//
#include "frond/lang/Graph.h"

#include <sstream>

using namespace frond;
using namespace frond::graph;

static void print(const Graph &g, std::ostringstream &os, const std::string &indent) {
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const Node &n = g.nodes[i];
    os << indent << "%" << i << " = " << n.op;
    if (!n.name.empty())
      os << " \"" << n.name << "\"";
    for (size_t k = 0; k < n.operands.size(); ++k)
      os << (k ? ", " : " ") << (n.operands[k] < 0 ? std::string("_") : "%" + std::to_string(n.operands[k]));
    for (auto &[key, v] : n.attrs)
      os << " " << key << "=" << v.str();
    os << " : " << shapeStr(n.shape) << " " << n.dtype;
    if (n.loc.valid())
      os << "  @" << n.loc.line << ":" << n.loc.col;
    os << "\n";
    const char *names[] = {"mask", "score"};
    for (size_t r = 0; r < n.regions.size(); ++r) {
      if (n.regions[r]->nodes.empty())
        continue;
      os << indent << "  " << (r < 2 ? names[r] : "region") << " {\n";
      print(*n.regions[r], os, indent + "    ");
      os << indent << "  }\n";
    }
  }
}

std::string Graph::str() const {
  std::ostringstream os;
  print(*this, os, "");
  for (auto &[name, id] : outputs)
    os << "output " << name << " = %" << id << "\n";
  return os.str();
}

Node Node::clone() const {
  Node c;
  c.op = op;
  c.operands = operands;
  c.attrs = attrs;
  c.shape = shape;
  c.dtype = dtype;
  c.loc = loc;
  c.name = name;
  for (const auto &r : regions)
    c.regions.push_back(r->clone());
  return c;
}

std::unique_ptr<Graph> Graph::clone() const {
  auto c = std::make_unique<Graph>();
  c->outputs = outputs;
  c->captures = captures;
  for (const Node &n : nodes)
    c->nodes.push_back(n.clone());
  return c;
}
