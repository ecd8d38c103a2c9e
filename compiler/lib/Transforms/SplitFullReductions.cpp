//===- SplitFullReductions.cpp - full reductions as two parallel stages ---===//
//
// The frond-split-full-reductions pass (see Passes.td). A linalg.generic on
// buffers whose loops are all reductions into rank-0 outputs (a loss summed
// over batch x time) becomes
//
//   scf.parallel (%p) in [0, P):          -- a kernel of P threads
//     partial[p] = body folded over the flat indices p, p + P, p + 2P, ...,
//                  starting from the combiner's neutral element
//   scf.parallel (%z) in [0, 1):          -- one thread
//     out = combiner folded over partial[0..P), starting from out
//
// so the sum runs on the device instead of as host loops (which read the
// buffers from the host). Consecutive threads read consecutive elements.
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

namespace mlir::frond {
#define GEN_PASS_DEF_FRONDSPLITFULLREDUCTIONS
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

bool isFullReductionToScalars(linalg::GenericOp op) {
  if (!op.hasPureBufferSemantics() || op.getNumLoops() == 0 ||
      op.getNumReductionLoops() != op.getNumLoops())
    return false;
  return llvm::all_of(op.getDpsInits(), [](Value out) {
    return cast<MemRefType>(out.getType()).getRank() == 0;
  });
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

void split(linalg::GenericOp op, ArrayRef<Combiner> combiners, int64_t partials) {
  OpBuilder b(op);
  Location loc = op.getLoc();
  Value c0 = arith::ConstantIndexOp::create(b, loc, 0);
  Value c1 = arith::ConstantIndexOp::create(b, loc, 1);
  Value cP = arith::ConstantIndexOp::create(b, loc, partials);

  // The flat iteration space: every loop starts at 0 with step 1.
  SmallVector<Value> sizes;
  for (Range r : cast<linalg::LinalgOp>(op.getOperation()).createLoopRanges(b, loc))
    sizes.push_back(getValueOrCreateConstantIndexOp(b, loc, r.size));
  Value total = c1;
  for (Value s : sizes)
    total = arith::MulIOp::create(b, loc, total, s);

  SmallVector<Value> outs(op.getDpsInits());
  SmallVector<Value> partialBuffers;
  for (Value out : outs) {
    auto type = MemRefType::get({partials}, cast<MemRefType>(out.getType()).getElementType());
    partialBuffers.push_back(memref::AllocOp::create(b, loc, type));
  }

  // Stage 1: thread p folds the body over p, p + P, ...
  scf::ParallelOp::create(
      b, loc, ValueRange{c0}, ValueRange{cP}, ValueRange{c1},
      [&](OpBuilder &pb, Location l, ValueRange p) {
        SmallVector<Value> init;
        for (const Combiner &c : combiners)
          init.push_back(arith::ConstantOp::create(pb, l, c.neutral));
        auto loop = scf::ForOp::create(
            pb, l, p[0], total, cP, init,
            [&](OpBuilder &fb, Location fl, Value flat, ValueRange accs) {
              auto ivs = affine::AffineDelinearizeIndexOp::create(fb, fl, flat, sizes,
                                                                  /*hasOuterBound=*/true);
              scf::YieldOp::create(fb, fl, cloneBodyAt(fb, fl, op, ivs.getResults(), accs));
            });
        for (auto [r, buffer] : llvm::zip(loop.getResults(), partialBuffers))
          memref::StoreOp::create(pb, l, r, buffer, p[0]);
      });

  // Stage 2: one thread folds the partials into the outputs' values.
  scf::ParallelOp::create(
      b, loc, ValueRange{c0}, ValueRange{c1}, ValueRange{c1},
      [&](OpBuilder &pb, Location l, ValueRange) {
        SmallVector<Value> init;
        for (Value out : outs)
          init.push_back(memref::LoadOp::create(pb, l, out, ValueRange{}));
        auto loop = scf::ForOp::create(
            pb, l, c0, cP, c1, init, [&](OpBuilder &fb, Location fl, Value p, ValueRange accs) {
              SmallVector<Value> next;
              for (auto [k, c] : llvm::enumerate(combiners)) {
                Value x = memref::LoadOp::create(fb, fl, partialBuffers[k], p);
                next.push_back(combine(fb, c, op.getRegionOutputArgs()[k], accs[k], x));
              }
              scf::YieldOp::create(fb, fl, next);
            });
        for (auto [r, out] : llvm::zip(loop.getResults(), outs))
          memref::StoreOp::create(pb, l, r, out, ValueRange{});
      });
  for (Value buffer : partialBuffers)
    memref::DeallocOp::create(b, loc, buffer);
  op.erase();
}

struct FrondSplitFullReductions
    : frond::impl::FrondSplitFullReductionsBase<FrondSplitFullReductions> {
  using Base::Base;
  void runOnOperation() override {
    if (partials < 1) {
      getOperation().emitError("partials must be at least 1, found ") << int64_t(partials);
      return signalPassFailure();
    }
    SmallVector<std::pair<linalg::GenericOp, SmallVector<Combiner>>> work;
    getOperation().walk([&](linalg::GenericOp op) {
      if (!isFullReductionToScalars(op) || frond::lowering::onDevice(op))
        return;
      if (FailureOr<SmallVector<Combiner>> combiners = matchCombiners(op); succeeded(combiners))
        work.push_back({op, *combiners});
    });
    for (auto &[op, combiners] : work)
      split(op, combiners, partials);
  }
};

} // namespace
