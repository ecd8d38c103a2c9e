//===- AttentionGradLowering.h - the tiled attention backward ---*- C++ -*-===//
//
// frond.attention_grad becomes loops over (batch, head, query tile) that
// carry the gradient accumulators; a kind's query-tile body sweeps the key
// tiles and returns the updated accumulators:
//   - softmax, power_law, linear, relaxed_linear: LowerAttentionGrad.cpp
//     (row statistic, then probabilities tile by tile);
//   - aft: LowerAftGrad.cpp (one sweep, elementwise over channels).
// This class holds what they share: the op's pieces, the key-tile loop with
// its causal skip, the scored and masked tile, and the captures' gradients.
// Scores exist only as [query tile, key tile] tensors, never [tq, tk].
//
//===----------------------------------------------------------------------===//
#ifndef FROND_LIB_TRANSFORMS_ATTENTIONGRADLOWERING_H
#define FROND_LIB_TRANSFORMS_ATTENTIONGRADLOWERING_H

#include "AttentionUtils.h"

namespace mlir::frond::lowering {

/// Where a query-tile body is: batch, query head, its key/value head and
/// the tile's first row and row count.
struct QueryTile {
  Value bi, hi, kvh, q0, qlen;
};

class AttentionGradLowering {
public:
  AttentionGradLowering(AttentionGradOp op, int64_t queryTile, int64_t keyTile);

  /// Builds the loops and replaces the op; fails (after an error) on a
  /// score region the forward mode cannot differentiate.
  LogicalResult run();

private:
  /// The accumulators' positions: dq, dk, dv, then dmetric (power_law) and
  /// the capture gradients that are used.
  enum : unsigned { kDq = 0, kDk = 1, kDv = 2 };
  unsigned metricSlot() const { return 3; }
  unsigned firstCaptureSlot() const { return metric ? 4 : 3; }

  /// The query-tile bodies: `acc` in, updated accumulators out.
  SmallVector<Value> probabilityQueryTile(OpBuilder &b, const QueryTile &t, ValueRange acc);
  SmallVector<Value> aftQueryTile(OpBuilder &b, const QueryTile &t, ValueRange acc);

  /// scf.for over the key tiles carrying `init`; `body(builder, k0, klen,
  /// state)` updates the state. Tiles wholly after a causal query tile are
  /// skipped (the state passes through).
  using KeyTileBody = function_ref<SmallVector<Value>(OpBuilder &, Value, Value, ValueRange)>;
  SmallVector<Value> keyLoop(OpBuilder &b, const QueryTile &t, ValueRange init, KeyTileBody body);

  /// The [qlen, klen] tile of scored, masked scores: score(scoreScale ·
  /// dots) where visible, `masked` elsewhere.
  Value scoreTile(OpBuilder &b, const QueryTile &t, Value k0, Value dots, Value masked);

  /// Inside a tile's linalg.generic: `x` where the mask shows key k0 +
  /// index(1) to query q0 + index(0), else `otherwise` (x without a mask).
  Value visibleOr(OpBuilder &nb, Location l, const QueryTile &t, Value k0, Value x,
                  Value otherwise);

  /// Inside a tile's linalg.generic: the score region's derivative with
  /// respect to s at scoreScale · dot (null, after an error, when the
  /// forward mode cannot differentiate it).
  Value scoreSlope(OpBuilder &nb, Location l, const QueryTile &t, Value k0, Value dot);

  /// Adds, for each pair (i, j) of the tile, g[i, j] · ∂score/∂c to the
  /// gradient of every captured element c the score region reads (with
  /// `tensor.extract`); `grads` are the capture accumulators, in the order
  /// of wantedCaptureGrads (AttentionCaptureGrads.cpp).
  void addCaptureGrads(OpBuilder &b, const QueryTile &t, Value k0, Value g, Value dots,
                       MutableArrayRef<Value> grads);

  /// The score region's input at a tile element (scoreScale · dot).
  Value scoreInput(OpBuilder &b, Location l, Value dot);

  AttentionGradOp op;
  Location loc;
  MLIRContext *ctx;
  int64_t queryTile, keyTile;
  Type S;
  Value q, k, v, metric;
  SmallVector<Value> captures;
  Region &maskRegion, &scoreRegion;
  bool hasMask, hasScore;
  std::optional<CausalMask> causal;
  double scale, scoreScale;
  /// (capture index, capture_grads index) of each capture gradient to build.
  SmallVector<std::pair<unsigned, unsigned>> wantedCaptureGrads;
  /// Set when a region could not be differentiated (the error is emitted).
  bool failedRegion = false;
  /// Built at the op by run(): constants and sizes the bodies use.
  Value c0, c1, zero, tk, TK;
};

/// t[bi, hi, t0 : t0 + rows, :] += tile.
Value addTile(OpBuilder &b, Location loc, Value t, Value tile, Value bi, Value hi, Value t0,
              Value rows);

} // namespace mlir::frond::lowering

#endif // FROND_LIB_TRANSFORMS_ATTENTIONGRADLOWERING_H
