//===- Elaborate.cpp - compile-time evaluation of expressions and models -===//
#include "Elaborate.h"

#include "llvm/ADT/StringExtras.h"

using namespace frond;
using namespace frond::ast;
using llvm::dyn_cast;
using llvm::isa;

bool frond::globMatch(const std::string &p, const std::string &t) {
  size_t pi = 0, ti = 0, star = std::string::npos, mark = 0;
  while (ti < t.size()) {
    if (pi < p.size() && (p[pi] == '?' || p[pi] == t[ti])) {
      ++pi, ++ti;
    } else if (pi < p.size() && p[pi] == '*') {
      star = pi++;
      mark = ti;
    } else if (star != std::string::npos) {
      pi = star + 1;
      ti = ++mark;
    } else {
      return false;
    }
  }
  while (pi < p.size() && p[pi] == '*')
    ++pi;
  return pi == p.size();
}

bool Elaborator::expectTensor(const Value &v, Loc at, const std::string &what) {
  if (v.kind == Value::Tensor)
    return true;
  if (v.kind != Value::Invalid) {
    auto &d = error(at, what + " must be a tensor");
    d.found = v.describe();
  }
  return false;
}

bool Elaborator::expectInt(const Value &v, Loc at, const std::string &what,
                           long long min) {
  if (v.kind == Value::Int && v.i >= min)
    return true;
  if (v.kind == Value::Invalid)
    return false;
  auto &d = error(at, what + (v.kind == Value::Int ? " is out of range"
                                                   : " must be an integer"));
  d.expected = min == LLONG_MIN ? "an integer" : "an integer >= " + std::to_string(min);
  d.found = v.describe();
  return false;
}

//===----------------------------------------------------------------------===//
// Graph recording
//===----------------------------------------------------------------------===//

Value Elaborator::record(Value result, const std::string &op, std::vector<int> operands,
                         std::map<std::string, Value> attrs, Loc at) {
  if (!graph || result.kind == Value::Invalid)
    return result;
  graph::Node n;
  n.op = op;
  n.operands = std::move(operands);
  n.attrs = std::move(attrs);
  n.shape = result.shape;
  n.dtype = result.kind == Value::Tensor ? result.s : "float";
  n.loc = at;
  result.node = graph->add(std::move(n));
  result.graphOf = graph;
  return result;
}

int Elaborator::use(const Value &v, Loc at) {
  if (!graph)
    return -1;
  if (v.kind == Value::Int || v.kind == Value::Float || v.kind == Value::Bool) {
    Value c = Value::tensor({}, v.kind == Value::Float ? "float" : v.kind == Value::Int ? "int" : "bool");
    return record(c, "constant", {}, {{"value", v}}, at).node;
  }
  if (v.kind != Value::Tensor || v.node < 0)
    return -1;
  if (v.graphOf == graph)
    return v.node;
  // A tensor of the enclosing graph read inside a mask/score region.
  auto &caps = graph->captures;
  for (size_t i = 0; i < caps.size(); ++i)
    if (caps[i] == v.node)
      for (size_t k = 0; k < graph->nodes.size(); ++k)
        if (graph->nodes[k].op == "capture" && graph->nodes[k].attrs.at("index").i == long(i))
          return int(k);
  graph->captures.push_back(v.node);
  Value c = v;
  c.node = -1;
  return record(c, "capture", {}, {{"index", Value::ofInt(caps.size() - 1)}}, at).node;
}

void Elaborator::unsupported(Loc at, const std::string &what) {
  if (!graph)
    return;
  auto &d = error(at, what + " cannot be compiled yet");
  d.fix = "`frond check` and `frond explain` accept it; code generation for it is not implemented";
}

//===----------------------------------------------------------------------===//
// Names and globals
//===----------------------------------------------------------------------===//

Value Elaborator::global(const GlobalRef &ref, Loc at) {
  const Decl *d = ref.decl;
  Value v;
  v.decl = d;
  v.module = ref.module;
  v.display = d->name;
  if (auto *m = dyn_cast<MaskDecl>(d)) {
    v.kind = m->def->isScore ? Value::Score : Value::Mask;
    v.mask = m->def.get();
    return v;
  }
  if (isa<BlockDecl>(d)) {
    v.kind = Value::Block;
    return v;
  }
  if (isa<ModelDecl>(d)) {
    v.kind = Value::Model;
    return v;
  }
  auto *let = dyn_cast<LetDecl>(d);
  if (!let)
    return Value::invalid();
  if (auto it = letCache.find(d); it != letCache.end())
    return it->second;
  if (letsInProgress.size() >= kMaxDepth) {
    auto &e = error(at, "'" + d->name + "' is defined through too many nested lets");
    e.expected = "at most " + std::to_string(kMaxDepth) + " lets depending on each other in a chain";
    e.fix = "shorten the chain of let definitions";
    return Value::invalid();
  }
  if (!letsInProgress.insert(d).second) {
    auto &e = error(at, "'" + d->name + "' is defined in terms of itself");
    e.fix = "break the cycle between the let definitions";
    return Value::invalid();
  }
  Value r = evalIn(*let->value, ref.module, nullptr);
  letsInProgress.erase(d);
  letCache[d] = r;
  return r;
}

Value Elaborator::evalIn(const Expr &e, const SourceModule *m, const ScopePtr &s) {
  const SourceModule *saved = module;
  module = m;
  Value v = eval(e, s ? s : std::make_shared<Scope>());
  module = saved;
  return v;
}

std::vector<std::string> frond::visibleNames(const ScopePtr &scope, const SourceModule *m) {
  std::vector<std::string> out;
  for (Scope *s = scope.get(); s; s = s->parent.get())
    for (auto &[k, v] : s->vars)
      out.push_back(k);
  if (m)
    for (auto &[k, v] : m->globals)
      out.push_back(k);
  return out;
}

//===----------------------------------------------------------------------===//
// Expressions
//===----------------------------------------------------------------------===//

Value Elaborator::eval(const Expr &e, const ScopePtr &scope) {
  switch (e.getKind()) {
  case Expr::Int: return Value::ofInt(llvm::cast<IntExpr>(e).value);
  case Expr::Float: return Value::ofFloat(llvm::cast<FloatExpr>(e).value);
  case Expr::Str: return Value::ofStr(llvm::cast<StrExpr>(e).value);
  case Expr::Bool: return Value::ofBool(llvm::cast<BoolExpr>(e).value);
  case Expr::None: return Value::none();
  case Expr::Name: {
    auto &n = llvm::cast<NameExpr>(e);
    if (Value *v = scope->find(n.name)) {
      if (v->kind != Value::Tensor || !v->display.empty())
        return *v;
      Value named = *v; // Remember the name for messages and `explain`.
      named.display = n.name;
      return named;
    }
    if (module)
      if (const GlobalRef *g = module->lookup(n.name))
        return global(*g, e.loc);
    auto &d = error(e.loc, "unknown name '" + n.name + "'");
    std::string guess = closestName(n.name, visibleNames(scope, module));
    if (!guess.empty())
      d.fix = "did you mean '" + guess + "'?";
    else if (builtins().count(n.name))
      d.fix = "'" + n.name + "' is a function: call it, e.g. " + n.name + "(...)";
    else
      d.fix = "define it before use, or import it (import std.<module>.{" + n.name + "})";
    return Value::invalid();
  }
  case Expr::List: {
    Value v;
    v.kind = Value::List;
    for (auto &x : llvm::cast<ListExpr>(e).elems)
      v.list.push_back(eval(*x, scope));
    return v;
  }
  case Expr::Call: return call(llvm::cast<CallExpr>(e), scope);
  case Expr::Index: {
    auto &ix = llvm::cast<IndexExpr>(e);
    return index(eval(*ix.base, scope), ix, scope);
  }
  case Expr::Member: {
    auto &m = llvm::cast<MemberExpr>(e);
    // Dotted names of builtins (task.copy) are only meaningful as callees.
    Value base = eval(*m.base, scope);
    if (base.kind == Value::Invalid)
      return base;
    if ((base.kind == Value::Config || base.kind == Value::Pos) &&
        base.fields.count(m.member))
      return base.fields.at(m.member);
    if (base.kind == Value::Tensor && m.member == "shape") {
      Value l;
      l.kind = Value::List;
      for (auto &d : base.shape)
        l.list.push_back(d.known() ? Value::ofInt(d.size) : Value::ofStr(d.name));
      return l;
    }
    auto &d = error(e.loc, "no field '" + m.member + "' on " + base.describe());
    if (base.kind == Value::Config || base.kind == Value::Pos) {
      std::vector<std::string> keys;
      for (auto &[k, v] : base.fields)
        keys.push_back(k);
      d.fix = "its fields are: " + llvm::join(keys, ", ");
    }
    return Value::invalid();
  }
  case Expr::Unary: {
    auto &u = llvm::cast<UnaryExpr>(e);
    Value v = eval(*u.operand, scope);
    if (v.kind == Value::Invalid)
      return v;
    if (u.op == "not") {
      if (v.kind == Value::Bool)
        return Value::ofBool(!v.b);
      if (v.kind == Value::Tensor && v.s == "bool")
        return record(Value::tensor(v.shape, "bool"), "select",
                      {use(v, e.loc), use(Value::ofBool(false), e.loc), use(Value::ofBool(true), e.loc)},
                      {}, e.loc);
      auto &d = error(e.loc, "'not' needs a boolean");
      d.found = v.describe();
      return Value::invalid();
    }
    if (v.kind == Value::Int)
      return Value::ofInt(-v.i);
    if (v.kind == Value::Float)
      return Value::ofFloat(-v.f);
    if (v.kind == Value::Tensor && v.s != "bool")
      return record(Value::tensor(v.shape, v.s), "unary", {use(v, e.loc)},
                    {{"kind", Value::ofStr("neg")}}, e.loc);
    auto &d = error(e.loc, "cannot negate " + v.describe());
    d.expected = "a number or a numeric tensor";
    return Value::invalid();
  }
  case Expr::Binary: {
    auto &b = llvm::cast<BinaryExpr>(e);
    Value l = eval(*b.lhs, scope);
    Value r = eval(*b.rhs, scope);
    return binary(b.op, l, r, e.loc);
  }
  case Expr::As: {
    auto &a = llvm::cast<AsExpr>(e);
    std::string saved = hintName;
    const CallExpr *savedCall = hintCall;
    hintName = a.name;
    hintCall = dyn_cast<CallExpr>(a.value.get());
    Value v = eval(*a.value, scope);
    hintName = saved;
    hintCall = savedCall;
    if (!inst || v.kind != Value::Tensor)
      return v;
    // A named point: record it and apply any adapter aimed at it.
    std::string path = scopeString();
    path = path.empty() ? a.name : path + "." + a.name;
    inst->points.push_back(path + " " + shapeStr(v.shape));
    for (auto &ad : adapters) {
      // Targets ignore repeat indices: layer.attn matches layer.3.attn.
      std::vector<std::string> parts;
      for (auto &p : llvm::split(path, '.'))
        if (!llvm::all_of(p, llvm::isDigit))
          parts.push_back(p.str());
      auto &t = ad.stmt->target;
      if (t.size() > parts.size() ||
          !std::equal(t.rbegin(), t.rend(), parts.rbegin()))
        continue;
      ++ad.applied;
      auto *c = dyn_cast<CallExpr>(ad.stmt->value.get());
      auto *calleeName = c ? dyn_cast<NameExpr>(c->callee.get()) : nullptr;
      bool builtin = calleeName && builtins().count(calleeName->name) &&
                     !(ad.module && ad.module->lookup(calleeName->name));
      Value fn = c && !builtin ? evalIn(*c->callee, ad.module, ad.scope) : Value::invalid();
      if (builtin) {
        auto &d = error(ad.stmt->value->loc, "an adapter must be a block call");
        d.found = "the builtin '" + calleeName->name + "'";
        d.fix = "wrap it in a block: block my_adapter(a) { return " + calleeName->name + "(a, ...) }";
        continue;
      }
      if (fn.kind != Value::Block) {
        if (fn.kind != Value::Invalid || !c) {
          auto &d = error(ad.stmt->value->loc, "an adapter must be a block call");
          d.expected = "adapter " + ad.stmt->name + " at ... = some_block(args)";
        }
        continue;
      }
      CallArgs args;
      args.call = c;
      args.fn = fn.display;
      args.positional.push_back({v, ad.stmt->loc});
      const SourceModule *saved = module;
      module = ad.module;
      for (auto &arg : c->args) {
        Value av = eval(*arg.value, ad.scope ? ad.scope : std::make_shared<Scope>());
        if (arg.name.empty())
          args.positional.push_back({av, arg.loc});
        else
          args.keywords.push_back({arg.name, av, arg.loc});
      }
      module = saved;
      std::string savedComp = component;
      component = "adapter";
      scopePath.push_back(a.name);
      scopePath.push_back(ad.stmt->name);
      Value out = callBlock(fn, args);
      scopePath.pop_back();
      scopePath.pop_back();
      component = savedComp;
      inst->adapters.push_back(ad.stmt->name + " at " + path);
      if (out.kind == Value::Tensor && out.shape != v.shape) {
        auto &d = error(ad.stmt->loc, "adapter '" + ad.stmt->name +
                                          "' changes the shape of point '" + path + "'");
        d.expected = shapeStr(v.shape);
        d.found = shapeStr(out.shape);
        d.fix = "an adapter must return a tensor of its input's shape";
      }
      if (out.kind == Value::Tensor)
        v = out;
    }
    return v;
  }
  case Expr::Parallel: {
    auto &p = llvm::cast<ParallelExpr>(e);
    Value sum;
    bool first = true;
    for (auto &br : p.branches) {
      Value v = eval(*br, scope);
      sum = first ? v : binary("+", sum, v, br->loc);
      first = false;
    }
    return sum;
  }
  }
  return Value::invalid();
}
