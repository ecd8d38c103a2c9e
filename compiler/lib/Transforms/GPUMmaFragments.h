//===- GPUMmaFragments.h - one warp's mma.sync m16n8k16 fragments -*- C++ -*-===//
//
// The register plumbing of nvvm.mma.sync m16n8k16 (bf16/f16 inputs, f32
// accumulators) shared by the forward and backward attention kernels on
// tensor cores. Lane (g = lane / 4, t = lane % 4) holds (PTX ISA, "Matrix
// Fragments for mma.m16n8k16"):
//   A (16 x 16): rows g and g + 8, columns 2t, 2t + 1 and 2t + 8, 2t + 9,
//                as four registers (g, 2t) (g + 8, 2t) (g, 2t + 8)
//                (g + 8, 2t + 8), each a pair of neighbouring columns;
//   B (16 x 8):  rows 2t, 2t + 1 and 2t + 8, 2t + 9 of column g, as two
//                registers;
//   C/D (16 x 8): element i of 4 at row g + 8 (i / 2), column 2t + i % 2.
// So the accumulators of two neighbouring 8-column blocks are exactly the
// A fragment of the 16 columns they span (accToA): probabilities and score
// gradients feed the next product without leaving registers.
//
//===----------------------------------------------------------------------===//
#ifndef FROND_LIB_TRANSFORMS_GPUMMAFRAGMENTS_H
#define FROND_LIB_TRANSFORMS_GPUMMAFRAGMENTS_H

#include "LoweringUtils.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

#include <array>

namespace mlir::frond::gpuattn {

/// Fragment plumbing for one warp: registers are i32 pairs for bf16 and
/// vector<2xf16> for f16, as nvvm.mma.sync expects them.
struct MmaFragments {
  OpBuilder &b;
  Location loc;
  Type elem; // bf16 or f16
  Value g, t;

  Value idx(int64_t v) { return lowering::cIdx(b, loc, v); }
  Value add(Value x, Value y) { return arith::AddIOp::create(b, loc, x, y); }
  Value add(Value x, int64_t y) { return add(x, idx(y)); }
  /// 2t: the first accumulator column of this lane in a block of 8.
  Value col2t() { return arith::MulIOp::create(b, loc, t, idx(2)); }

  /// A register from a pair of elements as a vector<2 x elem>.
  Value reg(Value pair) {
    if (elem.isF16())
      return pair;
    auto asInt = vector::BitCastOp::create(b, loc, VectorType::get({1}, b.getI32Type()), pair);
    return vector::ExtractOp::create(b, loc, asInt, 0);
  }
  /// buf[row][col], buf[row][col + 1] (col is even: 4-byte aligned).
  Value load(Value buf, Value row, Value col) {
    auto type = VectorType::get({2}, elem);
    return reg(vector::LoadOp::create(b, loc, type, buf, ValueRange{row, col}, false,
                                      llvm::MaybeAlign(4)));
  }
  /// Two f32 values rounded to a register.
  Value pack(Value lo, Value hi) {
    Value pair = vector::FromElementsOp::create(
        b, loc, VectorType::get({2}, elem),
        ValueRange{arith::TruncFOp::create(b, loc, elem, lo), arith::TruncFOp::create(b, loc, elem, hi)});
    return reg(pair);
  }
  /// D = A B + C over a 16x8x16 tile (16x8x8 when `elem` is f32: tf32
  /// registers, each an f32 whose bits the instruction reads); C and D are
  /// 4 f32 each.
  SmallVector<Value> mma(ArrayRef<Value> a, ArrayRef<Value> bb, ArrayRef<Value> c) {
    MLIRContext *ctx = b.getContext();
    Type f32 = b.getF32Type();
    auto result = LLVM::LLVMStructType::getLiteral(ctx, {f32, f32, f32, f32});
    NVVM::MMATypes type = elem.isF16()    ? NVVM::MMATypes::f16
                          : elem.isBF16() ? NVVM::MMATypes::bf16
                                          : NVVM::MMATypes::tf32;
    int64_t k = elem.isF32() ? 8 : 16;
    auto op = NVVM::MmaOp::create(b, loc, result, a, bb, c, {16, 8, k}, std::nullopt,
                                  std::nullopt, std::array<NVVM::MMATypes, 2>{type, type},
                                  std::array<NVVM::MMALayout, 2>{NVVM::MMALayout::row,
                                                                 NVVM::MMALayout::col});
    SmallVector<Value> d;
    for (int64_t i = 0; i < 4; ++i)
      d.push_back(LLVM::ExtractValueOp::create(b, loc, op, i));
    return d;
  }
  /// The A fragment of rows [row0, row0 + 16), columns [col0, col0 + 16)
  /// of a row-major workgroup buffer.
  SmallVector<Value> a(Value buf, Value row0, int64_t col0) {
    Value r = add(row0, g), c = add(idx(col0), col2t());
    return {load(buf, r, c), load(buf, add(r, 8), c), load(buf, r, add(c, 8)),
            load(buf, add(r, 8), add(c, 8))};
  }
  /// The B fragment (k0.., n0..) of an [n, k] buffer read as its transpose
  /// (pairs along k are neighbours: vector loads).
  SmallVector<Value> bT(Value buf, Value n0, int64_t k0) {
    Value r = add(n0, g), c = add(idx(k0), col2t());
    return {load(buf, r, c), load(buf, r, add(c, 8))};
  }
  SmallVector<Value> bT(Value buf, int64_t n0, int64_t k0) { return bT(buf, idx(n0), k0); }
  /// The B fragment (k0.., n0..) of a row-major [k, n] buffer: a pair
  /// spans two rows, so each register takes two scalar loads.
  SmallVector<Value> bRows(Value buf, Value k0, int64_t n0) {
    Value k = add(k0, col2t()), n = add(idx(n0), g);
    auto at = [&](Value row) -> Value {
      Value lo = memref::LoadOp::create(b, loc, buf, ValueRange{row, n});
      Value hi = memref::LoadOp::create(b, loc, buf, ValueRange{add(row, 1), n});
      return reg(vector::FromElementsOp::create(b, loc, VectorType::get({2}, elem), ValueRange{lo, hi}));
    };
    return {at(k), at(add(k, 8))};
  }
  /// The A fragment of rows [row0, row0 + 16), columns [col0, col0 + 16)
  /// of `src` [b, h, t, cols] in global memory (any float type), zero past
  /// row `len` and column `cols`: operands a warp keeps for its lifetime.
  SmallVector<Value> aGlobal(Value src, Value bi, Value hi, Value row0, int64_t col0, Value len) {
    int64_t cols = cast<MemRefType>(src.getType()).getDimSize(3);
    Type f32 = b.getF32Type();
    Value lastRow = arith::SubIOp::create(b, loc, len, idx(1));
    auto element = [&](Value row, Value col) -> Value {
      using P = arith::CmpIPredicate;
      Value inside = arith::CmpIOp::create(b, loc, P::slt, row, len);
      Value r = arith::MinSIOp::create(b, loc, row, lastRow);
      Value c = col;
      if (col0 + 16 > cols) {
        inside = arith::AndIOp::create(
            b, loc, inside, arith::CmpIOp::create(b, loc, P::slt, col, idx(cols)));
        c = arith::MinSIOp::create(b, loc, col, idx(cols - 1));
      }
      Value x = lowering::convertScalar(
          b, loc, memref::LoadOp::create(b, loc, src, ValueRange{bi, hi, r, c}), f32);
      return arith::SelectOp::create(b, loc, inside, x, lowering::cFloat(b, loc, f32, 0.0));
    };
    Value r = add(row0, g), c = add(idx(col0), col2t());
    auto pair = [&](Value row, Value col) { return pack(element(row, col), element(row, add(col, 1))); };
    return {pair(r, c), pair(add(r, 8), c), pair(r, add(c, 8)), pair(add(r, 8), add(c, 8))};
  }
  /// The A fragment of accumulator columns [16 kk, 16 kk + 16), `acc`
  /// holding 4 values per 8-column block in order.
  SmallVector<Value> accToA(ArrayRef<Value> acc, int64_t kk) {
    ArrayRef<Value> lo = acc.slice(kk * 8, 4), hi = acc.slice(kk * 8 + 4, 4);
    return {pack(lo[0], lo[1]), pack(lo[2], lo[3]), pack(hi[0], hi[1]), pack(hi[2], hi[3])};
  }
  /// Combines `x` over the 4 lanes of a row with `combine`.
  Value quad(Value x, function_ref<Value(Value, Value)> combine) {
    Value width = arith::ConstantIntOp::create(b, loc, 32, 32);
    for (int64_t offset : {1, 2}) {
      Value off = arith::ConstantIntOp::create(b, loc, offset, 32);
      Value other =
          gpu::ShuffleOp::create(b, loc, x, off, width, gpu::ShuffleMode::XOR).getShuffleResult();
      x = combine(x, other);
    }
    return x;
  }
};

} // namespace mlir::frond::gpuattn

#endif // FROND_LIB_TRANSFORMS_GPUMMAFRAGMENTS_H
