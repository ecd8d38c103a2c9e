//===- ElaborateCalls.cpp - calls, argument binding, scopes and params ----===//
#include "Elaborate.h"
#include "frond/lang/Printer.h"

using namespace frond;
using namespace frond::ast;
using llvm::dyn_cast;
using llvm::isa;
#include "llvm/ADT/StringExtras.h"

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
