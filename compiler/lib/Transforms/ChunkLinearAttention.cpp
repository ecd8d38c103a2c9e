//===- ChunkLinearAttention.cpp - linear attention kinds as chunked scans -===//
//
// The frond-chunk-linear-attention pass (algorithm in Passes.td). Without a
// score region, `linear`, `relaxed_linear` and `aft` scores are bilinear in
// q and k, so a causal (or absent) mask makes the output a running sum:
// per chunk of C positions, a [D, E] state Σ k vᵀ summed over the earlier
// chunks (frond.cumsum over chunks) plus the chunk's own masked [C, C]
// block. Time and memory are O(T·(C + D)·E) instead of O(T²·D), and every
// step is a contraction (tiled GPU kernels), an elementwise op or a scan.
// The gradients are the same scans with the roles of q, k, v and dout
// exchanged, and the visible side reversed for dk, dv.
//
//===----------------------------------------------------------------------===//
#include "AttentionUtils.h"
#include "LoweringUtils.h"
#include "frond/Dialect/Frond/IR/FrondOps.h"
#include "frond/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

namespace mlir::frond {
#define GEN_PASS_DEF_FRONDCHUNKLINEARATTENTION
#include "frond/Transforms/Passes.h.inc"
} // namespace mlir::frond

using namespace mlir;
using namespace mlir::frond;
using namespace mlir::frond::lowering;
using utils::IteratorType;

namespace {

/// Which keys a query (a row of the scan's first operand) sums over:
/// j <= i (a causal mask), j >= i (its transpose, for dk and dv), or all.
enum class Sweep { Prefix, Suffix, Full };

Sweep reversed(Sweep s) { return s == Sweep::Prefix ? Sweep::Suffix : s; }

/// The sweep of an op (frond.attention or frond.attention_grad) this pass
/// rewrites, or nullopt: a linear kind on f32 with no score region and no
/// captures, a mask that is exactly `k <= q` (or none), static head counts
/// and head sizes.
template <typename AttentionLikeOp>
std::optional<Sweep> sweepOf(AttentionLikeOp op) {
  AttentionKind kind = op.getKind();
  if (kind != AttentionKind::Linear && kind != AttentionKind::RelaxedLinear && kind != AttentionKind::Aft)
    return std::nullopt;
  if (!op.getScore().empty() || !op.getCaptures().empty())
    return std::nullopt;
  for (Value t : {op.getQ(), op.getK(), op.getV()}) {
    auto type = cast<RankedTensorType>(t.getType());
    if (!type.getElementType().isF32() || type.isDynamicDim(1) || type.isDynamicDim(3))
      return std::nullopt;
  }
  if (op.getMask().empty())
    return Sweep::Full;
  std::optional<CausalMask> causal = analyseMask(op.getMask());
  if (causal && causal->pure && causal->offset == 0)
    return Sweep::Prefix;
  return std::nullopt;
}

/// Scalar bodies: x0 + acc (a sum), x0 / x1, acc + x0 · x1 (a contraction).
Value addBody(OpBuilder &b, Location loc, ValueRange x) { return arith::AddFOp::create(b, loc, x[1], x[0]); }
Value divBody(OpBuilder &b, Location loc, ValueRange x) { return arith::DivFOp::create(b, loc, x[0], x[1]); }
Value mulAddBody(OpBuilder &b, Location loc, ValueRange x) {
  return arith::AddFOp::create(b, loc, x[2], arith::MulFOp::create(b, loc, x[0], x[1]));
}

/// Builds the rewrite of one op: sizes shared by its operands, chunked
/// layouts and the scan.
class Chunker {
public:
  Chunker(OpBuilder &b, Location loc, Value q, Value k, int64_t chunk)
      : b(b), loc(loc), ctx(b.getContext()), chunk(chunk) {
    f32 = b.getF32Type();
    batch = dimOf(b, loc, q, 0);
    tq = dimOf(b, loc, q, 2);
    tk = dimOf(b, loc, k, 2);
    kvHeads = cast<RankedTensorType>(k.getType()).getDimSize(1);
    group = cast<RankedTensorType>(q.getType()).getDimSize(1) / kvHeads;
    // Queries and keys share one index space (the mask is k <= q); both are
    // padded with zeros to whole chunks of the longer one. Zero keys and
    // values add nothing to any sum; padded query rows are dropped.
    Value t = arith::MaxUIOp::create(b, loc, tq, tk);
    Value c = cIdx(b, loc, chunk);
    chunks = arith::CeilDivUIOp::create(b, loc, t, c);
    padded = arith::MulIOp::create(b, loc, chunks, c);
  }

  /// [b, H or Hkv, t, D] → zero-padded to whole chunks and viewed as
  /// [b, Hkv, group, n, C, D] (`grouped`, query heads) or [b, Hkv, n, C, D].
  /// `onesColumn` appends a column that is 1 on the real rows (the
  /// normaliser of `linear` as one more value column).
  Value chunked(Value x, bool grouped, bool onesColumn = false) {
    auto type = cast<RankedTensorType>(x.getType());
    int64_t hx = type.getDimSize(1), d = type.getDimSize(3);
    Value t = dimOf(b, loc, x, 2);
    SmallVector<OpFoldResult> full{batch, b.getIndexAttr(hx), padded, b.getIndexAttr(d + onesColumn)};
    Value buffer = filledTensor(b, loc, full, cFloat(b, loc, f32, 0.0));
    SmallVector<OpFoldResult> zero(4, b.getIndexAttr(0)), unit(4, b.getIndexAttr(1));
    SmallVector<OpFoldResult> sizes{batch, b.getIndexAttr(hx), t, b.getIndexAttr(d)};
    buffer = tensor::InsertSliceOp::create(b, loc, x, buffer, zero, sizes, unit);
    if (onesColumn) {
      sizes[3] = b.getIndexAttr(1);
      Value ones = filledTensor(b, loc, sizes, cFloat(b, loc, f32, 1.0));
      SmallVector<OpFoldResult> at{b.getIndexAttr(0), b.getIndexAttr(0), b.getIndexAttr(0), b.getIndexAttr(d)};
      buffer = tensor::InsertSliceOp::create(b, loc, ones, buffer, at, sizes, unit);
    }
    int64_t e = d + onesColumn, dyn = ShapedType::kDynamic;
    if (grouped) {
      auto chunkedType = RankedTensorType::get({dyn, kvHeads, group, dyn, chunk, e}, f32);
      SmallVector<OpFoldResult> shape{batch, b.getIndexAttr(kvHeads), b.getIndexAttr(group),
                                      chunks, b.getIndexAttr(chunk), b.getIndexAttr(e)};
      return tensor::ExpandShapeOp::create(b, loc, chunkedType, buffer,
                                           ArrayRef<ReassociationIndices>{{0}, {1, 2}, {3, 4}, {5}}, shape);
    }
    auto chunkedType = RankedTensorType::get({dyn, kvHeads, dyn, chunk, e}, f32);
    SmallVector<OpFoldResult> shape{batch, b.getIndexAttr(kvHeads), chunks, b.getIndexAttr(chunk),
                                    b.getIndexAttr(e)};
    return tensor::ExpandShapeOp::create(b, loc, chunkedType, buffer,
                                         ArrayRef<ReassociationIndices>{{0}, {1}, {2, 3}, {4}}, shape);
  }

  /// The inverse of `chunked`: [b, heads, t, E] with the first `t` rows.
  Value unchunked(Value y, bool grouped, Value t) {
    SmallVector<ReassociationIndices> groups =
        grouped ? SmallVector<ReassociationIndices>{{0}, {1, 2}, {3, 4}, {5}}
                : SmallVector<ReassociationIndices>{{0}, {1}, {2, 3}, {4}};
    Value flat = tensor::CollapseShapeOp::create(b, loc, y, groups);
    auto type = cast<RankedTensorType>(flat.getType());
    SmallVector<OpFoldResult> zero(4, b.getIndexAttr(0)), unit(4, b.getIndexAttr(1));
    SmallVector<OpFoldResult> sizes{batch, b.getIndexAttr(type.getDimSize(1)), t,
                                    b.getIndexAttr(type.getDimSize(3))};
    return tensor::ExtractSliceOp::create(b, loc, flat, zero, sizes, unit);
  }

  /// out[i] = Σ_{visible j} (a_i · keys_j) vals_j, in `a`'s chunked layout.
  /// Exactly one side is grouped: `a` (queries, or dout for dq) or the
  /// keys and values (dout and q for dk, dv), whose query heads then sum
  /// into their shared kv head.
  Value scan(Value a, bool aGrouped, Value keys, Value vals, Sweep sweep) {
    bool kGrouped = !aGrouped;
    int64_t e = cast<RankedTensorType>(vals.getType()).getShape().back();
    int64_t d = cast<RankedTensorType>(a.getType()).getShape().back();
    auto par = [](unsigned n) { return SmallVector<IteratorType>(n, IteratorType::parallel); };
    auto withReductions = [&](unsigned p, unsigned r) {
      SmallVector<IteratorType> it = par(p);
      it.append(r, IteratorType::reduction);
      return it;
    };
    auto map = [&](unsigned rank, ArrayRef<unsigned> dims) { return dimsMap(ctx, rank, dims); };
    auto dimsOf = [&](Value t) { return tensor::getMixedSizes(b, loc, t); };
    OpFoldResult D = b.getIndexAttr(d), E = b.getIndexAttr(e), Cs = b.getIndexAttr(chunk);
    OpFoldResult G = b.getIndexAttr(kvHeads), R = b.getIndexAttr(group);
    Value zero = cFloat(b, loc, f32, 0.0);

    // The state of each chunk: L[b, g, n, d, e] = Σ_{(r), c} keys[c, d] vals[c, e].
    Value local = filledTensor(b, loc, {batch, G, chunks, D, E}, zero);
    local = kGrouped ? mulAdd({keys, vals}, local,
                              {map(7, {0, 1, 5, 2, 6, 3}), map(7, {0, 1, 5, 2, 6, 4}), map(7, {0, 1, 2, 3, 4})},
                              withReductions(5, 2))
                     : mulAdd({keys, vals}, local,
                              {map(6, {0, 1, 2, 5, 3}), map(6, {0, 1, 2, 5, 4}), map(6, {0, 1, 2, 3, 4})},
                              withReductions(5, 1));
    // The state before (Prefix) or after (Suffix) each chunk, or in all.
    Value state;
    if (sweep == Sweep::Full) {
      state = buildReduction(b, loc, local, {2}, zero,
                             addBody);
    } else {
      bool suffix = sweep == Sweep::Suffix;
      Value running = CumsumOp::create(b, loc, local, uint64_t(2), suffix);
      // Shift by one chunk: the state excludes the chunk's own keys.
      // (max(n, 1) - 1: no negative size when there are no positions.)
      Value rest = arith::SubIOp::create(b, loc, arith::MaxUIOp::create(b, loc, chunks, cIdx(b, loc, 1)),
                                         cIdx(b, loc, 1));
      SmallVector<OpFoldResult> unit(5, b.getIndexAttr(1)), sizes{batch, G, rest, D, E};
      SmallVector<OpFoldResult> from(5, b.getIndexAttr(0)), to(5, b.getIndexAttr(0));
      (suffix ? from : to)[2] = b.getIndexAttr(1);
      Value moved = tensor::ExtractSliceOp::create(b, loc, running, from, sizes, unit);
      state = tensor::InsertSliceOp::create(b, loc, moved, filledTensor(b, loc, {batch, G, chunks, D, E}, zero),
                                            to, sizes, unit);
    }

    SmallVector<OpFoldResult> outSizes = dimsOf(a);
    outSizes.back() = E;
    Value out = filledTensor(b, loc, outSizes, zero);
    if (sweep != Sweep::Full) {
      // Within a chunk: P[b, g, r, n, i, j] = a_i · keys_j where visible.
      Value p = filledTensor(b, loc, {batch, G, R, chunks, Cs, Cs}, zero);
      p = mulAdd({a, keys}, p,
                 {aGrouped ? map(7, {0, 1, 2, 3, 4, 6}) : map(7, {0, 1, 3, 4, 6}),
                  kGrouped ? map(7, {0, 1, 2, 3, 5, 6}) : map(7, {0, 1, 3, 5, 6}), map(7, {0, 1, 2, 3, 4, 5})},
                 withReductions(6, 1));
      bool prefix = sweep == Sweep::Prefix;
      p = buildElementwise(b, loc, cast<RankedTensorType>(p.getType()), p,
                           [&](OpBuilder &nb, Location l, ValueRange x) -> Value {
                             Value i = linalg::IndexOp::create(nb, l, 4), j = linalg::IndexOp::create(nb, l, 5);
                             Value visible = arith::CmpIOp::create(
                                 nb, l, prefix ? arith::CmpIPredicate::ule : arith::CmpIPredicate::uge, j, i);
                             return arith::SelectOp::create(nb, l, visible, x[0], cFloat(nb, l, f32, 0.0));
                           });
      // out[i, e] = Σ_{(r), j} P[i, j] vals[j, e]
      out = aGrouped ? mulAdd({p, vals}, out,
                              {map(7, {0, 1, 2, 3, 4, 6}), map(7, {0, 1, 3, 6, 5}), map(7, {0, 1, 2, 3, 4, 5})},
                              withReductions(6, 1))
                     : mulAdd({p, vals}, out,
                              {map(7, {0, 1, 5, 2, 3, 6}), map(7, {0, 1, 5, 2, 6, 4}), map(7, {0, 1, 2, 3, 4})},
                              withReductions(5, 2));
    }
    // Earlier (later) chunks: out[i, e] += Σ_d a[i, d] state[d, e].
    if (aGrouped) {
      AffineMap s = sweep == Sweep::Full ? map(7, {0, 1, 6, 5}) : map(7, {0, 1, 3, 6, 5});
      return mulAdd({a, state}, out, {map(7, {0, 1, 2, 3, 4, 6}), s, map(7, {0, 1, 2, 3, 4, 5})},
                    withReductions(6, 1));
    }
    AffineMap s = sweep == Sweep::Full ? map(6, {0, 1, 5, 4}) : map(6, {0, 1, 2, 5, 4});
    return mulAdd({a, state}, out, {map(6, {0, 1, 2, 3, 5}), s, map(6, {0, 1, 2, 3, 4})}, withReductions(5, 1));
  }

  /// `init + Σ x[0] · x[1]`: a contraction the GPU pipeline tiles.
  Value mulAdd(ValueRange inputs, Value init, ArrayRef<AffineMap> maps, ArrayRef<IteratorType> iterators) {
    return buildGeneric(b, loc, inputs, init, maps, iterators, mulAddBody);
  }

  OpBuilder &b;
  Location loc;
  MLIRContext *ctx;
  int64_t chunk, kvHeads = 0, group = 0;
  Type f32;
  Value batch, tq, tk, chunks, padded;
};

/// scale · x as a tensor of `type`.
Value scaled(OpBuilder &b, Location loc, Value x, double scale, Type type) {
  Value r = buildElementwise(b, loc, cast<RankedTensorType>(type), x,
                             [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
                               return arith::MulFOp::create(nb, l, a[0], cFloat(nb, l, a[0].getType(), scale));
                             });
  return castTensor(b, loc, r, type);
}

/// The map over `dims` loops reading (d0, ..., d_{kept-1}, `column`): a
/// fixed last column (linear's normaliser Z) of a tensor.
AffineMap columnMap(MLIRContext *ctx, unsigned dims, unsigned kept, int64_t column) {
  SmallVector<AffineExpr> exprs;
  for (unsigned i = 0; i < kept; ++i)
    exprs.push_back(getAffineDimExpr(i, ctx));
  exprs.push_back(getAffineConstantExpr(column, ctx));
  return AffineMap::get(dims, 0, exprs, ctx);
}

/// `linear`: out = N / Z from the scan over [v | 1] (the scale cancels).
Value normalised(OpBuilder &b, Location loc, Value numAndZ, Type type) {
  int64_t dv = cast<RankedTensorType>(type).getDimSize(3);
  MLIRContext *ctx = b.getContext();
  AffineMap all = AffineMap::getMultiDimIdentityMap(4, ctx);
  AffineMap z = columnMap(ctx, 4, 3, dv);
  SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, numAndZ);
  sizes[3] = b.getIndexAttr(dv);
  Value r = buildGeneric(b, loc, {numAndZ, numAndZ}, emptyTensor(b, loc, sizes, b.getF32Type()), {all, z, all},
                         SmallVector<IteratorType>(4, IteratorType::parallel), divBody);
  return castTensor(b, loc, r, type);
}

/// AFT without a score region: out = scale · q ⊙ Σ_{visible} k ⊙ v, a scan
/// along time of k ⊙ v with no chunks; q is viewed as [b, Hkv, group, t, D].
struct Aft {
  Aft(OpBuilder &b, Location loc, Value q, Value k, Sweep sweep) : b(b), loc(loc), sweep(sweep) {
    auto qType = cast<RankedTensorType>(q.getType());
    kvHeads = cast<RankedTensorType>(k.getType()).getDimSize(1);
    group = qType.getDimSize(1) / kvHeads;
  }

  Value grouped(Value x) {
    auto type = cast<RankedTensorType>(x.getType());
    auto g = RankedTensorType::get({type.getDimSize(0), kvHeads, group, type.getDimSize(2), type.getDimSize(3)},
                                   type.getElementType());
    SmallVector<OpFoldResult> shape{tensor::getMixedSizes(b, loc, x)[0], b.getIndexAttr(kvHeads),
                                    b.getIndexAttr(group), tensor::getMixedSizes(b, loc, x)[2],
                                    b.getIndexAttr(type.getDimSize(3))};
    return tensor::ExpandShapeOp::create(b, loc, g, x, ArrayRef<ReassociationIndices>{{0}, {1, 2}, {3}, {4}}, shape);
  }
  Value ungrouped(Value x) {
    return tensor::CollapseShapeOp::create(b, loc, x, ArrayRef<ReassociationIndices>{{0}, {1, 2}, {3}, {4}});
  }

  /// Σ over the visible positions of `x` [b, Hkv, t, D]: its prefix (or,
  /// `reverse`, suffix) sum, or with Sweep::Full the total [b, Hkv, D].
  Value sum(Value x, bool reverse) {
    if (sweep != Sweep::Full)
      return CumsumOp::create(b, loc, x, uint64_t(2), reverse);
    return buildReduction(b, loc, x, {2}, cFloat(b, loc, b.getF32Type(), 0.0),
                          addBody);
  }
  /// How a [b, Hkv, group, t, D] generic reads a `sum`.
  AffineMap sumMap() {
    return sweep == Sweep::Full ? dimsMap(b.getContext(), 5, {0, 1, 4}) : dimsMap(b.getContext(), 5, {0, 1, 3, 4});
  }

  /// scale · x ⊙ s over the grouped layout of x.
  Value timesSum(Value x, Value s, double scale) {
    Value gx = grouped(x);
    MLIRContext *ctx = b.getContext();
    AffineMap all = AffineMap::getMultiDimIdentityMap(5, ctx);
    Value r = buildGeneric(b, loc, {gx, s}, emptyTensor(b, loc, tensor::getMixedSizes(b, loc, gx), b.getF32Type()),
                           {all, sumMap(), all}, SmallVector<IteratorType>(5, IteratorType::parallel),
                           [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
                             Value p = arith::MulFOp::create(nb, l, a[0], a[1]);
                             return arith::MulFOp::create(nb, l, p, cFloat(nb, l, p.getType(), scale));
                           });
    return ungrouped(r);
  }

  OpBuilder &b;
  Location loc;
  Sweep sweep;
  int64_t kvHeads = 0, group = 0;
};

void rewriteForward(AttentionOp op, Sweep sweep, int64_t chunk) {
  OpBuilder b(op);
  Location loc = op.getLoc();
  Value q = op.getQ(), k = op.getK(), v = op.getV();
  double scale = op.getScale().convertToDouble();
  Type type = op.getType();
  Value out;
  if (op.getKind() == AttentionKind::Aft) {
    Aft aft(b, loc, q, k, sweep);
    out = castTensor(b, loc, aft.timesSum(q, aft.sum(multiplyElementwise(b, loc, k, v), false), scale), type);
  } else {
    bool linear = op.getKind() == AttentionKind::Linear;
    Chunker c(b, loc, q, k, chunk);
    Value qc = c.chunked(q, true), kc = c.chunked(k, false), vc = c.chunked(v, false, linear);
    Value o = c.unchunked(c.scan(qc, true, kc, vc, sweep), true, c.tq);
    out = linear ? normalised(b, loc, o, type) : scaled(b, loc, o, scale, type);
  }
  op.replaceAllUsesWith(out);
  op.erase();
}

/// linear's backward, from dout and the forward scan [N | Z] (chunked,
/// grouped): d[N | Z] = [dout / Z | -(dout · N) / Z²], zero on the padded
/// query rows (Z = 0 there: 0 / 0 would reach dk and dv).
Value normaliserGrad(OpBuilder &b, Location loc, Chunker &c, Value doc, Value numAndZ, int64_t dv) {
  MLIRContext *ctx = b.getContext();
  Type f32 = b.getF32Type();
  AffineMap all = AffineMap::getMultiDimIdentityMap(6, ctx), row = dimsMap(ctx, 6, {0, 1, 2, 3, 4}),
            rowId = AffineMap::getMultiDimIdentityMap(5, ctx);
  SmallVector<OpFoldResult> rowSizes = tensor::getMixedSizes(b, loc, doc);
  rowSizes.pop_back();
  SmallVector<IteratorType> it(6, IteratorType::parallel), rowIt(5, IteratorType::parallel);
  SmallVector<IteratorType> dotIt = it;
  dotIt.back() = IteratorType::reduction;
  SmallVector<OpFoldResult> at(6, b.getIndexAttr(0)), unit(6, b.getIndexAttr(1));
  SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, doc);
  Value num = tensor::ExtractSliceOp::create(b, loc, numAndZ, at, sizes, unit);
  Value dot = buildGeneric(b, loc, {doc, num}, filledTensor(b, loc, rowSizes, cFloat(b, loc, f32, 0.0)),
                           {all, all, row}, dotIt, mulAddBody);
  Value tq = c.tq;
  int64_t chunk = c.chunk;
  auto realRow = [&](OpBuilder &nb, Location l, Value r) -> Value {
    Value pos = arith::AddIOp::create(
        nb, l, arith::MulIOp::create(nb, l, linalg::IndexOp::create(nb, l, 3), cIdx(nb, l, chunk)),
        linalg::IndexOp::create(nb, l, 4));
    Value real = arith::CmpIOp::create(nb, l, arith::CmpIPredicate::ult, pos, tq);
    return arith::SelectOp::create(nb, l, real, r, cFloat(nb, l, r.getType(), 0.0));
  };
  Value dn = buildGeneric(b, loc, {doc, numAndZ}, emptyTensor(b, loc, sizes, f32),
                          {all, columnMap(ctx, 6, 5, dv), all}, it,
                          [&](OpBuilder &nb, Location l, ValueRange x) -> Value {
                            return realRow(nb, l, arith::DivFOp::create(nb, l, x[0], x[1]));
                          });
  Value dz = buildGeneric(b, loc, {dot, numAndZ}, emptyTensor(b, loc, rowSizes, f32),
                          {rowId, columnMap(ctx, 5, 5, dv), rowId}, rowIt,
                          [&](OpBuilder &nb, Location l, ValueRange x) -> Value {
                            Value zz = arith::MulFOp::create(nb, l, x[1], x[1]);
                            return realRow(nb, l, arith::NegFOp::create(nb, l, arith::DivFOp::create(nb, l, x[0], zz)));
                          });
  Value dnz = tensor::InsertSliceOp::create(
      b, loc, dn, emptyTensor(b, loc, tensor::getMixedSizes(b, loc, numAndZ), f32), at, sizes, unit);
  at[5] = b.getIndexAttr(dv);
  sizes[5] = b.getIndexAttr(1);
  return tensor::InsertSliceOp::create(b, loc, dz, dnz, at, sizes, unit);
}

void rewriteGrad(AttentionGradOp op, Sweep sweep, int64_t chunk) {
  OpBuilder b(op);
  Location loc = op.getLoc();
  Value q = op.getQ(), k = op.getK(), v = op.getV(), dout = op.getDout();
  double scale = op.getScale().convertToDouble();
  SmallVector<Value> grads;
  if (op.getKind() == AttentionKind::Aft) {
    // dq = scale · dout ⊙ Σ kv; dkv = Σ_{later} scale · Σ_group dout ⊙ q.
    Aft aft(b, loc, q, k, sweep);
    grads.push_back(aft.timesSum(dout, aft.sum(multiplyElementwise(b, loc, k, v), false), scale));
    Value perQuery = multiplyElementwise(b, loc, aft.grouped(dout), aft.grouped(q));
    SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, k);
    Value perKv = buildReduction(b, loc, perQuery, {2}, cFloat(b, loc, b.getF32Type(), 0.0),
                                 addBody);
    Value dkv = aft.sum(castTensor(b, loc, perKv, k.getType()), true);
    if (sweep == Sweep::Full) // broadcast the total over time
      dkv = buildGeneric(b, loc, dkv, emptyTensor(b, loc, sizes, b.getF32Type()),
                         {dimsMap(b.getContext(), 4, {0, 1, 3}), AffineMap::getMultiDimIdentityMap(4, b.getContext())},
                         SmallVector<IteratorType>(4, IteratorType::parallel),
                         [](OpBuilder &, Location, ValueRange a) -> Value { return a[0]; });
    dkv = scaled(b, loc, dkv, scale, k.getType());
    grads.push_back(multiplyElementwise(b, loc, dkv, v));
    grads.push_back(multiplyElementwise(b, loc, dkv, k));
  } else {
    Chunker c(b, loc, q, k, chunk);
    Value qc = c.chunked(q, true), kc = c.chunked(k, false), doc = c.chunked(dout, true);
    Sweep back = reversed(sweep);
    if (op.getKind() == AttentionKind::RelaxedLinear) {
      Value vc = c.chunked(v, false);
      grads.push_back(scaled(b, loc, c.unchunked(c.scan(doc, true, vc, kc, sweep), true, c.tq), scale, q.getType()));
      grads.push_back(scaled(b, loc, c.unchunked(c.scan(vc, false, doc, qc, back), false, c.tk), scale, k.getType()));
      grads.push_back(scaled(b, loc, c.unchunked(c.scan(kc, false, qc, doc, back), false, c.tk), scale, v.getType()));
    } else {
      // linear, out = N / Z over [v | 1] (the scale cancels).
      int64_t dv = cast<RankedTensorType>(v.getType()).getDimSize(3);
      Value v1 = c.chunked(v, false, true);
      Value dnz = normaliserGrad(b, loc, c, doc, c.scan(qc, true, kc, v1, sweep), dv);
      grads.push_back(c.unchunked(c.scan(dnz, true, v1, kc, sweep), true, c.tq));
      grads.push_back(c.unchunked(c.scan(v1, false, dnz, qc, back), false, c.tk));
      Value dv1 = c.unchunked(c.scan(kc, false, qc, dnz, back), false, c.tk);
      SmallVector<OpFoldResult> vSizes = tensor::getMixedSizes(b, loc, dv1);
      vSizes[3] = b.getIndexAttr(dv);
      grads.push_back(tensor::ExtractSliceOp::create(b, loc, dv1, SmallVector<OpFoldResult>(4, b.getIndexAttr(0)),
                                                     vSizes, SmallVector<OpFoldResult>(4, b.getIndexAttr(1))));
    }
  }
  for (auto [result, grad] : llvm::zip(op.getResults().take_front(3), grads))
    result.replaceAllUsesWith(castTensor(b, loc, grad, result.getType()));
  op.erase();
}

struct FrondChunkLinearAttention
    : frond::impl::FrondChunkLinearAttentionBase<FrondChunkLinearAttention> {
  using Base::Base;
  void runOnOperation() override {
    if (chunk < 1) {
      getOperation().emitError("frond-chunk-linear-attention: chunk must be positive, found ") << int64_t(chunk);
      return signalPassFailure();
    }
    SmallVector<Operation *> ops;
    getOperation().walk([&](Operation *op) {
      if (isa<AttentionOp, AttentionGradOp>(op))
        ops.push_back(op);
    });
    for (Operation *op : ops) {
      if (auto fwd = dyn_cast<AttentionOp>(op)) {
        if (auto sweep = sweepOf(fwd))
          rewriteForward(fwd, *sweep, chunk);
      } else if (auto grad = cast<AttentionGradOp>(op); auto sweep = sweepOf(grad)) {
        rewriteGrad(grad, *sweep, chunk);
      }
    }
  }
};

} // namespace
