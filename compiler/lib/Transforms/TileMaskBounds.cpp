//===- TileMaskBounds.cpp - attention regions on buffers and on tiles -----===//
//
// Two readings of the mask/score regions inside the GPU attention kernel:
// per element (cloned, with captured tensors read from their buffers), and
// once per tile over intervals, which decides whether a key tile can be
// skipped (the mask cannot be true anywhere in it) or computed without the
// mask (it must be true everywhere).
//
//===----------------------------------------------------------------------===//
#include "GPUAttention.h"
#include "LoweringUtils.h"
#include "frond/Dialect/Frond/IR/FrondOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/IRMapping.h"
#include "llvm/ADT/DenseMap.h"

#include <limits>

using namespace mlir;
using namespace mlir::frond;
using namespace mlir::frond::gpuattn;
using lowering::cIdx;
using P = arith::CmpIPredicate;

Value gpuattn::cloneOnBuffers(OpBuilder &b, Operation &op, IRMapping &map) {
  if (auto extract = dyn_cast<tensor::ExtractOp>(op)) {
    Value src = map.lookupOrDefault(extract.getTensor());
    if (isa<MemRefType>(src.getType())) {
      SmallVector<Value> idx;
      for (Value i : extract.getIndices())
        idx.push_back(map.lookupOrDefault(i));
      Value r = memref::LoadOp::create(b, op.getLoc(), src, idx);
      map.map(extract.getResult(), r);
      return r;
    }
  }
  if (auto dim = dyn_cast<tensor::DimOp>(op)) {
    Value src = map.lookupOrDefault(dim.getSource());
    if (isa<MemRefType>(src.getType())) {
      Value r = memref::DimOp::create(b, op.getLoc(), src, map.lookupOrDefault(dim.getIndex()));
      map.map(dim.getResult(), r);
      return r;
    }
  }
  Operation *clone = b.clone(op, map);
  return clone->getNumResults() == 1 ? clone->getResult(0) : Value();
}

namespace {

void bindArguments(Region &region, ArrayRef<Value> args, ValueRange captures, IRMapping &map) {
  SmallVector<Value> all(args);
  all.append(captures.begin(), captures.end());
  for (auto [arg, v] : llvm::zip(region.front().getArguments(), all))
    map.map(arg, v);
}

/// Bounds of an integer value: lo <= x <= hi (for i1, lo = must be true,
/// hi = may be true). `exact` values have lo == hi == the value itself.
struct Bounds {
  Value lo, hi;
  bool exact = false;
  bool known() const { return lo != nullptr; }
};

/// Interval evaluation of one region body (see Passes.td).
class TileEvaluator {
public:
  TileEvaluator(OpBuilder &b, Location loc) : b(b), loc(loc) {}

  Bounds run(Region &mask, ArrayRef<Bounds> args, ValueRange captures) {
    Block &block = mask.front();
    for (auto [arg, bounds] : llvm::zip(block.getArguments(), args)) {
      bounds_[arg] = bounds;
      if (bounds.exact)
        exactMap.map(arg, bounds.lo);
    }
    for (auto [arg, v] : llvm::zip(block.getArguments().drop_front(args.size()), captures)) {
      bounds_[arg] = {v, v, true};
      exactMap.map(arg, v);
    }
    for (Operation &op : block.without_terminator())
      evaluate(op);
    return get(cast<YieldOp>(block.getTerminator()).getValue());
  }

private:
  OpBuilder &b;
  Location loc;
  llvm::DenseMap<Value, Bounds> bounds_;
  IRMapping exactMap; // region values → their exact clones

  Value i1(bool v) { return arith::ConstantIntOp::create(b, loc, v, 1); }
  Value notI1(Value x) { return arith::XOrIOp::create(b, loc, x, i1(true)); }
  Value andI1(Value x, Value y) { return arith::AndIOp::create(b, loc, x, y); }
  Value orI1(Value x, Value y) { return arith::OrIOp::create(b, loc, x, y); }
  Value cmp(P p, Value x, Value y) { return arith::CmpIOp::create(b, loc, p, x, y); }
  Value minS(Value x, Value y) { return arith::MinSIOp::create(b, loc, x, y); }
  Value maxS(Value x, Value y) { return arith::MaxSIOp::create(b, loc, x, y); }

  Bounds get(Value v) {
    auto it = bounds_.find(v);
    if (it != bounds_.end())
      return it->second;
    if (v.getType().isInteger(1))
      return {i1(false), i1(true)};
    return {};
  }
  Bounds unknownOf(Value v) {
    return v.getType().isInteger(1) ? Bounds{i1(false), i1(true)} : Bounds{};
  }

  void evaluate(Operation &op) {
    if (op.getNumResults() != 1)
      return;
    Value r = op.getResult(0);
    if (llvm::all_of(op.getOperands(), [&](Value x) { return get(x).exact; })) {
      Value clone = cloneOnBuffers(b, op, exactMap);
      if (clone) {
        bounds_[r] = {clone, clone, true};
        return;
      }
    }
    bounds_[r] = propagate(op);
  }

  Bounds propagate(Operation &op) {
    Value r = op.getResult(0);
    bool isBool = r.getType().isInteger(1);
    SmallVector<Bounds> in;
    for (Value x : op.getOperands()) {
      in.push_back(get(x));
      if (!in.back().known())
        return unknownOf(r);
    }
    if (isa<arith::AddIOp>(op))
      return {arith::AddIOp::create(b, loc, in[0].lo, in[1].lo),
              arith::AddIOp::create(b, loc, in[0].hi, in[1].hi)};
    if (isa<arith::SubIOp>(op))
      return {arith::SubIOp::create(b, loc, in[0].lo, in[1].hi),
              arith::SubIOp::create(b, loc, in[0].hi, in[1].lo)};
    if (isa<arith::MulIOp>(op)) {
      SmallVector<Value> products;
      for (Value x : {in[0].lo, in[0].hi})
        for (Value y : {in[1].lo, in[1].hi})
          products.push_back(arith::MulIOp::create(b, loc, x, y));
      return {minS(minS(products[0], products[1]), minS(products[2], products[3])),
              maxS(maxS(products[0], products[1]), maxS(products[2], products[3]))};
    }
    if (isa<arith::MinSIOp>(op))
      return {minS(in[0].lo, in[1].lo), minS(in[0].hi, in[1].hi)};
    if (isa<arith::MaxSIOp>(op))
      return {maxS(in[0].lo, in[1].lo), maxS(in[0].hi, in[1].hi)};
    if (isa<arith::IndexCastOp, arith::ExtSIOp>(op) && !isBool) {
      IRMapping lo, hi;
      lo.map(op.getOperand(0), in[0].lo);
      hi.map(op.getOperand(0), in[0].hi);
      return {b.clone(op, lo)->getResult(0), b.clone(op, hi)->getResult(0)};
    }
    if (auto c = dyn_cast<arith::CmpIOp>(op); c && !c.getLhs().getType().isInteger(1))
      return compare(c.getPredicate(), in[0], in[1]);
    if (isBool && isa<arith::AndIOp>(op))
      return {andI1(in[0].lo, in[1].lo), andI1(in[0].hi, in[1].hi)};
    if (isBool && isa<arith::OrIOp>(op))
      return {orI1(in[0].lo, in[1].lo), orI1(in[0].hi, in[1].hi)};
    if (isBool && isa<arith::XOrIOp>(op))
      return {orI1(andI1(in[0].lo, notI1(in[1].hi)), andI1(notI1(in[0].hi), in[1].lo)),
              orI1(andI1(in[0].hi, notI1(in[1].lo)), andI1(notI1(in[0].lo), in[1].hi))};
    if (isa<arith::SelectOp>(op)) {
      const Bounds &c = in[0], &t = in[1], &f = in[2];
      if (isBool)
        return {orI1(orI1(andI1(c.lo, t.lo), andI1(notI1(c.hi), f.lo)), andI1(t.lo, f.lo)),
                orI1(andI1(c.hi, t.hi), andI1(notI1(c.lo), f.hi))};
      return {minS(t.lo, f.lo), maxS(t.hi, f.hi)};
    }
    return unknownOf(r);
  }

  /// (must, may) of `x p y` over the boxes. Unsigned predicates read as
  /// signed ones when both lower bounds are non-negative, else unknown.
  Bounds compare(P p, const Bounds &x, const Bounds &y) {
    Value must, may;
    switch (p) {
    case P::slt: case P::ult:
      must = cmp(P::slt, x.hi, y.lo), may = cmp(P::slt, x.lo, y.hi);
      break;
    case P::sle: case P::ule:
      must = cmp(P::sle, x.hi, y.lo), may = cmp(P::sle, x.lo, y.hi);
      break;
    case P::sgt: case P::ugt:
      must = cmp(P::sgt, x.lo, y.hi), may = cmp(P::sgt, x.hi, y.lo);
      break;
    case P::sge: case P::uge:
      must = cmp(P::sge, x.lo, y.hi), may = cmp(P::sge, x.hi, y.lo);
      break;
    case P::eq: case P::ne: {
      Value point = andI1(andI1(cmp(P::eq, x.lo, x.hi), cmp(P::eq, y.lo, y.hi)),
                          cmp(P::eq, x.lo, y.lo));
      Value overlap = andI1(cmp(P::sle, x.lo, y.hi), cmp(P::sle, y.lo, x.hi));
      if (p == P::eq)
        must = point, may = overlap;
      else
        must = notI1(overlap), may = notI1(point);
      break;
    }
    }
    if (p == P::ult || p == P::ule || p == P::ugt || p == P::uge) {
      Value zero = arith::ConstantOp::create(b, loc, x.lo.getType(),
                                             b.getIntegerAttr(x.lo.getType(), 0));
      Value nonNeg = andI1(cmp(P::sge, x.lo, zero), cmp(P::sge, y.lo, zero));
      must = andI1(nonNeg, must);
      may = orI1(notI1(nonNeg), may);
    }
    return {must, may};
  }
};

} // namespace

MaskBounds gpuattn::maskBoundsOnTile(OpBuilder &b, Location loc, Region &mask, ValueRange bhqk,
                                     Value qHi, Value kHi, ValueRange captures) {
  TileEvaluator evaluator(b, loc);
  SmallVector<Bounds> args{{bhqk[0], bhqk[0], true},
                           {bhqk[1], bhqk[1], true},
                           {bhqk[2], qHi, false},
                           {bhqk[3], kHi, false}};
  Bounds r = evaluator.run(mask, args, captures);
  return {r.lo, r.hi};
}

Value gpuattn::inlineRegionOnBuffers(OpBuilder &b, Region &region, ArrayRef<Value> args,
                                     ValueRange captures) {
  IRMapping map;
  bindArguments(region, args, captures, map);
  for (Operation &op : region.front().without_terminator())
    cloneOnBuffers(b, op, map);
  return map.lookupOrDefault(cast<YieldOp>(region.front().getTerminator()).getValue());
}

Value gpuattn::scoreElement(OpBuilder &b, const AttentionKernel &kernel, const BlockCoords &block,
                            Value dot, Value qi, Value kj, bool withMask, bool checkKeys) {
  Location loc = kernel.loc;
  Type f32 = dot.getType();
  Value s = arith::MulFOp::create(b, loc, dot, lowering::cFloat(b, loc, f32, scoreScale(kernel)));
  // Rows past the queries and keys past the sequence are computed but never
  // used; clamped, they read captures in bounds.
  Value one = cIdx(b, loc, 1);
  Value qc = arith::MinSIOp::create(b, loc, qi, arith::SubIOp::create(b, loc, kernel.TQ, one));
  Value kc = arith::MinSIOp::create(b, loc, kj, arith::SubIOp::create(b, loc, kernel.TK, one));
  if (kernel.score)
    s = inlineRegionOnBuffers(b, *kernel.score, {s, block.b, block.h, qc, kc}, kernel.captures);
  Value visible;
  if (withMask && kernel.mask)
    visible = inlineRegionOnBuffers(b, *kernel.mask, {block.b, block.h, qc, kc}, kernel.captures);
  if (checkKeys) {
    Value inside = arith::CmpIOp::create(b, loc, P::slt, kj, kernel.TK);
    visible = visible ? arith::AndIOp::create(b, loc, visible, inside) : inside;
  }
  if (!visible)
    return s;
  Value negInf = lowering::cFloat(b, loc, f32, -std::numeric_limits<double>::infinity());
  return arith::SelectOp::create(b, loc, visible, s, negInf);
}
