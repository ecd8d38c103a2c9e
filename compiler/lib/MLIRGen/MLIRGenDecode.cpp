//===- MLIRGenDecode.cpp - the generation mode of MLIRGen ------------------===//
//
// planGeneration: analyse the model (GenerationAnalysis.cpp), name and
// describe its caches (here), then derive the prefill and decode graphs
// (GenerationPrefill.cpp, GenerationDecode.cpp). mlirGenFunction emits one
// derived graph with the ordinary Emitter under its own function name.
//
//===----------------------------------------------------------------------===//
#include "GenerationImpl.h"
#include "MLIRGenImpl.h"

#include "frond/Dialect/Frond/IR/FrondOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include <algorithm>

namespace frond {

namespace generation {

namespace {
/// Extents of `s` with -1 for symbolic ones (b, and positions).
std::vector<int64_t> extents(const Shape &s) {
  std::vector<int64_t> e;
  for (const Dim &d : s)
    e.push_back(d.known() ? d.size : -1);
  return e;
}
} // namespace

void planCaches(Analysis &a, GenerationPlan &plan) {
  const graph::Graph &g = *a.g;
  int kv = 0, state = 0, source = 0, metric = 0;
  auto addShaped = [&](std::string name, std::string kind, CacheSpec::Update update,
                       const Shape &shape, int seqAxis, std::string what) {
    CacheSpec c;
    c.name = std::move(name);
    c.kind = std::move(kind);
    c.update = update;
    c.shape = extents(shape);
    c.seqAxis = seqAxis;
    c.what = std::move(what);
    plan.caches.push_back(std::move(c));
  };
  auto add = [&](std::string name, std::string kind, CacheSpec::Update update, int node,
                 std::string what) {
    addShaped(std::move(name), std::move(kind), update, g.nodes[size_t(node)].shape,
              update == CacheSpec::Append ? a.seqAxis[size_t(node)] : -1, std::move(what));
  };
  for (int id : a.decodeNodes) {
    const graph::Node &n = g.nodes[size_t(id)];
    if (n.op == "attention" && a.attention[size_t(id)] == AttentionMode::KV) {
      std::string name = "kv" + std::to_string(kv);
      a.cacheName[id] = name;
      add(name + ".k", "kv", CacheSpec::Append, n.operands[1],
          "K of attention " + std::to_string(kv));
      add(name + ".v", "kv", CacheSpec::Append, n.operands[2],
          "V of attention " + std::to_string(kv));
      ++kv;
    } else if (n.op == "attention" && a.attention[size_t(id)] == AttentionMode::State) {
      std::string name = "state" + std::to_string(state++);
      a.cacheName[id] = name;
      const graph::Node &k = g.nodes[size_t(n.operands[1])], &v = g.nodes[size_t(n.operands[2])];
      for (const std::string &part : recurrentStateParts(n))
        addShaped(name + "." + part, "state", CacheSpec::Replace,
                  recurrentStateShape(k, v, part), -1, "recurrent attention state");
    } else if (n.op == "cumsum" && a.seqAxis[size_t(id)] >= 0) {
      // Without `cache state` it is PLDR's causal metric (Analysis checks).
      bool metricSum = !a.declares("state");
      std::string name = metricSum ? "g" + std::to_string(metric++) : "state" + std::to_string(state++);
      a.cacheName[id] = name;
      add(name, metricSum ? "g" : "state", CacheSpec::Replace, id,
          metricSum ? "running sum of q^T q (the causal metric)" : "running sum");
      add(name + ".c", metricSum ? "g" : "state", CacheSpec::Replace, id,
          "rounding compensation of " + name);
    } else if (n.op == "attention" && a.attention[size_t(id)] == AttentionMode::Source) {
      std::string name = "source" + std::to_string(source++);
      for (int part : {1, 2}) {
        int o = n.operands[size_t(part)];
        if (a.role[size_t(o)] != Role::Prompt || a.cacheName.count(o))
          continue;
        a.cacheName[o] = name + (part == 1 ? ".k" : ".v");
        add(a.cacheName[o], "source_kv", CacheSpec::Frozen, o,
            std::string(part == 1 ? "K" : "V") + " of the source");
      }
    }
    if (n.op == "attention" && n.operands.size() > 3 && n.operands[3] >= 0 &&
        a.role[size_t(n.operands[3])] == Role::Prompt && !a.cacheName.count(n.operands[3])) {
      std::string name = "g" + std::to_string(metric++);
      a.cacheName[n.operands[3]] = name;
      add(name, "g", CacheSpec::Frozen, n.operands[3], "metric G from the prompt");
      plan.differences.push_back(
          "the attention metric is computed once from the prompt and kept (as PLDR-LLM's "
          "public code does); a full recompute would also use the generated tokens");
    }
  }
}

} // namespace generation

bool planGeneration(const graph::Graph &g, const ModelInstance &m, GenerationPlan &plan,
                    DiagEngine &diags, const GenerationOptions &options) {
  using namespace generation;
  plan = GenerationPlan();
  plan.wholeCache = options.wholeCache;
  Analysis a;
  if (!analyse(g, m, a, diags))
    return false;
  planCaches(a, plan);
  plan.head = a.headName;
  plan.vocab = g.nodes[size_t(a.head)].shape[2].size;
  plan.minPrompt = a.minPrompt;
  for (int id : a.decodeNodes) {
    const graph::Node &n = g.nodes[size_t(id)];
    if (n.op == "slice" && a.role[size_t(id)] == Role::Step)
      plan.differences.push_back(
          "a value read from the last position (x[:, -1]) comes from each new token, not "
          "from the last token of the whole sequence as in a full recompute");
    // A mask that shows later keys, bounded by nothing per sample (PALM's
    // prefix is bounded by src_len, the prompt): cached K/V of a position do
    // not see tokens generated after it.
    if (n.op == "attention" && a.attention[size_t(id)] == AttentionMode::KV &&
        (n.regions.empty() || (!hidesLaterKeys(*n.regions[0]) &&
                               n.regions[0]->captures.empty())))
      plan.differences.push_back(
          "the attention mask lets positions see later keys: each position's cached K/V "
          "were computed before the tokens after it existed");
  }
  std::sort(plan.differences.begin(), plan.differences.end());
  plan.differences.erase(std::unique(plan.differences.begin(), plan.differences.end()),
                         plan.differences.end());
  return buildPrefill(a, plan, diags) && buildDecode(a, plan, diags);
}

mlir::OwningOpRef<mlir::ModuleOp> mlirGenFunction(mlir::MLIRContext &ctx,
                                                  const graph::Graph &g,
                                                  const ModelInstance &m, DiagEngine &diags,
                                                  const std::string &suffix) {
  ctx.loadDialect<mlir::func::FuncDialect, mlir::arith::ArithDialect,
                  mlir::math::MathDialect, mlir::tensor::TensorDialect,
                  mlir::frond::FrondDialect>();
  return mlirgen::Emitter(ctx, diags).emitModule(g, m, suffix);
}

} // namespace frond
