//===- Elaborate.cpp - compile-time evaluation of expressions and models -===//
#include "Elaborate.h"
#include "frond/lang/Printer.h"

#include "llvm/ADT/StringExtras.h"

#include <cmath>

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

static std::vector<std::string> visibleNames(const ScopePtr &scope,
                                             const SourceModule *m) {
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

/// Broadcasts two shapes numpy-style; reports the first mismatch.
static bool broadcast(const Shape &a, const Shape &b, Shape &out, std::string &why) {
  size_t n = std::max(a.size(), b.size());
  out.assign(n, Dim{});
  for (size_t i = 0; i < n; ++i) {
    const Dim *da = i < n - a.size() ? nullptr : &a[i - (n - a.size())];
    const Dim *db = i < n - b.size() ? nullptr : &b[i - (n - b.size())];
    if (!da || (da->size == 1 && db))
      out[i] = *db;
    else if (!db || db->size == 1)
      out[i] = *da;
    else if (*da == *db)
      out[i] = da->known() ? *da : *db;
    else {
      why = "dimension " + std::to_string(i) + " differs: " + da->str() +
            " vs " + db->str();
      return false;
    }
  }
  return true;
}

Value Elaborator::binary(const std::string &op, const Value &a, const Value &b,
                         Loc at) {
  if (a.kind == Value::Invalid || b.kind == Value::Invalid)
    return Value::invalid();
  bool logical = op == "and" || op == "or";
  bool cmp = op == "<" || op == "<=" || op == ">" || op == ">=" || op == "==" || op == "!=";
  // Compile-time values.
  if (a.kind != Value::Tensor && b.kind != Value::Tensor) {
    if (logical && a.kind == Value::Bool && b.kind == Value::Bool)
      return Value::ofBool(op == "and" ? (a.b && b.b) : (a.b || b.b));
    if ((op == "==" || op == "!=") && a.kind == Value::Str && b.kind == Value::Str)
      return Value::ofBool((a.s == b.s) == (op == "=="));
    if (op == "+" && a.kind == Value::Str && b.kind == Value::Str)
      return Value::ofStr(a.s + b.s);
    if (a.isNumber() && b.isNumber()) {
      double x = a.num(), y = b.num();
      bool ints = a.kind == Value::Int && b.kind == Value::Int;
      if (cmp) {
        bool r = op == "<" ? x < y : op == "<=" ? x <= y : op == ">" ? x > y
               : op == ">=" ? x >= y : op == "==" ? x == y : x != y;
        return Value::ofBool(r);
      }
      if ((op == "/" || op == "//" || op == "%") && y == 0) {
        error(at, "division by zero");
        return Value::invalid();
      }
      if (ints && op != "/") {
        long long r = 0;
        bool overflow = false;
        if (op == "+")
          overflow = __builtin_add_overflow(a.i, b.i, &r);
        else if (op == "-")
          overflow = __builtin_sub_overflow(a.i, b.i, &r);
        else if (op == "*")
          overflow = __builtin_mul_overflow(a.i, b.i, &r);
        else if (op == "**" && b.i >= 0) {
          if (a.i == 0 || a.i == 1 || a.i == -1) {
            // No loop: the exponent may be huge.
            r = b.i == 0 ? 1 : a.i == -1 ? (b.i % 2 ? -1 : 1) : a.i;
          } else {
            r = 1; // |a| >= 2 overflows within 63 steps.
            for (long long k = 0; k < b.i && !overflow; ++k)
              overflow = __builtin_mul_overflow(r, a.i, &r);
          }
        } else if (op == "//")
          r = (long long)std::floor(x / y);
        else if (op == "%")
          r = a.i - (long long)std::floor(x / y) * b.i;
        else
          goto floating; // Negative integer powers are fractions.
        if (overflow) {
          auto &d = error(at, "integer overflow in '" + op + "'");
          d.found = a.str() + " " + op + " " + b.str();
          d.expected = "a result within 64-bit integers";
          return Value::invalid();
        }
        return Value::ofInt(r);
      }
    floating:
      if (!logical) {
        double r = op == "+" ? x + y : op == "-" ? x - y : op == "*" ? x * y
                 : op == "/" ? x / y : op == "//" ? std::floor(x / y)
                 : op == "%" ? std::fmod(x, y) : std::pow(x, y);
        return Value::ofFloat(r);
      }
    }
    auto &d = error(at, "operator '" + op + "' cannot combine " + a.describe() +
                            " and " + b.describe());
    d.expected = logical ? "booleans" : "numbers or tensors";
    return Value::invalid();
  }
  // Tensors (and scalars broadcast into them).
  auto asTensor = [](const Value &v) -> std::optional<Value> {
    if (v.kind == Value::Tensor)
      return v;
    if (v.kind == Value::Int)
      return Value::tensor({}, "int");
    if (v.kind == Value::Float)
      return Value::tensor({}, "float");
    if (v.kind == Value::Bool)
      return Value::tensor({}, "bool");
    return std::nullopt;
  };
  auto ta = asTensor(a), tb = asTensor(b);
  if (!ta || !tb) {
    auto &d = error(at, "operator '" + op + "' cannot combine " + a.describe() +
                            " and " + b.describe());
    d.expected = "tensors or numbers";
    return Value::invalid();
  }
  if (logical && (ta->s != "bool" || tb->s != "bool")) {
    auto &d = error(at, "'" + op + "' needs boolean operands");
    d.found = (ta->s != "bool" ? a : b).describe();
    d.fix = "compare first, e.g. (k <= q) " + op + " ...";
    return Value::invalid();
  }
  if (!logical && !cmp && (ta->s == "bool" || tb->s == "bool")) {
    auto &d = error(at, "arithmetic '" + op + "' on a boolean tensor");
    d.found = (ta->s == "bool" ? a : b).describe();
    d.fix = "use where(cond, a, b) to turn a condition into numbers";
    return Value::invalid();
  }
  Shape out;
  std::string why;
  if (!broadcast(ta->shape, tb->shape, out, why)) {
    auto &d = error(at, "shapes do not match for '" + op + "'");
    d.expected = "equal dimensions (or 1) from the right: " + why;
    d.found = shapeStr(ta->shape) + " " + op + " " + shapeStr(tb->shape);
    d.fix = "slice, project or reshape one side so the shapes agree";
    return Value::invalid();
  }
  std::string dtype = (cmp || logical) ? "bool"
                      : (ta->s == "float" || tb->s == "float" || op == "/") ? "float"
                      : "int";
  Value r = Value::tensor(out, dtype);
  if (!graph)
    return r;
  static const std::map<std::string, std::pair<const char *, const char *>> kinds = {
      {"+", {"binary", "add"}}, {"-", {"binary", "sub"}}, {"*", {"binary", "mul"}},
      {"/", {"binary", "div"}}, {"**", {"binary", "pow"}}, {"//", {"binary", "div"}},
      {"and", {"binary", "and"}}, {"or", {"binary", "or"}}, {"<", {"compare", "lt"}},
      {"<=", {"compare", "le"}}, {">", {"compare", "gt"}}, {">=", {"compare", "ge"}},
      {"==", {"compare", "eq"}}, {"!=", {"compare", "ne"}}};
  auto it = kinds.find(op);
  if (it == kinds.end()) {
    unsupported(at, "operator '" + op + "' on tensors");
    return r;
  }
  Value q = record(op == "//" ? Value::tensor(out, "float") : r, it->second.first,
                   {use(a, at), use(b, at)}, {{"kind", Value::ofStr(it->second.second)}}, at);
  if (op == "//")
    q = record(r, "unary", {q.node}, {{"kind", Value::ofStr("floor")}}, at);
  return q;
}

Value Elaborator::index(const Value &base, const IndexExpr &e, const ScopePtr &scope) {
  if (base.kind == Value::Invalid)
    return base;
  if (base.kind == Value::List) {
    if (e.slices.size() == 1 && e.slices[0].kind == Slice::Single) {
      Value i = eval(*e.slices[0].lo, scope);
      if (!expectInt(i, e.slices[0].loc, "a list index"))
        return Value::invalid();
      long long n = base.list.size(), k = i.i < 0 ? i.i + n : i.i;
      if (k >= 0 && k < n)
        return base.list[k];
      auto &d = error(e.slices[0].loc, "list index out of range");
      d.expected = "an index in [" + std::to_string(-n) + ", " + std::to_string(n) + ")";
      d.found = std::to_string(i.i);
      return Value::invalid();
    }
  }
  if (!expectTensor(base, e.loc, "the indexed value"))
    return Value::invalid();
  const Shape &in = base.shape;
  // Count the dimensions the subscript consumes to place an ellipsis.
  size_t consumed = 0;
  bool ellipsis = false;
  for (auto &s : e.slices) {
    if (s.kind != Slice::Ellipsis) {
      ++consumed;
      continue;
    }
    if (ellipsis) {
      auto &d = error(s.loc, "only one '...' is allowed in a subscript");
      d.fix = "keep a single '...' and name the other dimensions with ':'";
      return Value::invalid();
    }
    ellipsis = true;
  }
  if (consumed > in.size()) {
    auto &d = error(e.loc, "too many indices");
    d.expected = "at most " + std::to_string(in.size()) + " for a tensor " + shapeStr(in);
    d.found = std::to_string(consumed);
    return Value::invalid();
  }
  Shape out;
  size_t dim = 0;
  for (auto &s : e.slices) {
    if (s.kind == Slice::Ellipsis) {
      size_t skip = in.size() - consumed;
      for (size_t k = 0; k < skip; ++k)
        out.push_back(in[dim++]);
      continue;
    }
    const Dim &d = in[dim++];
    auto bound = [&](const ExprPtr &x, std::string &name, long long &val) -> bool {
      if (!x)
        return true;
      Value v = eval(*x, scope);
      name = printExpr(*x);
      if (v.kind == Value::Int) {
        val = v.i;
        return true;
      }
      // A per-sample length (an int tensor over the batch) or a runtime index.
      if (v.kind == Value::Tensor && v.s == "int" && v.shape.size() <= 1)
        return true;
      if (v.kind != Value::Invalid) {
        auto &diag = error(x->loc, "a slice bound must be an integer or a per-sample length");
        diag.expected = "an integer, or an int tensor [b]";
        diag.found = v.describe();
      }
      return false;
    };
    std::string lo, hi;
    long long loV = LLONG_MIN, hiV = LLONG_MIN;
    if (!bound(s.lo, lo, loV) || !bound(s.hi, hi, hiV))
      return Value::invalid();
    auto norm = [&](long long v) { return v < 0 && d.known() ? v + d.size : v; };
    if (s.kind == Slice::Single) {
      if (loV != LLONG_MIN && d.known() && (norm(loV) < 0 || norm(loV) >= d.size)) {
        auto &diag = error(s.loc, "index " + std::to_string(loV) + " is out of range");
        diag.expected = "an index in [" + std::to_string(-d.size) + ", " +
                        std::to_string(d.size) + ") for dimension " + d.str();
        return Value::invalid();
      }
      continue; // The dimension is dropped.
    }
    Dim nd;
    bool loKnown = !s.lo || loV != LLONG_MIN, hiKnown = !s.hi || hiV != LLONG_MIN;
    // Names of symbolic sizes: a compound bound is parenthesised.
    auto term = [](const std::string &t) {
      return t.find(' ') == std::string::npos ? t : "(" + t + ")";
    };
    if (!s.lo && !s.hi) {
      nd = d; // x[:, ...] keeps the dimension as it is.
    } else if (loKnown && hiKnown && d.known()) {
      long long a = s.lo ? std::clamp(norm(loV), 0LL, d.size) : 0;
      long long b = s.hi ? std::clamp(norm(hiV), 0LL, d.size) : d.size;
      nd.size = std::max(0LL, b - a);
    } else if (loKnown && hiKnown && !s.lo && hiV >= 0) {
      nd.size = hiV; // x[:, :n] on a symbolic length.
    } else if (loKnown && !s.hi && loV < 0) {
      nd.size = -loV; // x[:, -n:] on a symbolic length: the last n.
    } else if (loKnown && hiKnown && loV >= 0 && hiV >= 0) {
      nd.size = std::max(0LL, hiV - loV);
    } else if (!s.lo) {
      nd.name = hiKnown && hiV < 0 ? d.str() + " - " + std::to_string(-hiV) : hi;
    } else if (!s.hi) {
      nd.name = d.str() + " - " + term(lo);
    } else {
      nd.name = term(hi) + " - " + term(lo);
    }
    out.push_back(nd);
  }
  while (dim < in.size())
    out.push_back(in[dim++]);
  Value result = Value::tensor(out, base.s);
  if (graph)
    result = recordIndex(base, e, scope, result);
  return result;
}

/// Records an index expression as one `slice` per sliced dimension; a
/// single index is a slice of length one followed by a `squeeze`.
Value Elaborator::recordIndex(const Value &base, const IndexExpr &e, const ScopePtr &scope,
                              const Value &result) {
  Value cur = base;
  size_t consumed = 0;
  for (auto &s : e.slices)
    consumed += s.kind != Slice::Ellipsis;
  // Reading one element (src_len[b] in a mask): an `extract`, with every
  // index an index-typed scalar.
  bool element = consumed == base.shape.size() && result.shape.empty();
  for (auto &s : e.slices)
    element &= s.kind == Slice::Single;
  if (element) {
    std::vector<int> operands = {use(base, e.loc)};
    for (auto &s : e.slices) {
      Value i = eval(*s.lo, scope);
      if (i.kind == Value::Int) {
        Value c = record(Value::tensor({}, "index"), "constant", {}, {{"value", i}}, s.loc);
        operands.push_back(c.node);
      } else {
        operands.push_back(use(i, s.loc));
      }
    }
    return record(result, "extract", operands, {}, e.loc);
  }
  size_t dim = 0;
  std::vector<long long> dropped;
  Shape shape = base.shape;
  for (auto &s : e.slices) {
    if (s.kind == Slice::Ellipsis) {
      dim += base.shape.size() - consumed;
      continue;
    }
    if (s.kind == Slice::Range && !s.lo && !s.hi) {
      ++dim;
      continue;
    }
    std::map<std::string, Value> attrs = {{"dim", Value::ofInt(dim)}};
    std::vector<int> operands = {use(cur, e.loc), -1, -1};
    auto bound = [&](const ExprPtr &x, int slot, const char *attr) {
      if (!x)
        return;
      Value v = eval(*x, scope);
      if (v.kind == Value::Int)
        attrs[attr] = v;
      else
        operands[slot] = use(v, x->loc);
    };
    bound(s.lo, 1, "static_start");
    // Per-sample bounds leave rows of different lengths; integer tensors
    // (targets) are padded with the ignore index so padding is not trained.
    auto padIfRagged = [&] {
      if ((operands[1] >= 0 || operands[2] >= 0) && base.s == "int")
        attrs["pad"] = Value::ofInt(-100);
    };
    if (s.kind == Slice::Single) {
      Value v = eval(*s.lo, scope);
      if (v.kind == Value::Int) {
        attrs["static_end"] = Value::ofInt(v.i == -1 ? LLONG_MAX : v.i + 1);
        if (v.i == -1)
          attrs.erase("static_end");
      } else {
        unsupported(s.loc, "indexing with a runtime index");
      }
      dropped.push_back(dim);
      shape[dim] = Dim{"", 1};
    } else {
      bound(s.hi, 2, "static_end");
      padIfRagged();
      shape[dim] = Dim{}; // Exact extents are set on the last slice below.
    }
    // The exact extent is known only for the last slice; intermediate
    // results keep this dimension dynamic unless it is static.
    Value step = Value::tensor(shape, base.s);
    cur = record(step, "slice", operands, attrs, s.loc);
    ++dim;
  }
  for (auto it = dropped.rbegin(); it != dropped.rend(); ++it) {
    shape.erase(shape.begin() + *it);
    cur = record(Value::tensor(shape, base.s), "squeeze", {use(cur, e.loc)},
                 {{"dim", Value::ofInt(*it)}}, e.loc);
  }
  Value out = result;
  out.node = cur.node;
  out.graphOf = cur.graphOf;
  if (graph && cur.node >= 0)
    graph->nodes[cur.node].shape = result.shape;
  return out;
}

//===----------------------------------------------------------------------===//
// Calls
//===----------------------------------------------------------------------===//

/// Parses a signature default ("true", "none", "4", "1e-6", "\"half\"").
static Value parseDefault(const std::string &s) {
  if (s == "true" || s == "false")
    return Value::ofBool(s == "true");
  if (s == "none")
    return Value::none();
  if (s.size() >= 2 && s.front() == '"')
    return Value::ofStr(s.substr(1, s.size() - 2));
  if (s == "[]") {
    Value v;
    v.kind = Value::List;
    return v;
  }
  if (s.find_first_of(".e") != std::string::npos)
    return Value::ofFloat(std::strtod(s.c_str(), nullptr));
  return Value::ofInt(std::strtoll(s.c_str(), nullptr, 10));
}

bool Elaborator::bind(const CallArgs &args, const std::vector<std::string> &sig,
                      Bound &out) {
  out.fn = args.fn;
  out.callLoc = args.call ? args.call->loc : Loc{};
  std::vector<std::string> names;
  for (auto &p : sig)
    names.push_back(p.substr(0, p.find('=')));
  bool ok = true;
  if (args.positional.size() > sig.size()) {
    auto &d = error(args.positional[sig.size()].second,
                    "too many arguments to '" + args.fn + "'");
    d.expected = "at most " + std::to_string(sig.size()) + ": " +
                 args.fn + "(" + llvm::join(sig, ", ") + ")";
    d.found = std::to_string(args.positional.size()) + " positional arguments";
    ok = false;
  }
  for (size_t i = 0; i < args.positional.size() && i < sig.size(); ++i) {
    out.v[names[i]] = args.positional[i].first;
    out.at[names[i]] = args.positional[i].second;
  }
  for (auto &[k, v, at] : args.keywords) {
    if (std::find(names.begin(), names.end(), k) == names.end()) {
      auto &d = error(at, "'" + args.fn + "' has no parameter '" + k + "'");
      std::string guess = closestName(k, names);
      d.fix = guess.empty() ? "its parameters are: " + llvm::join(names, ", ")
                            : "did you mean '" + guess + "'?";
      ok = false;
      continue;
    }
    if (out.at.count(k)) {
      auto &d = error(at, "argument '" + k + "' of '" + args.fn + "' is given twice");
      d.found = "an earlier value at " + out.at[k].str();
      ok = false;
      continue;
    }
    out.v[k] = v;
    out.at[k] = at;
  }
  for (size_t i = 0; i < sig.size(); ++i) {
    if (out.v.count(names[i]))
      continue;
    size_t eq = sig[i].find('=');
    if (eq == std::string::npos) {
      auto &d = error(out.callLoc, "missing argument '" + names[i] + "' in call to '" +
                                       args.fn + "'");
      d.expected = args.fn + "(" + llvm::join(sig, ", ") + ")";
      d.fix = "pass " + names[i] + " = <value>";
      ok = false;
      out.v[names[i]] = Value::invalid();
      continue;
    }
    out.v[names[i]] = parseDefault(sig[i].substr(eq + 1));
  }
  return ok;
}

Value Elaborator::call(const CallExpr &c, const ScopePtr &scope) {
  std::string name = c.calleeName();
  // Resolve user-defined callees (blocks, masks, models) before builtins.
  Value fn;
  bool user = false;
  auto callable = [](const Value &v) {
    return v.kind == Value::Block || v.kind == Value::Mask || v.kind == Value::Score ||
           v.kind == Value::Model || v.kind == Value::Invalid;
  };
  if (auto *n = dyn_cast<NameExpr>(c.callee.get())) {
    // A local that is not callable (a parameter named `heads`) does not hide
    // the builtin of the same name.
    Value *v = scope->find(n->name);
    if (v && (callable(*v) || !builtins().count(n->name))) {
      fn = *v;
      user = true;
    } else if (v) {
    } else if (module && module->lookup(n->name)) {
      fn = global(*module->lookup(n->name), c.loc);
      user = true;
    }
  } else if (!builtins().count(name)) {
    fn = eval(*c.callee, scope);
    user = true;
  }
  CallArgs args;
  args.call = &c;
  args.fn = user ? (fn.display.empty() ? name : fn.display) : name;
  for (auto &a : c.args) {
    Value v = eval(*a.value, scope);
    if (a.name.empty())
      args.positional.push_back({v, a.loc});
    else
      args.keywords.push_back({a.name, v, a.loc});
  }
  if (user) {
    switch (fn.kind) {
    case Value::Invalid: return fn;
    case Value::Block: return callBlock(fn, args);
    case Value::Mask:
    case Value::Score: {
      // Binding the extra parameters of a mask: prefix_lm(src_len = n).
      std::vector<std::string> sig;
      size_t fixed = fn.kind == Value::Mask ? 4 : 5;
      for (size_t i = fixed; i < fn.mask->params.size(); ++i)
        sig.push_back(fn.mask->params[i].first);
      Bound b;
      if (!bind(args, sig, b))
        return Value::invalid();
      for (auto &[k, v] : b.v)
        fn.fields[k] = v;
      return fn;
    }
    case Value::Model: {
      // model(args) in an experiment: a model with arguments to bind later.
      Value v;
      v.kind = Value::Config;
      v.s = "model";
      v.display = fn.display;
      v.decl = fn.decl;
      v.module = fn.module;
      for (auto &[k, val, at] : args.keywords)
        v.fields[k] = val;
      if (!args.positional.empty()) {
        auto &d = error(args.positional[0].second, "model arguments must be named");
        d.fix = "write " + fn.display + "(name = value, ...)";
      }
      return v;
    }
    default: {
      auto &d = error(c.loc, "'" + name + "' is not callable");
      d.found = fn.describe();
      return Value::invalid();
    }
    }
  }
  auto it = builtins().find(name);
  if (it == builtins().end()) {
    std::vector<std::string> cands = visibleNames(scope, module);
    for (auto &[k, b] : builtins())
      cands.push_back(k);
    auto &d = error(c.loc, "unknown function '" + (name.empty() ? printExpr(*c.callee) : name) + "'");
    std::string guess = closestName(name, cands);
    d.fix = guess.empty() ? "define it as a block, import it, or see `frond help builtins`"
                          : "did you mean '" + guess + "'?";
    return Value::invalid();
  }
  if (it->second.needsModel && !inst) {
    auto &d = error(c.loc, "'" + name + "' can only be used inside a model or block");
    d.fix = "move it into a model body";
    return Value::invalid();
  }
  Bound b;
  if (!bind(args, it->second.signature, b))
    return Value::invalid();
  for (auto &[k, v] : b.v)
    if (v.kind == Value::Invalid)
      return Value::invalid();
  for (const char *k : {"init", "out_init"})
    if (auto iv = b.v.find(k); iv != b.v.end() && iv->second.kind != Value::None &&
                               !(iv->second.kind == Value::Config && iv->second.s == "init")) {
      auto &d = error(b.loc(k), std::string("'") + k + "' of " + name + " must be an initialiser");
      d.expected = "zeros(), ones(), constant(v), normal(std), uniform(lo, hi), xavier_uniform(), "
                   "xavier_normal(), torch_default() or identity(scale, noise)";
      d.found = iv->second.describe();
      return Value::invalid();
    }
  const CallExpr *savedCall = currentCall;
  currentCall = &c;
  Value r = it->second.fn(*this, b);
  currentCall = savedCall;
  return r;
}

std::string Elaborator::scopeString() const { return llvm::join(scopePath, "."); }

std::string Elaborator::openScope(const std::string &base, const CallExpr *c) {
  std::string name = base;
  if (!c)
    c = currentCall;
  bool named = false;
  if (c && c == hintCall && !hintName.empty()) {
    name = hintName;
    named = true;
    hintCall = nullptr; // Consumed: inner calls get their own names.
  } else {
    int n = counters[scopeString()][base]++;
    if (n > 0)
      name += "_" + std::to_string(n);
  }
  scopePath.push_back(name);
  scopeLog.push_back({scopeString(), base, named});
  return scopeString();
}

int Elaborator::addParam(const std::string &name, Shape shape,
                         const std::string &comp, Loc at) {
  if (!inst)
    return -1;
  ParamInfo p;
  p.path = scopeString().empty() ? name : scopeString() + "." + name;
  p.count = 1;
  for (auto &d : shape)
    if (__builtin_mul_overflow(p.count, d.known() ? d.size : 0, &p.count) ||
        p.count > (1LL << 40)) {
      auto &e = error(at, "parameter '" + (scopeString().empty() ? name : scopeString() + "." + name) +
                              "' is too large");
      e.found = shapeStr(shape);
      e.expected = "at most 2^40 elements per tensor";
      p.count = 0;
      break;
    }
  p.shape = std::move(shape);
  p.component = component.empty() ? comp : component;
  p.loc = at;
  // Shared weights (recur) are elaborated once; a second registration of
  // the same path is the same tensor.
  // Two layers may not share a name: `as proj` twice would silently share
  // (or shadow) weights.
  if (auto it = paramIndex.find(p.path); it != paramIndex.end()) {
    auto &e = error(at, "two layers are named '" + scopeString() + "'");
    e.found = "an earlier layer with parameter '" + p.path + "' at " +
              inst->params[it->second].loc.str();
    e.fix = "give each layer its own `as` name (shared weights come from recur)";
    return it->second < paramNodes.size() ? paramNodes[it->second] : -1;
  }
  paramIndex[p.path] = inst->params.size();
  int node = -1;
  if (graph) {
    // Parameters live in the model's top-level graph even when the call
    // that creates them is recorded inside a region.
    graph::Node n;
    n.op = "param";
    n.name = p.path;
    n.shape = p.shape;
    n.dtype = "float";
    n.loc = at;
    node = rootGraph->add(std::move(n));
  }
  paramNodes.push_back(node);
  inst->params.push_back(std::move(p));
  return node;
}

Value Elaborator::paramValue(int node, const Shape &shape) {
  Value v = Value::tensor(shape, "float");
  v.node = node;
  v.graphOf = rootGraph;
  return v;
}

Value Elaborator::callBlock(const Value &fn, const CallArgs &args) {
  auto *block = llvm::cast<BlockDecl>(fn.decl);
  if (std::find(callStack.begin(), callStack.end(), block) != callStack.end()) {
    auto &d = error(args.call ? args.call->loc : block->loc,
                    "block '" + block->name + "' calls itself");
    d.fix = "use repeat or recur for repetition";
    return Value::invalid();
  }
  if (callStack.size() >= kMaxDepth) {
    auto &d = error(args.call ? args.call->loc : block->loc,
                    "blocks call each other too deeply");
    d.expected = "at most " + std::to_string(kMaxDepth) + " nested block calls";
    d.fix = "flatten the chain of blocks, or use repeat/recur";
    return Value::invalid();
  }
  if (!inst) {
    auto &d = error(args.call ? args.call->loc : block->loc,
                    "block '" + block->name + "' can only be called inside a model");
    d.fix = "call it from a model body";
    return Value::invalid();
  }
  // Bind arguments: defaults are evaluated in the block's own scope so they
  // may refer to earlier parameters (hidden = 4 * d).
  std::vector<std::string> names;
  for (auto &p : block->params)
    names.push_back(p.name);
  auto scope = std::make_shared<Scope>();
  CallArgs withDefaults = args;
  std::vector<std::string> sig;
  for (auto &p : block->params)
    sig.push_back(p.defaultValue ? p.name + "=none" : p.name);
  Bound b;
  if (!bind(withDefaults, sig, b))
    return Value::invalid();
  const SourceModule *saved = module;
  module = static_cast<const SourceModule *>(fn.module);
  for (auto &p : block->params) {
    if (b.given(p.name) || !p.defaultValue)
      scope->vars[p.name] = b.v[p.name];
    else
      scope->vars[p.name] = eval(*p.defaultValue, scope);
  }
  callStack.push_back(block);
  openScope(block->name, args.call);
  auto local = std::make_shared<Scope>();
  local->parent = scope;
  local->vars["__return"] = Value::invalid();
  bool savedReturning = returning;
  returning = false;
  execBody(block->body, local);
  bool hasReturn = returning;
  returning = savedReturning;
  Value r = local->vars["__return"];
  closeScope();
  callStack.pop_back();
  module = saved;
  if (!hasReturn && !diags.tooMany()) {
    auto &d = error(args.call ? args.call->loc : block->loc,
                    "block '" + block->name + "' does not return a value");
    d.found = "no `return` was reached; block declared at " + block->loc.str();
    d.fix = "end every path of the block with `return <expr>`";
  }
  return r;
}
