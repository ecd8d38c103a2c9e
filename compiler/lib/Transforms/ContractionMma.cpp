//===- ContractionMma.cpp - matmul tiles on tensor cores ------------------===//
#include "ContractionMma.h"

#include "GPUMmaFragments.h"
#include "LoweringUtils.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"

using namespace mlir;
using namespace mlir::frond::matmul;
using mlir::frond::gpuattn::MmaFragments;
using mlir::frond::lowering::cIdx;

std::optional<TileType> mlir::frond::matmul::parseTileType(StringRef name) {
  return llvm::StringSwitch<std::optional<TileType>>(name)
      .Case("f32", TileType::F32)
      .Case("tf32", TileType::TF32)
      .Case("bf16", TileType::BF16)
      .Case("f16", TileType::F16)
      .Default(std::nullopt);
}

Type mlir::frond::matmul::stagedElementType(MLIRContext *ctx, TileType type) {
  Builder b(ctx);
  switch (type) {
  case TileType::BF16:
    return b.getBF16Type();
  case TileType::F16:
    return b.getF16Type();
  default:
    return b.getF32Type();
  }
}

Value mlir::frond::matmul::roundForTiles(OpBuilder &b, Location loc, Value x, TileType type,
                                         bool asF32) {
  if (type == TileType::F32)
    return x;
  if (type == TileType::TF32) {
    // Half of the dropped 13 bits' range added to the magnitude, then
    // those bits cleared: to nearest, ties away from zero; an infinity
    // stays one, a value past tf32's largest becomes one.
    Type i32 = b.getI32Type();
    Value bits = arith::BitcastOp::create(b, loc, i32, x);
    Value half = arith::ConstantIntOp::create(b, loc, 0x1000, 32);
    Value mask = arith::ConstantIntOp::create(b, loc, int32_t(0xFFFFE000), 32);
    Value rounded = arith::AndIOp::create(b, loc, arith::AddIOp::create(b, loc, bits, half), mask);
    return arith::BitcastOp::create(b, loc, b.getF32Type(), rounded);
  }
  Type narrow = stagedElementType(b.getContext(), type);
  Value r = arith::TruncFOp::create(b, loc, narrow, x);
  return asF32 ? arith::ExtFOp::create(b, loc, b.getF32Type(), r).getResult() : r;
}

std::string mlir::frond::matmul::checkMmaTiling(const MmaTiling &t) {
  if (t.tileM != 16 && t.tileM != 32 && t.tileM != 64 && t.tileM != 128)
    return "tile-m must be 16, 32, 64 or 128 (16 rows per warp)";
  if (t.tileN % (8 * t.warpsN()))
    return "tile-n must be a multiple of " + std::to_string(8 * t.warpsN()) +
           " (8 columns per mma block, " + std::to_string(t.warpsN()) + " warps along N)";
  if (t.tileK % 16)
    return "tile-k must be a multiple of 16";
  return "";
}

namespace {

/// The lane's place: the warp's first row and column in the block's tile,
/// and the fragment coordinates g = lane / 4, t = lane % 4.
struct Lane {
  Value row0, col0, g, t;
};

Lane laneOf(OpBuilder &b, Location loc, const MmaTiling &tiling, Value tid) {
  auto div = [&](Value x, int64_t d) { return arith::DivUIOp::create(b, loc, x, cIdx(b, loc, d)); };
  auto rem = [&](Value x, int64_t d) { return arith::RemUIOp::create(b, loc, x, cIdx(b, loc, d)); };
  auto mul = [&](Value x, int64_t d) { return arith::MulIOp::create(b, loc, x, cIdx(b, loc, d)); };
  Value warp = div(tid, 32), lane = rem(tid, 32);
  return {mul(rem(warp, tiling.warpsM()), 16), mul(div(warp, tiling.warpsM()), tiling.colsPerWarp()),
          div(lane, 4), rem(lane, 4)};
}

/// One m16n8k8 tf32 product per 8-column block at depth `k0`: A registers
/// (g, t) (g + 8, t) (g, t + 4) (g + 8, t + 4), B registers (t, g) (t + 4,
/// g) of the transposed tile (PTX ISA, "Matrix Fragments for
/// mma.m16n8k8" .tf32), each an f32's bits.
void tf32Step(MmaFragments &frag, const MmaTiling &tiling, const Lane &lane, Value as,
              Value bs, int64_t k0, SmallVectorImpl<Value> &acc) {
  OpBuilder &b = frag.b;
  Location loc = frag.loc;
  auto reg = [&](Value buf, Value row, Value col) -> Value {
    Value v = memref::LoadOp::create(b, loc, buf, ValueRange{row, col});
    return arith::BitcastOp::create(b, loc, b.getI32Type(), v);
  };
  Value r = frag.add(lane.row0, lane.g), c = frag.add(lane.t, k0);
  SmallVector<Value> a{reg(as, r, c), reg(as, frag.add(r, 8), c), reg(as, r, frag.add(c, 4)),
                       reg(as, frag.add(r, 8), frag.add(c, 4))};
  for (int64_t j = 0; j < tiling.blocksPerWarp(); ++j) {
    Value n = frag.add(frag.add(lane.col0, lane.g), 8 * j);
    SmallVector<Value> d = frag.mma(a, {reg(bs, n, c), reg(bs, n, frag.add(c, 4))},
                                    ArrayRef<Value>(acc).slice(4 * j, 4));
    std::copy(d.begin(), d.end(), acc.begin() + 4 * j);
  }
}

} // namespace

SmallVector<Value> mlir::frond::matmul::multiplyTilesMma(OpBuilder &b, Location loc,
                                                         const MmaTiling &tiling, Value tid,
                                                         Value as, Value bs, ValueRange acc) {
  Lane lane = laneOf(b, loc, tiling, tid);
  SmallVector<Value> out(acc.begin(), acc.end());
  MmaFragments frag{b, loc, stagedElementType(b.getContext(), tiling.type), lane.g,
                             lane.t};
  for (int64_t k0 = 0; k0 < tiling.tileK; k0 += tiling.kStep()) {
    if (tiling.type == TileType::TF32) {
      tf32Step(frag, tiling, lane, as, bs, k0, out);
      continue;
    }
    SmallVector<Value> a = frag.a(as, lane.row0, k0);
    for (int64_t j = 0; j < tiling.blocksPerWarp(); ++j) {
      Value n0 = frag.add(lane.col0, 8 * j);
      SmallVector<Value> d = frag.mma(a, frag.bT(bs, n0, k0), ArrayRef<Value>(out).slice(4 * j, 4));
      std::copy(d.begin(), d.end(), out.begin() + 4 * j);
    }
  }
  return out;
}

void mlir::frond::matmul::mmaOutputCoords(OpBuilder &b, Location loc, const MmaTiling &tiling,
                                          Value tid, SmallVectorImpl<Value> &rows,
                                          SmallVectorImpl<Value> &cols) {
  Lane lane = laneOf(b, loc, tiling, tid);
  auto at = [&](Value origin, Value x, int64_t offset) {
    return arith::AddIOp::create(b, loc, origin,
                                 arith::AddIOp::create(b, loc, x, cIdx(b, loc, offset)));
  };
  rows.assign({at(lane.row0, lane.g, 0), at(lane.row0, lane.g, 8)});
  Value t2 = arith::MulIOp::create(b, loc, lane.t, cIdx(b, loc, 2));
  cols.clear();
  for (int64_t j = 0; j < tiling.blocksPerWarp(); ++j)
    for (int64_t c = 0; c < 2; ++c)
      cols.push_back(at(lane.col0, t2, 8 * j + c));
}
