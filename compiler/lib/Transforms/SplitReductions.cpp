//===- SplitReductions.cpp - reductions into few outputs, two stages ------===//
//
// The frond-split-reductions pass (see GPUPasses.td). A linalg.generic on
// buffers reducing into few outputs (a loss summed over batch x time into a
// scalar, a bias gradient summed over batch x time into [d]) becomes
//
//   scf.parallel (%c, %n...) in [0, C) x outputs:   -- C x N threads
//     partial[c, n] = body at (n, flat reduced index c, c + C, ...),
//                     folded from the combiner's neutral element
//   scf.parallel (%n...) in outputs:                -- N threads (or one)
//     out[n] = combiner folded over partial[0..C, n], starting from out[n]
//
// so a scalar sum runs on the device instead of as host loops, and a column
// sum on C blocks instead of one. Consecutive threads read consecutive
// elements (the outputs' positions are the innermost loops).
//
//===----------------------------------------------------------------------===//
#include "LoweringUtils.h"
#include "frond/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"

#include "mlir/Analysis/SliceAnalysis.h"
#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/IRMapping.h"

#include <algorithm>

namespace mlir::frond {
#define GEN_PASS_DEF_FRONDSPLITREDUCTIONS
#include "frond/Transforms/Passes.h.inc"
} // namespace mlir::frond

using namespace mlir;

namespace {

/// One output of the reduction: its combiner (a binary op of the output's
/// block argument and the reduced value) and that op's neutral element.
struct Combiner {
  Operation *op;
  TypedAttr neutral;
};

/// The combiner of every output, or failure when one is not a single
/// binary op with a known neutral element (those ops stay as they are).
FailureOr<SmallVector<Combiner>> matchCombiners(linalg::GenericOp op) {
  SmallVector<BlockArgument> outs(op.getRegionOutputArgs());
  SmallVector<Combiner> combiners;
  for (unsigned k = 0; k < outs.size(); ++k) {
    SmallVector<Operation *> ops;
    if (!matchReduction(outs, k, ops) || ops.size() != 1 || ops[0]->getNumOperands() != 2)
      return failure();
    std::optional<TypedAttr> neutral = arith::getNeutralElement(ops[0]);
    if (!neutral)
      return failure();
    combiners.push_back({ops[0], *neutral});
  }
  return combiners;
}

/// Reduced elements below which a reduction into outputs of static extent
/// stays a thread per output, and the threads the first stage aims at.
constexpr int64_t kMinReduced = 4096, kTargetThreads = 65536;

/// How many chunks the first stage splits `op`'s reduction into, or 0 when
/// it stays as it is: on buffers, parallel loops first and reductions after
/// (frond-reductions-innermost), every output indexed by the parallel loops
/// in order; into scalars `partials` chunks; into outputs of static extent
/// N <= `maxOutputs` with at least kMinReduced (or a dynamic number of)
/// reduced elements, kTargetThreads / N clamped to [2, partials].
int64_t chunksFor(linalg::GenericOp op, int64_t partials, int64_t maxOutputs) {
  if (!op.hasPureBufferSemantics() || op.getNumReductionLoops() == 0)
    return 0;
  unsigned parallel = op.getNumParallelLoops();
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  for (auto [i, it] : llvm::enumerate(iterators))
    if ((i < parallel) != (it == utils::IteratorType::parallel))
      return 0;
  for (OpOperand &out : op.getDpsInitsMutable()) {
    AffineMap map = op.getMatchingIndexingMap(&out);
    if (map.getNumResults() != parallel)
      return 0;
    for (unsigned i = 0; i < parallel; ++i)
      if (map.getResult(i) != getAffineDimExpr(i, op.getContext()))
        return 0;
  }
  if (parallel == 0)
    return partials;
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  int64_t outputs = 1, reduced = 1;
  bool dynamicReduced = false;
  for (auto [i, n] : llvm::enumerate(ranges)) {
    if (i < parallel) {
      if (ShapedType::isDynamic(n))
        return 0;
      outputs *= n;
    } else if (ShapedType::isDynamic(n)) {
      dynamicReduced = true;
    } else {
      reduced *= n;
    }
  }
  if (outputs == 0 || outputs > maxOutputs || (!dynamicReduced && reduced < kMinReduced))
    return 0;
  return std::clamp<int64_t>(kTargetThreads / outputs, 2, std::max<int64_t>(partials, 2));
}

/// The op's value at loop indices `ivs`: its body cloned with the inputs
/// loaded at their indexing maps, linalg.index replaced by `ivs` and the
/// outputs' block arguments by `accs`. Returns the yielded values.
SmallVector<Value> cloneBodyAt(OpBuilder &b, Location loc, linalg::GenericOp op, ValueRange ivs,
                               ValueRange accs) {
  IRMapping map;
  Block *body = op.getBody();
  for (OpOperand *in : op.getDpsInputOperands()) {
    Value v = in->get();
    Value arg = body->getArgument(in->getOperandNumber());
    if (!isa<MemRefType>(v.getType())) { // a scalar input
      map.map(arg, v);
      continue;
    }
    SmallVector<Value> indices;
    for (AffineExpr e : op.getMatchingIndexingMap(in).getResults())
      indices.push_back(affine::AffineApplyOp::create(
          b, loc, AffineMap::get(ivs.size(), 0, e), ivs));
    map.map(arg, memref::LoadOp::create(b, loc, v, indices));
  }
  for (auto [arg, acc] : llvm::zip(op.getRegionOutputArgs(), accs))
    map.map(arg, acc);
  for (Operation &inner : body->without_terminator()) {
    if (auto index = dyn_cast<linalg::IndexOp>(inner)) {
      map.map(index.getResult(), ivs[index.getDim()]);
      continue;
    }
    b.clone(inner, map);
  }
  SmallVector<Value> results;
  for (Value y : body->getTerminator()->getOperands())
    results.push_back(map.lookupOrDefault(y));
  return results;
}

/// combiner(acc, x), with acc in the output's place.
Value combine(OpBuilder &b, const Combiner &c, BlockArgument out, Value acc, Value x) {
  IRMapping map;
  for (Value operand : c.op->getOperands())
    map.map(operand, operand == out ? acc : x);
  return b.clone(*c.op, map)->getResult(0);
}

void split(linalg::GenericOp op, ArrayRef<Combiner> combiners, int64_t chunks) {
  OpBuilder b(op);
  Location loc = op.getLoc();
  unsigned parallel = op.getNumParallelLoops();
  Value c0 = arith::ConstantIndexOp::create(b, loc, 0);
  Value c1 = arith::ConstantIndexOp::create(b, loc, 1);
  Value cC = arith::ConstantIndexOp::create(b, loc, chunks);

  // The outputs' positions, and the flat reduced space: every loop starts
  // at 0 with step 1.
  SmallVector<Value> sizes;
  for (Range r : cast<linalg::LinalgOp>(op.getOperation()).createLoopRanges(b, loc))
    sizes.push_back(getValueOrCreateConstantIndexOp(b, loc, r.size));
  ArrayRef<Value> outSizes = ArrayRef<Value>(sizes).take_front(parallel);
  ArrayRef<Value> reducedSizes = ArrayRef<Value>(sizes).drop_front(parallel);
  Value total = c1;
  for (Value s : reducedSizes)
    total = arith::MulIOp::create(b, loc, total, s);

  SmallVector<Value> outs(op.getDpsInits());
  SmallVector<Value> partialBuffers;
  for (Value out : outs) {
    auto outType = cast<MemRefType>(out.getType());
    SmallVector<int64_t> shape{chunks};
    llvm::append_range(shape, outType.getShape()); // static (chunksFor)
    partialBuffers.push_back(memref::AllocOp::create(b, loc, MemRefType::get(shape, outType.getElementType())));
  }

  // Stage 1: thread (c, n) folds the body over n's reduced elements c,
  // c + C, ...
  SmallVector<Value> lbs(parallel + 1, c0), steps(parallel + 1, c1), ubs{cC};
  llvm::append_range(ubs, outSizes);
  scf::ParallelOp::create(
      b, loc, lbs, ubs, steps, [&](OpBuilder &pb, Location l, ValueRange cn) {
        SmallVector<Value> init;
        for (const Combiner &c : combiners)
          init.push_back(arith::ConstantOp::create(pb, l, c.neutral));
        auto loop = scf::ForOp::create(
            pb, l, cn[0], total, cC, init,
            [&](OpBuilder &fb, Location fl, Value flat, ValueRange accs) {
              SmallVector<Value> ivs(cn.drop_front());
              llvm::append_range(ivs, affine::AffineDelinearizeIndexOp::create(
                                          fb, fl, flat, reducedSizes, /*hasOuterBound=*/true)
                                          .getResults());
              scf::YieldOp::create(fb, fl, cloneBodyAt(fb, fl, op, ivs, accs));
            });
        for (auto [r, buffer] : llvm::zip(loop.getResults(), partialBuffers))
          memref::StoreOp::create(pb, l, r, buffer, cn);
      });

  // Stage 2: a thread per output position (one for scalars) folds its
  // partials into the output's value.
  SmallVector<Value> outUbs(outSizes);
  if (parallel == 0)
    outUbs.push_back(c1);
  scf::ParallelOp::create(
      b, loc, SmallVector<Value>(outUbs.size(), c0), outUbs,
      SmallVector<Value>(outUbs.size(), c1), [&](OpBuilder &pb, Location l, ValueRange n) {
        ValueRange at = n.take_front(parallel);
        SmallVector<Value> init;
        for (Value out : outs)
          init.push_back(memref::LoadOp::create(pb, l, out, at));
        auto loop = scf::ForOp::create(
            pb, l, c0, cC, c1, init, [&](OpBuilder &fb, Location fl, Value c, ValueRange accs) {
              SmallVector<Value> partialAt{c};
              llvm::append_range(partialAt, at);
              SmallVector<Value> next;
              for (auto [k, comb] : llvm::enumerate(combiners)) {
                Value x = memref::LoadOp::create(fb, fl, partialBuffers[k], partialAt);
                next.push_back(combine(fb, comb, op.getRegionOutputArgs()[k], accs[k], x));
              }
              scf::YieldOp::create(fb, fl, next);
            });
        for (auto [r, out] : llvm::zip(loop.getResults(), outs))
          memref::StoreOp::create(pb, l, r, out, at);
      });
  for (Value buffer : partialBuffers)
    memref::DeallocOp::create(b, loc, buffer);
  op.erase();
}

struct FrondSplitReductions : frond::impl::FrondSplitReductionsBase<FrondSplitReductions> {
  using Base::Base;
  void runOnOperation() override {
    if (partials < 1) {
      getOperation().emitError("partials must be at least 1, found ") << int64_t(partials);
      return signalPassFailure();
    }
    struct Work {
      linalg::GenericOp op;
      SmallVector<Combiner> combiners;
      int64_t chunks;
    };
    SmallVector<Work> work;
    getOperation().walk([&](linalg::GenericOp op) {
      int64_t chunks = chunksFor(op, partials, maxOutputs);
      if (chunks == 0 || frond::lowering::onDevice(op))
        return;
      if (FailureOr<SmallVector<Combiner>> combiners = matchCombiners(op); succeeded(combiners))
        work.push_back({op, *combiners, chunks});
    });
    for (Work &w : work)
      split(w.op, w.combiners, w.chunks);
  }
};

} // namespace
