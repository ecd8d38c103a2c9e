//===- GPUAttention.h - pieces of the flash-attention GPU kernels -*- C++ -*-===//
//
// Shared by frond-lower-attention-to-gpu (LowerAttentionToGPU.cpp, which
// sets up buffers and the launch) and its two kernel bodies: one thread per
// query row in f32 (GPUAttentionRowKernel.cpp) and warps of mma.sync on
// bf16/f16 tiles (GPUAttentionMmaKernel.cpp); likewise the backward's
// launches (LowerAttentionGradToGPU.cpp) and their kernels
// (GPUAttentionGradKernels.cpp, GPUAttentionGradMmaKernels.cpp). The mask
// and score regions are read on buffers (TileMaskBounds.cpp).
//
//===----------------------------------------------------------------------===//
#ifndef FROND_LIB_TRANSFORMS_GPUATTENTION_H
#define FROND_LIB_TRANSFORMS_GPUATTENTION_H

#include "frond/Dialect/Frond/IR/FrondOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Region.h"
#include "mlir/Support/LLVM.h"

#include <functional>

namespace mlir::frond::gpuattn {

/// Static workgroup memory per block the kernels' tiles may use.
constexpr int64_t kWorkgroupBytes = 48 * 1024;

/// What both kernels know about one attention op, as values usable inside
/// the kernel (host values are captured by gpu.launch).
struct AttentionKernel {
  Location loc;
  // Buffers: q/k/v [b, h(kv), t, D(v)], out [b, h, tq, Dv] and the row
  // statistic the backward needs, lse [b, h, tq]: the log-sum-exp for the
  // softmax kinds, the normaliser Σ w for the others.
  Value q, k, v, out, lse;
  /// The op's captures: tensors as buffers, anything else as is.
  SmallVector<Value> captures;
  Region *mask = nullptr, *score = nullptr; // null when absent
  Value TQ, TK, group;                      // sizes; group = h / hkv
  int64_t headDim = 0, valueDim = 0;        // D, Dv (static)
  int64_t queryTile = 0, keyTile = 0;       // Tq, Tk
  double scale = 1.0;
  /// softmax and power_law (the metric already folded into q) normalise
  /// with the online softmax; linear divides by Σ w, relaxed_linear keeps
  /// Σ w v; aft weighs k ⊙ v by score(1) and multiplies by scale · q.
  AttentionKind kind = AttentionKind::Softmax;
  Type tileType;                            // staged K/V (and Q) element type
  bool emulate = false;                     // host loops instead of a GPU
  /// Emulating the mma.sync kernel's numbers on the host (bf16/f16 tiles,
  /// emulated): the f32 row kernel rounds q, k, v and the probabilities
  /// that multiply v through this type, where the mma kernel does. Null:
  /// no rounding.
  Type roundTo;
};

/// `x` (f32, scalar or vector) rounded to `type` and back; `x` when `type`
/// is null.
Value roundThrough(OpBuilder &b, Location loc, Value x, Type type);

/// softmax or power_law: probabilities exp(s - lse), -inf where masked.
inline bool isSoftmaxKind(AttentionKind kind) {
  return kind == AttentionKind::Softmax || kind == AttentionKind::PowerLaw;
}

/// The factor of the raw dot product before the score region: the op's
/// scale, or 1 for aft (whose pair weight is score(1)).
inline double scoreScale(const AttentionKernel &kernel) {
  return kernel.kind == AttentionKind::Aft ? 1.0 : kernel.scale;
}

/// Fills `kernel`'s sizes (TQ, TK, group) from its q and k buffers.
void readKernelSizes(OpBuilder &b, AttentionKernel &kernel);

/// Row `t` of `src` [b, h, t, n] (any float type) as a vector<n x f32>.
Value loadRow(OpBuilder &b, Location loc, Value src, Value bi, Value hi, Value t, int64_t n);

/// Row `j` of a workgroup tile [rows, n] as a vector<n x f32>, aligned as
/// the tile's rows are (16-byte base, n floats apart).
Value tileRow(OpBuilder &b, Location loc, Value tile, Value j, int64_t n);

/// Block-uniform coordinates of one block: batch, head, its K/V head and
/// the first query row of its tile.
struct BlockCoords {
  Value b, h, kvh, q0;
};

/// The thread-level primitives a kernel body is written against. On a GPU
/// `threadId` is gpu.thread_id x and `together` runs its body once per
/// thread between two barriers; emulated, the body is already inside a loop
/// over the threads and `together` runs the body for every thread id in
/// turn (each emulated thread stages the whole tile itself).
struct ThreadEnv {
  Value threadId;
  int64_t numThreads = 0;
  bool emulate = false;
  void together(OpBuilder &b, Location loc,
                function_ref<void(OpBuilder &, Value tid)> body) const;
  /// 2^x as math.exp2 with `afn` (ex2.approx on the GPU, no libdevice).
  Value exp2(OpBuilder &b, Location loc, Value x) const;
  /// log2(x) as math.log2 with `afn` (lg2.approx on the GPU).
  Value log2(OpBuilder &b, Location loc, Value x) const;
};

/// (must, may) i1 bounds of a mask region over a tile.
struct MaskBounds {
  Value must, may;
};

/// Evaluates `mask` once for the box b, h exact, q in [qLo, qHi], k in
/// [kLo, kHi] (see Passes.td); captures are buffers or plain values.
MaskBounds maskBoundsOnTile(OpBuilder &b, Location loc, Region &mask, ValueRange bhqk,
                            Value qHi, Value kHi, ValueRange captures);

/// Clones `op` with `map`; a tensor operand that now maps to a buffer is
/// read with memref ops instead (`tensor.extract` → `memref.load`,
/// `tensor.dim` → `memref.dim`). Returns the single result, if any.
Value cloneOnBuffers(OpBuilder &b, Operation &op, IRMapping &map);

/// Clones `region`'s body at `b` with its arguments bound to `args` then
/// `captures`, reading captured tensors from their buffers (`tensor.extract`
/// → `memref.load`, `tensor.dim` → `memref.dim`); returns the yielded value.
Value inlineRegionOnBuffers(OpBuilder &b, Region &region, ArrayRef<Value> args,
                            ValueRange captures);

/// The score of query row `qi` and key `kj` from a raw dot product:
/// score(scale · dot), then -inf where `withMask` and the mask is false or
/// `kj` is past the keys (`checkKeys`). Rows and keys are clamped before
/// the regions read captures with them.
Value scoreElement(OpBuilder &b, const AttentionKernel &kernel, const BlockCoords &block,
                   Value dot, Value qi, Value kj, bool withMask, bool checkKeys);

/// One thread's share of copying rows [row0, row0 + rows) of `src`
/// [b, h, t, cols] (zero past the sequence length `len` and past `cols`)
/// into the workgroup buffer `dst` [rows, paddedCols] (or [paddedCols,
/// rows] with `transpose`), converted to its element type. Wrap the calls
/// of all threads in ThreadEnv::together.
void stageTile(OpBuilder &b, Location loc, Value tid, int64_t numThreads, Value src, Value bi,
               Value hi, Value row0, Value len, Value dst, bool transpose);

/// All threads together copy key tile `k0` of K and V (the block's K/V
/// head) into the workgroup tiles `ks` [Tk, D] and `vs` [Tk, Dv], in f32.
void stageKeyValueTile(OpBuilder &b, const AttentionKernel &kernel, const BlockCoords &block,
                       const ThreadEnv &env, Value k0, Value ks, Value vs);

/// The body of one key of a tile: its row j in the tile, its index
/// kj = k0 + j and the carried values; it ends with its own scf.yield.
using KeyFn = function_ref<void(OpBuilder &, Value j, Value kj, ValueRange it)>;

/// scf.for over the keys of tile `k0` that are inside the sequence
/// (min(Tk, TK - k0)), carrying `init`; returns the loop's results.
SmallVector<Value> forEachKeyInTile(OpBuilder &b, const AttentionKernel &kernel, Value k0,
                                    ValueRange init, KeyFn body);

/// One tile of a sweep, carrying `st`: skipped (yielding `st`) where `may`
/// is false, else `stage`, then `compute` without checks where `must` holds
/// and with them elsewhere. A null `may` never skips; a null `must` never
/// checks. Both are block-uniform, so the barriers in `stage` stay uniform.
SmallVector<Value> maskedTile(OpBuilder &b, Location loc, Value may, Value must, ValueRange st,
                              function_ref<void(OpBuilder &)> stage,
                              function_ref<SmallVector<Value>(OpBuilder &, bool withChecks)> compute);

using StageFn = function_ref<void(OpBuilder &, Value k0)>;
using ComputeFn =
    function_ref<SmallVector<Value>(OpBuilder &, Value k0, bool withChecks, ValueRange state)>;

/// The loop over key tiles carrying `init`: per tile, the mask's bounds
/// (skip the tile when it cannot be true), `stage`, then `compute` with
/// `withChecks` false on tiles where the mask must be true (and, with
/// `checkKeys`, every key is inside the sequence), true elsewhere.
SmallVector<Value> forEachKeyTile(OpBuilder &b, const AttentionKernel &kernel,
                                  const BlockCoords &block, ValueRange init, bool checkKeys,
                                  StageFn stage, ComputeFn compute);

/// The f32 kernel body: one thread per query row. `ks`/`vs` are the
/// workgroup K/V tiles [Tk, D], [Tk, Dv].
void buildRowKernel(OpBuilder &b, const AttentionKernel &kernel, const BlockCoords &block,
                    const ThreadEnv &env, Value ks, Value vs);

/// The mma.sync kernel body (GPU only): Tq / 16 warps; `qs`, `ks`, `vts`
/// are the workgroup tiles [Tq, Dp], [Tk, Dp], [Dvp, Tk].
void buildMmaKernel(OpBuilder &b, const AttentionKernel &kernel, const BlockCoords &block,
                    const ThreadEnv &env, Value qs, Value ks, Value vts);

/// Writes row `qi` when it is a query: out[b, h, qi, col] = acc / l (0
/// when l == 0) for each (col, acc) of `columns` (a dynamic col is checked
/// against Dv when Dv is not a multiple of 8), and lse[b, h, qi] = m + ln l
/// where `writeLse` (null: always). relaxed_linear and aft write acc as it
/// is (aft's columns come already multiplied by scale · q); they and linear
/// save l in place of the log-sum-exp.
void storeRow(OpBuilder &b, const AttentionKernel &kernel, const BlockCoords &block,
              const ThreadEnv &env, Value qi, Value m, Value l,
              ArrayRef<std::pair<Value, Value>> columns, Value writeLse);

/// One kernel of an attention op: its grid, threads, workgroup tiles and
/// the body of one thread of one block.
struct KernelLaunch {
  std::string name;        ///< unique in the module (uniqueKernelName)
  SmallVector<Value> grid; ///< host values: blocks along x, y, z
  int64_t numThreads = 0;
  SmallVector<Type> tiles; ///< workgroup buffers (static shapes)
  /// The gpu.module to add the kernel to, sharing its tiles with the
  /// kernels already there (globals tile0, tile1, ... of the same types);
  /// null: a module of its own named `name`.
  gpu::GPUModuleOp into;
  /// Builds the body at `b`: `args` are the launch's operands as the body
  /// sees them (the gpu.func's arguments, or the host values when
  /// emulated), then block ids x, y, z, the thread id and the tiles.
  std::function<void(OpBuilder &b, ValueRange args, ArrayRef<Value> blockIds, Value tid,
                     ValueRange tiles)>
      body;
};

/// A workgroup buffer of a kernel: workgroup memory on the GPU, plain
/// (an alloca of the host loops) when emulated.
MemRefType workgroupTile(MLIRContext *ctx, ArrayRef<int64_t> shape, Type elem, bool emulate);

/// `<func>_<what>_<n>` (and its `_launch`) not yet used in `module`,
/// <func> the function `op` is in.
std::string uniqueKernelName(ModuleOp module, Operation *op, int64_t &counter,
                             StringRef what = "attention");

/// Emits `launch` on operands `args` at `b`: the kernel as a gpu.func in a
/// gpu.module of its own (both named launch.name) with a placeholder call
/// from the host until frond-launch-gpu-kernels, or, with `emulate`, the
/// same body as host loops (blocks z, y, x, then threads; tiles become
/// allocas at the function's entry).
void emitLaunch(OpBuilder &b, Location loc, ModuleOp module, const KernelLaunch &launch,
                ValueRange args, bool emulate);

/// `v` read as a buffer (bufferization.to_buffer, any strided layout) when
/// it is a tensor; anything else as is.
Value bufferOf(OpBuilder &b, Location loc, Value v);

/// The rows the scores are taken with, on tensors: `q`, or q G for a
/// power_law `metric` G [b, h, D, E] (a frond.matmul lowered with the rest
/// of the function), so that the kernels see softmax attention.
Value scoredQueries(OpBuilder &b, Location loc, Value q, Value metric);

/// A fresh buffer of `shape` and `elem`, its dynamic extents taken from
/// `extents` (one value per dimension).
Value allocLike(OpBuilder &b, Location loc, ArrayRef<int64_t> shape, Type elem,
                ArrayRef<Value> extents);

/// What lowering an attention_grad op needs from the pass.
struct GradLoweringOptions {
  ModuleOp module;
  int64_t queryTile = 0, keyTile = 0;
  bool emulate = false;
  int64_t *kernelCount = nullptr; ///< for uniqueKernelName
  /// The forward's bf16/f16 tiles (null for f32). Softmax kinds take the
  /// mma.sync backward on them; emulated, the f32 backward rounds through
  /// them where that kernel does (q, k, v, dO, P and dS), so that its
  /// recomputed scores are the ones the saved log-sum-exp was taken over.
  Type roundTo;
};

/// Lowers an attention_grad (static head sizes; power_law's metric as the
/// gradient of q G) whose forward saved `lse` ([b, h, tq] f32) to two
/// launches: the dQ kernel, then the dK/dV kernel
/// (LowerAttentionGradToGPU.cpp).
LogicalResult lowerAttentionGradToGPU(AttentionGradOp op, Value lse,
                                      const GradLoweringOptions &options);

/// What the backward kernels know beyond the forward's AttentionKernel
/// (whose `out` and `lse` are the forward's output and saved log-sum-exp).
struct AttentionGradKernel {
  AttentionKernel fwd;
  Value dout;             ///< [b, h, tq, Dv]
  Value delta;            ///< [b, h, tq] f32: dO·O per row (the dQ kernel writes it)
  Value dq, dk, dv;       ///< the gradients, shaped as q, k, v
  /// (capture index, buffer) of each captured tensor's gradient that the
  /// score region reads: contributions are added atomically.
  SmallVector<std::pair<unsigned, Value>> captureGrads;
};

/// The dQ kernel body (one thread per query row, K/V tiles `ks`, `vs` in
/// f32): recomputes P = exp(s - lse) tile by tile and accumulates
/// dQ = Σ_j dS_ij k_j; writes dQ, delta and the captures' gradients.
/// Fails (after an error) on a score region forward mode cannot
/// differentiate; so does the dK/dV kernel.
LogicalResult buildGradQueryKernel(OpBuilder &b, const AttentionGradKernel &kernel,
                                   const BlockCoords &block, const ThreadEnv &env, Value ks,
                                   Value vs);

/// The dK/dV kernel body (one thread per key row of the K/V head
/// block.kvh, block.q0 its first key; Q/dO tiles `qs`, `dos` of
/// `stagedRows` rows in f32): sweeps the query heads of the group and their
/// query tiles, accumulating dV = Σ_i P_ij dO_i and dK = Σ_i dS_ij q_i.
LogicalResult buildGradKeyKernel(OpBuilder &b, const AttentionGradKernel &kernel,
                                 const BlockCoords &block, const ThreadEnv &env, Value qs,
                                 Value dos, int64_t stagedRows);

/// The same two kernels on tensor cores (GPUAttentionGradMmaKernels.cpp),
/// for softmax kinds after a forward on bf16/f16 tiles (`fwd.tileType`):
/// Tq / 16 warps of 16 rows each; the staged tiles (K/V for dQ, Q/dO for
/// dK/dV) are [rows, D and Dv padded to 16] in the tile type.
LogicalResult buildGradQueryMmaKernel(OpBuilder &b, const AttentionGradKernel &kernel,
                                      const BlockCoords &block, const ThreadEnv &env, Value ks,
                                      Value vs);
LogicalResult buildGradKeyMmaKernel(OpBuilder &b, const AttentionGradKernel &kernel,
                                    const BlockCoords &block, const ThreadEnv &env, Value qs,
                                    Value dos, int64_t stagedRows);

} // namespace mlir::frond::gpuattn

#endif // FROND_LIB_TRANSFORMS_GPUATTENTION_H
