//===- ElaborateOperators.cpp - operators, broadcasting and indexing ------===//
#include "Elaborate.h"
#include "frond/lang/Printer.h"

#include <cmath>

using namespace frond;
using namespace frond::ast;
using llvm::dyn_cast;
using llvm::isa;

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
