//===- Statements.cpp - elaborating model bodies -------------------------===//
//
// Executes model and block statements in order over compile-time values:
// inputs define symbolic dimensions, assignments flow tensors, repeat/recur
// elaborate layers (recur once: its weights are shared), heads, losses and
// caches are recorded on the ModelInstance and checked at the end.
//
//===----------------------------------------------------------------------===//
#include "Elaborate.h"
#include "frond/lang/Printer.h"

#include "llvm/ADT/StringExtras.h"

using namespace frond;
using namespace frond::ast;
using llvm::dyn_cast;

bool Elaborator::checkMaskValue(const Value &m, bool score, Loc use, graph::Graph *region) {
  if (m.kind == Value::Invalid || m.kind == Value::None)
    return m.kind == Value::None;
  Value::Kind want = score ? Value::Score : Value::Mask;
  if (m.kind != want) {
    auto &d = error(use, std::string(score ? "'score' of attention must be a score modifier"
                                           : "'mask' of attention must be a mask"));
    d.found = m.describe();
    d.fix = score ? "declare one with `score name(s, b, h, q, k) = ...`"
                  : "declare one with `mask name(b, h, q, k) = ...`";
    return false;
  }
  const MaskDefStmt *def = m.mask;
  size_t fixed = score ? 5 : 4;
  if (def->params.size() < fixed) {
    auto &d = error(def->loc, std::string(score ? "score" : "mask") + " '" + def->name +
                                  "' must take " + (score ? "(s, b, h, q, k)" : "(b, h, q, k)"));
    d.found = std::to_string(def->params.size()) + " parameters";
    return false;
  }
  auto scope = std::make_shared<Scope>();
  if (m.closure)
    scope->parent = std::static_pointer_cast<Scope>(m.closure);
  // Recording goes into the region (or nowhere when only checking).
  graph::Graph *savedGraph = graph;
  graph = region;
  for (size_t i = 0; i < fixed; ++i) {
    bool s = score && i == 0;
    Value arg = Value::tensor({}, s ? "float" : "int");
    if (graph) {
      arg = record(Value::tensor({}, s ? "float" : "index"), "region_arg", {},
                   {{"index", Value::ofInt(i)}}, def->params[i].second);
      arg.s = s ? "float" : "int";
    }
    scope->vars[def->params[i].first] = arg;
  }
  for (size_t i = fixed; i < def->params.size(); ++i) {
    auto &p = def->params[i].first;
    auto it = m.fields.find(p);
    if (it == m.fields.end()) {
      auto &d = error(use, std::string(score ? "score" : "mask") + " '" + def->name +
                               "' needs a value for '" + p + "'");
      d.fix = "write " + def->name + "(" + p + " = ...)";
      graph = savedGraph;
      return false;
    }
    scope->vars[p] = it->second;
  }
  const SourceModule *saved = module;
  if (m.module)
    module = static_cast<const SourceModule *>(m.module);
  ++maskDepth;
  Value r = eval(*def->body, scope);
  --maskDepth;
  module = saved;
  if (graph && r.kind != Value::Invalid)
    record(Value::tensor({}, score ? "float" : "bool"), "yield", {this->use(r, def->body->loc)}, {},
           def->body->loc);
  graph = savedGraph;
  if (r.kind == Value::Invalid)
    return false;
  bool ok = score ? (r.kind == Value::Tensor && r.shape.empty() && r.s != "bool") ||
                        r.isNumber()
                  : (r.kind == Value::Tensor && r.shape.empty() && r.s == "bool") ||
                        r.kind == Value::Bool;
  if (!ok) {
    auto &d = error(def->body->loc,
                    score ? "score '" + def->name + "' must be a number for each (s, b, h, q, k)"
                          : "mask '" + def->name + "' must be a boolean expression over (b, h, q, k)");
    d.found = r.describe();
    d.fix = score ? "return a modified score, e.g. s - slope * (q - k)"
                  : "compare indices, e.g. k <= q";
  }
  return ok;
}

static void checkNoShadow(Elaborator &E, const ScopePtr &scope,
                          const std::string &name, Loc at, const char *what) {
  if (Value *v = scope->find(name)) {
    if (v->kind == Value::Tensor || v->kind == Value::Mask || v->kind == Value::Score) {
      auto &d = E.error(at, std::string(what) + " '" + name + "' reuses the name of " +
                                v->describe());
      d.fix = "give it another name, e.g. " + name + "_" + what;
    }
  }
}

void Elaborator::execBody(const Body &body, const ScopePtr &scope) {
  for (auto &sp : body) {
    if (diags.tooMany() || returning)
      return;
    const Stmt &s = *sp;
    switch (s.getKind()) {
    case Stmt::Input: {
      auto &in = llvm::cast<InputStmt>(s);
      for (auto &d : in.inputs) {
        if (d.type != "int" && d.type != "float" && d.type != "bool") {
          auto &e = error(d.loc, "unknown input type '" + d.type + "'");
          e.expected = "int, float or bool";
          continue;
        }
        Shape shape;
        for (auto &[dim, at] : d.dims) {
          Value *v = scope->find(dim);
          if (v && v->kind == Value::Int)
            shape.push_back(Dim{dim, v->i});
          else
            shape.push_back(Dim{dim, -1});
        }
        checkNoShadow(*this, scope, d.name, d.loc, "input");
        Value in = Value::tensor(shape, d.type);
        if (graph) {
          in = record(in, "input", {}, {}, d.loc);
          graph->nodes[in.node].name = d.name;
        }
        scope->vars[d.name] = in;
        if (inst)
          inst->inputs.push_back({d.name, d.type, shape});
      }
      break;
    }
    case Stmt::Param: {
      auto &p = llvm::cast<ParamStmt>(s);
      Shape shape;
      bool ok = true;
      for (auto &x : p.shape) {
        Value v = eval(*x, scope);
        if (!expectInt(v, x->loc, "a parameter dimension", 1))
          ok = false;
        else
          shape.push_back(Dim{llvm::isa<NameExpr>(x.get()) ? printExpr(*x) : "", v.i});
      }
      if (p.init) {
        Value init = eval(*p.init, scope);
        if (init.kind != Value::Invalid &&
            !(init.kind == Value::Config && init.s == "init")) {
          auto &d = error(p.init->loc, "parameter '" + p.name + "' has an invalid initialiser");
          d.expected = "an initialiser: zeros(), ones(), constant(v), normal(std), uniform(lo, hi), "
                       "alibi_slopes(), xavier_normal(), ...";
          d.found = init.describe();
        }
      }
      if (!ok)
        break;
      scope->vars[p.name] = paramValue(addParam(p.name, shape, "parameter", p.loc), shape);
      break;
    }
    case Stmt::MaskDef: {
      auto &m = llvm::cast<MaskDefStmt>(s);
      Value v;
      v.kind = m.isScore ? Value::Score : Value::Mask;
      v.mask = &m;
      v.module = module;
      v.display = m.name;
      v.closure = scope;
      scope->vars[m.name] = v;
      // Masks without extra parameters are checked where they are defined.
      if (m.params.size() == (m.isScore ? 5u : 4u))
        checkMaskValue(v, m.isScore, m.loc);
      break;
    }
    case Stmt::Repeat: {
      auto &r = llvm::cast<RepeatStmt>(s);
      Value n = eval(*r.count, scope);
      if (!expectInt(n, r.count->loc, std::string(r.shared ? "recur" : "repeat") + " count", 1))
        break;
      if (n.i > 10000) {
        auto &d = error(r.count->loc, "repeat count is too large");
        d.expected = "at most 10000";
        d.found = std::to_string(n.i);
        break;
      }
      // Nested repeats multiply: bound the layers elaborated in total.
      long long total = r.shared ? layerProduct : layerProduct * n.i;
      if (total > 10000) {
        auto &d = error(r.count->loc, "nested repeats elaborate too many layers");
        d.expected = "at most 10000 layers in total";
        d.found = std::to_string(layerProduct) + " x " + std::to_string(n.i);
        d.fix = "use recur (shared weights) for the inner loop, or fewer layers";
        break;
      }
      long long savedProduct = layerProduct;
      layerProduct = total;
      std::string label = r.label.empty() ? (r.shared ? "recur" : "layers") : r.label;
      std::string entry = std::string(r.shared ? "recur " : "repeat ") +
                          std::to_string(n.i) + " as " + label;
      if (inst && std::find_if(inst->recursion.begin(), inst->recursion.end(),
                               [&](const std::string &x) { return x.rfind(entry + " ", 0) == 0; }) ==
                      inst->recursion.end())
        inst->recursion.push_back(std::string(r.shared ? "recur " : "repeat ") +
                                  std::to_string(n.i) + " as " + label +
                                  (r.shared ? " (shared weights)" : " (separate weights)"));
      // Loop-carried values: the body must keep their shapes.
      std::map<std::string, Value> before;
      for (Scope *sc = scope.get(); sc; sc = sc->parent.get())
        for (auto &[k, v] : sc->vars)
          if (v.kind == Value::Tensor && !before.count(k))
            before[k] = v;
      long long iters = r.shared ? 1 : n.i;
      for (long long i = 0; i < iters && !diags.tooMany(); ++i) {
        scopePath.push_back(label);
        if (!r.shared)
          scopePath.push_back(std::to_string(i));
        auto inner = std::make_shared<Scope>();
        inner->parent = scope;
        execBody(r.body, inner);
        // Assignments to outer names write through (x += ... inside a layer).
        for (auto &[k, v] : inner->vars)
          if (before.count(k) && k != "__return") {
            if (v.kind == Value::Tensor && v.shape != before[k].shape) {
              auto &d = error(r.loc, std::string(r.shared ? "recur" : "repeat") +
                                         " body changes the shape of '" + k + "'");
              d.expected = shapeStr(before[k].shape) + " (its shape before the loop)";
              d.found = shapeStr(v.shape);
              d.fix = "a repeated body must map each carried value to the same shape";
            }
            if (Value *outer = scope->find(k))
              *outer = v;
          }
        if (!r.shared)
          scopePath.pop_back();
        scopePath.pop_back();
      }
      layerProduct = savedProduct;
      break;
    }
    case Stmt::If: {
      auto &i = llvm::cast<IfStmt>(s);
      Value c = eval(*i.cond, scope);
      if (c.kind == Value::Invalid)
        break;
      if (c.kind != Value::Bool) {
        auto &d = error(i.cond->loc, "an 'if' condition must be a compile-time boolean");
        d.found = c.describe();
        d.fix = "use a model parameter such as `use_x = true`; for per-element choices use where(cond, a, b)";
        break;
      }
      execBody(c.b ? i.thenBody : i.elseBody, scope);
      break;
    }
    case Stmt::Head: {
      auto &h = llvm::cast<HeadStmt>(s);
      checkNoShadow(*this, scope, h.name, h.loc, "head");
      size_t first = inst ? inst->params.size() : 0, logStart = scopeLog.size();
      hintName = h.name;
      hintCall = dyn_cast<CallExpr>(h.value.get());
      Value v = eval(*h.value, scope);
      hintCall = nullptr;
      hintName.clear();
      if (v.kind != Value::Invalid && v.kind != Value::Tensor) {
        auto &d = error(h.value->loc, "head '" + h.name + "' must be a tensor of logits");
        d.found = v.describe();
      }
      scope->vars[h.name] = v;
      if (!inst)
        break;
      if (v.kind != Value::Tensor) {
        failedHeads.insert(h.name); // Already reported; ties to it stay quiet.
        break;
      }
      if (h.link != HeadStmt::None && failedHeads.count(h.linkTarget))
        break;
      // The head's own tensors are its projection: the last linear (or
      // embedding) call in its expression; a final norm or softcap around
      // it stays separate. An unnamed projection takes the head's name.
      std::vector<ParamInfo *> mine;
      for (size_t k = scopeLog.size(); k-- > logStart;) {
        auto &rec = scopeLog[k];
        if (rec.base != "linear" && rec.base != "embed")
          continue;
        std::string renamed = scopeString().empty() ? h.name : scopeString() + "." + h.name;
        for (size_t q = first; q < inst->params.size(); ++q) {
          auto &p = inst->params[q];
          if (p.path.rfind(rec.path + ".", 0) != 0)
            continue;
          if (!rec.named)
            p.path = renamed + p.path.substr(rec.path.size());
          p.component = "head";
          mine.push_back(&p);
        }
        break;
      }
      for (auto *p : mine)
        headParams[h.name].push_back(p->path);
      if (graph && v.node >= 0)
        graph->outputs.push_back({"head:" + h.name, v.node});
      HeadInfo info{h.name, v.shape, "", ""};
      if (h.link != HeadStmt::None) {
        // The target: an earlier head, or a named parameter scope (`as tok`).
        std::vector<ParamInfo *> theirs;
        auto it = headParams.find(h.linkTarget);
        std::string prefix = h.linkTarget + ".";
        for (size_t k = 0; k < first; ++k) {
          auto &p = inst->params[k];
          bool match = it != headParams.end()
                           ? std::count(it->second.begin(), it->second.end(), p.path) > 0
                           : p.path.rfind(prefix, 0) == 0;
          if (match)
            theirs.push_back(&p);
        }
        const char *how = h.link == HeadStmt::Tied ? "tie" : "initialise";
        if (theirs.empty()) {
          std::vector<std::string> known;
          for (auto &hd : inst->heads)
            known.push_back(hd.name);
          auto &d = error(h.linkLoc, std::string("cannot ") + how + " head '" + h.name +
                                         "' to '" + h.linkTarget + "': no earlier head or named parameters by that name");
          std::string guess = closestName(h.linkTarget, known);
          d.fix = guess.empty() ? "name the source with `as " + h.linkTarget + "` or declare that head first"
                                : "did you mean '" + guess + "'?";
          break;
        }
        if (mine.empty()) {
          auto &d = error(h.linkLoc, std::string("cannot ") + how + " head '" + h.name +
                                         "': its expression has no linear projection");
          d.fix = "write the head as linear(...), e.g. head " + h.name + " = linear(x, vocab) tied " +
                  h.linkTarget;
          break;
        }
        // Pair tensors in order; a bias the target lacks stays the head's own.
        size_t n = std::min(mine.size(), theirs.size());
        for (size_t k = 0; k < n; ++k) {
          if (mine[k]->shape != theirs[k]->shape) {
            auto &d = error(h.linkLoc, std::string("cannot ") + how + " head '" + h.name +
                                           "' to '" + h.linkTarget + "': parameter shapes differ");
            d.expected = theirs[k]->path + " " + shapeStr(theirs[k]->shape);
            d.found = mine[k]->path + " " + shapeStr(mine[k]->shape);
            break;
          }
          if (h.link == HeadStmt::Tied) {
            mine[k]->tiedTo = theirs[k]->path;
            mine[k]->count = 0;
          } else {
            mine[k]->initFrom = theirs[k]->path;
          }
        }
        (h.link == HeadStmt::Tied ? info.tiedTo : info.initFrom) = h.linkTarget;
      }
      inst->heads.push_back(info);
      break;
    }
    case Stmt::Loss: {
      auto &l = llvm::cast<LossStmt>(s);
      Value v = eval(*l.value, scope);
      bool scalar = v.isNumber() || (v.kind == Value::Tensor && v.shape.empty() && v.s == "float");
      if (v.kind != Value::Invalid && !scalar) {
        auto &d = error(l.value->loc, (l.name.empty() ? std::string("the total loss")
                                                       : "loss '" + l.name + "'") +
                                          " must be a scalar");
        d.found = v.describe();
        d.fix = "reduce it, e.g. with cross_entropy(...) or mean(...)";
      }
      if (!inst)
        break;
      for (auto &prev : inst->losses)
        if (prev.name == l.name) {
          auto &d = error(l.loc, l.name.empty() ? "the total loss is defined twice"
                                                : "loss '" + l.name + "' is defined twice");
          d.found = "an earlier definition at " + prev.loc.str();
          d.fix = "combine them in one expression: loss = a + b";
        }
      bool duplicate = false;
      for (auto &prev : inst->losses)
        duplicate |= prev.name == l.name;
      if (!l.name.empty()) {
        if (!duplicate) // A redefinition is reported above, once.
          checkNoShadow(*this, scope, l.name, l.loc, "loss");
        Value lv = Value::tensor({}, "float");
        if (v.kind == Value::Tensor) {
          lv.node = v.node;
          lv.graphOf = v.graphOf;
        }
        scope->vars[l.name] = lv;
      }
      inst->losses.push_back({l.name, printExpr(*l.value), l.loc});
      if (graph)
        graph->outputs.push_back({l.name.empty() ? "loss" : "loss:" + l.name, use(v, l.loc)});
      break;
    }
    case Stmt::Cache: {
      auto &c = llvm::cast<CacheStmt>(s);
      static const std::vector<std::string> kinds = {"kv", "g", "source_kv", "state"};
      for (auto &[k, at] : c.kinds) {
        if (std::find(kinds.begin(), kinds.end(), k) == kinds.end()) {
          auto &d = error(at, "unknown cache kind '" + k + "'");
          d.expected = "kv, g, source_kv or state";
          std::string guess = closestName(k, kinds);
          if (!guess.empty())
            d.fix = "did you mean '" + guess + "'?";
          continue;
        }
        if (inst)
          inst->caches.push_back(k);
      }
      break;
    }
    case Stmt::Return: {
      auto &r = llvm::cast<ReturnStmt>(s);
      Value v = eval(*r.value, scope);
      if (Value *slot = scope->find("__return")) {
        *slot = v;
        returning = true; // Nothing after a return runs.
      } else
        error(r.loc, "'return' is only allowed in a block").fix =
            "models produce outputs with head and loss statements";
      break;
    }
    case Stmt::Adapter: {
      // Collected before elaboration (instantiate); inside an `if` it would
      // apply or not depending on a flag, which adapters do not support.
      bool collected = false;
      for (auto &a : adapters)
        collected |= a.stmt == &s;
      if (!collected) {
        auto &d = error(s.loc, "an adapter cannot be declared inside 'if'");
        d.fix = "declare it at the top of the model, or add it in a variant: variant v { adapter ... }";
      }
      break;
    }
    case Stmt::Assign: {
      auto &a = llvm::cast<AssignStmt>(s);
      Value v = eval(*a.value, scope);
      if (a.op == "=") {
        if (Value *old = scope->find(a.name); old && old->kind == Value::Tensor &&
                                               scope->vars.find(a.name) == scope->vars.end()) {
          // Rebinding a carried value from an outer scope (inside repeat).
          *old = v;
          scope->vars[a.name] = v;
        } else {
          scope->vars[a.name] = v;
        }
        break;
      }
      Value *old = scope->find(a.name);
      if (!old) {
        auto &d = error(a.loc, "'" + a.name + "' is not defined, so '" + a.op +
                                   "' cannot update it");
        d.fix = "assign it first with " + a.name + " = ...";
        break;
      }
      std::string op = a.op.substr(0, 1);
      Value r = binary(op, *old, v, a.loc);
      if (r.kind == Value::Tensor && old->kind == Value::Tensor && r.shape != old->shape) {
        auto &d = error(a.loc, "'" + a.name + " " + a.op + " ...' would change the shape of '" +
                                   a.name + "'");
        d.expected = shapeStr(old->shape);
        d.found = shapeStr(r.shape);
      }
      scope->vars[a.name] = r.kind == Value::Invalid ? *old : r;
      break;
    }
    }
  }
}

//===----------------------------------------------------------------------===//
// Models
//===----------------------------------------------------------------------===//

static void collectAdapters(const Body &body, const SourceModule *m,
                            std::vector<PendingAdapter> &out) {
  for (auto &s : body) {
    if (auto *a = dyn_cast<AdapterStmt>(s.get()))
      out.push_back({a, m, nullptr});
    else if (auto *r = dyn_cast<RepeatStmt>(s.get()))
      collectAdapters(r->body, m, out);
  }
}

bool Elaborator::instantiate(
    const GlobalRef &ref,
    const std::vector<std::tuple<std::string, Value, Loc>> &args,
    std::vector<PendingAdapter> extra, ModelInstance &out) {
  auto *model = llvm::cast<ModelDecl>(ref.decl);
  unsigned before = diags.errorCount();
  out = ModelInstance{};
  out.name = model->name;
  inst = &out;
  module = ref.module;
  scopePath.clear();
  counters.clear();
  scopeLog.clear();
  headParams.clear();
  paramIndex.clear();
  paramNodes.clear();
  failedHeads.clear();
  layerProduct = 1;
  hasCumsum = false;
  adapters = std::move(extra);
  collectAdapters(model->body, ref.module, adapters);
  hasPowerLaw = false;
  powerLawMatrices.clear();

  auto scope = std::make_shared<Scope>();
  std::vector<std::string> names;
  for (auto &p : model->params)
    names.push_back(p.name);
  std::map<std::string, std::pair<Value, Loc>> given;
  for (auto &[k, v, at] : args) {
    if (std::find(names.begin(), names.end(), k) == names.end()) {
      auto &d = error(at, "model '" + model->name + "' has no parameter '" + k + "'");
      std::string guess = closestName(k, names);
      d.fix = guess.empty() ? "its parameters are: " + llvm::join(names, ", ")
                            : "did you mean '" + guess + "'?";
      continue;
    }
    given[k] = {v, at};
  }
  for (auto &p : model->params) {
    Value v;
    if (auto it = given.find(p.name); it != given.end())
      v = it->second.first;
    else if (p.defaultValue)
      v = eval(*p.defaultValue, scope);
    else {
      auto &d = error(p.loc, "parameter '" + p.name + "' of model '" + model->name +
                                 "' has no value");
      d.fix = "give it a default (" + p.name + " = ...) or pass it: model = " +
              model->name + "(" + p.name + " = ...)";
      v = Value::invalid();
    }
    scope->vars[p.name] = v;
    out.args.push_back({p.name, v});
  }
  // Adapters declared in the model body see the model's parameters.
  for (auto &a : adapters)
    if (!a.scope && a.module == ref.module)
      a.scope = scope;
  execBody(model->body, scope);

  // Whole-model checks.
  for (auto &a : adapters)
    if (!a.applied) {
      auto &d = error(a.stmt->targetLoc, "adapter '" + a.stmt->name + "' targets '" +
                                             llvm::join(a.stmt->target, ".") +
                                             "', which names no point in model '" +
                                             model->name + "'");
      std::vector<std::string> pts;
      for (auto &p : out.points)
        pts.push_back(p.substr(0, p.find(' ')));
      d.fix = pts.empty() ? "name a value in the model with `as name`"
                          : "named points: " + llvm::join(pts, ", ");
    }
  if (out.losses.empty()) {
    auto &d = error(model->loc, "model '" + model->name + "' defines no loss");
    d.fix = "add e.g. `loss lm = cross_entropy(logits, tokens, shift = true)`";
  }
  bool anyAttention = !out.attentions.empty(), partial = false, recurrent = false;
  for (auto &a : out.attentions) {
    partial |= !a.kvSource.empty();
    recurrent |= a.kind == "linear" || a.kind == "aft" || a.kind == "relaxed_linear";
  }
  for (auto &c : out.caches) {
    const char *need = nullptr;
    if (c == "g" && !hasPowerLaw)
      need = "power_law attention";
    else if (c == "source_kv" && !partial)
      need = "partial or cross attention (attention(..., kv = source))";
    else if (c == "state" && !recurrent && !hasCumsum)
      need = "recurrence (linear, relaxed_linear or aft attention, or a cumsum)";
    else if (c == "kv" && !anyAttention)
      need = "attention";
    if (need) {
      auto &d = error(model->loc, "model '" + model->name + "' declares `cache " + c +
                                      "` but has no " + need);
      d.fix = "remove '" + c + "' from the cache statement";
    }
  }
  inst = nullptr;
  return diags.errorCount() == before;
}

long long ModelInstance::totalParams() const {
  long long n = 0;
  for (auto &p : params)
    n += p.count;
  return n;
}

long long ModelInstance::trainableParams() const {
  long long n = 0;
  for (auto &p : params)
    n += p.trainable ? p.count : 0;
  return n;
}
