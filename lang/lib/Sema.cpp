//===- Sema.cpp - checking a whole program --------------------------------===//
//
// checkProgram elaborates every experiment (base, each variant, each sweep
// value) and every model whose parameters all have defaults, and resolves
// names in every block and model body, used or not, so a typo in a library
// module is found before anyone calls it.
//
//===----------------------------------------------------------------------===//
#include "Elaborate.h"

#include "llvm/ADT/StringExtras.h"

using namespace frond;
using namespace frond::ast;
using llvm::dyn_cast;

bool runExperiment(Elaborator &E, const SourceModule &m, const ExperimentDecl &x,
                   const std::string &variant, const std::vector<Override> &ov,
                   ExperimentInstance &out);

namespace {

/// Name resolution without evaluation, for bodies that are never elaborated.
class NameChecker {
public:
  NameChecker(const SourceModule &m, DiagEngine &d) : mod(m), diags(d) {}

  void body(const Body &b, std::set<std::string> &names) {
    // Declarations anywhere in a body are visible in all of it: order is
    // checked when the body is elaborated.
    for (auto &s : b)
      declare(*s, names);
    for (auto &s : b)
      stmt(*s, names);
  }

  void stmt(const Stmt &s, std::set<std::string> &n);
  void expr(const Expr &e, const std::set<std::string> &n) { exprImpl(e, n); }

private:
  const SourceModule &mod;
  DiagEngine &diags;

  void declare(const Stmt &s, std::set<std::string> &n) {
    if (auto *a = dyn_cast<AssignStmt>(&s)) n.insert(a->name);
    if (auto *i = dyn_cast<InputStmt>(&s)) for (auto &d : i->inputs) { n.insert(d.name); for (auto &x : d.dims) n.insert(x.first); }
    if (auto *p = dyn_cast<ParamStmt>(&s)) n.insert(p->name);
    if (auto *m = dyn_cast<MaskDefStmt>(&s)) n.insert(m->name);
    if (auto *h = dyn_cast<HeadStmt>(&s)) n.insert(h->name);
    if (auto *l = dyn_cast<LossStmt>(&s)) if (!l->name.empty()) n.insert(l->name);
    if (auto *r = dyn_cast<RepeatStmt>(&s)) for (auto &x : r->body) declare(*x, n);
    if (auto *i = dyn_cast<IfStmt>(&s)) { for (auto &x : i->thenBody) declare(*x, n); for (auto &x : i->elseBody) declare(*x, n); }
  }

  void stmtImpl(const Stmt &s, std::set<std::string> &n) {
    switch (s.getKind()) {
    case Stmt::Param: for (auto &e : llvm::cast<ParamStmt>(s).shape) expr(*e, n); break;
    case Stmt::MaskDef: {
      auto &m = llvm::cast<MaskDefStmt>(s);
      std::set<std::string> inner = n;
      for (auto &p : m.params) inner.insert(p.first);
      expr(*m.body, inner);
      break;
    }
    case Stmt::Repeat: {
      auto &r = llvm::cast<RepeatStmt>(s);
      expr(*r.count, n);
      for (auto &x : r.body) stmt(*x, n);
      break;
    }
    case Stmt::If: {
      auto &i = llvm::cast<IfStmt>(s);
      expr(*i.cond, n);
      for (auto &x : i.thenBody) stmt(*x, n);
      for (auto &x : i.elseBody) stmt(*x, n);
      break;
    }
    case Stmt::Head: expr(*llvm::cast<HeadStmt>(s).value, n); break;
    case Stmt::Loss: expr(*llvm::cast<LossStmt>(s).value, n); break;
    case Stmt::Return: expr(*llvm::cast<ReturnStmt>(s).value, n); break;
    case Stmt::Assign: expr(*llvm::cast<AssignStmt>(s).value, n); break;
    case Stmt::Adapter: {
      auto &a = llvm::cast<AdapterStmt>(s);
      if (auto *c = dyn_cast<CallExpr>(a.value.get())) for (auto &x : c->args) expr(*x.value, n);
      break;
    }
    default: break;
    }
  }

  bool known(const std::string &name, const std::set<std::string> &n) {
    return n.count(name) || mod.lookup(name) || builtins().count(name);
  }

  void exprImpl(const Expr &e, const std::set<std::string> &n) {
    switch (e.getKind()) {
    case Expr::Name: {
      auto &x = llvm::cast<NameExpr>(e);
      if (!known(x.name, n)) {
        auto &d = diags.error(e.loc, "unknown name '" + x.name + "'");
        std::vector<std::string> cands(n.begin(), n.end());
        for (auto &[k, v] : mod.globals) cands.push_back(k);
        std::string guess = closestName(x.name, cands);
        d.fix = guess.empty() ? "define it before use, or import it" : "did you mean '" + guess + "'?";
      }
      break;
    }
    case Expr::Call: {
      auto &c = llvm::cast<CallExpr>(e);
      std::string name = c.calleeName();
      if (!name.empty() && name.find('.') != std::string::npos) {
        if (!builtins().count(name) && !known(name.substr(0, name.find('.')), n)) {
          auto &d = diags.error(e.loc, "unknown function '" + name + "'");
          std::vector<std::string> cands;
          for (auto &[k, b] : builtins()) cands.push_back(k);
          std::string guess = closestName(name, cands);
          if (!guess.empty()) d.fix = "did you mean '" + guess + "'?";
        }
      } else if (!name.empty() && !known(name, n)) {
        auto &d = diags.error(e.loc, "unknown function '" + name + "'");
        std::vector<std::string> cands(n.begin(), n.end());
        for (auto &[k, v] : mod.globals) cands.push_back(k);
        for (auto &[k, b] : builtins()) cands.push_back(k);
        std::string guess = closestName(name, cands);
        d.fix = guess.empty() ? "define it as a block, or import it" : "did you mean '" + guess + "'?";
      } else if (name.empty()) {
        expr(*c.callee, n);
      }
      for (auto &a : c.args) expr(*a.value, n);
      break;
    }
    case Expr::List: for (auto &x : llvm::cast<ListExpr>(e).elems) expr(*x, n); break;
    case Expr::Index: {
      auto &i = llvm::cast<IndexExpr>(e);
      expr(*i.base, n);
      for (auto &s : i.slices) { if (s.lo) expr(*s.lo, n); if (s.hi) expr(*s.hi, n); }
      break;
    }
    case Expr::Member: expr(*llvm::cast<MemberExpr>(e).base, n); break;
    case Expr::Unary: expr(*llvm::cast<UnaryExpr>(e).operand, n); break;
    case Expr::Binary: expr(*llvm::cast<BinaryExpr>(e).lhs, n); expr(*llvm::cast<BinaryExpr>(e).rhs, n); break;
    case Expr::As: expr(*llvm::cast<AsExpr>(e).value, n); break;
    case Expr::Parallel: for (auto &x : llvm::cast<ParallelExpr>(e).branches) expr(*x, n); break;
    default: break;
    }
  }
};

void NameChecker::stmt(const Stmt &s, std::set<std::string> &n) { stmtImpl(s, n); }

/// `model.*` overrides for a model used without an experiment, each
/// checked against its parameters and reported with where it came from.
std::vector<std::tuple<std::string, Value, Loc>>
standaloneArgs(const ModelDecl &m, const std::vector<Override> &overrides, DiagEngine &diags) {
  std::vector<std::string> params;
  for (auto &p : m.params)
    params.push_back(p.name);
  std::vector<std::tuple<std::string, Value, Loc>> args;
  for (auto &o : overrides) {
    if (o.key.rfind("model.", 0) != 0)
      continue;
    std::string pk = o.key.substr(6);
    if (std::find(params.begin(), params.end(), pk) == params.end()) {
      auto &d = diags.error("'" + o.key + "' (from " + o.origin + "): model '" + m.name +
                            "' has no parameter '" + pk + "'");
      std::string guess = closestName(pk, params);
      d.fix = guess.empty() ? "its parameters are: " + llvm::join(params, ", ")
                            : "did you mean 'model." + guess + "'?";
      continue;
    }
    args.push_back({pk, o.value, Loc{}});
  }
  return args;
}

bool allDefaults(const ModelDecl &m) {
  for (auto &p : m.params)
    if (!p.defaultValue)
      return false;
  return true;
}

} // namespace

bool frond::checkProgram(const Program &program, DiagEngine &diags,
                         const std::vector<Override> &overrides) {
  unsigned before = diags.errorCount();
  // Names in every body of every module.
  for (auto &m : program.all()) {
    NameChecker nc(*m, diags);
    for (auto &d : m->ast->decls) {
      std::set<std::string> names;
      if (auto *f = dyn_cast<ModelDecl>(d.get())) {
        for (auto &p : f->params) names.insert(p.name);
        nc.body(f->body, names);
      } else if (auto *b = dyn_cast<BlockDecl>(d.get())) {
        for (auto &p : b->params) names.insert(p.name);
        names.insert("__return");
        nc.body(b->body, names);
      } else if (auto *k = dyn_cast<MaskDecl>(d.get())) {
        nc.stmt(*k->def, names);
      } else if (auto *l = dyn_cast<LetDecl>(d.get())) {
        nc.expr(*l->value, names);
      }
    }
  }
  if (diags.errorCount() != before)
    return false;
  SourceModule *root = program.root();
  bool anyExperiment = false;
  std::set<const Decl *> used;
  for (auto &d : root->ast->decls) {
    auto *x = dyn_cast<ExperimentDecl>(d.get());
    if (!x)
      continue;
    if (diags.tooMany())
      break;
    anyExperiment = true;
    Elaborator E(program, diags);
    ExperimentInstance base;
    bool ok = runExperiment(E, *root, *x, "", overrides, base);
    for (auto &v : base.variants) {
      if (!ok || diags.tooMany())
        break;
      Elaborator EV(program, diags);
      ExperimentInstance inst;
      runExperiment(EV, *root, *x, v, overrides, inst);
    }
  }
  // Models with every parameter defaulted are checked on their own.
  for (auto &d : root->ast->decls) {
    auto *m = dyn_cast<ModelDecl>(d.get());
    if (!m || !allDefaults(*m) || diags.tooMany())
      continue;
    Elaborator E(program, diags);
    ModelInstance inst;
    std::vector<std::tuple<std::string, Value, Loc>> args;
    size_t pushed = 0;
    if (!anyExperiment) {
      args = standaloneArgs(*m, overrides, diags);
      for (auto &o : overrides)
        if (o.key.rfind("model.", 0) == 0 && ++pushed)
          diags.pushContext("the run configuration sets " + o.key + " = " + o.value.str() +
                            " (" + o.origin + ")");
    }
    E.instantiate(GlobalRef{m, root}, args, {}, inst);
    while (pushed--)
      diags.popContext();
  }
  return diags.errorCount() == before;
}

std::optional<ExperimentInstance>
frond::resolveExperiment(const Program &program, const std::string &experiment,
                         const std::string &variant, DiagEngine &diags,
                         const std::vector<Override> &overrides, graph::Graph *record) {
  SourceModule *root = program.root();
  const ExperimentDecl *found = nullptr;
  std::vector<std::string> names;
  const ModelDecl *lastModel = nullptr;
  for (auto &d : root->ast->decls) {
    if (auto *x = dyn_cast<ExperimentDecl>(d.get())) {
      names.push_back(x->name);
      if (experiment.empty() ? !found : x->name == experiment)
        found = x;
    }
    if (auto *m = dyn_cast<ModelDecl>(d.get()))
      lastModel = m;
  }
  Elaborator E(program, diags);
  E.graph = E.rootGraph = record;
  ExperimentInstance out;
  if (found) {
    if (!runExperiment(E, *root, *found, variant, overrides, out))
      return std::nullopt;
    return out;
  }
  if (!experiment.empty()) {
    auto &d = diags.error("no experiment named '" + experiment + "' in " + root->path);
    d.fix = names.empty() ? "this file declares no experiment"
                          : "experiments: " + llvm::join(names, ", ");
    return std::nullopt;
  }
  if (!lastModel) {
    auto &d = diags.error(root->path + " declares no experiment and no model");
    d.fix = "explain a file with an `experiment` or a `model`";
    return std::nullopt;
  }
  if (!variant.empty()) {
    diags.error("--variant needs an experiment, and " + root->path + " declares none");
    return std::nullopt;
  }
  auto args = standaloneArgs(*lastModel, overrides, diags);
  out.name = lastModel->name;
  out.modelOnly = true;
  if (!E.instantiate(GlobalRef{lastModel, root}, args, {}, out.model))
    return std::nullopt;
  return out;
}
