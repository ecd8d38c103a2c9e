//===- AttentionCaptureGrads.cpp - gradients of captured score tensors ----===//
//
// A score region reads learnable tensors it captures (ALiBi slopes[h], a
// relative-bias table[h, bucket(q - k)]) with tensor.extract at indices
// computed from (b, h, q, k). The element read at a pair gets
// dL/ds' · ∂score/∂element; since the indices are arbitrary scalar code,
// the tile is walked element by element and each contribution added at
// the cloned extract's indices.
//
//===----------------------------------------------------------------------===//
#include "AttentionGradLowering.h"
#include "mlir/Dialect/Arith/IR/Arith.h"

using namespace mlir;
using namespace mlir::frond;
using namespace mlir::frond::lowering;

void AttentionGradLowering::addCaptureGrads(OpBuilder &b, const QueryTile &t, Value k0, Value g,
                                            Value dots, MutableArrayRef<Value> grads) {
  if (wantedCaptureGrads.empty() || !hasScore)
    return;
  // The seeds: each read of a wanted capture, with its accumulator.
  Block &block = scoreRegion.front();
  unsigned leading = block.getNumArguments() - captures.size();
  SmallVector<Value> seeds;
  SmallVector<unsigned> seedGrad;
  for (auto [n, wanted] : llvm::enumerate(wantedCaptureGrads)) {
    BlockArgument arg = block.getArgument(leading + wanted.first);
    for (Operation *user : arg.getUsers()) { // only reads (AttentionGradOp's verifier)
      seeds.push_back(cast<tensor::ExtractOp>(user).getResult());
      seedGrad.push_back(n);
    }
  }
  if (seeds.empty())
    return;

  Value cols = dimOf(b, loc, g, 1);
  SmallVector<Value> result(tileLoop(b, loc, c0, t.qlen, c1, grads, [&](OpBuilder &b1, Value i, ValueRange rowAcc) {
    return SmallVector<Value>(tileLoop(b1, loc, c0, cols, c1, rowAcc, [&](OpBuilder &b2, Value j, ValueRange acc) {
      SmallVector<Value> next(acc);
      Value gij = tensor::ExtractOp::create(b2, loc, g, ValueRange{i, j});
      Value x = scoreInput(b2, loc, tensor::ExtractOp::create(b2, loc, dots, ValueRange{i, j}));
      Value qi = arith::AddIOp::create(b2, loc, t.q0, i), kj = arith::AddIOp::create(b2, loc, k0, j);
      IRMapping map;
      FailureOr<SmallVector<Value>> d =
          scoreDerivatives(b2, scoreRegion, {x, t.bi, t.hi, qi, kj}, captures, seeds, map);
      if (failed(d)) {
        failedRegion = true;
        return next;
      }
      for (auto [seed, slope, n] : llvm::zip(seeds, *d, seedGrad)) {
        auto read = cast<tensor::ExtractOp>(map.lookup(seed).getDefiningOp());
        Type elem = cast<RankedTensorType>(next[n].getType()).getElementType();
        Value add = convertScalar(b2, loc, arith::MulFOp::create(b2, loc, gij, slope), elem);
        Value cur = tensor::ExtractOp::create(b2, loc, next[n], read.getIndices());
        next[n] = tensor::InsertOp::create(b2, loc, arith::AddFOp::create(b2, loc, cur, add), next[n],
                                           read.getIndices());
      }
      return next;
    }));
  }));
  llvm::copy(result, grads.begin());
}
