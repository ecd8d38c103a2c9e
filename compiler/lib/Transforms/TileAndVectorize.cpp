//===- TileAndVectorize.cpp - register-tiled, vectorized contractions -----===//
//
// The frond-tile-and-vectorize pass (see Passes.td): every linalg
// contraction (linear, matmul) with static n and k extents becomes an
// scf.for nest over [m x tile-n] output tiles (m = tile-m when the m extent
// is static, else 1) with an inner loop over k whose body is vector FMAs:
// one per output row and k step. The accumulator tile lives in vector
// registers across the k loop (hoistLoopInvariantSubsets). A right-hand
// side stored [n, k] (a linear's weight) is transposed to [k, n] once, so
// each k step loads a contiguous row of tile-n values instead of gathering
// a column.
//
//===----------------------------------------------------------------------===//
#include "frond/Transforms/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Dialect/Vector/Transforms/LoweringPatterns.h"
#include "mlir/Dialect/Vector/Transforms/VectorRewritePatterns.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "mlir/Transforms/LoopInvariantCodeMotionUtils.h"

namespace mlir::frond {
#define GEN_PASS_DEF_FRONDTILEANDVECTORIZE
#include "frond/Transforms/Passes.h.inc"
} // namespace mlir::frond

using namespace mlir;

namespace {

/// The input that holds the n and k dimensions (no m), or -1.
int rhsOperand(linalg::LinalgOp op, const linalg::ContractionDimensions &cd) {
  for (OpOperand *in : op.getDpsInputOperands()) {
    AffineMap map = op.getMatchingIndexingMap(in);
    auto has = [&](unsigned d) { return map.isFunctionOfDim(d); };
    if (llvm::any_of(cd.n, has) && llvm::any_of(cd.k, has) && llvm::none_of(cd.m, has))
      return int(in->getOperandNumber());
  }
  return -1;
}

/// When the right-hand side's innermost dimension is a k dimension and the
/// one before it an n dimension ([.., n, k], a linear's weight), transposes
/// those two so that tiles along n are contiguous.
void packRhs(RewriterBase &rw, linalg::GenericOp op,
             const linalg::ContractionDimensions &cd) {
  int idx = rhsOperand(op, cd);
  if (idx < 0)
    return;
  AffineMap map = op.getIndexingMapsArray()[idx];
  unsigned r = map.getNumResults();
  if (r < 2)
    return;
  auto inner = dyn_cast<AffineDimExpr>(map.getResult(r - 1));
  auto outer = dyn_cast<AffineDimExpr>(map.getResult(r - 2));
  if (!inner || !outer || !llvm::is_contained(cd.k, inner.getPosition()) ||
      !llvm::is_contained(cd.n, outer.getPosition()))
    return;
  Value rhs = op->getOperand(idx);
  auto type = cast<RankedTensorType>(rhs.getType());
  SmallVector<int64_t> perm = llvm::to_vector(llvm::seq<int64_t>(0, r));
  std::swap(perm[r - 1], perm[r - 2]);
  Location loc = op.getLoc();
  rw.setInsertionPoint(op);
  SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(rw, loc, rhs);
  std::swap(sizes[r - 1], sizes[r - 2]);
  Value init = tensor::EmptyOp::create(rw, loc, sizes, type.getElementType());
  Value packed = linalg::TransposeOp::create(rw, loc, rhs, init, perm)->getResult(0);
  SmallVector<AffineExpr> exprs(map.getResults());
  std::swap(exprs[r - 1], exprs[r - 2]);
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  maps[idx] = AffineMap::get(map.getNumDims(), 0, exprs, op.getContext());
  rw.modifyOpInPlace(op, [&] {
    op->setOperand(idx, packed);
    op.setIndexingMapsAttr(rw.getAffineMapArrayAttr(maps));
  });
}

/// `vector.contract` whose left-hand side is one element (an m and k tile of
/// 1) as one `vector.fma`: acc[n...] += broadcast(lhs) * rhs[n...]. Applies
/// when the right-hand side and the accumulator list the same non-unit
/// dimensions in the same order, so flattening both lines the lanes up.
struct ScalarLhsContractToFMA : OpRewritePattern<vector::ContractionOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(vector::ContractionOp op,
                                PatternRewriter &rw) const final {
    auto lhsType = op.getLhsType(), rhsType = op.getRhsType();
    auto accType = dyn_cast<VectorType>(op.getAccType());
    if (!accType || lhsType.getNumElements() != 1 || op.getKind() != vector::CombiningKind::ADD ||
        rhsType.getNumElements() != accType.getNumElements() || rhsType.isScalable() ||
        !isa<FloatType>(accType.getElementType()))
      return failure();
    auto nonUnitDims = [&](AffineMap map, VectorType type) {
      SmallVector<unsigned> dims;
      for (auto [i, e] : llvm::enumerate(map.getResults()))
        if (type.getDimSize(i) != 1)
          dims.push_back(cast<AffineDimExpr>(e).getPosition());
      return dims;
    };
    SmallVector<AffineMap> maps = op.getIndexingMapsArray();
    if (nonUnitDims(maps[1], rhsType) != nonUnitDims(maps[2], accType))
      return failure();
    Location loc = op.getLoc();
    auto flat = VectorType::get({accType.getNumElements()}, accType.getElementType());
    Value lhs = vector::ShapeCastOp::create(
        rw, loc, VectorType::get({1}, lhsType.getElementType()), op.getLhs());
    Value scalar = vector::ExtractOp::create(rw, loc, lhs, ArrayRef<int64_t>{0});
    Value a = vector::BroadcastOp::create(rw, loc, flat, scalar);
    Value b = vector::ShapeCastOp::create(rw, loc, flat, op.getRhs());
    Value c = vector::ShapeCastOp::create(rw, loc, flat, op.getAcc());
    Value fma = vector::FMAOp::create(rw, loc, a, b, c);
    rw.replaceOpWithNewOp<vector::ShapeCastOp>(op, accType, fma);
    return success();
  }
};

/// acc + transpose(broadcast(x)) * broadcast(y) on [M, N] (x: vector<M>,
/// y: vector<N>), what a tile without reduction loops (a folded weight
/// gradient's, after its unit loops are dropped) vectorizes to: one
/// `vector.fma` per row, acc[i] += x[i] · y, instead of a transpose the
/// LLVM lowering unrolls element by element.
struct OuterProductUpdateToFMAs : OpRewritePattern<arith::AddFOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(arith::AddFOp add, PatternRewriter &rw) const final {
    auto type = dyn_cast<VectorType>(add.getType());
    if (!type || type.getRank() != 2 || type.isScalable())
      return failure();
    for (unsigned accSide = 0; accSide < 2; ++accSide) {
      Value acc = add->getOperand(accSide);
      auto mul = add->getOperand(1 - accSide).getDefiningOp<arith::MulFOp>();
      if (!mul || !mul->hasOneUse())
        continue;
      for (unsigned colSide = 0; colSide < 2; ++colSide) {
        auto transpose = mul->getOperand(colSide).getDefiningOp<vector::TransposeOp>();
        auto rowB = mul->getOperand(1 - colSide).getDefiningOp<vector::BroadcastOp>();
        auto colB = transpose ? transpose.getVector().getDefiningOp<vector::BroadcastOp>()
                              : vector::BroadcastOp();
        auto x = colB ? dyn_cast<VectorType>(colB.getSourceType()) : VectorType();
        auto y = rowB ? dyn_cast<VectorType>(rowB.getSourceType()) : VectorType();
        if (!x || !y || x.getRank() != 1 || y.getRank() != 1 ||
            transpose.getPermutation() != ArrayRef<int64_t>{1, 0} ||
            x.getDimSize(0) != type.getDimSize(0) || y.getDimSize(0) != type.getDimSize(1))
          continue;
        Location loc = add.getLoc();
        auto rowType = VectorType::get({type.getDimSize(1)}, type.getElementType());
        Value out = acc;
        for (int64_t i = 0; i < type.getDimSize(0); ++i) {
          Value xi = vector::ExtractOp::create(rw, loc, colB.getSource(), ArrayRef<int64_t>{i});
          Value splat = vector::BroadcastOp::create(rw, loc, rowType, xi);
          Value row = vector::ExtractOp::create(rw, loc, acc, ArrayRef<int64_t>{i});
          Value fma = vector::FMAOp::create(rw, loc, splat, rowB.getSource(), row);
          out = vector::InsertOp::create(rw, loc, fma, out, ArrayRef<int64_t>{i});
        }
        rw.replaceOp(add, out);
        return success();
      }
    }
    return failure();
  }
};

struct FrondTileAndVectorize
    : frond::impl::FrondTileAndVectorizeBase<FrondTileAndVectorize> {
  using Base::Base;

  /// Tile sizes for `op`: tileM / tileN / tileK for the innermost m / n /
  /// k dimension and 1 for every other one. A dynamic m extent (batch x
  /// sequence) gets 1 too, so every tile has a static shape. Failure when
  /// an n or k extent is dynamic or not a multiple of its tile.
  FailureOr<SmallVector<int64_t>> tileSizes(linalg::LinalgOp op,
                                            const linalg::ContractionDimensions &cd) {
    SmallVector<int64_t> ranges = op.getStaticLoopRanges();
    SmallVector<int64_t> tiles(ranges.size(), 1);
    int64_t m = ranges[cd.m.back()];
    tiles[cd.m.back()] = !ShapedType::isDynamic(m) && m % tileM == 0 ? tileM : 1;
    tiles[cd.n.back()] = tileN;
    tiles[cd.k.back()] = tileK;
    for (auto [extent, tile] : llvm::zip(ranges, tiles))
      if (tile != 1 && (ShapedType::isDynamic(extent) || extent % tile != 0))
        return failure(); // only whole tiles: no masks, no remainders
    return tiles;
  }

  /// Tiles `op` by `tiles`, vectorizes the tile and keeps the accumulator
  /// in registers across the k loop.
  LogicalResult tileAndVectorize(RewriterBase &rw, linalg::LinalgOp op,
                                 ArrayRef<int64_t> tiles) {
    // Parallel loops outside, reduction loops inside.
    SmallVector<int64_t> interchange;
    for (auto [i, it] : llvm::enumerate(op.getIteratorTypesArray()))
      if (it == utils::IteratorType::parallel)
        interchange.push_back(i);
    for (auto [i, it] : llvm::enumerate(op.getIteratorTypesArray()))
      if (it != utils::IteratorType::parallel)
        interchange.push_back(i);

    scf::SCFTilingOptions options;
    options.setTileSizes(getAsIndexOpFoldResult(op.getContext(), tiles));
    options.setInterchange(interchange);
    rw.setInsertionPoint(op);
    FailureOr<scf::SCFTilingResult> tiled =
        scf::tileUsingSCF(rw, cast<TilingInterface>(op.getOperation()), options);
    if (failed(tiled))
      return failure();
    rw.replaceOp(op, tiled->replacements);

    Operation *tile = tiled->tiledOps.back();
    // Several reduction loops (a weight gradient folded over b and t by
    // frond-fold-batch-sums): the tile's unit loops go, so that it
    // vectorizes to one multiply-add per tile instead of an unrolled
    // contraction over [.., 1, 1]. Rank-reducing slices, no reshapes.
    if (op.getNumReductionLoops() > 1)
      if (auto generic = dyn_cast<linalg::GenericOp>(tile)) {
        linalg::ControlDropUnitDims control;
        control.rankReductionStrategy =
            linalg::ControlDropUnitDims::RankReductionStrategy::ExtractInsertSlice;
        rw.setInsertionPoint(generic);
        FailureOr<linalg::DropUnitDimsResult> dropped = linalg::dropUnitDims(rw, generic, control);
        if (succeeded(dropped)) {
          rw.replaceOp(generic, dropped->replacements);
          tile = dropped->resultOp;
        }
      }
    rw.setInsertionPoint(tile);
    FailureOr<linalg::VectorizationResult> vec = linalg::vectorize(
        rw, tile, /*inputVectorSizes=*/{}, /*inputScalableVecDims=*/{},
        /*vectorizeNDExtract=*/false, /*flatten1DDepthwiseConv=*/false,
        /*assumeDynamicDimsMatchVecSizes=*/false, /*createNamedContraction=*/true);
    if (failed(vec))
      return failure();
    rw.replaceOp(tile, vec->replacements);

    // Innermost loop outwards: the accumulator's read/write pair (and the
    // output tile's extract/insert pair) become loop-carried values.
    // (Twice: hoisting the slice pair exposes the transfer pair.)
    // Index constants the vectorizer created inside the loops go first.
    for (LoopLikeOpInterface loop : llvm::reverse(tiled->loops)) {
      moveLoopInvariantCode(loop);
      hoistLoopInvariantSubsets(rw, hoistLoopInvariantSubsets(rw, loop));
    }
    return success();
  }

  void runOnOperation() override {
    if (tileM < 1 || tileN < 1 || tileK < 1) {
      getOperation().emitError("tile sizes must be positive");
      return signalPassFailure();
    }
    SmallVector<linalg::LinalgOp> ops;
    getOperation().walk([&](linalg::LinalgOp op) {
      if (op.hasPureTensorSemantics() && linalg::isaContractionOpInterface(op) &&
          op.hasOnlyProjectedPermutations())
        ops.push_back(op);
    });
    IRRewriter rw(&getContext());
    for (linalg::LinalgOp op : ops) {
      FailureOr<linalg::ContractionDimensions> cd = linalg::inferContractionDims(op);
      if (failed(cd))
        continue;
      FailureOr<SmallVector<int64_t>> tiles = tileSizes(op, *cd);
      if (failed(tiles))
        continue; // left to linalg-to-loops
      if (packOperands)
        if (auto generic = dyn_cast<linalg::GenericOp>(op.getOperation()))
          packRhs(rw, generic, *cd);
      (void)tileAndVectorize(rw, op, *tiles);
    }

    // mul + multi_reduction -> vector.contract -> vector.fma. Two rounds: the
    // generic contract lowering must not see a contract before the FMA
    // pattern has had its chance.
    RewritePatternSet toFMA(&getContext());
    vector::populateVectorReductionToContractPatterns(toFMA);
    toFMA.add<ScalarLhsContractToFMA, OuterProductUpdateToFMAs>(&getContext());
    vector::populateVectorTransferPermutationMapLoweringPatterns(toFMA);
    if (failed(applyPatternsGreedily(getOperation(), std::move(toFMA))))
      return signalPassFailure();
    RewritePatternSet rest(&getContext());
    vector::populateVectorContractLoweringPatterns(
        rest, vector::VectorContractLowering::OuterProduct);
    vector::populateVectorOuterProductLoweringPatterns(rest);
    if (failed(applyPatternsGreedily(getOperation(), std::move(rest))))
      return signalPassFailure();
  }
};

} // namespace
