//===- Builtins.cpp - the primitives of the .spec language ---------------===//
//
// One table: name -> signature and a function that checks the arguments,
// infers the result shape and registers learnable tensors. Parameter shapes
// follow PyTorch's conventions (linear weight [out, in]) so counts match the
// reference implementations. `frond help builtins` prints this table.
//
//===----------------------------------------------------------------------===//
#include "BuiltinHelpers.h"

#include "llvm/ADT/StringExtras.h"

using namespace frond;

namespace frond::builtin {

/// The last dimension of x as a known size, or an error.
bool width(E &e, const Bound &b, const std::string &arg, long long &out) {
  const Value &x = b[arg];
  if (!e.expectTensor(x, b.loc(arg), "'" + arg + "' of " + b.fn))
    return false;
  if (x.shape.empty() || !x.shape.back().known()) {
    auto &d = e.error(b.loc(arg), b.fn + " needs a known feature width");
    d.expected = "a tensor whose last dimension is a number, e.g. [b, t, 64]";
    d.found = x.describe();
    return false;
  }
  out = x.shape.back().size;
  return true;
}

bool isStr(E &e, const Bound &b, const std::string &arg,
           const std::vector<std::string> &allowed) {
  const Value &v = b[arg];
  if (v.kind == Value::Str &&
      std::find(allowed.begin(), allowed.end(), v.s) != allowed.end())
    return true;
  auto &d = e.error(b.loc(arg), "invalid " + arg + " for " + b.fn);
  d.expected = "one of \"" + llvm::join(allowed, "\", \"") + "\"";
  d.found = v.describe();
  return false;
}

bool positiveNumber(E &e, const Bound &b, const std::string &arg, bool allowZero) {
  const Value &v = b[arg];
  if (v.isNumber() && (v.num() > 0 || (allowZero && v.num() == 0)))
    return true;
  auto &d = e.error(b.loc(arg), "'" + arg + "' of " + b.fn + " must be a " +
                                    (allowZero ? "non-negative" : "positive") + " number");
  d.found = v.describe();
  return false;
}

Value withLast(const Value &x, long long n) {
  Shape s = x.shape;
  s.back() = known(n);
  return Value::tensor(s, "float");
}

} // namespace frond::builtin

using namespace frond::builtin;

namespace {

/// Elementwise functions: tensors keep their shape; numbers stay numbers
/// (mask and score bodies compute on scalars).
Value elementwise(E &e, const Bound &b) {
  const Value &x = b["x"];
  Value out;
  if (x.kind == Value::Tensor) {
    if (x.s == "bool") {
      auto &d = e.error(b.loc("x"), b.fn + " needs a numeric tensor");
      d.found = x.describe();
      return Value::invalid();
    }
    out = Value::tensor(x.shape, "float");
  } else if (x.isNumber()) {
    out = Value::tensor({}, "float");
  }
  if (out.kind == Value::Tensor) {
    int in = e.use(x, b.loc("x"));
    if (b.fn == "softcap")
      return e.record(out, "softcap", {in}, {{"cap", Value::ofFloat(b["cap"].num())}}, b.callLoc);
    if (b.fn == "clamp")
      return e.record(out, "clamp", {in},
                      {{"min", Value::ofFloat(b["lo"].num())}, {"max", Value::ofFloat(b["hi"].num())}},
                      b.callLoc);
    if (b.fn == "dropout") // Identity at evaluation; training adds the mask.
      return e.record(out, "dropout", {in}, {{"p", Value::ofFloat(b["p"].num())}}, b.callLoc);
    return e.record(out, "unary", {in}, {{"kind", Value::ofStr(b.fn)}}, b.callLoc);
  }
  auto &d = e.error(b.loc("x"), b.fn + " needs a tensor or a number");
  d.found = x.describe();
  return Value::invalid();
}

Value linear(E &e, const Bound &b) {
  long long in;
  if (!width(e, b, "x", in) || !e.expectInt(b["out"], b.loc("out"), "'out' of linear", 1))
    return Value::invalid();
  long long out = b["out"].i;
  const Value &rank = b["rank"], &bias = b["bias"];
  if (bias.kind != Value::Bool) {
    e.error(b.loc("bias"), "'bias' of linear must be true or false").found = bias.describe();
    return Value::invalid();
  }
  if (b.given("act") && rank.kind == Value::None) {
    auto &d = e.error(b.loc("act"), "'act' applies between the factors of a low-rank linear");
    d.fix = "give rank = r as well, or apply the activation to the output";
    return Value::invalid();
  }
  if (!isStr(e, b, "act", {"none", "relu2", "relu", "gelu", "silu"}))
    return Value::invalid();
  e.openScope("linear", nullptr);
  int w = -1, w1 = -1, w2 = -1, bn = -1;
  if (rank.kind == Value::None) {
    w = e.addParam("weight", {known(out), known(in)}, "linear", b.callLoc);
  } else {
    if (!e.expectInt(rank, b.loc("rank"), "'rank' of linear", 1)) {
      e.closeScope();
      return Value::invalid();
    }
    w1 = e.addParam("w1", {known(rank.i), known(in)}, "linear", b.callLoc);
    w2 = e.addParam("w2", {known(out), known(rank.i)}, "linear", b.callLoc);
  }
  if (bias.b)
    bn = e.addParam("bias", {known(out)}, "linear", b.callLoc);
  e.closeScope();
  int x = e.use(b["x"], b.loc("x"));
  if (rank.kind == Value::None)
    return e.record(withLast(b["x"], out), "linear", {x, w, bn}, {}, b.callLoc);
  Value r = e.record(withLast(b["x"], out), "lowrank_linear", {x, w1, w2},
                     {{"activation", b["act"]}}, b.callLoc);
  if (bn >= 0)
    r = e.record(withLast(b["x"], out), "binary", {r.node, bn}, {{"kind", Value::ofStr("add")}}, b.callLoc);
  return r;
}

Value crossEntropy(E &e, const Bound &b) {
  const Value &logits = b["logits"], &targets = b["targets"];
  if (!e.expectTensor(logits, b.loc("logits"), "'logits' of cross_entropy") ||
      !e.expectTensor(targets, b.loc("targets"), "'targets' of cross_entropy"))
    return Value::invalid();
  if (logits.shape.size() < 2 || logits.s != "float") {
    auto &d = e.error(b.loc("logits"), "cross_entropy needs float logits [..., vocab]");
    d.found = logits.describe();
    return Value::invalid();
  }
  if (targets.s != "int") {
    auto &d = e.error(b.loc("targets"), "cross_entropy needs integer targets");
    d.found = targets.describe();
    d.fix = "pass token ids, e.g. the model's `tokens` input";
    return Value::invalid();
  }
  Shape lead(logits.shape.begin(), logits.shape.end() - 1);
  if (lead != targets.shape) {
    auto &d = e.error(b.callLoc, "logits and targets do not line up");
    d.expected = "targets " + shapeStr(lead) + " for logits " + shapeStr(logits.shape);
    d.found = "targets " + shapeStr(targets.shape);
    d.fix = "slice both the same way, e.g. lm[:, n:] with tokens[:, n:]";
    return Value::invalid();
  }
  if (!positiveNumber(e, b, "smoothing", true))
    return Value::invalid();
  if (b["shift"].kind != Value::Bool || b["ignore"].kind != Value::Int) {
    auto &d = e.error(b.callLoc, "cross_entropy needs shift = true/false and an integer ignore index");
    d.found = "shift " + b["shift"].describe() + ", ignore " + b["ignore"].describe();
    return Value::invalid();
  }
  return e.record(Value::tensor({}, "float"), "cross_entropy",
                  {e.use(logits, b.loc("logits")), e.use(targets, b.loc("targets"))},
                  {{"ignore_index", b["ignore"]}, {"label_smoothing", Value::ofFloat(b["smoothing"].num())},
                   {"shift", b["shift"]}},
                  b.callLoc);
}

Value reduce(E &e, const Bound &b) {
  const Value &x = b["x"];
  if (!e.expectTensor(x, b.loc("x"), "'x' of " + b.fn))
    return Value::invalid();
  int in = e.use(x, b.loc("x"));
  if (b["dim"].kind == Value::None) {
    std::vector<Value> all;
    for (size_t i = 0; i < x.shape.size(); ++i)
      all.push_back(Value::ofInt(i));
    Value dims;
    dims.kind = Value::List;
    dims.list = all;
    return e.record(Value::tensor({}, "float"), "reduce", {in},
                    {{"kind", Value::ofStr(b.fn)}, {"dims", dims}}, b.callLoc);
  }
  if (!e.expectInt(b["dim"], b.loc("dim"), "'dim'"))
    return Value::invalid();
  long long r = x.shape.size(), k = b["dim"].i < 0 ? b["dim"].i + r : b["dim"].i;
  if (k < 0 || k >= r) {
    auto &d = e.error(b.loc("dim"), "dimension out of range");
    d.expected = "a dimension of " + shapeStr(x.shape);
    d.found = std::to_string(b["dim"].i);
    return Value::invalid();
  }
  Shape s = x.shape;
  if (b.fn == "mean" || b.fn == "sum") {
    s.erase(s.begin() + k);
    Value dims;
    dims.kind = Value::List;
    dims.list = {Value::ofInt(k)};
    return e.record(Value::tensor(s, "float"), "reduce", {in},
                    {{"kind", Value::ofStr(b.fn)}, {"dims", dims}}, b.callLoc);
  }
  return e.record(Value::tensor(s, b.fn == "cumsum" ? x.s : "float"), b.fn, {in},
                  {{"dim", Value::ofInt(k)}}, b.callLoc);
}

/// A configuration object (optimizer, schedule, data, metric, init...):
/// arguments are type-checked against the signature's defaults.
BuiltinFn config(std::string category) {
  return [category](E &e, const Bound &b) -> Value {
    Value v;
    v.kind = Value::Config;
    v.s = category;
    v.display = b.fn;
    for (auto &[k, val] : b.v) {
      v.fields[k] = val;
      if (k == "lr" && !(val.isNumber() && val.num() > 0)) {
        auto &d = e.error(b.loc(k), "learning rate must be a positive number");
        d.found = val.describe();
        return Value::invalid();
      }
      if ((k == "top_p" || k == "split" || k == "p") && val.isNumber() &&
          (val.num() <= 0 || val.num() > 1)) {
        auto &d = e.error(b.loc(k), "'" + k + "' must be in (0, 1]");
        d.found = val.describe();
        return Value::invalid();
      }
    }
    return v;
  };
}

std::map<std::string, Builtin> makeBuiltins() {
  std::map<std::string, Builtin> t;
  auto model = [&](const char *n, std::vector<std::string> sig, BuiltinFn fn, const char *doc) {
    t[n] = Builtin{std::move(sig), std::move(fn), true, doc};
  };
  auto pure = [&](const char *n, std::vector<std::string> sig, BuiltinFn fn, const char *doc) {
    t[n] = Builtin{std::move(sig), std::move(fn), false, doc};
  };
  auto cfg = [&](const char *n, const char *cat, std::vector<std::string> sig, const char *doc) {
    t[n] = Builtin{std::move(sig), config(cat), false, doc};
  };

  // --- layers with parameters ---------------------------------------------
  model("embed", {"ids", "vocab", "dim", "init=none"}, [](E &e, const Bound &b) -> Value {
    const Value &ids = b["ids"];
    if (!e.expectTensor(ids, b.loc("ids"), "'ids' of embed"))
      return Value::invalid();
    if (ids.s != "int") {
      auto &d = e.error(b.loc("ids"), "embed needs integer ids");
      d.found = ids.describe();
      return Value::invalid();
    }
    if (!e.expectInt(b["vocab"], b.loc("vocab"), "'vocab' of embed", 1) ||
        !e.expectInt(b["dim"], b.loc("dim"), "'dim' of embed", 1))
      return Value::invalid();
    e.openScope("embed", nullptr);
    int table = e.addParam("weight", {known(b["vocab"].i), known(b["dim"].i)}, "embedding", b.callLoc);
    e.closeScope();
    Shape s = ids.shape;
    s.push_back(known(b["dim"].i));
    return e.record(Value::tensor(s, "float"), "embedding", {e.use(ids, b.loc("ids")), table}, {},
                    b.callLoc);
  }, "token/segment embedding table [vocab, dim]");
  model("linear", {"x", "out", "bias=true", "rank=none", "act=\"none\"", "init=none"}, linear,
        "x W^T + b; rank = r factorises it as W2 act(W1 x)");
  model("rmsnorm", {"x", "weight=true", "eps=1e-6"}, [](E &e, const Bound &b) -> Value {
    long long d;
    if (!width(e, b, "x", d))
      return Value::invalid();
    int w = -1;
    if (b["weight"].kind == Value::Bool && b["weight"].b) {
      e.openScope("rmsnorm", nullptr);
      w = e.addParam("weight", {known(d)}, "norm", b.callLoc);
      e.closeScope();
    }
    return e.record(Value::tensor(b["x"].shape, "float"), "rms_norm", {e.use(b["x"], b.loc("x")), w},
                    {{"eps", Value::ofFloat(b["eps"].num())}}, b.callLoc);
  }, "RMS normalisation over the last dimension");
  model("layernorm", {"x", "affine=true", "eps=1e-5"}, [](E &e, const Bound &b) -> Value {
    long long d;
    if (!width(e, b, "x", d))
      return Value::invalid();
    int w = -1, bias = -1;
    if (b["affine"].kind == Value::Bool && b["affine"].b) {
      e.openScope("layernorm", nullptr);
      w = e.addParam("weight", {known(d)}, "norm", b.callLoc);
      bias = e.addParam("bias", {known(d)}, "norm", b.callLoc);
      e.closeScope();
    }
    return e.record(Value::tensor(b["x"].shape, "float"), "layer_norm",
                    {e.use(b["x"], b.loc("x")), w, bias}, {{"eps", Value::ofFloat(b["eps"].num())}},
                    b.callLoc);
  }, "layer normalisation over the last dimension");
  model("attention",
        {"x", "heads", "kv_heads=none", "head_dim=none", "kind=\"softmax\"", "mask=none",
         "score=none", "pos=none", "kv=none", "kv_pos=none", "qk_norm=false", "bias=false",
         "out_bias=none", "capture=false", "a_layers=2", "a_dense=2", "a_dff=none",
         "faithful=false", "init=none", "out_init=none"},
        attention,
        "multi-head attention; kind softmax|linear|relaxed_linear|aft|power_law; "
        "kv = source tensor for partial/cross attention");

  // --- tensor functions without parameters --------------------------------
  for (const char *n : {"gelu", "silu", "relu", "relu2", "sigmoid", "tanh", "exp", "log",
                        "sqrt", "abs", "softplus", "floor"})
    pure(n, {"x"}, elementwise, "elementwise");
  pure("softcap", {"x", "cap"}, [](E &e, const Bound &b) -> Value {
    if (!positiveNumber(e, b, "cap"))
      return Value::invalid();
    return elementwise(e, b);
  }, "cap * tanh(x / cap)");
  pure("clamp", {"x", "lo", "hi"}, elementwise, "clamp to [lo, hi]");
  pure("dropout", {"x", "p=0.0"}, [](E &e, const Bound &b) -> Value {
    const Value &p = b["p"];
    if (!p.isNumber() || p.num() < 0 || p.num() >= 1) {
      auto &d = e.error(b.loc("p"), "dropout probability must be in [0, 1)");
      d.found = p.describe();
      return Value::invalid();
    }
    return elementwise(e, b);
  }, "dropout (identity at evaluation)");
  pure("where", {"cond", "a", "b"}, [](E &e, const Bound &b) -> Value {
    // Shapes and types as for a + b, broadcast with the condition; the
    // recording below replaces the nodes those checks would add.
    graph::Graph *saved = e.graph;
    e.graph = nullptr;
    Value ab = e.binary("+", b["a"], b["b"], b.callLoc);
    Value r = e.binary("*", ab, b["cond"].kind == Value::Tensor
                                    ? Value::tensor(b["cond"].shape, "int")
                                    : Value::ofInt(1), b.callLoc);
    e.graph = saved;
    if (r.kind == Value::Tensor)
      r.s = ab.kind == Value::Tensor ? ab.s : r.s;
    return e.record(r, "select", {e.use(b["cond"], b.loc("cond")), e.use(b["a"], b.loc("a")),
                                  e.use(b["b"], b.loc("b"))}, {}, b.callLoc);
  }, "elementwise choice");
  for (const char *n : {"min", "max"})
    pure(n, {"a", "b"}, [](E &e, const Bound &b) {
      graph::Graph *saved = e.graph;
      e.graph = nullptr;
      Value r = e.binary("+", b["a"], b["b"], b.callLoc);
      e.graph = saved;
      return e.record(r, "binary", {e.use(b["a"], b.loc("a")), e.use(b["b"], b.loc("b"))},
                      {{"kind", Value::ofStr(b.fn)}}, b.callLoc);
    }, "elementwise minimum/maximum");
  model("heads", {"x", "n"}, [](E &e, const Bound &b) -> Value {
    long long d;
    if (!width(e, b, "x", d) || !e.expectInt(b["n"], b.loc("n"), "'n' of heads", 1))
      return Value::invalid();
    if (d % b["n"].i) {
      auto &diag = e.error(b.loc("n"), "width " + std::to_string(d) +
                                           " does not split into " + std::to_string(b["n"].i) + " heads");
      diag.fix = "choose a number of heads that divides the width";
      return Value::invalid();
    }
    Shape s = b["x"].shape;
    s.back() = known(b["n"].i);
    s.push_back(known(d / b["n"].i));
    return e.record(Value::tensor(s, "float"), "split_heads", {e.use(b["x"], b.loc("x"))},
                    {{"heads", b["n"]}}, b.callLoc);
  }, "[..., n*D] -> [..., n, D]");
  model("merge", {"x"}, [](E &e, const Bound &b) -> Value {
    const Value &x = b["x"];
    if (!e.expectTensor(x, b.loc("x"), "'x' of merge"))
      return Value::invalid();
    if (x.shape.size() < 2 || !x.shape.back().known() || !x.shape[x.shape.size() - 2].known()) {
      auto &d = e.error(b.loc("x"), "merge needs [..., heads, head_dim] with known sizes");
      d.found = x.describe();
      return Value::invalid();
    }
    Shape s(x.shape.begin(), x.shape.end() - 2);
    s.push_back(known(x.shape.back().size * x.shape[x.shape.size() - 2].size));
    return e.record(Value::tensor(s, "float"), "merge_heads", {e.use(x, b.loc("x"))}, {}, b.callLoc);
  }, "[..., n, D] -> [..., n*D]");
  model("cumsum", {"x", "dim=1"}, [](E &e, const Bound &b) {
    e.hasCumsum = true;
    return reduce(e, b);
  }, "cumulative sum along dim (a recurrence: `cache state` keeps its running sum)");
  model("unsqueeze", {"x", "dim"}, [](E &e, const Bound &b) -> Value {
    const Value &x = b["x"];
    if (!e.expectTensor(x, b.loc("x"), "'x' of unsqueeze") || !e.expectInt(b["dim"], b.loc("dim"), "'dim'"))
      return Value::invalid();
    long long r = x.shape.size() + 1, k = b["dim"].i < 0 ? b["dim"].i + r : b["dim"].i;
    if (k < 0 || k >= r) {
      auto &d = e.error(b.loc("dim"), "dimension out of range");
      d.expected = "a position in a tensor of rank " + std::to_string(r);
      d.found = std::to_string(b["dim"].i);
      return Value::invalid();
    }
    Shape s = x.shape;
    s.insert(s.begin() + k, known(1));
    return e.record(Value::tensor(s, x.s), "unsqueeze", {e.use(x, b.loc("x"))},
                    {{"dim", Value::ofInt(k)}}, b.callLoc);
  }, "insert a dimension of size 1");
  model("softmax", {"x", "dim=-1"}, reduce, "softmax along dim");
  model("mean", {"x", "dim=none"}, reduce, "mean (all elements when dim is none)");
  model("sum", {"x", "dim=none"}, reduce, "sum (all elements when dim is none)");
  model("concat", {"a", "b", "dim=-1"}, [](E &e, const Bound &b) -> Value {
    const Value &x = b["a"], &y = b["b"];
    if (!e.expectTensor(x, b.loc("a"), "'a' of concat") || !e.expectTensor(y, b.loc("b"), "'b' of concat") ||
        !e.expectInt(b["dim"], b.loc("dim"), "'dim'"))
      return Value::invalid();
    long long r = x.shape.size(), k = b["dim"].i < 0 ? b["dim"].i + r : b["dim"].i;
    bool ok = x.shape.size() == y.shape.size() && k >= 0 && k < r;
    for (long long i = 0; ok && i < r; ++i)
      ok = i == k || x.shape[i] == y.shape[i];
    if (!ok) {
      auto &d = e.error(b.callLoc, "concat needs equal shapes except along dim");
      d.found = shapeStr(x.shape) + " and " + shapeStr(y.shape) + ", dim " + std::to_string(b["dim"].i);
      return Value::invalid();
    }
    Shape s = x.shape;
    s[k] = x.shape[k].known() && y.shape[k].known()
               ? known(x.shape[k].size + y.shape[k].size)
               : Dim{x.shape[k].str() + " + " + y.shape[k].str(), -1};
    return e.record(Value::tensor(s, x.s), "concat", {e.use(x, b.loc("a")), e.use(y, b.loc("b"))},
                    {{"dim", Value::ofInt(k)}}, b.callLoc);
  }, "concatenate along dim");

  // --- positions ----------------------------------------------------------
  auto intIds = [](E &e, const Bound &b) -> bool {
    const Value &ids = b["ids"];
    if (!e.expectTensor(ids, b.loc("ids"), "'ids' of " + b.fn))
      return false;
    if (ids.s == "int")
      return true;
    e.error(b.loc("ids"), b.fn + " needs integer ids").found = ids.describe();
    return false;
  };
  auto lengthArg = [](E &e, const Bound &b, const std::string &k) -> bool {
    const Value &v = b[k];
    if (v.kind == Value::None || v.kind == Value::Int ||
        (v.kind == Value::Tensor && v.s == "int" && v.shape.size() == 1))
      return true;
    auto &d = e.error(b.loc(k), "'" + k + "' must be a length: an integer or a per-sample int tensor [b]");
    d.found = v.describe();
    return false;
  };
  model("segment", {"ids", "boundary"}, [=](E &e, const Bound &b) -> Value {
    if (!intIds(e, b) || !lengthArg(e, b, "boundary"))
      return Value::invalid();
    return e.record(Value::tensor(b["ids"].shape, "int"), "segment",
                    {e.use(b["ids"], b.loc("ids")), e.use(b["boundary"], b.loc("boundary"))}, {},
                    b.callLoc);
  }, "0 before the boundary (source), 1 from it on (target)");
  model("positions", {"ids", "restart_at=none"}, [=](E &e, const Bound &b) -> Value {
    if (!intIds(e, b) || !lengthArg(e, b, "restart_at"))
      return Value::invalid();
    return e.record(Value::tensor(b["ids"].shape, "int"), "positions",
                    {e.use(b["ids"], b.loc("ids")), e.use(b["restart_at"], b.loc("restart_at"))}, {},
                    b.callLoc);
  }, "0..t-1, restarting from 0 at restart_at (separate positional encoding)");
  pure("rope", {"theta=10000.0", "layout=\"half\"", "restart_at=none", "scale=1.0"},
       [=](E &e, const Bound &b) -> Value {
    if (!positiveNumber(e, b, "theta") || !positiveNumber(e, b, "scale") ||
        !isStr(e, b, "layout", {"half", "interleaved", "truncated"}) ||
        !lengthArg(e, b, "restart_at"))
      return Value::invalid();
    Value v;
    v.kind = Value::Pos;
    v.s = "rope";
    for (auto &[k, f] : b.v)
      if (f.kind != Value::None)
        v.fields[k] = f;
    return v;
  }, "rotary positions: half (NeoX), interleaved pairs, or truncated (Palm)");
  model("rotary", {"x", "pos"}, [](E &e, const Bound &b) -> Value {
    const Value &x = b["x"], &pos = b["pos"];
    if (!e.expectTensor(x, b.loc("x"), "'x' of rotary"))
      return Value::invalid();
    if (pos.kind != Value::Pos) {
      e.error(b.loc("pos"), "'pos' of rotary must be a position encoding").found = pos.describe();
      return Value::invalid();
    }
    long long mult = pos.fields.count("layout") && pos.fields.at("layout").s == "truncated" ? 4 : 2;
    if (x.shape.empty() || !x.shape.back().known() || x.shape.back().size % mult) {
      auto &d = e.error(b.loc("x"), "rotary needs a head dimension divisible by " + std::to_string(mult));
      d.found = x.describe();
      return Value::invalid();
    }
    return applyRope(e, x, pos, b.callLoc);
  }, "apply a rope() encoding to [b, t, h, D]");

  // --- losses -------------------------------------------------------------
  model("cross_entropy", {"logits", "targets", "shift=false", "ignore=-100", "smoothing=0.0"},
        crossEntropy, "mean token cross-entropy; shift predicts the next token");
  model("dag", {"matrix=\"a_lm\""}, [](E &e, const Bound &b) -> Value {
    if (!isStr(e, b, "matrix", {"a_lm", "a_p", "g_lm"}))
      return Value::invalid();
    if (!e.hasPowerLaw) {
      auto &d = e.error(b.callLoc, "dag() needs power_law attention earlier in the model");
      d.fix = "use attention(..., kind = \"power_law\") or remove the DAG loss";
      return Value::invalid();
    }
    if (!e.graph)
      return Value::tensor({}, "float");
    // One operand per power_law attention so far: its [b, h, D, D] matrix.
    static const std::map<std::string, int> column = {{"a_lm", 0}, {"a_p", 1}, {"g_lm", 2}};
    std::vector<int> matrices;
    for (const auto &m : e.powerLawMatrices)
      matrices.push_back(m[column.at(b["matrix"].s)]);
    return e.record(Value::tensor({}, "float"), "dag", matrices,
                    {{"matrix", b["matrix"]}}, b.callLoc);
  }, "PLDR DAG regulariser mean |log(tr(expm(M∘M))/D)| over layers, batch and heads");

  // --- initialisers -------------------------------------------------------
  cfg("zeros", "init", {}, "initialise to 0");
  cfg("ones", "init", {}, "initialise to 1");
  cfg("constant", "init", {"value"}, "initialise to a constant");
  cfg("normal", "init", {"std=0.02", "mean=0.0"}, "normal initialisation");
  cfg("uniform", "init", {"lo", "hi"}, "uniform initialisation");
  cfg("alibi_slopes", "init", {}, "ALiBi's geometric head slopes");
  cfg("xavier_uniform", "init", {"gain=1.0"}, "Xavier/Glorot uniform");
  cfg("xavier_normal", "init", {"gain=1.0"}, "Xavier/Glorot normal");
  cfg("torch_default", "init", {}, "PyTorch's default for the layer (U(+-1/sqrt(fan_in)))");
  cfg("identity", "init", {"scale=1.0", "noise=0.0"}, "scale * I + noise * N(0, 1) (PALM's Fp bootstrap)");

  // --- experiment configuration --------------------------------------------
  cfg("adamw", "optimizer", {"lr", "weight_decay=0.0", "betas=[]", "eps=1e-8"}, "AdamW");
  cfg("sgd", "optimizer", {"lr", "momentum=0.0", "nesterov=false", "weight_decay=0.0"},
      "SGD with momentum");
  cfg("muon", "optimizer",
      {"lr", "momentum=0.95", "nesterov=true", "ns_steps=5", "weight_decay=0.0",
       "momentum_warmup=0", "momentum_start=0.85", "fallback=none"},
      "Muon (Newton-Schulz orthogonalised momentum); fallback optimizer for embeddings, head, 1-D");
  cfg("cosine", "schedule", {"warmup=0", "min_lr=0.0"}, "linear warmup then cosine decay");
  cfg("wsd", "schedule", {"warmup=0", "decay=0.2", "min_lr=0.0", "decay_shape=\"linear\""},
      "warmup-stable-decay; decay_shape linear or cosine (Palm's cooldown)");
  cfg("linear_decay", "schedule", {"warmup=0", "min_lr=0.0"}, "linear warmup then linear decay");
  cfg("flat", "schedule", {"warmup=0"}, "linear warmup then constant");
  cfg("clip_norm", "clip", {"max"}, "clip gradients by global norm");
  cfg("clip_value", "clip", {"max"}, "clip gradients elementwise");
  cfg("text", "data", {"path", "tokenizer=\"bytes\"", "split=0.9"}, "a text file, byte-tokenised");
  cfg("task.associative_recall", "data", {"pairs=8", "queries=4", "vocab=64", "length=64"},
      "multi-query associative recall");
  cfg("task.copy_from_source", "data", {"src_len=32", "tgt_len=32", "vocab=64"},
      "copy the source segment into the target");
  cfg("task.needle", "data", {"length=256", "depth=0.5", "vocab=64"}, "needle in a haystack");
  cfg("task.icl_labels", "data", {"demos=32", "classes=2", "vocab=64", "length=128"},
      "in-context classification: demos then a query (dual-form experiments)");
  for (const char *m : {"perplexity", "accuracy", "source_ablation", "rec2ftp"})
    cfg(m, "metric", {}, "evaluation metric");
  cfg("sim_aou", "metric", {"against=\"finetuned\"", "states=\"residual\""},
      "SimAOU: cosine of ICL and fine-tuning updates of hidden states");
  cfg("sim_am", "metric", {"against=\"finetuned\""},
      "SimAM: cosine of pre-softmax attention rows, ICL vs fine-tuned");
  cfg("kendall_tau", "metric", {}, "Kendall's tau between attention and query similarity");
  return t;
}

} // namespace

const std::map<std::string, Builtin> &frond::builtins() {
  static const std::map<std::string, Builtin> table = makeBuiltins();
  return table;
}

std::string frond::builtinsHelp() {
  std::string out;
  for (auto &[name, b] : builtins())
    out += name + "(" + llvm::join(b.signature, ", ") + ")\n    " + b.doc + "\n";
  return out;
}
