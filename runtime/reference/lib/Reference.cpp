//===- Reference.cpp - parameters and the eager Graph interpreter --------===//
//
// The whole libtorch reference lives in this one translation unit (libtorch
// headers cost about a minute of compile time per file). Each node kind is
// one small function of its operand tensors, written from FrondOps.td.
// Mask and score regions are interpreted by the same code over broadcast
// index grids b[B,1,1,1], h[1,H,1,1], q[1,1,Tq,1], k[1,1,1,Tk], so a region
// that computes on "scalars" yields a whole [B,H,Tq,Tk] mask or score.
//
//===----------------------------------------------------------------------===//
#include "frond/reference/Reference.h"
#include "frond/runtime/Init.h"

#include <cmath>
#include <stdexcept>

namespace frond::reference {

using at::Tensor;
using graph::Graph;
using graph::Node;

//===----------------------------------------------------------------------===//
// Parameters
//===----------------------------------------------------------------------===//

// The generator is the runtime's (runtime/lib/Init.cpp): one definition of
// the seeded parameters that both engines use.
double normalAt(uint64_t seed, const std::string &path, uint64_t i) {
  return runtime::normalAt(seed, path, i);
}

/// The runtime computes the values (one definition for both engines); the
/// reference adds what is torch's own: tied parameters share one tensor (one
/// gradient) and trainable owners may require gradients.
ParamStore initParams(const ModelInstance &m, uint64_t seed, double std,
                      bool requiresGrad) {
  std::map<std::string, runtime::Tensor> values = runtime::initParams(m, seed, std);
  ParamStore store;
  for (const ParamInfo &p : m.params) {
    if (!p.tiedTo.empty())
      continue;
    runtime::Tensor &v = values.at(p.path);
    Tensor t = at::from_blob(v.f32.data(), v.shape, at::TensorOptions().dtype(at::kFloat)).clone();
    if (requiresGrad && p.trainable)
      t.set_requires_grad(true);
    store.tensors[p.path] = t;
  }
  for (const ParamInfo &p : m.params) {
    std::string owner = runtime::tieOwner(m, p);
    if (!owner.empty() && store.tensors.count(owner))
      store.tensors[p.path] = store.tensors[owner];
  }
  return store;
}

//===----------------------------------------------------------------------===//
// The interpreter
//===----------------------------------------------------------------------===//

namespace {

/// An evaluation error at the node being evaluated.
struct Failure : std::runtime_error {
  using std::runtime_error::runtime_error;
};

[[noreturn]] void fail(const std::string &msg) { throw Failure(msg); }

/// The libtorch type of a graph dtype; "float" is `F` (f32, or f64 for a
/// run in double precision).
at::ScalarType dtypeOf(const std::string &d, at::ScalarType F) {
  if (d == "int" || d == "index")
    return at::kLong;
  if (d == "bool")
    return at::kBool;
  return F;
}

bool isFloat(at::ScalarType t) { return at::isFloatingType(t); }

/// The frame of a region: its arguments and the attention's captures.
struct Frame {
  std::vector<Tensor> args, captures;
};

class Interpreter {
public:
  Interpreter(const std::map<std::string, Tensor> &inputs,
              const ParamStore &params, DiagEngine &diags, at::ScalarType F,
              at::ScalarType attentionType = at::kFloat, std::string matmulTiles = "f32")
      : inputs(inputs), params(params), diags(diags), F(F), attentionType(attentionType),
        matmulTiles(std::move(matmulTiles)) {}

  /// Evaluates `g`; fills `values` (one per node) and returns the yielded
  /// value for a region. False after a diagnostic.
  bool run(const Graph &g, const Frame *frame, std::vector<Tensor> &values,
           Tensor *yielded) {
    values.assign(g.nodes.size(), Tensor());
    for (size_t i = 0; i < g.nodes.size(); ++i) {
      const Node &n = g.nodes[i];
      std::vector<Tensor> ops;
      for (int o : n.operands)
        ops.push_back(o >= 0 && size_t(o) < i ? values[o] : Tensor());
      try {
        values[i] = eval(n, ops, frame);
      } catch (const Failure &f) {
        return error(n, f.what());
      } catch (const c10::Error &e) {
        return error(n, std::string("libtorch: ") + e.what_without_backtrace());
      } catch (const std::exception &e) {
        return error(n, e.what());
      }
      if (n.op == "yield" && yielded)
        *yielded = values[i];
    }
    return true;
  }

private:
  const std::map<std::string, Tensor> &inputs;
  const ParamStore &params;
  DiagEngine &diags;
  at::ScalarType F; ///< the type of "float" values: f32, or f64
  /// Softmax attention as eager attention in this type (see runReference).
  at::ScalarType attentionType;
  /// Dense products with operands rounded to this (see runReference).
  std::string matmulTiles;
  bool reported = false;

  /// `t` rounded as matmul tiles of matmulTiles round their operands: to
  /// tf32 (nearest, ties away: cvt.rna.tf32.f32), bf16 or f16. Forward
  /// only: the gradient passes through unrounded (an exact difference
  /// added and detached).
  Tensor roundOperand(const Tensor &t) const { return roundedTo(matmulTiles, t); }
  static Tensor roundedTo(const std::string &tiles, const Tensor &t) {
    if (tiles == "f32" || t.scalar_type() != at::kFloat)
      return t;
    Tensor r;
    if (tiles == "tf32")
      r = at::bitwise_and(t.contiguous().view(at::kInt) + 0x1000, int64_t(int32_t(0xFFFFE000)))
              .view(at::kFloat);
    else
      r = t.to(tiles == "bf16" ? at::kBFloat16 : at::kHalf).to(at::kFloat);
    return t.requires_grad() ? t + (r - t).detach() : r;
  }
  /// The product `y` of rounded operands, its gradient rounded on the way
  /// back: the backward's products (dX = dY W, dW = dYᵀ X) take rounded
  /// operands too, as the GPU's matmul kernels do.
  Tensor roundedProduct(Tensor y) const {
    if (matmulTiles == "f32" || !y.requires_grad())
      return y;
    y = y.view_as(y); // a hook on a fresh node, not on an input
    // Backward runs after the interpreter is gone: the hook keeps a copy.
    y.register_hook([tiles = matmulTiles](const Tensor &g) { return roundedTo(tiles, g.detach()); });
    return y;
  }
  Tensor linear(const Tensor &x, const Tensor &w, const Tensor &bias = {}) const {
    if (matmulTiles == "f32")
      return at::linear(x, w, bias);
    // The bias is added after the product, outside the rounded operands.
    Tensor y = roundedProduct(at::linear(roundOperand(x), roundOperand(w)));
    return bias.defined() ? y + bias : y;
  }

  bool error(const Node &n, const std::string &msg) {
    if (!reported) // an inner region reports once, not again at its attention
      diags.error(n.loc, "reference: cannot evaluate '" + n.op + "': " + msg);
    reported = true;
    return false;
  }

  // --- attributes -----------------------------------------------------------
  static const Value *attr(const Node &n, const char *key) {
    auto it = n.attrs.find(key);
    return it == n.attrs.end() ? nullptr : &it->second;
  }
  static double num(const Node &n, const char *key, double dflt) {
    const Value *v = attr(n, key);
    return v && v->isNumber() ? v->num() : dflt;
  }
  static int64_t integer(const Node &n, const char *key) {
    const Value *v = attr(n, key);
    if (!v || !v->isNumber())
      fail(std::string("it needs an integer '") + key + "'");
    return int64_t(v->num());
  }
  static std::string str(const Node &n, const char *key, std::string dflt = "") {
    const Value *v = attr(n, key);
    return v && v->kind == Value::Str ? v->s : dflt;
  }
  static bool flag(const Node &n, const char *key) {
    const Value *v = attr(n, key);
    return v && ((v->kind == Value::Bool && v->b) || (v->isNumber() && v->num() != 0));
  }
  static std::vector<int64_t> ints(const Node &n, const char *key) {
    const Value *v = attr(n, key);
    std::vector<int64_t> r;
    if (v && v->isNumber())
      r.push_back(int64_t(v->num()));
    else if (v && v->kind == Value::List)
      for (const Value &x : v->list)
        r.push_back(int64_t(x.num()));
    return r;
  }
  static const Tensor &need(const std::vector<Tensor> &ops, size_t i) {
    if (i >= ops.size() || !ops[i].defined())
      fail("operand #" + std::to_string(i) + " is missing");
    return ops[i];
  }
  static Tensor maybe(const std::vector<Tensor> &ops, size_t i) {
    return i < ops.size() ? ops[i] : Tensor();
  }

  // --- node kinds -----------------------------------------------------------
  Tensor eval(const Node &n, const std::vector<Tensor> &ops, const Frame *frame);
  Tensor unary(const std::string &kind, const Tensor &x, at::ScalarType r);
  Tensor binary(const std::string &kind, Tensor a, Tensor b, at::ScalarType r);
  Tensor positions(const Node &n, const std::vector<Tensor> &ops);
  Tensor slice(const Node &n, const std::vector<Tensor> &ops);
  Tensor rope(const Node &n, const Tensor &x, const Tensor &pos);
  Tensor crossEntropy(const Node &n, Tensor logits, Tensor targets);
  Tensor attention(const Node &n, const std::vector<Tensor> &ops);
  Tensor region(const Node &n, size_t which, const Frame &frame);
};

Tensor activation(const std::string &kind, const Tensor &x) {
  if (kind == "none" || kind.empty())
    return x;
  if (kind == "relu")
    return at::relu(x);
  if (kind == "relu2")
    return at::relu(x).square();
  if (kind == "gelu")
    return at::gelu(x);
  if (kind == "gelu_tanh")
    return at::gelu(x, "tanh");
  if (kind == "silu")
    return at::silu(x);
  fail("unknown activation '" + kind + "'");
}

Tensor Interpreter::unary(const std::string &kind, const Tensor &in,
                          at::ScalarType r) {
  // neg, abs and relu stay integer; the rest are float functions.
  bool intOk = kind == "neg" || kind == "abs" || kind == "relu";
  Tensor x = in.to(isFloat(r) || intOk ? r : F);
  Tensor y;
  if (kind == "neg") y = at::neg(x);
  else if (kind == "exp") y = at::exp(x);
  else if (kind == "log") y = at::log(x);
  else if (kind == "sqrt") y = at::sqrt(x);
  else if (kind == "rsqrt") y = at::rsqrt(x);
  else if (kind == "abs") y = at::abs(x);
  else if (kind == "tanh") y = at::tanh(x);
  else if (kind == "sigmoid") y = at::sigmoid(x);
  else if (kind == "softplus") y = at::softplus(x);
  else if (kind == "floor") y = at::floor(x);
  else if (kind == "relu" || kind == "relu2" || kind == "gelu" ||
           kind == "gelu_tanh" || kind == "silu")
    y = activation(kind, x);
  else
    fail("unknown unary kind '" + kind + "'");
  return y.to(r);
}

Tensor Interpreter::binary(const std::string &kind, Tensor a, Tensor b,
                           at::ScalarType r) {
  if (kind == "and" || kind == "or") {
    a = a.to(r), b = b.to(r);
    return kind == "and" ? at::bitwise_and(a, b) : at::bitwise_or(a, b);
  }
  // Computed in the result's type; pow (and anything boolean) in floats.
  at::ScalarType ct = kind == "pow" && !isFloat(r) ? F : r;
  if (ct == at::kBool)
    ct = at::kLong;
  a = a.to(ct), b = b.to(ct);
  Tensor y;
  if (kind == "add") y = a + b;
  else if (kind == "sub") y = a - b;
  else if (kind == "mul") y = a * b;
  else if (kind == "div") y = isFloat(ct) ? a / b : at::div(a, b, "trunc");
  else if (kind == "pow") y = at::pow(a, b);
  else if (kind == "max") y = at::maximum(a, b);
  else if (kind == "min") y = at::minimum(a, b);
  else fail("unknown binary kind '" + kind + "'");
  return y.to(r);
}

/// positions(ids, restart_at?) = t, or t - r from t >= r on; segment(ids,
/// boundary) = (t >= boundary) as 0/1. The result's rank is the node's,
/// with t counting along its last dimension; a [b] bound broadcasts as [b, 1].
Tensor Interpreter::positions(const Node &n, const std::vector<Tensor> &ops) {
  const Tensor &src = need(ops, 0);
  int64_t rank = int64_t(n.shape.size());
  if (rank < 1 || src.dim() < rank)
    fail("its first operand has fewer dimensions than the result");
  std::vector<int64_t> sizes(src.sizes().begin(), src.sizes().begin() + rank);
  std::vector<int64_t> line(rank, 1);
  line[rank - 1] = sizes[rank - 1];
  Tensor t = at::arange(sizes[rank - 1], at::kLong).view(line).expand(sizes);
  Tensor r = maybe(ops, 1);
  if (!r.defined()) {
    if (n.op == "segment")
      fail("it needs a boundary");
    return t.contiguous();
  }
  r = r.to(at::kLong);
  if (r.dim() == 1 && rank > 1) {
    std::vector<int64_t> col(rank, 1);
    col[0] = r.size(0);
    r = r.view(col);
  } else if (r.dim() > 1) {
    fail("its bound must be a number or a per-sample [b] tensor");
  }
  Tensor ge = t >= r;
  if (n.op == "segment")
    return ge.to(at::kLong);
  return at::where(ge, t - r, t);
}

/// Static or per-sample slices (FrondOps.td, frond.slice).
Tensor Interpreter::slice(const Node &n, const std::vector<Tensor> &ops) {
  const Tensor &x = need(ops, 0);
  int64_t dim = integer(n, "dim");
  if (dim < 0)
    dim += x.dim();
  if (dim < 0 || dim >= x.dim())
    fail("'dim' is out of range");
  int64_t extent = x.size(dim), batch = x.dim() ? x.size(0) : 1;
  // Each bound as one value per sample; `perSample` when any is a [b] tensor.
  bool perSample = false;
  auto bound = [&](size_t i, const char *key, int64_t dflt) {
    std::vector<int64_t> v(batch, dflt);
    Tensor t = maybe(ops, i);
    if (t.defined() && t.dim() == 1) {
      if (dim == 0 || t.size(0) != batch)
        fail("a per-sample bound needs one value per sample and dim != 0");
      perSample = true;
      Tensor c = t.to(at::kLong).contiguous();
      for (int64_t b = 0; b < batch; ++b)
        v[b] = c.data_ptr<int64_t>()[b];
    } else if (t.defined()) {
      std::fill(v.begin(), v.end(), t.item().toLong());
    } else if (attr(n, key)) {
      std::fill(v.begin(), v.end(), integer(n, key));
    }
    for (int64_t &e : v) // Python semantics: negative from the end, clamped.
      e = std::clamp<int64_t>(e < 0 ? e + extent : e, 0, extent);
    return v;
  };
  std::vector<int64_t> start = bound(1, "static_start", 0);
  std::vector<int64_t> end = bound(2, "static_end", extent);
  if (!perSample)
    return x.slice(dim, start[0], std::max(start[0], end[0]));
  // Left-aligned rows, padded to the result extent (the longest sample).
  int64_t len = 0;
  for (int64_t b = 0; b < batch; ++b)
    len = std::max(len, end[b] - start[b]);
  if (dim < int64_t(n.shape.size()) && n.shape[dim].known())
    len = n.shape[dim].size;
  const Value *pad = attr(n, "pad");
  double padValue = pad && pad->isNumber() ? pad->num() : 0.0;
  std::vector<Tensor> rows;
  for (int64_t b = 0; b < batch; ++b) {
    Tensor row = x[b];
    int64_t take = std::clamp<int64_t>(end[b] - start[b], 0, len);
    Tensor part = row.slice(dim - 1, start[b], start[b] + take);
    if (take < len) {
      std::vector<int64_t> padSizes(row.sizes().begin(), row.sizes().end());
      padSizes[dim - 1] = len - take;
      part = at::cat({part, at::full(padSizes, padValue, row.options())}, dim - 1);
    }
    rows.push_back(part);
  }
  return at::stack(rows, 0);
}

/// Rotary embedding of x [b, t, h, D] by positions [b, t] (FrondOps.td).
Tensor Interpreter::rope(const Node &n, const Tensor &x, const Tensor &pos) {
  std::string layout = str(n, "layout", "half");
  double theta = num(n, "theta", 10000.0), scale = num(n, "scale", 1.0);
  int64_t D = x.size(-1);
  at::ScalarType ft = x.scalar_type() == at::kDouble ? at::kDouble : F;
  auto opts = at::TensorOptions().dtype(ft);
  Tensor omega; // [D/2]
  if (layout == "half" || layout == "interleaved") {
    if (D % 2)
      fail("rope needs an even head dimension");
    omega = 1.0 / at::pow(at::scalar_tensor(theta, opts),
                          at::arange(0, D, 2, opts) / double(D));
  } else if (layout == "truncated") {
    if (D % 4)
      fail("truncated rope needs a head dimension divisible by 4");
    omega = at::cat({at::pow(at::scalar_tensor(1.0 / theta, opts),
                             at::linspace(0, 1, D / 4, opts)),
                     at::zeros({D / 4}, opts)});
  } else {
    fail("unknown rope layout '" + layout + "'");
  }
  Tensor p = pos.to(ft);
  if (scale != 1.0)
    p = p / scale;
  Tensor ang = p.unsqueeze(-1) * omega; // [b, t, D/2]
  while (ang.dim() < x.dim())
    ang = ang.unsqueeze(-2); // [b, t, 1, D/2]
  Tensor c = at::cos(ang), s = at::sin(ang), xf = x.to(ft);
  Tensor y;
  if (layout == "interleaved") {
    Tensor pairs = xf.unflatten(-1, {D / 2, 2});
    Tensor x1 = pairs.select(-1, 0), x2 = pairs.select(-1, 1);
    y = at::stack({x1 * c - x2 * s, x2 * c + x1 * s}, -1).flatten(-2);
  } else {
    Tensor x1 = xf.narrow(-1, 0, D / 2), x2 = xf.narrow(-1, D / 2, D / 2);
    y = layout == "half" ? at::cat({x1 * c - x2 * s, x2 * c + x1 * s}, -1)
                         : at::cat({x1 * c + x2 * s, x2 * c - x1 * s}, -1);
  }
  return y.to(x.scalar_type());
}

/// Mean over non-ignored positions of -(1-ε) log p[target] - ε/V Σ log p.
Tensor Interpreter::crossEntropy(const Node &n, Tensor logits, Tensor targets) {
  if (logits.dim() != targets.dim() + 1)
    fail("logits must have one more dimension than targets");
  if (flag(n, "shift")) {
    int64_t t = targets.size(-1);
    if (t < 1)
      fail("shift needs at least one position");
    logits = logits.narrow(-2, 0, t - 1);
    targets = targets.narrow(-1, 1, t - 1);
  }
  int64_t ignore = attr(n, "ignore_index") ? integer(n, "ignore_index") : -100;
  double eps = num(n, "label_smoothing", 0.0);
  Tensor lp = at::log_softmax(logits.to(dtypeOf(n.dtype, F)), -1);
  targets = targets.to(at::kLong);
  Tensor valid = targets != ignore;
  Tensor safe = at::where(valid, targets, at::zeros_like(targets));
  Tensor per = -lp.gather(-1, safe.unsqueeze(-1)).squeeze(-1);
  if (eps != 0.0)
    per = (1.0 - eps) * per - eps * lp.mean(-1);
  per = at::where(valid, per, at::zeros_like(per));
  return per.sum() / valid.sum().to(per.scalar_type()); // 0/0 = NaN: no target
}

/// Interprets region `which` (0 mask, 1 score) of an attention node.
Tensor Interpreter::region(const Node &n, size_t which, const Frame &frame) {
  std::vector<Tensor> values;
  Tensor y;
  if (!run(*n.regions[which], &frame, values, &y))
    fail("in its region");
  if (!y.defined())
    fail(std::string("its ") + (which ? "score" : "mask") + " region has no yield");
  return y;
}

/// frond.attention: q [B,H,Tq,D], k [B,Hkv,Tk,D], v [B,Hkv,Tk,Dv], an
/// optional metric [B,H,D,D], then the captures.
Tensor Interpreter::attention(const Node &n, const std::vector<Tensor> &ops) {
  std::string kind = str(n, "kind");
  double scale = num(n, "scale", 1.0);
  Tensor q = need(ops, 0), k = need(ops, 1), v = need(ops, 2);
  Tensor metric = maybe(ops, 3);
  if ((kind == "power_law") != metric.defined())
    fail(kind == "power_law" ? "power_law needs a metric operand"
                             : "only power_law takes a metric");
  if (q.dim() != 4 || k.dim() != 4 || v.dim() != 4)
    fail("q, k and v must be [b, h, t, D]");
  int64_t B = q.size(0), H = q.size(1), Tq = q.size(2), Hkv = k.size(1),
          Tk = k.size(2);
  if (Hkv == 0 || H % Hkv)
    fail("the query heads must be a multiple of the key/value heads");
  if (Hkv != H) { // query head i reads key/value head i / (H / Hkv)
    k = k.repeat_interleave(H / Hkv, 1);
    v = v.repeat_interleave(H / Hkv, 1);
  }
  Frame frame;
  for (size_t i = 4; i < ops.size(); ++i)
    frame.captures.push_back(need(ops, i));
  auto grid = [](int64_t n, int at) {
    std::vector<int64_t> s(4, 1);
    s[at] = n;
    return at::arange(n, at::kLong).view(s);
  };
  std::vector<Tensor> idx = {grid(B, 0), grid(H, 1), grid(Tq, 2), grid(Tk, 3)};
  std::vector<int64_t> full = {B, H, Tq, Tk};
  auto has = [&](size_t r) {
    return n.regions.size() > r && n.regions[r] && !n.regions[r]->nodes.empty();
  };
  Tensor mask; // undefined: every key visible
  if (has(0)) {
    frame.args = idx;
    mask = region(n, 0, frame).to(at::kBool).expand(full);
  }
  at::ScalarType st = q.scalar_type() == at::kDouble ? at::kDouble : F;
  auto score = [&](Tensor s) {
    if (has(1)) {
      frame.args = {s};
      frame.args.insert(frame.args.end(), idx.begin(), idx.end());
      s = region(n, 1, frame).to(st);
    }
    return s.expand(full);
  };
  auto zeroMasked = [&](const Tensor &w) {
    return mask.defined() ? at::where(mask, w, at::zeros_like(w)) : w;
  };
  q = q.to(st), k = k.to(st), v = v.to(st);
  Tensor out;
  if (kind == "softmax" || kind == "power_law") {
    // Eager attention in a narrower type rounds each op's result to it.
    auto narrow = [&](const Tensor &t) {
      return attentionType == at::kFloat ? t : t.to(attentionType).to(st);
    };
    // power_law's q G is a matmul of its own on the GPU, before the kernel.
    Tensor lhs = narrow(kind == "power_law"
                            ? roundedProduct(at::matmul(roundOperand(q), roundOperand(metric.to(st))))
                            : q);
    k = narrow(k), v = narrow(v);
    Tensor s = narrow(score(narrow(at::matmul(lhs, k.transpose(-2, -1)) * scale)));
    if (!mask.defined()) {
      out = narrow(at::matmul(narrow(at::softmax(s, -1)), v));
    } else {
      // Masked keys get -inf; a row without a visible key yields zeros.
      Tensor any = mask.any(-1, /*keepdim=*/true);
      Tensor neg = at::full({}, -INFINITY, s.options());
      Tensor m = at::where(mask, s, neg);
      m = at::where(any, m, at::zeros_like(m));
      out = narrow(at::matmul(narrow(at::softmax(m, -1) * any.to(st)), v));
    }
  } else if (kind == "linear" || kind == "relaxed_linear") {
    Tensor w = zeroMasked(score(at::matmul(q, k.transpose(-2, -1)) * scale));
    out = at::matmul(w, v);
    if (kind == "linear") {
      Tensor den = w.sum(-1, /*keepdim=*/true);
      Tensor zero = den == 0;
      out = at::where(zero, at::zeros_like(out),
                      out / at::where(zero, at::ones_like(den), den));
    }
  } else if (kind == "aft") {
    if (v.size(-1) != q.size(-1))
      fail("aft needs Dv == D");
    Tensor w = zeroMasked(score(at::ones({}, q.options())));
    out = scale * q * at::matmul(w, k * v);
  } else {
    fail("unknown attention kind '" + kind + "'");
  }
  return out;
}

Tensor Interpreter::eval(const Node &n, const std::vector<Tensor> &ops,
                         const Frame *frame) {
  const std::string &op = n.op;
  at::ScalarType r = dtypeOf(n.dtype, F);
  auto arg = [&](size_t i) -> const Tensor & { return need(ops, i); };

  // Sources.
  if (op == "input") {
    auto it = inputs.find(n.name);
    if (it == inputs.end())
      fail("no tensor was given for input '" + n.name + "'");
    return it->second.to(r);
  }
  if (op == "param") {
    Tensor t = params.get(n.name);
    if (!t.defined())
      fail("no tensor for parameter '" + n.name + "'");
    return t.to(F); // the same tensor (and autograd leaf) in f32 runs
  }
  if (op == "constant") {
    const Value *v = attr(n, "value");
    if (!v || !(v->isNumber() || v->kind == Value::Bool))
      fail("it needs a numeric 'value'");
    std::vector<int64_t> sizes;
    for (const Dim &d : n.shape) {
      if (!d.known())
        fail("its shape must be static");
      sizes.push_back(d.size);
    }
    double x = v->kind == Value::Bool ? double(v->b) : v->num();
    return v->kind == Value::Int ? at::full(sizes, int64_t(v->i), at::kLong).to(r)
                                 : at::full(sizes, x, at::kDouble).to(r);
  }
  if (op == "region_arg" || op == "capture") {
    if (!frame)
      fail("it is only valid inside an attention region");
    const auto &list = op == "capture" ? frame->captures : frame->args;
    int64_t i = integer(n, "index");
    if (i < 0 || size_t(i) >= list.size())
      fail("index " + std::to_string(i) + " is out of range");
    return list[i];
  }
  if (op == "yield")
    return arg(0);

  // Layers.
  if (op == "embedding")
    return at::embedding(arg(1), arg(0).to(at::kLong));
  if (op == "linear")
    return linear(arg(0), arg(1), maybe(ops, 2));
  if (op == "lowrank_linear")
    return linear(activation(str(n, "activation", "none"), linear(arg(0), arg(1))), arg(2));
  if (op == "rms_norm") {
    Tensor x = arg(0).to(F);
    Tensor y = x * at::rsqrt(x.square().mean(-1, true) + num(n, "eps", 1e-6));
    if (Tensor w = maybe(ops, 1); w.defined())
      y = y * w;
    return y.to(arg(0).scalar_type());
  }
  if (op == "layer_norm") {
    const Tensor &x = arg(0);
    return at::layer_norm(x, {x.size(-1)}, maybe(ops, 1), maybe(ops, 2),
                          num(n, "eps", 1e-5));
  }
  if (op == "rope")
    return rope(n, arg(0), arg(1));
  if (op == "matmul")
    return roundedProduct(at::matmul(roundOperand(arg(0)), roundOperand(arg(1))));

  // Elementwise.
  if (op == "unary")
    return unary(str(n, "kind"), arg(0), r);
  if (op == "binary")
    return binary(str(n, "kind"), arg(0), arg(1), r);
  if (op == "compare") {
    Tensor a = arg(0), b = arg(1);
    at::ScalarType ct = isFloat(a.scalar_type()) || isFloat(b.scalar_type())
                            ? at::promote_types(F, at::promote_types(
                                  a.scalar_type(), b.scalar_type()))
                            : at::kLong;
    a = a.to(ct), b = b.to(ct);
    std::string kind = str(n, "kind");
    if (kind == "lt") return at::lt(a, b);
    if (kind == "le") return at::le(a, b);
    if (kind == "gt") return at::gt(a, b);
    if (kind == "ge") return at::ge(a, b);
    if (kind == "eq") return at::eq(a, b);
    if (kind == "ne") return at::ne(a, b);
    fail("unknown compare kind '" + kind + "'");
  }
  if (op == "select")
    return at::where(arg(0).to(at::kBool), arg(1).to(r), arg(2).to(r));
  if (op == "softcap") {
    double cap = num(n, "cap", 0.0);
    if (!(cap > 0))
      fail("it needs a positive 'cap'");
    Tensor x = arg(0).to(r);
    return cap * at::tanh(x / cap);
  }
  if (op == "clamp") {
    Tensor x = arg(0).to(r);
    auto bound = [&](const char *key) -> c10::optional<at::Scalar> {
      const Value *v = attr(n, key);
      if (!v || !v->isNumber())
        return c10::nullopt;
      if (isFloat(r))
        return at::Scalar(v->num());
      return at::Scalar(int64_t(std::trunc(v->num()))); // towards zero
    };
    auto lo = bound("min"), hi = bound("max");
    if (!lo && !hi)
      fail("it needs 'min' or 'max'");
    return at::clamp(x, lo, hi);
  }
  if (op == "swiglu")
    return at::silu(arg(0)) * arg(1);
  if (op == "cast")
    return arg(0).to(r);
  if (op == "dropout") // the identity at evaluation
    return arg(0);

  // Helpers and shapes.
  if (op == "positions" || op == "segment")
    return positions(n, ops);
  if (op == "slice")
    return slice(n, ops);
  if (op == "squeeze")
    return arg(0).squeeze(integer(n, "dim"));
  if (op == "unsqueeze")
    return arg(0).unsqueeze(integer(n, "dim"));
  if (op == "extract") {
    const Tensor &t = arg(0);
    if (int64_t(ops.size()) != t.dim() + 1)
      fail("it needs one index per dimension of its tensor");
    if (t.dim() == 0)
      return t.to(r);
    std::vector<at::indexing::TensorIndex> index;
    for (size_t i = 1; i < ops.size(); ++i)
      index.emplace_back(arg(i).to(at::kLong));
    return t.index(index).to(r);
  }
  if (op == "concat") {
    std::vector<Tensor> xs;
    for (size_t i = 0; i < ops.size(); ++i)
      xs.push_back(arg(i).to(r));
    return at::cat(xs, integer(n, "dim"));
  }
  if (op == "split_heads") {
    const Tensor &x = arg(0);
    int64_t h = integer(n, "heads");
    if (h <= 0 || x.size(-1) % h)
      fail("the last dimension does not split into " + std::to_string(h) + " heads");
    return x.unflatten(-1, {h, x.size(-1) / h});
  }
  if (op == "merge_heads")
    return arg(0).flatten(-2);
  if (op == "transpose")
    return arg(0).permute(ints(n, "permutation"));

  // Reductions and losses.
  if (op == "reduce") {
    std::string kind = str(n, "kind");
    std::vector<int64_t> dims = ints(n, "dims");
    bool keep = flag(n, "keep_dims");
    Tensor x = arg(0);
    if (kind == "mean" && !isFloat(x.scalar_type()))
      x = x.to(F);
    if (dims.empty())
      return x.to(r);
    if (kind == "sum") return at::sum(x, dims, keep).to(r);
    if (kind == "mean") return at::mean(x, dims, keep).to(r);
    if (kind == "max") return at::amax(x, dims, keep).to(r);
    if (kind == "min") return at::amin(x, dims, keep).to(r);
    fail("unknown reduce kind '" + kind + "'");
  }
  if (op == "cumsum")
    return at::cumsum(arg(0), integer(n, "dim")).to(r);
  if (op == "softmax")
    return at::softmax(arg(0).to(F), integer(n, "dim")).to(r);
  if (op == "cross_entropy")
    return crossEntropy(n, arg(0), arg(1));
  if (op == "dag") {
    // PLDR's DAG regulariser: the mean over layers (operands), batch and
    // heads of |log(tr(expm(M∘M)) / D)|, for M [b, h, D, D].
    if (ops.empty())
      fail("it needs at least one matrix");
    Tensor sum = at::zeros({}, arg(0).options());
    for (size_t i = 0; i < ops.size(); ++i) {
      const Tensor &m = arg(i);
      Tensor trace = at::matrix_exp(m * m).diagonal(0, -2, -1).sum(-1);
      sum = sum + at::abs(at::log(trace / double(m.size(-1)))).mean();
    }
    return (sum / double(ops.size())).to(r);
  }
  if (op == "attention")
    return attention(n, ops);
  fail("the reference has no rule for this node kind");
}

} // namespace

Outputs runReference(const Graph &g, const std::map<std::string, Tensor> &inputs,
                     const ParamStore &params, DiagEngine &diags, bool fp64,
                     at::ScalarType attentionType, const std::string &matmulTiles) {
  Interpreter interp(inputs, params, diags, fp64 ? at::kDouble : at::kFloat, attentionType,
                     matmulTiles);
  std::vector<Tensor> values;
  if (!interp.run(g, nullptr, values, nullptr))
    return {};
  Outputs out;
  for (const auto &[name, id] : g.outputs)
    if (id >= 0 && size_t(id) < values.size())
      out[name] = values[id];
  return out;
}

} // namespace frond::reference
