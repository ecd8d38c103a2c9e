//===- GPUAttentionRowKernel.cpp - f32 flash attention, a thread per row --===//
//
// Each thread owns one query row: the row of q as a vector<D x f32>, and
// (m, l, acc : vector<Dv x f32>) carried through the key tiles. K and V
// tiles are staged in workgroup memory by all threads together; a thread
// then walks the tile's keys with the online softmax update (or, for the
// linear kinds and aft, plain weighted sums).
//
//===----------------------------------------------------------------------===//
#include "GPUAttention.h"
#include "LoweringUtils.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

#include <limits>

using namespace mlir;
using namespace mlir::frond;
using namespace mlir::frond::gpuattn;
using lowering::cFloat;
using lowering::cIdx;

void gpuattn::buildRowKernel(OpBuilder &b, const AttentionKernel &kernel, const BlockCoords &block,
                             const ThreadEnv &env, Value ks, Value vs) {
  Location loc = kernel.loc;
  Type f32 = b.getF32Type();
  auto accType = VectorType::get({kernel.valueDim}, f32);
  Value qi = arith::AddIOp::create(b, loc, block.q0, env.threadId);
  Value last = arith::SubIOp::create(b, loc, kernel.TQ, cIdx(b, loc, 1));
  Value qc = arith::MinSIOp::create(b, loc, qi, last); // rows past the end read the last

  Value qRow = roundThrough(b, loc, loadRow(b, loc, kernel.q, block.b, block.h, qc, kernel.headDim),
                            kernel.roundTo);

  Value negInf = cFloat(b, loc, f32, -std::numeric_limits<double>::infinity());
  Value zero = cFloat(b, loc, f32, 0.0), log2e = cFloat(b, loc, f32, M_LOG2E);
  Value acc0 = arith::ConstantOp::create(b, loc, accType, DenseElementsAttr::get(accType, 0.0f));

  auto stage = [&](OpBuilder &sb, Value k0) { stageKeyValueTile(sb, kernel, block, env, k0, ks, vs); };
  // The keys of the tile one by one. Softmax kinds: m' = max(m, s),
  // α = e^(m - m'), p = e^(s - m'), l' = α l + p, acc' = α acc + p v (2^
  // with log2 e). The others: w = s where visible (else 0), l' = l + w,
  // acc' = acc + w v (aft: w = score(1) and k ⊙ v for v).
  bool softmax = isSoftmaxKind(kernel.kind), aft = kernel.kind == AttentionKind::Aft;
  auto compute = [&](OpBuilder &cb, Value k0, bool withChecks, ValueRange st) {
    return forEachKeyInTile(
        cb, kernel, k0, st, [&](OpBuilder &lb, Value j, Value kj, ValueRange it) {
          Value kRow = roundThrough(lb, loc, tileRow(lb, loc, ks, j, kernel.headDim), kernel.roundTo);
          Value vRow = roundThrough(lb, loc, tileRow(lb, loc, vs, j, kernel.valueDim), kernel.roundTo);
          Value dot = cFloat(lb, loc, f32, 1.0);
          if (aft)
            vRow = arith::MulFOp::create(lb, loc, kRow, vRow);
          else
            dot = vector::ReductionOp::create(lb, loc, vector::CombiningKind::ADD,
                                              arith::MulFOp::create(lb, loc, qRow, kRow));
          Value s = scoreElement(lb, kernel, block, dot, qi, kj, withChecks, /*checkKeys=*/false);
          Value m = it[0], l = it[1], acc = it[2];
          if (!softmax) {
            Value visible = arith::CmpFOp::create(lb, loc, arith::CmpFPredicate::ONE, s, negInf);
            Value w = arith::SelectOp::create(lb, loc, visible, s, zero);
            Value accNew = vector::FMAOp::create(
                lb, loc, vector::BroadcastOp::create(lb, loc, accType, w), vRow, acc);
            scf::YieldOp::create(lb, loc, ValueRange{m, arith::AddFOp::create(lb, loc, l, w), accNew});
            return;
          }
          Value mNew = arith::MaximumFOp::create(lb, loc, m, s);
          Value none = arith::CmpFOp::create(lb, loc, arith::CmpFPredicate::OEQ, mNew, negInf);
          Value mSafe = arith::SelectOp::create(lb, loc, none, zero, mNew);
          auto expm = [&](Value x) {
            Value d = arith::SubFOp::create(lb, loc, x, mSafe);
            return env.exp2(lb, loc, arith::MulFOp::create(lb, loc, d, log2e));
          };
          Value alpha = expm(m), p = expm(s);
          Value lNew = arith::AddFOp::create(lb, loc, arith::MulFOp::create(lb, loc, l, alpha), p);
          Value scaled = arith::MulFOp::create(
              lb, loc, acc, vector::BroadcastOp::create(lb, loc, accType, alpha));
          // The mma kernel sums p in f32 but multiplies v by p rounded.
          Value accNew = vector::FMAOp::create(
              lb, loc,
              vector::BroadcastOp::create(lb, loc, accType, roundThrough(lb, loc, p, kernel.roundTo)),
              vRow, scaled);
          scf::YieldOp::create(lb, loc, ValueRange{mNew, lNew, accNew});
        });
  };
  SmallVector<Value> state = forEachKeyTile(b, kernel, block, {negInf, zero, acc0},
                                            /*checkKeys=*/false, stage, compute);

  // aft: out = scale · q ⊙ acc (D == Dv), with the q row already here.
  Value acc = state[2];
  if (aft)
    acc = arith::MulFOp::create(
        b, loc, acc,
        arith::MulFOp::create(b, loc, qRow,
                              vector::BroadcastOp::create(b, loc, accType,
                                                          cFloat(b, loc, f32, kernel.scale))));
  SmallVector<std::pair<Value, Value>> columns;
  for (int64_t e = 0; e < kernel.valueDim; ++e)
    columns.push_back({cIdx(b, loc, e), vector::ExtractOp::create(b, loc, acc, e)});
  storeRow(b, kernel, block, env, qi, state[0], state[1], columns, /*writeLse=*/nullptr);
}
