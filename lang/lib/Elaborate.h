//===- Elaborate.h - compile-time evaluation of specs (private) ----------===//
//
// The Elaborator evaluates expressions and model statements over Values.
// Model builtins (embed, linear, attention, ...) live in Builtins.cpp and
// register parameters on the ModelInstance being built; experiment settings
// are checked in Experiment.cpp. Everything reports through one DiagEngine.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "frond/lang/Graph.h"
#include "frond/lang/Sema.h"

#include <array>
#include <climits>
#include <functional>
#include <set>

namespace frond {

/// Lexical scope: local names over a parent (the module's globals sit
/// behind the outermost scope).
struct Scope {
  std::map<std::string, Value> vars;
  std::shared_ptr<Scope> parent;
  Value *find(const std::string &n) {
    for (Scope *s = this; s; s = s->parent.get())
      if (auto it = s->vars.find(n); it != s->vars.end())
        return &it->second;
    return nullptr;
  }
};
using ScopePtr = std::shared_ptr<Scope>;

struct SourceModule;
/// Every name visible from `scope`: locals outwards, then the module's
/// globals (candidates for "did you mean" hints).
std::vector<std::string> visibleNames(const ScopePtr &scope, const SourceModule *m);

/// Arguments of one call, evaluated, with their locations.
struct CallArgs {
  const ast::CallExpr *call = nullptr;
  std::string fn; ///< Name used in messages.
  std::vector<std::pair<Value, Loc>> positional;
  std::vector<std::tuple<std::string, Value, Loc>> keywords;
};

/// Arguments bound to a signature: every parameter has a value (given or
/// default) and the location it came from.
struct Bound {
  std::map<std::string, Value> v;
  std::map<std::string, Loc> at;
  Loc callLoc;
  std::string fn;
  const Value &operator[](const std::string &k) const { return v.at(k); }
  bool given(const std::string &k) const { return at.count(k) > 0; }
  Loc loc(const std::string &k) const {
    auto it = at.find(k);
    return it == at.end() ? callLoc : it->second;
  }
};

/// An adapter to apply at matching points while elaborating a model.
struct PendingAdapter {
  const ast::AdapterStmt *stmt;
  const SourceModule *module;
  ScopePtr scope;
  unsigned applied = 0;
};

class Elaborator;
using BuiltinFn = std::function<Value(Elaborator &, const Bound &)>;

struct Builtin {
  std::vector<std::string> signature; ///< "x", "bias=true", "rank=none"
  BuiltinFn fn;
  bool needsModel = true; ///< Creates tensors: only inside a model
  std::string doc;
};

/// All builtins by name ("linear", "task.copy_from_source", ...).
const std::map<std::string, Builtin> &builtins();

class Elaborator {
public:
  /// Deepest chain of lets or block calls elaborated (bounds recursion).
  static constexpr size_t kMaxDepth = 2000;
  Elaborator(const Program &p, DiagEngine &d) : program(p), diags(d) {}

  const Program &program;
  DiagEngine &diags;

  // --- evaluation ---------------------------------------------------------
  Value eval(const ast::Expr &e, const ScopePtr &scope);
  Value evalIn(const ast::Expr &e, const SourceModule *m, const ScopePtr &s);
  Value global(const GlobalRef &ref, Loc at);
  Value call(const ast::CallExpr &c, const ScopePtr &scope);
  Value binary(const std::string &op, const Value &a, const Value &b, Loc at);
  Value index(const Value &base, const ast::IndexExpr &e, const ScopePtr &scope);
  bool bind(const CallArgs &args, const std::vector<std::string> &sig,
            Bound &out);
  /// Checks a mask/score value: evaluates its body over scalar indices.
  /// With `region`, the body is recorded into it (attention's regions).
  bool checkMaskValue(const Value &m, bool score, Loc use, graph::Graph *region = nullptr);

  // --- models -------------------------------------------------------------
  /// Elaborates `model` with `args` (name -> value) into `out`.
  bool instantiate(const GlobalRef &model,
                   const std::vector<std::tuple<std::string, Value, Loc>> &args,
                   std::vector<PendingAdapter> adapters, ModelInstance &out);
  void execBody(const ast::Body &body, const ScopePtr &scope);
  Value callBlock(const Value &block, const CallArgs &args);

  /// Opens a parameter scope named by a pending `as` name or `base` with a
  /// counter; returns the full dotted path.
  std::string openScope(const std::string &base, const ast::CallExpr *call);
  void closeScope() { scopePath.pop_back(); }
  /// Registers a learnable tensor under the current scope path; returns its
  /// graph node (-1 when not recording).
  int addParam(const std::string &name, Shape shape, const std::string &component,
               Loc at);
  /// A parameter's value as an operand.
  Value paramValue(int node, const Shape &shape);
  Value recordIndex(const Value &base, const ast::IndexExpr &e, const ScopePtr &scope,
                    const Value &result);
  std::string scopeString() const;

  // --- graph recording (only while `graph` is set) ------------------------
  graph::Graph *graph = nullptr;     ///< Where nodes go now (a region, or the root)
  graph::Graph *rootGraph = nullptr; ///< The model's graph
  std::vector<int> paramNodes;       ///< Node of each inst->params entry
  std::map<std::string, size_t> paramIndex; ///< inst->params by path
  long long layerProduct = 1;        ///< Product of the enclosing repeat counts
  std::set<std::string> failedHeads; ///< Heads whose expression had errors
  /// Appends a node computing `result` and returns `result` tagged with it.
  Value record(Value result, const std::string &op, std::vector<int> operands,
               std::map<std::string, Value> attrs, Loc at);
  /// The node of an operand: a tensor's node (captured into the current
  /// region when it lives outside), or a new constant for a number.
  int use(const Value &v, Loc at);
  /// Reports a construct sema accepts but the compiler cannot lower yet.
  void unsupported(Loc at, const std::string &what);

  // Errors with the standard shape.
  Diagnostic &error(Loc at, std::string msg) { return diags.error(at, std::move(msg)); }
  bool expectTensor(const Value &v, Loc at, const std::string &what);
  bool expectInt(const Value &v, Loc at, const std::string &what, long long min = LLONG_MIN);

  // --- state of the model being elaborated --------------------------------
  ModelInstance *inst = nullptr;
  const SourceModule *module = nullptr; ///< Module whose globals are visible
  std::vector<std::string> scopePath;
  std::map<std::string, std::map<std::string, int>> counters;
  const ast::CallExpr *hintCall = nullptr;
  const ast::CallExpr *currentCall = nullptr; ///< The builtin call being run
  std::string hintName;
  std::vector<PendingAdapter> adapters;
  std::vector<const ast::Decl *> callStack;
  /// Every parameter scope opened: path, builtin name, named by `as`?
  struct ScopeRecord { std::string path, base; bool named; };
  std::vector<ScopeRecord> scopeLog;
  /// A head's own tensors (its projection), for `tied` / `init from`.
  std::map<std::string, std::vector<std::string>> headParams;
  std::set<const ast::Decl *> letsInProgress;
  std::map<const ast::Decl *, Value> letCache;
  std::string component; ///< Overrides the component label ("head", "adapter")
  int maskDepth = 0;
  bool returning = false; ///< A block's `return` ran: skip the rest
  bool hasCumsum = false; ///< A recurrence built from primitives (cache state)
  bool hasPowerLaw = false;
  /// Graph nodes of each power_law attention's A_LM, A_P and G_LM, in
  /// order (PLDR's DAG loss reads them).
  std::vector<std::array<int, 3>> powerLawMatrices;
};


} // namespace frond
