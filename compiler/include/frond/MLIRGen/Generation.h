//===- Generation.h - prefill and decode functions from a model -*- C++ -*-===//
//
// From the graph of one model (frond/lang/Graph.h) the compiler derives the
// two functions cached generation runs, each again a graph that MLIRGen
// emits as a func.func:
//
//   @<model>_prefill(tokens [b, t], gen.lengths [b], <inputs>, <params>)
//       -> (logits [b, V], cache:<name>...)
//   @<model>_decode(tokens [b, 1], gen.pos [b], [gen.history [b, T],]
//                   cache:<name>..., <inputs>, <params>, packed:<param>...)
//       -> (logits [b, V], cache:<name>...)
//
// Prompts are right-padded to t: `gen.lengths` holds each prompt's length,
// and prefill returns the logits of each prompt's last position. Decode
// feeds one token per sequence at its own position `gen.pos` (RoPE, masks
// and the cache write index are per sample) and returns the next logits.
// Which caches exist follows the spec's `cache` declarations and the
// model's dataflow (GenerationPlan::caches); how the caller keeps each one
// is CacheSpec::update.
//
//===----------------------------------------------------------------------===//
#ifndef FROND_MLIRGEN_GENERATION_H
#define FROND_MLIRGEN_GENERATION_H

#include "frond/lang/Diagnostics.h"
#include "frond/lang/Graph.h"
#include "frond/lang/Sema.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OwningOpRef.h"

#include <cstdint>
#include <string>
#include <vector>

namespace frond {

/// One cache: an argument of decode, a result of prefill.
struct CacheSpec {
  std::string name; ///< "kv0.k": argument/result "cache:<name>"
  std::string kind; ///< the spec's cache kind: kv, source_kv, state or g
  enum Update {
    /// [b, ..., max_tokens, ...]: prefill's result fills positions
    /// [0, t) along `seqAxis`; decode writes its new slice there in place
    /// (frond.cache_write) and also returns it ([b, ..., 1, ...]), which the
    /// caller stores at gen.pos.
    Append,
    /// A running state, the shape of prefill's result: decode returns the
    /// next one, which replaces it.
    Replace,
    /// Computed once by prefill from the prompt, read by every decode step.
    Frozen,
  } update = Append;
  int64_t seqAxis = -1;       ///< Append: the position axis
  std::vector<int64_t> shape; ///< Append: extents, -1 for b and the positions
  std::string what;           ///< for describe(): "K of attention 0"
};

/// The derived functions and how to drive them.
struct GenerationPlan {
  graph::Graph prefill, decode;
  std::vector<CacheSpec> caches;
  std::string head;       ///< the head whose logits are generated from
  int64_t vocab = 0;
  bool history = false;   ///< decode reads gen.history: every token so far
  /// Parameters [out, in] whose transposes [in, out] decode takes as
  /// "packed:<path>" (its linears are matrix-vector products; the caller
  /// transposes once instead of the compiled step every time).
  std::vector<std::string> packed;
  int64_t minPrompt = 1;  ///< shortest prompt (a source prefix must be in it)
  /// Where cached decoding knowingly differs from a full recompute, e.g.
  /// PLDR's metric frozen at the prompt: one line each.
  std::vector<std::string> differences;
  /// Decode attends over every cache slot (GenerationOptions::wholeCache).
  bool wholeCache = false;
};

struct GenerationOptions {
  /// Decode attends over all max_tokens slots of each K/V cache (the keys
  /// after gen.pos[b] hidden by the mask, and skipped by the GPU kernel's
  /// per-tile bounds) instead of its first max(gen.pos) + 1: no host code
  /// then reads a position, and every step launches the same kernels with
  /// the same arguments, so the step can be replayed as a CUDA graph.
  bool wholeCache = false;
};

/// Derives `plan` from the graph `g` recorded for `m`. On a model whose
/// generation the compiler cannot derive (a cache it would need that the
/// spec does not declare, an op mixing positions it cannot carry over),
/// reports errors at the node's location and returns false.
bool planGeneration(const graph::Graph &g, const ModelInstance &m,
                    GenerationPlan &plan, DiagEngine &diags,
                    const GenerationOptions &options = {});

/// MLIRGen of one derived graph as `func.func @<model><suffix>` (suffix
/// "_prefill" or "_decode"); null after errors, as mlirGen.
mlir::OwningOpRef<mlir::ModuleOp>
mlirGenFunction(mlir::MLIRContext &ctx, const graph::Graph &g,
                const ModelInstance &m, DiagEngine &diags,
                const std::string &suffix);

} // namespace frond

#endif // FROND_MLIRGEN_GENERATION_H
