//===- ParallelScanScatter.cpp - scans and scatters as one loop nest ------===//
//
// The frond-parallel-scan-scatter pass (see Passes.td). frond-lower-to-linalg
// lowers `cumsum` and `embedding_grad` to tensor-level scf.for loops with a
// slice per step, which suit the CPU (vectorized rows) but on the GPU are
// one or two kernel launches per position or token. Here each becomes one
// scf.parallel writing a buffer that is then taken as the op's tensor
// (bufferization.to_tensor restrict writable):
//
//   cumsum:          a thread per position of the other dimensions, looping
//                    over the scanned one (accumulating in f64 for floats,
//                    as the CPU lowering and libtorch do);
//   embedding_grad:  a thread per (token, column), adding its gradient into
//                    its id's row with an atomic add (memref.atomic_rmw).
//
//===----------------------------------------------------------------------===//
#include "LoweringUtils.h"
#include "frond/Dialect/Frond/IR/FrondOps.h"
#include "frond/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

namespace mlir::frond {
#define GEN_PASS_DEF_FRONDPARALLELSCANSCATTER
#include "frond/Transforms/Passes.h.inc"
} // namespace mlir::frond

using namespace mlir;
using namespace mlir::frond;
using namespace mlir::frond::lowering;

namespace {

/// A buffer shaped like `type`, its dynamic sizes `sizes[d]`.
Value allocFor(OpBuilder &b, Location loc, RankedTensorType type, ArrayRef<Value> sizes) {
  SmallVector<Value> dynamic;
  for (int64_t d = 0; d < type.getRank(); ++d)
    if (type.isDynamicDim(d))
      dynamic.push_back(sizes[d]);
  return memref::AllocOp::create(b, loc, MemRefType::get(type.getShape(), type.getElementType()),
                                 dynamic);
}

void lowerCumsum(CumsumOp op) {
  OpBuilder b(op);
  Location loc = op.getLoc();
  Value x = op.getInput();
  auto type = cast<RankedTensorType>(op.getType());
  Type elem = type.getElementType();
  Type acc = isa<FloatType>(elem) && !elem.isF64() ? b.getF64Type() : elem;
  int64_t dim = op.getDim(), rank = type.getRank();
  SmallVector<Value> sizes;
  for (int64_t d = 0; d < rank; ++d)
    sizes.push_back(dimOf(b, loc, x, d));
  Value out = allocFor(b, loc, type, sizes);
  Value c0 = cIdx(b, loc, 0), c1 = cIdx(b, loc, 1);
  SmallVector<Value> lbs, ubs, steps;
  for (int64_t d = 0; d < rank; ++d)
    if (d != dim) {
      lbs.push_back(c0);
      ubs.push_back(sizes[d]);
      steps.push_back(c1);
    }
  if (lbs.empty()) { // a 1-D scan: one thread
    lbs.push_back(c0);
    ubs.push_back(c1);
    steps.push_back(c1);
  }
  Value n = sizes[dim];
  scf::ParallelOp::create(b, loc, lbs, ubs, steps, [&](OpBuilder &pb, Location l, ValueRange ivs) {
    scf::ForOp::create(pb, l, c0, n, c1, ValueRange{zeroOf(pb, l, acc)},
                       [&](OpBuilder &fb, Location fl, Value k, ValueRange sum) {
                         Value t = k;
                         if (op.getReverse())
                           t = arith::SubIOp::create(fb, fl, arith::SubIOp::create(fb, fl, n, c1), k);
                         SmallVector<Value> at;
                         for (int64_t d = 0, i = 0; d < rank; ++d)
                           at.push_back(d == dim ? t : ivs[i++]);
                         Value v = tensor::ExtractOp::create(fb, fl, x, at);
                         Value next = addOf(fb, fl, sum[0], convertScalar(fb, fl, v, acc));
                         memref::StoreOp::create(fb, fl, convertScalar(fb, fl, next, elem), out, at);
                         scf::YieldOp::create(fb, fl, next);
                       });
    scf::ReduceOp::create(pb, l);
  });
  op.replaceAllUsesWith(bufferization::ToTensorOp::create(b, loc, type, out, true, true).getResult());
  op.erase();
}

/// Fails (leaving the op to frond-lower-to-linalg) for a single id.
LogicalResult lowerEmbeddingGrad(EmbeddingGradOp op) {
  auto ids = cast<RankedTensorType>(op.getIds().getType());
  if (ids.getRank() == 0)
    return failure();
  OpBuilder b(op);
  Location loc = op.getLoc();
  auto type = cast<RankedTensorType>(op.getType()); // [V, D]
  Value grad = op.getGrad();                          // [ids..., D]
  int64_t n = ids.getRank();
  Value c0 = cIdx(b, loc, 0), c1 = cIdx(b, loc, 1);
  SmallVector<Value> tableSizes{cIdx(b, loc, type.getDimSize(0)), dimOf(b, loc, grad, n)};
  Value table = allocFor(b, loc, type, tableSizes);
  linalg::FillOp::create(b, loc, cFloat(b, loc, type.getElementType(), 0.0), table);
  SmallVector<Value> lbs, ubs, steps;
  for (int64_t d = 0; d <= n; ++d) {
    lbs.push_back(c0);
    ubs.push_back(dimOf(b, loc, grad, d));
    steps.push_back(c1);
  }
  scf::ParallelOp::create(b, loc, lbs, ubs, steps, [&](OpBuilder &pb, Location l, ValueRange ivs) {
    Value id = tensor::ExtractOp::create(pb, l, op.getIds(), ivs.drop_back());
    Value row = arith::IndexCastOp::create(pb, l, pb.getIndexType(), id);
    Value g = tensor::ExtractOp::create(pb, l, grad, ivs);
    memref::AtomicRMWOp::create(pb, l, arith::AtomicRMWKind::addf, g, table,
                                ValueRange{row, ivs.back()});
    scf::ReduceOp::create(pb, l);
  });
  op.replaceAllUsesWith(bufferization::ToTensorOp::create(b, loc, type, table, true, true).getResult());
  op.erase();
  return success();
}

struct FrondParallelScanScatter
    : frond::impl::FrondParallelScanScatterBase<FrondParallelScanScatter> {
  void runOnOperation() override {
    SmallVector<Operation *> ops;
    getOperation().walk([&](Operation *op) {
      if (isa<CumsumOp, EmbeddingGradOp>(op))
        ops.push_back(op);
    });
    for (Operation *op : ops) {
      if (auto cumsum = dyn_cast<CumsumOp>(op))
        lowerCumsum(cumsum);
      else
        (void)lowerEmbeddingGrad(cast<EmbeddingGradOp>(op));
    }
  }
};

} // namespace
