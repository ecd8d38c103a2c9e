//===- Graph.h - a model's dataflow, recorded by the elaborator -*- C++ -*-===//
//
// While sema elaborates a model it can record every primitive it evaluates
// into a Graph: a flat SSA list of nodes whose op names and attribute names
// are those of the `frond` MLIR dialect (compiler/include/.../FrondOps.td).
// MLIRGen turns a Graph into one func.func of frond ops; the libtorch
// reference interprets the same Graph eagerly. lang/ stays MLIR-free.
//
// Conventions
//  - Node ids index Graph::nodes; an absent optional operand is -1.
//  - "input" nodes are the model's inputs (function arguments, in order);
//    "param" nodes its learnable tensors (arguments after the inputs), with
//    `name` = parameter path; "constant" holds attrs["value"] (a number).
//  - Other ops mirror the dialect: "embedding", "linear", "lowrank_linear",
//    "rms_norm", "layer_norm", "rope", "matmul", "unary" (attrs kind),
//    "binary" (kind), "compare" (kind), "select", "softcap", "clamp",
//    "cast", "slice", "concat", "split_heads", "merge_heads", "transpose",
//    "reduce", "cumsum", "softmax", "cross_entropy", "attention".
//    Helpers without a dialect op of their own: "positions" (ids,
//    restart_at?) and "segment" (ids, boundary) produce i64 tensors [b, t]
//    (positions reads only dims 0 and 1 of its first operand); "squeeze"
//    (dim) drops a size-1 dimension and "unsqueeze" (dim) inserts one;
//    "dropout" (p) is the identity at evaluation; "extract" (tensor, then
//    one index-typed scalar per dimension) reads one element.
//  - "attention" has two region graphs, `mask` and `score`. A region's
//    arguments are nodes with op "region_arg" (attrs index 0..): for mask
//    (b, h, q, k) as index scalars, for score (s, b, h, q, k). Outer tensors
//    a region reads are the attention node's trailing `captures` operands;
//    inside the region they are "capture" nodes (attrs index). Region ops
//    work on rank-0 values and end in a "yield" node. Index arguments meet
//    i64 values (src_len[b] is i64, q is index): cast index to i64 there.
//  - Graph::outputs names the results: "head:<name>", "loss:<name>" and
//    "loss" (the total).
//
//===----------------------------------------------------------------------===//
#pragma once

#include "frond/lang/Values.h"

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace frond::graph {

struct Graph;

struct Node {
  std::string op;
  std::vector<int> operands;
  std::map<std::string, Value> attrs;
  Shape shape;
  std::string dtype; ///< "float", "int" (i64), "bool" (i1), "index"
  Loc loc;
  std::string name; ///< Input name or parameter path
  std::vector<std::unique_ptr<Graph>> regions;

  /// A deep copy, regions included.
  Node clone() const;
};

struct Graph {
  std::vector<Node> nodes;
  std::vector<std::pair<std::string, int>> outputs;
  /// For a region: outer node id -> capture index.
  std::vector<int> captures;

  int add(Node n) {
    nodes.push_back(std::move(n));
    return int(nodes.size()) - 1;
  }
  /// A readable dump (`frond compile --emit=graph`), for tests.
  std::string str() const;
  /// A deep copy (derived graphs such as generation's start from one).
  std::unique_ptr<Graph> clone() const;
};

} // namespace frond::graph
