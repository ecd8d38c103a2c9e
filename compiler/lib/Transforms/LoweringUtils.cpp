//===- LoweringUtils.cpp - Shared helpers for frond lowerings -------------===//
//
// See LoweringUtils.h.
//
//===----------------------------------------------------------------------===//
#include "LoweringUtils.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

using namespace mlir;
using namespace mlir::frond::lowering;

Value mlir::frond::lowering::cIdx(OpBuilder &b, Location loc, int64_t v) {
  return arith::ConstantIndexOp::create(b, loc, v);
}

Value mlir::frond::lowering::cFloat(OpBuilder &b, Location loc, Type type,
                                    double v) {
  return arith::ConstantOp::create(b, loc, type, b.getFloatAttr(type, v));
}

Value mlir::frond::lowering::dimOf(OpBuilder &b, Location loc, Value tensor,
                                   int64_t dim) {
  return tensor::DimOp::create(b, loc, tensor, dim);
}

Value mlir::frond::lowering::zeroOf(OpBuilder &b, Location l, Type t) {
  return arith::ConstantOp::create(b, l, t, b.getZeroAttr(t));
}

bool mlir::frond::lowering::onDevice(Operation *op) {
  return op->getParentOfType<scf::ParallelOp>() || op->getParentOfType<gpu::LaunchOp>() ||
         op->getParentOfType<gpu::GPUFuncOp>();
}

bool mlir::frond::lowering::isElementwise(linalg::GenericOp op) {
  if (op.getNumLoops() != op.getNumParallelLoops())
    return false;
  return llvm::all_of(op.getDpsInitsMutable(), [&](OpOperand &init) {
    return op.getMatchingIndexingMap(&init).isIdentity() && !op.payloadUsesValueFromOperand(&init);
  });
}

bool mlir::frond::lowering::touchesNoMemory(Operation *op) {
  if (isMemoryEffectFree(op))
    return true;
  auto effects = dyn_cast<MemoryEffectOpInterface>(op);
  if (!effects)
    return false;
  SmallVector<MemoryEffects::EffectInstance> instances;
  effects.getEffects(instances);
  return llvm::all_of(instances, [](const MemoryEffects::EffectInstance &e) {
    return isa<MemoryEffects::Allocate, MemoryEffects::Free>(e.getEffect());
  });
}

void mlir::frond::lowering::forEach(OpBuilder &b, Location loc, Value n,
                                    function_ref<void(OpBuilder &, Value)> body) {
  scf::ForOp::create(b, loc, cIdx(b, loc, 0), n, cIdx(b, loc, 1), ValueRange{},
                     [&](OpBuilder &nb, Location, Value iv, ValueRange) {
                       body(nb, iv);
                       scf::YieldOp::create(nb, loc);
                     });
}

Value mlir::frond::lowering::addOf(OpBuilder &b, Location l, Value x, Value y) {
  return isa<FloatType>(x.getType()) ? Value(arith::AddFOp::create(b, l, x, y))
                                     : Value(arith::AddIOp::create(b, l, x, y));
}

Value mlir::frond::lowering::indexToFloat(OpBuilder &b, Location loc,
                                          Value index, Type type) {
  Value i = arith::IndexCastOp::create(b, loc, b.getI64Type(), index);
  return arith::SIToFPOp::create(b, loc, type, i);
}

Type mlir::frond::lowering::accumulationType(Type elem) {
  if (auto f = dyn_cast<FloatType>(elem); f && f.getWidth() < 32)
    return Float32Type::get(elem.getContext());
  return elem;
}

Value mlir::frond::lowering::convertScalar(OpBuilder &b, Location loc, Value v,
                                           Type to) {
  Type from = v.getType();
  if (from == to)
    return v;
  auto fi = dyn_cast<IntegerType>(from), ti = dyn_cast<IntegerType>(to);
  auto ff = dyn_cast<FloatType>(from), tf = dyn_cast<FloatType>(to);
  if (ti && ti.getWidth() == 1) {
    if (ff)
      return arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UNE, v,
                                   cFloat(b, loc, from, 0.0));
    return arith::CmpIOp::create(
        b, loc, arith::CmpIPredicate::ne, v,
        arith::ConstantOp::create(b, loc, from, b.getIntegerAttr(from, 0)));
  }
  if (fi && fi.getWidth() == 1)
    return tf ? Value(arith::UIToFPOp::create(b, loc, to, v))
              : Value(arith::ExtUIOp::create(b, loc, to, v));
  if (ff && tf) {
    if (ff.getWidth() < tf.getWidth())
      return arith::ExtFOp::create(b, loc, to, v);
    if (ff.getWidth() > tf.getWidth())
      return arith::TruncFOp::create(b, loc, to, v);
    // f16 <-> bf16: through f32.
    Value wide = arith::ExtFOp::create(b, loc, b.getF32Type(), v);
    return arith::TruncFOp::create(b, loc, to, wide);
  }
  if (fi && ti)
    return fi.getWidth() < ti.getWidth()
               ? Value(arith::ExtSIOp::create(b, loc, to, v))
               : Value(arith::TruncIOp::create(b, loc, to, v));
  if (fi && tf)
    return arith::SIToFPOp::create(b, loc, to, v);
  return arith::FPToSIOp::create(b, loc, to, v);
}

SmallVector<OpFoldResult>
mlir::frond::lowering::sizesFor(OpBuilder &b, RankedTensorType type,
                                ArrayRef<Value> dynamic) {
  SmallVector<OpFoldResult> sizes;
  unsigned next = 0;
  for (int64_t extent : type.getShape()) {
    if (ShapedType::isDynamic(extent))
      sizes.push_back(dynamic[next++]);
    else
      sizes.push_back(b.getIndexAttr(extent));
  }
  return sizes;
}

SmallVector<OpFoldResult>
mlir::frond::lowering::sizesFrom(OpBuilder &b, Location loc,
                                 RankedTensorType type,
                                 ArrayRef<std::pair<Value, int64_t>> dims) {
  SmallVector<OpFoldResult> sizes;
  for (auto [i, extent] : llvm::enumerate(type.getShape())) {
    if (ShapedType::isDynamic(extent))
      sizes.push_back(dimOf(b, loc, dims[i].first, dims[i].second));
    else
      sizes.push_back(b.getIndexAttr(extent));
  }
  return sizes;
}

Value mlir::frond::lowering::emptyTensor(OpBuilder &b, Location loc,
                                         ArrayRef<OpFoldResult> sizes,
                                         Type elem) {
  return tensor::EmptyOp::create(b, loc, sizes, elem);
}

Value mlir::frond::lowering::filledTensor(OpBuilder &b, Location loc,
                                          ArrayRef<OpFoldResult> sizes,
                                          Value value) {
  Value empty = emptyTensor(b, loc, sizes, value.getType());
  return linalg::FillOp::create(b, loc, ValueRange{value}, ValueRange{empty})
      .getResult(0);
}

AffineMap mlir::frond::lowering::broadcastMap(MLIRContext *ctx,
                                              RankedTensorType input,
                                              ArrayRef<int64_t> result) {
  unsigned rank = result.size(), inRank = input.getRank();
  SmallVector<AffineExpr> exprs;
  for (unsigned i = 0; i < inRank; ++i) {
    unsigned d = rank - inRank + i;
    if (input.getDimSize(i) == 1 && result[d] != 1)
      exprs.push_back(getAffineConstantExpr(0, ctx));
    else
      exprs.push_back(getAffineDimExpr(d, ctx));
  }
  return AffineMap::get(rank, 0, exprs, ctx);
}

Value mlir::frond::lowering::buildGeneric(
    OpBuilder &b, Location loc, ValueRange inputs, Value init,
    ArrayRef<AffineMap> maps, ArrayRef<utils::IteratorType> iterators,
    BodyFn body) {
  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange{init.getType()}, inputs, ValueRange{init}, maps,
      iterators, [&](OpBuilder &nb, Location nl, ValueRange args) {
        linalg::YieldOp::create(nb, nl, body(nb, nl, args));
      });
  return generic.getResult(0);
}

Value mlir::frond::lowering::buildElementwise(OpBuilder &b, Location loc,
                                              RankedTensorType resultType,
                                              ValueRange inputs, BodyFn body) {
  MLIRContext *ctx = b.getContext();
  ArrayRef<int64_t> shape = resultType.getShape();
  unsigned rank = shape.size();
  SmallVector<Value> dynamic;
  for (unsigned d = 0; d < rank; ++d) {
    if (!ShapedType::isDynamic(shape[d]))
      continue;
    Value size;
    for (Value in : inputs) {
      auto t = cast<RankedTensorType>(in.getType());
      int64_t i = int64_t(d) - int64_t(rank - t.getRank());
      if (i < 0 || t.getDimSize(i) == 1)
        continue;
      size = dimOf(b, loc, in, i);
      break;
    }
    if (!size) // every operand has a static 1 here: the extent is 1
      size = cIdx(b, loc, 1);
    dynamic.push_back(size);
  }
  Value init = emptyTensor(b, loc, sizesFor(b, resultType, dynamic),
                           resultType.getElementType());
  SmallVector<AffineMap> maps;
  for (Value in : inputs)
    maps.push_back(
        broadcastMap(ctx, cast<RankedTensorType>(in.getType()), shape));
  maps.push_back(AffineMap::getMultiDimIdentityMap(rank, ctx));
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::parallel);
  return buildGeneric(b, loc, inputs, init, maps, iterators,
                      [&](OpBuilder &nb, Location nl, ValueRange args) {
                        return body(nb, nl, args.drop_back());
                      });
}

Value mlir::frond::lowering::multiplyElementwise(OpBuilder &b, Location loc, Value x, Value y) {
  return buildElementwise(b, loc, cast<RankedTensorType>(x.getType()), {x, y},
                          [](OpBuilder &nb, Location l, ValueRange a) -> Value {
                            return arith::MulFOp::create(nb, l, a[0], a[1]);
                          });
}

Value mlir::frond::lowering::castTensor(OpBuilder &b, Location loc, Value t, Type type) {
  return t.getType() == type ? t : tensor::CastOp::create(b, loc, type, t).getResult();
}

AffineMap mlir::frond::lowering::droppedDimsMap(MLIRContext *ctx,
                                                unsigned rank,
                                                ArrayRef<int64_t> reduced) {
  SmallVector<AffineExpr> exprs;
  for (unsigned d = 0; d < rank; ++d)
    if (!llvm::is_contained(reduced, int64_t(d)))
      exprs.push_back(getAffineDimExpr(d, ctx));
  return AffineMap::get(rank, 0, exprs, ctx);
}

Value mlir::frond::lowering::buildReduction(OpBuilder &b, Location loc,
                                            ValueRange inputs,
                                            ArrayRef<int64_t> reduced,
                                            Value init, BodyFn body) {
  MLIRContext *ctx = b.getContext();
  Value first = inputs.front();
  unsigned rank = cast<RankedTensorType>(first.getType()).getRank();
  SmallVector<OpFoldResult> sizes;
  SmallVector<OpFoldResult> all = tensor::getMixedSizes(b, loc, first);
  for (unsigned d = 0; d < rank; ++d)
    if (!llvm::is_contained(reduced, int64_t(d)))
      sizes.push_back(all[d]);
  Value out = filledTensor(b, loc, sizes, init);
  AffineMap full = AffineMap::getMultiDimIdentityMap(rank, ctx);
  AffineMap dropped = droppedDimsMap(ctx, rank, reduced);
  SmallVector<AffineMap> maps;
  for (Value in : inputs)
    maps.push_back(cast<RankedTensorType>(in.getType()).getRank() == rank
                       ? full
                       : dropped);
  maps.push_back(dropped);
  SmallVector<utils::IteratorType> iterators;
  for (unsigned d = 0; d < rank; ++d)
    iterators.push_back(llvm::is_contained(reduced, int64_t(d))
                            ? utils::IteratorType::reduction
                            : utils::IteratorType::parallel);
  return buildGeneric(b, loc, inputs, out, maps, iterators, body);
}

AffineMap mlir::frond::lowering::dimsMap(MLIRContext *ctx, unsigned rank,
                                         ArrayRef<unsigned> dims) {
  SmallVector<AffineExpr> exprs;
  for (unsigned d : dims)
    exprs.push_back(getAffineDimExpr(d, ctx));
  return AffineMap::get(rank, 0, exprs, ctx);
}
