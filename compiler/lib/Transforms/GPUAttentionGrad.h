//===- GPUAttentionGrad.h - pieces of the attention backward kernels -*- C++ -*-===//
//
// What the flash-attention backward kernels share: one (query, key) pair's
// probability and gradients (a row per thread in GPUAttentionGradKernels.cpp,
// mma.sync fragments in GPUAttentionGradMmaKernels.cpp) and the dK/dV
// kernels' sweep over the query tiles of a K/V head's group.
//
//===----------------------------------------------------------------------===//
#ifndef FROND_LIB_TRANSFORMS_GPUATTENTIONGRAD_H
#define FROND_LIB_TRANSFORMS_GPUATTENTIONGRAD_H

#include "GPUAttention.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"

namespace mlir::frond::gpuattn {

/// The forward's row statistic of row (b, h, qi) as pairGrads reads it:
/// softmax kinds, the log-sum-exp (+inf for a row that saw no key, saved as
/// -inf, so that exp(s - lse) is 0 there); linear, 1 / Σ w (0 when the sum
/// is 0); the others use none.
Value savedStat(OpBuilder &b, const AttentionKernel &f, Value bi, Value hi, Value qi);

/// Whether a scored pair is visible (scoreElement's -inf marks a masked
/// one), and its weight for the kinds without softmax: s, or 0 if masked.
std::pair<Value, Value> visibleWeight(OpBuilder &b, Location loc, Value s);

/// One (query, key) pair of the backward: the probability, the score
/// gradient G and the gradient of the raw dot product dS.
struct PairGrads {
  Value p, g, ds;
};

/// The score derivatives at a pair: with respect to s (the region's input)
/// first, then one per read of a capture in `kernel.captureGrads` (`reads`
/// gets the memref.load of each, `readGrad` its captureGrads index).
struct ScoreSlopes {
  SmallVector<Value> slopes;
  SmallVector<memref::LoadOp> reads;
  SmallVector<unsigned> readGrad;
};

FailureOr<ScoreSlopes> scoreSlopes(OpBuilder &b, const AttentionGradKernel &kernel,
                                   const BlockCoords &block, Value x, Value qi, Value kj,
                                   bool withCaptures);

/// The score of a pair from its raw dot product (masked with `withChecks`,
/// keys past the sequence too with `checkKeys`) and its slopes
/// (scoreSlopes); fails as scoreSlopes does.
struct ScoredPair {
  Value s;
  ScoreSlopes slopes;
};

FailureOr<ScoredPair> scorePair(OpBuilder &b, const AttentionGradKernel &kernel,
                                const BlockCoords &block, Value raw, Value qi, Value kj,
                                bool withChecks, bool withCaptures, bool checkKeys = false);

/// P, G and dS of one pair from its score s, the rows' dP = dO·v, the
/// query row's statistic (savedStat) and delta; `slope` is ∂score/∂s.
///   softmax kinds:  P = exp(s - lse),  G = P (dP - delta)
///   linear:         P = w / L,         G = (dP - delta) / L where visible
///   relaxed_linear: P = w,             G = dP where visible
PairGrads pairGrads(OpBuilder &b, const AttentionKernel &f, Value s, Value dP, Value stat,
                    Value delta, Value slope);

/// Adds g · slope at each capture read of `slopes` (atomically: blocks and
/// threads share the elements), where `when` holds.
void addCaptureGrads(OpBuilder &b, const AttentionGradKernel &kernel, const ScoreSlopes &slopes,
                     Value g, Value when);

/// Stages the query rows [i0, ...) of `head` for a query tile.
using QueryStageFn = function_ref<void(OpBuilder &, const BlockCoords &head, Value i0)>;
/// Computes query rows [i0, i0 + rows) of `head` (fewer than a tile at the
/// end), masked where `withChecks`; returns the carried values.
using QueryComputeFn = function_ref<SmallVector<Value>(
    OpBuilder &, const BlockCoords &head, Value i0, Value rows, bool withChecks, ValueRange st)>;

/// A dK/dV block's sweep over the query heads sharing its K/V head
/// (block.kvh) and their query tiles of `rowsPerTile` rows, carrying
/// `init`: per tile, the mask's bounds over the box of those rows and the
/// block's keys [block.q0, block.q0 + numKeys) (the tile skipped when the
/// mask cannot be true), `stage`, then `compute` with `withChecks` false
/// where the mask must be true.
SmallVector<Value> forEachQueryTile(OpBuilder &b, const AttentionKernel &f, const BlockCoords &block,
                                    int64_t numKeys, int64_t rowsPerTile, ValueRange init,
                                    QueryStageFn stage, QueryComputeFn compute);

} // namespace mlir::frond::gpuattn

#endif // FROND_LIB_TRANSFORMS_GPUATTENTIONGRAD_H
