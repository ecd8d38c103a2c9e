//===- Experiment.cpp - experiments, variants, sweeps and overrides ------===//
//
// An experiment is a tree of settings. It is flattened to dotted keys,
// checked against a schema, combined with a variant's overrides and the run
// configuration, and its model is elaborated with the resulting arguments.
//
//===----------------------------------------------------------------------===//
#include "Elaborate.h"
#include "frond/lang/Printer.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

using namespace frond;
using namespace frond::ast;

namespace {

/// What a setting's value must be.
enum class Want { ModelCall, Data, Int, PosInt, Number, PosNumber, NonNeg, Prob, Bool, Str, StrList,
                  Optimizer, Schedule, Clip, Section };

const std::map<std::string, Want> &schema() {
  static const std::map<std::string, Want> s = {
      {"model", Want::ModelCall}, {"data", Want::Data}, {"seeds", Want::PosInt},
      {"train", Want::Section}, {"eval", Want::Section}, {"generate", Want::Section},
      {"train.optimizer", Want::Optimizer}, {"train.schedule", Want::Schedule},
      {"train.steps", Want::PosInt}, {"train.batch", Want::PosInt},
      {"train.seq_len", Want::PosInt}, {"train.clip", Want::Clip},
      {"train.lr", Want::PosNumber},
      {"train.seed", Want::Int}, {"train.accumulate", Want::PosInt},
      {"train.eval_every", Want::PosInt}, {"train.checkpoint_every", Want::PosInt},
      {"train.trainable", Want::StrList}, {"train.frozen", Want::StrList},
      {"train.label_smoothing", Want::Number}, {"train.dtype", Want::Str},
      {"train.init_from", Want::Str},
      {"eval.batches", Want::PosInt}, {"eval.every", Want::PosInt},
      {"generate.max_tokens", Want::PosInt}, {"generate.temperature", Want::NonNeg},
      {"generate.top_k", Want::Int}, {"generate.top_p", Want::Prob},
      {"generate.greedy", Want::Bool}, {"generate.top_p_style", Want::Str},
      {"generate.repetition_penalty", Want::Number}, {"generate.min_length", Want::Int},
      {"generate.faithful", Want::Bool},
  };
  return s;
}

const std::set<std::string> groupKeys = {"lr", "weight_decay", "betas", "eps",
                                         "momentum", "optimizer"};

struct Flat {
  std::map<std::string, const Setting *> keys;
  std::vector<const Setting *> variants, sweeps, groups, adapters, metrics;
};

class ExperimentChecker {
public:
  ExperimentChecker(Elaborator &e, const SourceModule &m, const ExperimentDecl &x)
      : E(e), mod(m), exp(x) {}

  Elaborator &E;
  const SourceModule &mod;
  const ExperimentDecl &exp;

  void flatten(const std::vector<Setting> &settings, const std::string &prefix,
               Flat &out, bool inVariant) {
    for (auto &s : settings) {
      std::string key = prefix.empty() ? s.keyString() : prefix + "." + s.keyString();
      switch (s.kind) {
      case Setting::Key:
        keyLocs.insert({key, s.loc});
        if (auto [it, ok] = out.keys.insert({key, &s}); !ok) {
          auto &d = E.error(s.loc, "'" + key + "' is set twice");
          d.found = "an earlier value at " + it->second->loc.str();
          d.fix = "keep one of them";
        }
        break;
      case Setting::Section:
        if (!prefix.empty() || !schema().count(key) || schema().at(key) != Want::Section) {
          auto &d = E.error(s.loc, "unknown section '" + key + "'");
          d.expected = "train { }, eval { } or generate { }";
          std::string guess = closestName(key, {"train", "eval", "generate"});
          if (!guess.empty())
            d.fix = "did you mean '" + guess + "'?";
        } else {
          flatten(s.children, key, out, inVariant);
        }
        break;
      case Setting::Variant:
        if (inVariant) {
          E.error(s.loc, "variants cannot be nested").fix =
              "declare variant '" + s.keyString() + "' at the top of the experiment";
        } else {
          out.variants.push_back(&s);
        }
        break;
      case Setting::Sweep: out.sweeps.push_back(&s); break;
      case Setting::Group:
        if (prefix != "train")
          E.error(s.loc, "parameter groups belong in train { }").fix =
              "move `group " + s.keyString() + "(...)` into the train section";
        else
          out.groups.push_back(&s);
        break;
      case Setting::Adapter: out.adapters.push_back(&s); break;
      case Setting::Bare:
        if (prefix == "eval")
          out.metrics.push_back(&s);
        else {
          auto &d = E.error(s.loc, "a bare expression is only allowed in eval { }");
          d.fix = "write key = value";
        }
        break;
      }
    }
  }

  std::vector<std::string> modelParams(const ModelDecl *m) {
    std::vector<std::string> n;
    for (auto &p : m->params)
      n.push_back(p.name);
    return n;
  }

  /// Checks a setting's value against the schema; returns its printed form.
  std::map<std::string, Loc> keyLocs; ///< Where each setting's key is written
  std::map<std::string, const Expr *> settingExprs; ///< Each setting's value as written

  bool checkValue(const std::string &key, const Value &v, Loc at) {
    auto it = schema().find(key);
    if (it == schema().end()) {
      std::vector<std::string> keys;
      for (auto &[k, w] : schema())
        keys.push_back(k);
      // An unknown key is located at the key, not at its value.
      auto kl = keyLocs.find(key);
      auto &d = E.error(kl != keyLocs.end() ? kl->second : at, "unknown setting '" + key + "'");
      std::string guess = closestName(key, keys);
      d.fix = guess.empty() ? "see `frond help settings` for the known keys"
                            : "did you mean '" + guess + "'?";
      return false;
    }
    if (v.kind == Value::Invalid)
      return false;
    auto fail = [&](const char *what) {
      auto &d = E.error(at, "'" + key + "' must be " + what);
      d.found = v.describe();
      return false;
    };
    auto cfg = [&](const char *cat) { return v.kind == Value::Config && v.s == cat; };
    switch (it->second) {
    case Want::ModelCall: return v.kind == Value::Model || cfg("model") ? true : fail("a model, e.g. model = gpt(layers = 4)");
    case Want::Data: return cfg("data") ? true : fail("a data source: text(\"file\") or task.<name>(...)");
    case Want::Int: return v.kind == Value::Int ? true : fail("an integer");
    case Want::PosInt: return v.kind == Value::Int && v.i >= 1 ? true : fail("a positive integer");
    case Want::Number: return v.isNumber() ? true : fail("a number");
    case Want::PosNumber: return v.isNumber() && v.num() > 0 ? true : fail("a number > 0");
    case Want::NonNeg: return v.isNumber() && v.num() >= 0 ? true : fail("a number >= 0");
    case Want::Prob: return v.isNumber() && v.num() > 0 && v.num() <= 1 ? true : fail("a number in (0, 1]");
    case Want::Bool: return v.kind == Value::Bool ? true : fail("true or false");
    case Want::Str: return v.kind == Value::Str ? true : fail("a string");
    case Want::StrList: {
      bool ok = v.kind == Value::List;
      for (auto &x : v.list)
        ok &= x.kind == Value::Str;
      return ok ? true : fail("a list of name patterns, e.g. [\"*adapter*\"]");
    }
    case Want::Optimizer: return cfg("optimizer") ? true : fail("an optimizer: adamw(...), sgd(...) or muon(...)");
    case Want::Schedule: return cfg("schedule") ? true : fail("a schedule: cosine(...), wsd(...), linear_decay(...) or flat(...)");
    // A bare number (as frond.toml's train.clip writes it) is a norm limit.
    case Want::Clip: return cfg("clip") || (v.isNumber() && v.num() >= 0) ? true : fail("clip_norm(max), clip_value(max) or a number (the global norm's max; 0: none)");
    case Want::Section: return fail("a section { ... }");
    }
    return true;
  }

  Value evalSetting(const Setting &s) { return E.evalIn(*s.value, &mod, nullptr); }

  bool run(const std::string &variant, const std::vector<Override> &overrides,
           ExperimentInstance &out) {
    unsigned before = E.diags.errorCount();
    out = ExperimentInstance{};
    out.name = exp.name;
    out.variant = variant;
    Flat base;
    flatten(exp.settings, "", base, false);
    for (auto *v : base.variants)
      out.variants.push_back(v->keyString());

    // The model and its arguments.
    auto modelIt = base.keys.find("model");
    if (modelIt == base.keys.end()) {
      auto &d = E.error(exp.loc, "experiment '" + exp.name + "' has no model");
      d.fix = "add `model = <model>(...)`";
      return false;
    }
    Value modelVal = evalSetting(*modelIt->second);
    if (!checkValue("model", modelVal, modelIt->second->value->loc))
      return false;
    auto *modelDecl = llvm::cast<ModelDecl>(modelVal.decl);
    GlobalRef modelRef{modelDecl, static_cast<const SourceModule *>(modelVal.module)};
    std::vector<std::tuple<std::string, Value, Loc>> args;
    auto setArg = [&](const std::string &k, const Value &v, Loc at) {
      for (auto &a : args)
        if (std::get<0>(a) == k) {
          a = {k, v, at};
          return;
        }
      args.push_back({k, v, at});
    };
    if (auto *call = llvm::dyn_cast<CallExpr>(modelIt->second->value.get()))
      for (auto &a : call->args)
        if (!a.name.empty())
          setArg(a.name, modelVal.fields[a.name], a.loc);

    std::vector<std::string> params = modelParams(modelDecl);
    auto isParam = [&](const std::string &k) {
      return std::find(params.begin(), params.end(), k) != params.end();
    };

    // Settings, then the variant's overrides on top.
    std::map<std::string, std::pair<Value, Loc>> values;
    for (auto &[k, s] : base.keys)
      if (k != "model") {
        values[k] = {evalSetting(*s), s->value->loc};
        settingExprs[k] = s->value.get();
      }
    std::vector<const Setting *> groups = base.groups, adapterSettings = base.adapters;
    std::vector<const Setting *> sweeps = base.sweeps, metrics = base.metrics;
    if (!variant.empty()) {
      const Setting *vs = nullptr;
      for (auto *v : base.variants)
        if (v->keyString() == variant)
          vs = v;
      if (!vs) {
        auto &d = E.diags.error("experiment '" + exp.name + "' has no variant '" + variant + "'");
        d.fix = out.variants.empty() ? "it declares no variants"
                                     : "its variants are: " + llvm::join(out.variants, ", ");
        return false;
      }
      Flat vf;
      flatten(vs->children, "", vf, true);
      for (auto &[k, s] : vf.keys) {
        Value v = evalSetting(*s);
        std::string pk = k.rfind("model.", 0) == 0 ? k.substr(6) : k;
        if (k == "model") {
          if (checkValue("model", v, s->value->loc)) {
            modelDecl = llvm::cast<ModelDecl>(v.decl);
            modelRef = {modelDecl, static_cast<const SourceModule *>(v.module)};
            params = modelParams(modelDecl);
            args.clear();
            for (auto &[fk, fv] : v.fields)
              setArg(fk, fv, s->value->loc);
          }
        } else if (isParam(pk)) {
          setArg(pk, v, s->value->loc);
        } else if (schema().count(k)) {
          values[k] = {v, s->value->loc};
          settingExprs[k] = s->value.get();
        } else {
          auto &d = E.error(s->loc, "variant '" + variant + "' overrides '" + k +
                                        "', which is neither a parameter of model '" +
                                        modelDecl->name + "' nor an experiment setting");
          std::vector<std::string> cands = params;
          for (auto &[sk, w] : schema())
            cands.push_back(sk);
          std::string guess = closestName(k, cands);
          d.fix = guess.empty() ? "model parameters: " + llvm::join(params, ", ")
                                : "did you mean '" + guess + "'?";
        }
      }
      groups.insert(groups.end(), vf.groups.begin(), vf.groups.end());
      adapterSettings.insert(adapterSettings.end(), vf.adapters.begin(), vf.adapters.end());
      sweeps.insert(sweeps.end(), vf.sweeps.begin(), vf.sweeps.end());
      metrics.insert(metrics.end(), vf.metrics.begin(), vf.metrics.end());
    }
    // Run-configuration overrides win over the spec.
    for (auto &o : overrides) {
      Loc none;
      if (o.key.rfind("model.", 0) == 0) {
        std::string pk = o.key.substr(6);
        if (!isParam(pk)) {
          auto &d = E.diags.error("'" + o.key + "' (from " + o.origin + "): model '" +
                            modelDecl->name + "' has no parameter '" + pk + "'");
          std::string guess = closestName(pk, params);
          d.fix = guess.empty() ? "its parameters are: " + llvm::join(params, ", ")
                                : "did you mean 'model." + guess + "'?";
          continue;
        }
        setArg(pk, o.value, none);
      } else if (schema().count(o.key)) {
        values[o.key] = {o.value, none};
      }
    }
    for (auto &[k, v] : values)
      if (checkValue(k, v.first, v.second))
        out.settings.push_back({k, v.first.str()});
    if (values.count("seeds") && values["seeds"].first.kind == Value::Int)
      out.seeds = values["seeds"].first.i;

    checkData(values);
    for (auto *m : metrics)
      checkMetric(*m, out);
    for (auto *s : sweeps)
      checkSweep(*s, params, modelRef, args, out);

    // Elaborate the model, with adapters from the experiment and variant.
    std::vector<PendingAdapter> adapters;
    for (auto *s : adapterSettings)
      adapters.push_back({s->adapter.get(), &mod, nullptr});
    // Errors the run configuration causes inside the model say so.
    size_t pushed = 0;
    for (auto &o : overrides)
      if (o.key.rfind("model.", 0) == 0 && ++pushed)
        E.diags.pushContext("the run configuration sets " + o.key + " = " + o.value.str() +
                            " (" + o.origin + ")");
    bool ok = E.instantiate(modelRef, args, adapters, out.model);
    while (pushed--)
      E.diags.popContext();
    if (!ok)
      return false;
    applyTraining(values, groups, out);
    return E.diags.errorCount() == before;
  }

  void checkData(std::map<std::string, std::pair<Value, Loc>> &values) {
    auto it = values.find("data");
    if (it == values.end() || it->second.first.kind != Value::Config ||
        it->second.first.display != "text")
      return;
    const Value &path = it->second.first.fields["path"];
    Loc at = it->second.second;
    if (path.kind != Value::Str) {
      E.error(at, "text() needs a file path string").found = path.describe();
      return;
    }
    llvm::SmallString<256> full(llvm::sys::path::parent_path(mod.path));
    if (llvm::sys::path::is_absolute(path.s) || llvm::StringRef(path.s).contains("..")) {
      auto &d = E.error(at, "data path '" + path.s + "' leaves the experiment's folder");
      d.fix = "put the file next to the experiment (or below it) and name it relatively";
      return;
    }
    llvm::sys::path::append(full, path.s);
    if (!llvm::sys::fs::exists(full)) {
      auto &d = E.error(at, "data file '" + path.s + "' does not exist");
      d.expected = "a file at " + std::string(full);
      d.fix = "check the name, or use a synthetic task such as task.copy_from_source()";
    }
  }

  void checkMetric(const Setting &s, ExperimentInstance &out) {
    // A bare name is a metric without arguments.
    Value v;
    auto *bare = llvm::dyn_cast<NameExpr>(s.value.get());
    if (bare && builtins().count(bare->name) && !mod.lookup(bare->name) &&
        builtins().at(bare->name).signature.size() > 0 &&
        builtins().at(bare->name).signature[0].find('=') == std::string::npos) {
      auto &d = E.error(s.loc, "not an evaluation metric");
      d.expected = "perplexity, accuracy, sim_aou, sim_am, kendall_tau, source_ablation or rec2ftp";
      d.found = "the function '" + bare->name + "'";
      return;
    }
    if (auto *n = bare; n && builtins().count(n->name) && !mod.lookup(n->name)) {
      CallArgs none;
      Bound b;
      none.fn = n->name;
      E.bind(none, builtins().at(n->name).signature, b);
      v = builtins().at(n->name).fn(E, b);
    } else {
      v = evalSetting(s);
    }
    if (v.kind == Value::Invalid)
      return;
    if (v.kind != Value::Config || v.s != "metric") {
      auto &d = E.error(s.loc, "not an evaluation metric");
      d.expected = "perplexity, accuracy, sim_aou, sim_am, kendall_tau, source_ablation or rec2ftp";
      d.found = v.describe();
      return;
    }
    out.evals.push_back(v.str());
  }

  void checkSweep(const Setting &s, const std::vector<std::string> &params,
                  const GlobalRef &modelRef,
                  const std::vector<std::tuple<std::string, Value, Loc>> &args,
                  ExperimentInstance &out) {
    std::string key = s.keyString();
    std::string pk = key.rfind("model.", 0) == 0 ? key.substr(6) : key;
    bool isParam = std::find(params.begin(), params.end(), pk) != params.end();
    if (!isParam && !schema().count(key)) {
      auto &d = E.error(s.loc, "sweep over '" + key + "', which is neither a model parameter nor a setting");
      std::string guess = closestName(pk, params);
      d.fix = guess.empty() ? "model parameters: " + llvm::join(params, ", ")
                            : "did you mean '" + guess + "'?";
      return;
    }
    Value list = evalSetting(s);
    if (list.kind == Value::Invalid)
      return;
    if (list.kind != Value::List || list.list.empty()) {
      auto &d = E.error(s.value->loc, "sweep over '" + key + "' has no values");
      d.expected = "a non-empty list, e.g. [0.1, 0.5, 1.0]";
      d.found = list.describe();
      return;
    }
    out.sweeps.push_back(key + " in " + list.str());
    // Every swept value must give a valid model (or setting).
    for (auto &v : list.list) {
      if (!isParam) {
        checkValue(key, v, s.value->loc);
        continue;
      }
      auto a = args;
      bool replaced = false;
      for (auto &x : a)
        if (std::get<0>(x) == pk) {
          x = {pk, v, s.value->loc};
          replaced = true;
        }
      if (!replaced)
        a.push_back({pk, v, s.value->loc});
      ModelInstance scratch;
      Elaborator sub(E.program, E.diags);
      E.diags.pushContext("with sweep value " + pk + " = " + v.str() + " (sweep at " +
                          s.loc.str() + ")");
      sub.instantiate(modelRef, a, {}, scratch);
      E.diags.popContext();
    }
  }

  void applyTraining(std::map<std::string, std::pair<Value, Loc>> &values,
                     const std::vector<const Setting *> &groups,
                     ExperimentInstance &out) {
    auto &params = out.model.params;
    bool patternError = false;
    // Each pattern is located at its own string when the list is written
    // out in the spec.
    auto patterns = [&](const Value &list, Loc at, const char *what,
                        std::vector<std::string> &pats, const Expr *listExpr = nullptr) {
      auto *written = llvm::dyn_cast_or_null<ListExpr>(listExpr);
      for (size_t i = 0; i < list.list.size(); ++i) {
        const Value &p = list.list[i];
        if (p.kind != Value::Str)
          continue;
        bool any = false;
        for (auto &q : params)
          any |= globMatch(p.s, q.path);
        // A variant may remove what a pattern names (a baseline without the
        // adapter); only the base experiment must match every pattern.
        if (!any && out.variant.empty()) {
          Loc here = written && i < written->elems.size() ? written->elems[i]->loc : at;
          auto &d = E.error(here, std::string(what) + " pattern \"" + p.s + "\" matches no parameter");
          d.fix = "see the parameter names with `frond explain`";
          patternError = true;
        }
        pats.push_back(p.s);
      }
    };
    auto matchesAny = [](const std::vector<std::string> &pats, const std::string &path) {
      for (auto &p : pats)
        if (globMatch(p, path))
          return true;
      return false;
    };
    auto exprOf = [&](const std::string &k) -> const Expr * {
      auto it = settingExprs.find(k);
      return it == settingExprs.end() ? nullptr : it->second;
    };
    if (auto it = values.find("train.trainable"); it != values.end()) {
      std::vector<std::string> pats;
      patterns(it->second.first, it->second.second, "trainable", pats, exprOf("train.trainable"));
      for (auto &p : params)
        p.trainable = matchesAny(pats, p.path);
    }
    if (auto it = values.find("train.frozen"); it != values.end()) {
      std::vector<std::string> pats;
      patterns(it->second.first, it->second.second, "frozen", pats, exprOf("train.frozen"));
      for (auto &p : params)
        if (matchesAny(pats, p.path))
          p.trainable = false;
    }
    if (!params.empty() && out.model.trainableParams() == 0 && !patternError) {
      auto it = values.find("train.trainable");
      auto &d = E.error(it != values.end() ? it->second.second : exp.loc,
                        "nothing is trainable" +
                            (out.variant.empty() ? std::string() : " in variant '" + out.variant + "'"));
      d.fix = "adjust train.trainable / train.frozen so at least one parameter trains";
    }
    for (auto *g : groups) {
      Value list;
      list.kind = Value::List;
      for (auto &pe : g->patterns) {
        Value v = E.evalIn(*pe, &mod, nullptr);
        if (v.kind != Value::Str && v.kind != Value::Invalid)
          E.error(pe->loc, "group patterns must be strings").found = v.describe();
        list.list.push_back(v);
      }
      std::vector<std::string> pats;
      patterns(list, g->loc, "group", pats);
      std::string desc;
      for (auto &c : g->children) {
        if (c.kind != Setting::Key || !groupKeys.count(c.keyString())) {
          auto &d = E.error(c.loc, "unknown group setting '" + c.keyString() + "'");
          d.expected = "lr, weight_decay, betas, eps, momentum or optimizer";
          continue;
        }
        Value v = evalSetting(c);
        desc += (desc.empty() ? "" : ", ") + c.keyString() + " = " + v.str();
      }
      out.settings.push_back({"train.group." + g->keyString(),
                              "(" + llvm::join(pats, ", ") + ") " + desc});
    }
  }
};

} // namespace

bool runExperiment(Elaborator &E, const SourceModule &m, const ExperimentDecl &x,
                   const std::string &variant, const std::vector<Override> &ov,
                   ExperimentInstance &out) {
  return ExperimentChecker(E, m, x).run(variant, ov, out);
}
