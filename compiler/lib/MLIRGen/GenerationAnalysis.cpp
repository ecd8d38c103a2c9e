//===- GenerationAnalysis.cpp - what each node is to cached generation ----===//
//
// The sequence axis of a node is the dimension named like the second one of
// `tokens [b, t]` (symbolic). A node with that axis is computed position by
// position (Role::Position): decode computes it for the new position only.
// A node without it but computed from one is either
// - Step: read from the newest position (a slice `x[:, -1:]`), recomputed
//   every step (BEAM's last-token gate: the public code's cached behaviour);
// - Prompt: a fixed prefix (`x[:, :5]`, PALM's source) or a summary over all
//   positions (PLDR's metric qᵀq); computed once by prefill and cached.
// Attention over the sequence needs `cache kv` (or, for the recurrent kinds,
// `cache state`); attention whose keys come from the prompt `cache
// source_kv`; a prompt-summary metric `cache g`; cumsum `cache state`.
//
//===----------------------------------------------------------------------===//
#include "GenerationImpl.h"

#include <algorithm>

namespace frond::generation {

namespace {

std::string kindOf(const graph::Node &n) {
  auto it = n.attrs.find("kind");
  return it == n.attrs.end() ? "" : it->second.s;
}

long long intAttr(const graph::Node &n, const char *name, long long dflt) {
  auto it = n.attrs.find(name);
  return it != n.attrs.end() && it->second.kind == Value::Int ? it->second.i : dflt;
}

bool hasAttr(const graph::Node &n, const char *name) { return n.attrs.count(name) > 0; }

/// A slice along the sequence axis that reads the newest position: `[-1:]`.
bool isLastPosition(const graph::Node &n, int axis) {
  return n.op == "slice" && intAttr(n, "dim", -1) == axis &&
         intAttr(n, "static_start", 0) == -1 && !hasAttr(n, "static_end") &&
         (n.operands.size() < 2 || n.operands[1] < 0) &&
         (n.operands.size() < 3 || n.operands[2] < 0);
}

/// A slice along the sequence axis with fixed, non-negative bounds
/// `[s:e]`: the same positions of every sequence. Returns e (0: not one).
long long prefixEnd(const graph::Node &n, int axis) {
  if (n.op != "slice" || intAttr(n, "dim", -1) != axis || intAttr(n, "static_start", 0) < 0 ||
      (n.operands.size() > 1 && n.operands[1] >= 0) ||
      (n.operands.size() > 2 && n.operands[2] >= 0))
    return 0;
  return std::max(0LL, intAttr(n, "static_end", 0));
}

/// Mixing along the sequence axis that keeps the axis: positions cannot be
/// computed one at a time, except the recurrence cumsum (a state).
bool mixesAlong(const graph::Node &n, int axis) {
  if (n.op == "softmax" || n.op == "concat" || n.op == "slice")
    return intAttr(n, "dim", -1) == axis;
  return n.op == "cross_entropy";
}

} // namespace

std::vector<int> closure(const graph::Graph &g, const std::vector<int> &roots,
                         const std::function<bool(int)> &stop) {
  std::vector<bool> seen(g.nodes.size(), false);
  std::vector<int> work(roots);
  while (!work.empty()) {
    int id = work.back();
    work.pop_back();
    if (id < 0 || seen[size_t(id)])
      continue;
    seen[size_t(id)] = true;
    if (stop && stop(id))
      continue;
    for (int o : g.nodes[size_t(id)].operands)
      work.push_back(o);
  }
  std::vector<int> out;
  for (size_t i = 0; i < g.nodes.size(); ++i)
    if (seen[i])
      out.push_back(int(i));
  return out;
}

namespace {
/// `id` is region argument `index` of `mask`.
bool isArg(const graph::Graph &mask, int id, long long index) {
  const graph::Node &a = mask.nodes[size_t(id)];
  return a.op == "region_arg" && intAttr(a, "index", -1) == index;
}
} // namespace

bool isCausalMask(const graph::Graph &mask) {
  if (mask.nodes.empty() || mask.nodes.back().op != "yield" ||
      mask.nodes.back().operands.size() != 1)
    return false;
  const graph::Node &c = mask.nodes[size_t(mask.nodes.back().operands[0])];
  if (c.op != "compare" || c.operands.size() != 2)
    return false;
  std::string k = kindOf(c);
  return (k == "le" && isArg(mask, c.operands[0], 3) && isArg(mask, c.operands[1], 2)) ||
         (k == "ge" && isArg(mask, c.operands[0], 2) && isArg(mask, c.operands[1], 3));
}

bool hidesLaterKeys(const graph::Graph &mask) {
  if (mask.nodes.empty() || mask.nodes.back().op != "yield" ||
      mask.nodes.back().operands.size() != 1)
    return false;
  auto argIndex = [&](int id) {
    const graph::Node &a = mask.nodes[size_t(id)];
    return a.op == "region_arg" ? intAttr(a, "index", -1) : -1;
  };
  // A conjunct of the yielded value that is k <= q or k < q.
  std::vector<int> work{mask.nodes.back().operands[0]};
  while (!work.empty()) {
    const graph::Node &n = mask.nodes[size_t(work.back())];
    work.pop_back();
    if (n.op == "binary" && kindOf(n) == "and") {
      work.insert(work.end(), n.operands.begin(), n.operands.end());
      continue;
    }
    if (n.op != "compare" || n.operands.size() != 2)
      continue;
    std::string k = kindOf(n);
    long long l = argIndex(n.operands[0]), r = argIndex(n.operands[1]);
    if ((l == 3 && r == 2 && (k == "le" || k == "lt")) ||
        (l == 2 && r == 3 && (k == "ge" || k == "gt")))
      return true;
  }
  return false;
}

bool analyse(const graph::Graph &g, const ModelInstance &m, Analysis &a, DiagEngine &diags) {
  a.g = &g;
  a.m = &m;
  a.declared = std::set<std::string>(m.caches.begin(), m.caches.end());
  size_t n = g.nodes.size();
  unsigned before = diags.errorCount();
  for (size_t i = 0; i < n; ++i)
    if (g.nodes[i].op == "input" && g.nodes[i].name == "tokens")
      a.tokens = int(i);
  if (a.tokens < 0 || g.nodes[size_t(a.tokens)].shape.size() != 2 ||
      g.nodes[size_t(a.tokens)].dtype != "int") {
    auto &d = diags.error("model '" + m.name + "' has no `tokens [b, t]` input to generate");
    d.fix = "declare `input tokens[b, t]`";
    return false;
  }
  const Dim &t = g.nodes[size_t(a.tokens)].shape[1];

  a.seqAxis.assign(n, -1);
  for (size_t i = 0; i < n; ++i) {
    const Shape &s = g.nodes[i].shape;
    int count = 0;
    for (size_t d = 0; d < s.size(); ++d)
      if (!s[d].known() && s[d].name == t.name) {
        a.seqAxis[i] = int(d);
        ++count;
      }
    if (count > 1)
      a.seqAxis[i] = -2; // [t, t]: not one value per position
  }

  for (auto &[name, id] : g.outputs)
    if (name.rfind("head:", 0) == 0 && id >= 0 && a.seqAxis[size_t(id)] == 1 &&
        g.nodes[size_t(id)].shape.size() == 3 && g.nodes[size_t(id)].shape[2].known()) {
      a.head = id;
      a.headName = name.substr(5);
      break;
    }
  if (a.head < 0) {
    auto &d = diags.error("model '" + m.name + "' has no head of logits [b, t, vocab] to "
                          "generate from");
    d.fix = "declare e.g. `head logits = linear(x, vocab)` over every position";
    return false;
  }

  a.role.assign(n, Role::Static);
  a.attention.assign(n, AttentionMode::None);
  // Inputs the head does not read (a loss's labels) play no part.
  std::vector<bool> headReads(n, false);
  for (int id : closure(g, {a.head}))
    headReads[size_t(id)] = true;
  for (size_t i = 0; i < n; ++i) {
    const graph::Node &node = g.nodes[i];
    Role &r = a.role[i];
    if (node.op == "param" || node.op == "constant" ||
        (node.op == "input" && !headReads[i])) {
      r = Role::Static;
      continue;
    }
    if (node.op == "input") {
      r = int(i) == a.tokens ? Role::Position : Role::Sample;
      if (r == Role::Sample && a.seqAxis[i] >= 0) {
        auto &d = diags.error(node.loc, "cannot generate from model '" + m.name + "': input '" +
                                            node.name + "' runs along the sequence like tokens");
        d.fix = "generation feeds only `tokens`; derive '" + node.name + "' from them";
      }
      continue;
    }
    bool seq = false, step = false, prompt = false, sample = false;
    int seqOperand = -1;
    for (int o : node.operands) {
      if (o < 0)
        continue;
      switch (a.role[size_t(o)]) {
      case Role::Position: seq = true; if (seqOperand < 0) seqOperand = o; break;
      case Role::Step: step = true; break;
      case Role::Prompt: prompt = true; break;
      case Role::Sample: sample = true; break;
      case Role::Static: break;
      }
    }
    if (a.seqAxis[i] == -2) {
      diags.error(node.loc, "cannot generate with a cache: '" + node.op +
                                "' has two sequence dimensions, so positions cannot be "
                                "computed one at a time");
      continue;
    }
    if (a.seqAxis[i] >= 0) {
      r = Role::Position;
      continue;
    }
    if (seq) {
      int axis = a.seqAxis[size_t(seqOperand)];
      if (isLastPosition(node, axis)) {
        r = Role::Step;
      } else if (prefixEnd(node, axis)) {
        r = Role::Prompt;
      } else {
        r = Role::Prompt;
        a.summaries.insert(int(i));
      }
      continue;
    }
    r = step ? Role::Step : prompt ? Role::Prompt : sample ? Role::Sample : Role::Static;
  }
  if (diags.errorCount() != before)
    return false;

  // Attention modes and mixing along the sequence, where the head needs them.
  a.decodeNodes = closure(g, {a.head}, [&](int id) {
    return a.role[size_t(id)] == Role::Prompt;
  });
  const std::vector<int> &needed = a.decodeNodes;
  // Prompt values decode reads that come from a fixed prefix x[:, :e] need
  // prompts of at least e tokens (the prefix must not reach generated ones).
  std::vector<int> frontier;
  for (int id : needed)
    if (a.role[size_t(id)] == Role::Prompt)
      frontier.push_back(id);
  for (int id : closure(g, frontier)) {
    const graph::Node &node = g.nodes[size_t(id)];
    int in = node.operands.empty() ? -1 : node.operands[0];
    if (in >= 0 && a.role[size_t(in)] == Role::Position && a.role[size_t(id)] == Role::Prompt)
      a.minPrompt = std::max<int64_t>(a.minPrompt, prefixEnd(node, a.seqAxis[size_t(in)]));
  }
  for (int id : needed) {
    const graph::Node &node = g.nodes[size_t(id)];
    int axis = a.seqAxis[size_t(id)];
    if (node.op == "attention") {
      Role kv = node.operands.size() > 1 ? a.role[size_t(node.operands[1])] : Role::Static;
      std::string kind = kindOf(node);
      bool recurrent = kind == "linear" || kind == "relaxed_linear" || kind == "aft";
      bool plain = node.regions.size() < 2 || node.regions[1]->nodes.empty();
      bool causal = !node.regions.empty() && isCausalMask(*node.regions[0]);
      if (kv != Role::Position) {
        a.attention[size_t(id)] = AttentionMode::Source;
        if (kv == Role::Prompt && !a.declares("source_kv")) {
          auto &d = diags.error(node.loc, "cannot generate with a cache: this attention's keys "
                                          "and values come from the prompt, and model '" +
                                              m.name + "' does not declare `cache source_kv`");
          d.fix = "add source_kv to the model's cache statement";
        }
      } else if (recurrent && a.declares("state") && causal && plain) {
        a.attention[size_t(id)] = AttentionMode::State;
      } else if (a.declares("kv")) {
        a.attention[size_t(id)] = AttentionMode::KV;
      } else {
        auto &d = diags.error(node.loc, "cannot generate with a cache: model '" + m.name +
                                            "' does not declare `cache kv` for this attention");
        d.fix = recurrent ? "add `cache kv`, or `cache state` for a causal " + kind +
                                " attention without a score modifier"
                          : "add `cache kv` to the model";
      }
      // Only tokens can be read along the sequence inside a region: decode
      // keeps every token so far (gen.history).
      for (size_t c = 4; c < node.operands.size(); ++c) {
        int cap = node.operands[c];
        if (cap >= 0 && a.role[size_t(cap)] == Role::Position && cap != a.tokens)
          diags.error(node.loc, "cannot generate with a cache: the mask or score reads '" +
                                    g.nodes[size_t(cap)].op +
                                    "' along the sequence; only `tokens` can be read there");
      }
      continue;
    }
    if (node.op == "cumsum" && axis >= 0 && intAttr(node, "dim", -1) == axis) {
      // PLDR's causal metric is the running sum of q_tᵀ q_t: `cache g`.
      bool powerLaw = std::any_of(m.attentions.begin(), m.attentions.end(),
                                  [](const AttentionInfo &i) { return i.kind == "power_law"; });
      if (!a.declares("state") && !(powerLaw && a.declares("g"))) {
        auto &d = diags.error(node.loc, "cannot generate with a cache: this cumsum runs along "
                                        "the sequence, and model '" + m.name +
                                            "' does not declare `cache state`");
        d.fix = "add `cache state` (its running sum is the state)";
      }
      continue;
    }
    if (axis >= 0 && mixesAlong(node, axis))
      diags.error(node.loc, "cannot generate with a cache: '" + node.op +
                                "' mixes positions along the sequence");
    if (a.role[size_t(id)] == Role::Prompt) {
      // A prompt value the head reads: only a cache kind that covers it.
      bool kvOperand = false, metric = false;
      for (int user : needed) {
        const graph::Node &u = g.nodes[size_t(user)];
        if (u.op != "attention")
          continue;
        for (size_t o = 0; o < u.operands.size(); ++o)
          if (u.operands[o] == id) {
            kvOperand |= o == 1 || o == 2;
            metric |= o == 3;
          }
      }
      if (metric && !a.declares("g")) {
        auto &d = diags.error(node.loc, "cannot generate with a cache: the attention metric is "
                                        "computed from the whole prompt, and model '" + m.name +
                                            "' does not declare `cache g`");
        d.fix = "add g to the model's cache statement";
      } else if (!metric && !kvOperand) {
        auto &d = diags.error(node.loc, "cannot generate with a cache: '" + node.op +
                                            "' is computed from the whole prompt and no cache "
                                            "kind keeps it");
        d.fix = "generate with full recomputation (--no-cache)";
      }
    }
  }
  return diags.errorCount() == before;
}

} // namespace frond::generation
