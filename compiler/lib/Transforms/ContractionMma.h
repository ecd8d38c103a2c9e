//===- ContractionMma.h - matmul tiles on tensor cores ---------*- C++ -*-===//
//
// What frond-contractions-to-gpu{element-type=tf32|bf16|f16} adds to its
// tiled matmul kernel: the operands rounded to the tensor cores' input
// type as they are staged, and the product of the staged tiles as
// nvvm.mma.sync by the block's 8 warps (f32 accumulators). The block's
// tile-m x tile-n outputs are split among the warps: tile-m / 16 warps
// along M (16 rows each), the others along N, each warp computing its
// 16 x (8 nb) outputs as nb m16n8 blocks (tf32: m16n8k8, bf16/f16:
// m16n8k16). Staged tiles are row-major along the depth, A as
// [tile-m][tile-k + pad] and B as [tile-n][tile-k + pad] (B transposed:
// mma.sync's "col" B), padded by 16 bytes so that the 32 lanes' fragment
// reads fall in different banks.
//
//===----------------------------------------------------------------------===//
#ifndef FROND_LIB_TRANSFORMS_CONTRACTIONMMA_H
#define FROND_LIB_TRANSFORMS_CONTRACTIONMMA_H

#include "mlir/IR/Builders.h"

#include <optional>
#include <string>

namespace mlir::frond::matmul {

/// The type the tiles' products are computed in.
enum class TileType { F32, TF32, BF16, F16 };

/// "f32", "tf32", "bf16", "f16"; nullopt for anything else.
std::optional<TileType> parseTileType(StringRef name);

/// The element type of a staged tile: f32 for f32 and tf32 (tf32 values
/// are f32 with the low 13 mantissa bits zero), else bf16/f16.
Type stagedElementType(MLIRContext *ctx, TileType type);

/// `x` (f32) as the tensor cores read it: tf32 rounded to nearest, ties
/// away from zero (cvt.rna.tf32.f32), kept in f32; bf16/f16 truncated to
/// that type (round to nearest even), extended back to f32 when `asF32`
/// (the f32 kernel's emulation). f32: `x`.
Value roundForTiles(OpBuilder &b, Location loc, Value x, TileType type, bool asF32);

/// How a block of 256 threads (8 warps) shares a tile-m x tile-n tile.
struct MmaTiling {
  int64_t tileM, tileN, tileK;
  TileType type;

  int64_t warpsM() const { return tileM / 16; }
  int64_t warpsN() const { return 8 / warpsM(); }
  int64_t colsPerWarp() const { return tileN / warpsN(); }
  int64_t blocksPerWarp() const { return colsPerWarp() / 8; }
  int64_t accumulators() const { return blocksPerWarp() * 4; }
  /// The depth of one mma.sync.
  int64_t kStep() const { return type == TileType::TF32 ? 8 : 16; }
  /// The staged tiles' row length: tile-k plus 16 bytes.
  int64_t stagedRow() const { return tileK + (type == TileType::TF32 ? 4 : 8); }
};

/// Why the tiles cannot be computed by 8 warps ("" when they can): tile-m
/// in {16, 32, 64, 128}, each warp's columns a multiple of 8, tile-k a
/// multiple of 16.
std::string checkMmaTiling(const MmaTiling &tiling);

/// acc += As · Bsᵀ over the staged depth, for the warp of thread `tid`:
/// `as` [tile-m][stagedRow], `bs` [tile-n][stagedRow].
SmallVector<Value> multiplyTilesMma(OpBuilder &b, Location loc, const MmaTiling &tiling,
                                    Value tid, Value as, Value bs, ValueRange acc);

/// The outputs thread `tid` holds, as a grid: its rows and columns within
/// the block's tile; accumulator mmaAccumulatorIndex(i, j) is at (rows[i],
/// cols[j]).
void mmaOutputCoords(OpBuilder &b, Location loc, const MmaTiling &tiling, Value tid,
                     SmallVectorImpl<Value> &rows, SmallVectorImpl<Value> &cols);
inline int64_t mmaAccumulatorIndex(int64_t row, int64_t col) {
  // Block col / 2 holds its four as (g, 2t) (g, 2t + 1) (g + 8, 2t) (g + 8, 2t + 1).
  return (col / 2) * 4 + row * 2 + col % 2;
}

} // namespace mlir::frond::matmul

#endif // FROND_LIB_TRANSFORMS_CONTRACTIONMMA_H
