//===- GenerationImpl.h - what the generation sources share -----*- C++ -*-===//
//
// planGeneration (Generation.h) in four steps, one file each:
//
// - GenerationAnalysis.cpp: which axis of each node is the sequence, and
//   what each node is to cached generation (Role): per position, per step,
//   or computed once from the prompt.
// - GenerationPrefill.cpp / GenerationDecode.cpp: the two derived graphs.
// - GenerationRegions.cpp: attention mask/score regions at absolute
//   positions, and the small graph-building helpers both builders use.
//
//===----------------------------------------------------------------------===//
#ifndef FROND_LIB_MLIRGEN_GENERATIONIMPL_H
#define FROND_LIB_MLIRGEN_GENERATIONIMPL_H

#include "frond/MLIRGen/Generation.h"

#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace frond::generation {

/// What a node is to cached generation.
enum class Role {
  Static,   ///< parameters and constants only
  Sample,   ///< per-sample inputs (src_len), fixed for a whole generation
  Position, ///< has the sequence axis: computed for each new position
  Step,     ///< no sequence axis, read from the newest position (x[:, -1])
  Prompt,   ///< no sequence axis, computed once from the prompt
};

/// How an attention node is generated.
enum class AttentionMode {
  None,   ///< not an attention node
  KV,     ///< self-attention over a KV cache
  State,  ///< linear/relaxed_linear/aft recurrence (`cache state`)
  Source, ///< K/V from the prompt (partial/cross attention), no cache write
};

/// The analysis of one model graph.
struct Analysis {
  const graph::Graph *g = nullptr;
  const ModelInstance *m = nullptr;
  int tokens = -1;            ///< the "tokens" input node
  int head = -1;              ///< the generated head's node
  std::string headName;
  std::vector<int> seqAxis;   ///< per node: the sequence axis, or -1
  std::vector<Role> role;
  std::vector<AttentionMode> attention;
  /// Prompt nodes that are summaries over the whole prompt (a reduction or
  /// contraction over positions), as opposed to a fixed prefix (x[:, :5]).
  std::set<int> summaries;
  std::set<std::string> declared; ///< the spec's cache kinds
  int64_t minPrompt = 1;
  /// What decode computes: the head's inputs, down to the prompt values
  /// it reads from caches (in node order).
  std::vector<int> decodeNodes;
  /// Node -> its cache's name: an attention ("kv0": caches kv0.k, kv0.v;
  /// "state1" for a recurrent one), a cumsum ("state2"), a prompt value
  /// ("source0.k", "g0").
  std::map<int, std::string> cacheName;

  bool declares(const std::string &kind) const { return declared.count(kind) > 0; }
};

/// Fills `a` for `g`; false after errors (reported through `diags`).
bool analyse(const graph::Graph &g, const ModelInstance &m, Analysis &a,
             DiagEngine &diags);

/// Names the caches (Analysis::cacheName) and describes them in `plan`.
void planCaches(Analysis &a, GenerationPlan &plan);

/// The two derived graphs (GenerationPrefill.cpp, GenerationDecode.cpp).
bool buildPrefill(const Analysis &a, GenerationPlan &plan, DiagEngine &diags);
bool buildDecode(const Analysis &a, GenerationPlan &plan, DiagEngine &diags);

/// The nodes needed to compute `roots`, in order; a node for which `stop`
/// is true is included but not looked through.
std::vector<int> closure(const graph::Graph &g, const std::vector<int> &roots,
                         const std::function<bool(int)> &stop = {});

/// True when a mask region requires `k <= q` (or `k < q`), alone or in a
/// conjunction: it never sees a later key, so neither the padding after a
/// prompt nor a later cache slot.
bool hidesLaterKeys(const graph::Graph &mask);
/// True when a mask region is exactly `k <= q` (what a running state over
/// the keys so far computes).
bool isCausalMask(const graph::Graph &mask);

/// Builds a derived graph node by node.
class Writer {
public:
  explicit Writer(graph::Graph &out) : out(out) {}
  graph::Graph &out;

  int add(const std::string &op, std::vector<int> operands, Shape shape,
          std::string dtype, Loc loc,
          std::map<std::string, Value> attrs = {});
  int input(const std::string &name, Shape shape, std::string dtype, Loc loc = {});
  int constant(const Value &v, std::string dtype, Loc loc = {});
  /// A copy of `n` (regions included) with `operands` instead of its own.
  int copy(const graph::Node &n, std::vector<int> operands);
  const graph::Node &node(int id) const { return out.nodes[size_t(id)]; }
  void output(const std::string &name, int id) { out.outputs.push_back({name, id}); }

  // Shapes and per-sample helpers.
  /// `x` with a unit dimension inserted at `dim`.
  int unsqueeze(int x, int dim);
  /// `x[b, start[b] : start[b] + 1]` along `dim`: one position per sample.
  int positionOf(int x, int dim, int start);
  /// [b, t] bool: t < lengths[b] for the positions of `ids` [b, t].
  int validPositions(int ids, int lengths);
  /// `x` with NaN elements replaced by 0 (a float node).
  int nanToZero(int x);
};

/// Rewrites an attention node's mask and score regions for generation:
/// - `queryOffset` >= 0 (decode): the query index becomes q + offset[b] (an
///   outer [b] int node appended to the captures) in both regions;
/// - `guard`: the mask also requires k <= q (decode: keys written later in
///   the cache are stale) or, with `lengths` >= 0 (prefill), k < lengths[b]
///   (keys past a prompt are padding).
/// `node` is the new attention node in `w.out` whose operands end in its
/// captures; extra captures are appended to it.
void rewriteRegions(Writer &w, int node, int queryOffset, bool guard, int lengths);

/// Recurrent attention as a running state (GenerationRecurrence.cpp): the
/// state's parts ("s", "z" or "u") and their shapes for K/V nodes k, v.
std::vector<std::string> recurrentStateParts(const graph::Node &att);
Shape recurrentStateShape(const graph::Node &k, const graph::Node &v, const std::string &part);
/// Decode: adds the new key/value to the state "cache:<name>.<part>"
/// (inputs), appends the next states to `updates`, returns the output
/// [b, h, 1, Dv].
int decodeRecurrent(Writer &w, const graph::Node &att, const graph::Node &k,
                    const graph::Node &v, int q, int kNew, int vNew, const std::string &name,
                    std::vector<std::pair<std::string, int>> &updates);
/// Prefill: the state over each prompt (`valid` [b, t] marks its positions),
/// as outputs "cache:<name>.<part>".
void prefillRecurrent(Writer &w, const graph::Node &att, int k, int v, int valid,
                      const std::string &name);

} // namespace frond::generation

#endif // FROND_LIB_MLIRGEN_GENERATIONIMPL_H
