//===- LowerAttentionGradToGPU.cpp - attention_grad → two GPU kernels -----===//
//
// The host side of the flash-attention backward (frond-lower-attention-to-gpu,
// algorithm in Passes.td): buffers for the operands, the forward's saved
// log-sum-exp, the row sums delta = dO·O and the gradients, then two
// launches, both one thread per row (GPUAttentionGradKernels.cpp) or, for
// softmax kinds after bf16/f16 forward tiles, one warp per 16 rows on
// tensor cores (GPUAttentionGradMmaKernels.cpp):
//   1. dQ: a block per (query tile, head, batch) sweeps the key tiles;
//      it also writes delta, and adds the captures' gradients atomically;
//   2. dK/dV: a block per (key tile, K/V head, batch) sweeps the query
//      heads of its group and their query tiles, reading delta.
// Two kernels instead of one with atomic dQ: every gradient row has one
// writer, so the results do not depend on the order blocks run in.
//
//===----------------------------------------------------------------------===//
#include "frond/Dialect/Frond/IR/GradientBuilder.h"
#include "GPUAttention.h"
#include "LoweringUtils.h"
#include "frond/Dialect/Frond/IR/FrondOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace mlir::frond;
using namespace mlir::frond::gpuattn;
using lowering::cFloat;
using lowering::castTensor;
using lowering::cIdx;

namespace {

/// The launch operands, in this order: q, k, v, out, dout, lse, delta, dq,
/// dk, dv, then the captures, then the captures' gradient buffers.
enum : unsigned { kQ, kK, kV, kOut, kDout, kLse, kDelta, kDq, kDk, kDv, kFixed };

/// The kernels' view of the operands (`args` as the body sees them).
AttentionGradKernel bindGradArgs(const AttentionGradKernel &shape, ValueRange args,
                                 unsigned numCaptures) {
  AttentionGradKernel g = shape;
  AttentionKernel &f = g.fwd;
  f.q = args[kQ], f.k = args[kK], f.v = args[kV], f.out = args[kOut], f.lse = args[kLse];
  g.dout = args[kDout], g.delta = args[kDelta];
  g.dq = args[kDq], g.dk = args[kDk], g.dv = args[kDv];
  ValueRange captures = args.slice(kFixed, numCaptures);
  f.captures.assign(captures.begin(), captures.end());
  for (auto [n, grad] : llvm::enumerate(g.captureGrads))
    grad.second = args[kFixed + numCaptures + n];
  return g;
}

/// Whether block argument `arg` of the score region is read.
bool readsArgument(Region *score, unsigned arg) {
  return score && !score->front().getArgument(arg).use_empty();
}

} // namespace

LogicalResult gpuattn::lowerAttentionGradToGPU(AttentionGradOp op, Value lse,
                                               const GradLoweringOptions &o) {
  OpBuilder b(op);
  Location loc = op.getLoc();
  MLIRContext *ctx = op.getContext();
  // power_law: the kernels differentiate softmax attention of q G.
  Value q = scoredQueries(b, loc, op.getQ(), op.getMetric());
  auto qType = cast<RankedTensorType>(q.getType());
  auto kType = cast<RankedTensorType>(op.getK().getType());
  auto vType = cast<RankedTensorType>(op.getV().getType());
  int64_t D = qType.getDimSize(3), Dv = vType.getDimSize(3);
  if (o.queryTile > 1024)
    return op.emitError("query-tile ") << o.queryTile
                                       << " needs as many threads per block (at most 1024); "
                                          "lower query-tile";
  // Softmax kinds after bf16/f16 forward tiles run on tensor cores (the
  // emulation keeps the f32 kernels, rounding as these do).
  bool mma = o.roundTo && !o.emulate && isSoftmaxKind(op.getKind());
  Type tileType = mma ? o.roundTo : b.getF32Type();
  int64_t Dp = mma ? llvm::alignTo(D, 16) : D, Dvp = mma ? llvm::alignTo(Dv, 16) : Dv;
  int64_t minRows = mma ? 16 : 1, bytes = tileType.getIntOrFloatBitWidth() / 8;
  // Staged rows (K/V tiles, then Q/dO tiles); fewer until they fit.
  int64_t tk = o.keyTile;
  auto fits = [&] { return tk * (Dp + Dvp) * bytes <= kWorkgroupBytes; };
  while (!fits() && tk > minRows)
    tk = std::max(minRows, tk / 2 / minRows * minRows);
  if (!fits())
    return op.emitError("attention gradient tiles do not fit in 48 KiB of workgroup memory with "
                        "head sizes ")
           << D << "/" << Dv;
  auto shared = [&](int64_t cols) -> Type {
    return workgroupTile(ctx, {tk, cols}, tileType, o.emulate);
  };
  SmallVector<Type> tiles{shared(Dp), shared(Dvp)};

  // Host side: operands as buffers, then the sizes and the fresh buffers.
  SmallVector<Value> args;
  for (Value v : {q, Value(op.getK()), Value(op.getV()), Value(op.getOut()), Value(op.getDout())})
    args.push_back(bufferOf(b, loc, v));
  Value B = memref::DimOp::create(b, loc, args[kQ], 0);
  Value H = memref::DimOp::create(b, loc, args[kQ], 1);
  Value TQ = memref::DimOp::create(b, loc, args[kQ], 2);
  Value HKV = memref::DimOp::create(b, loc, args[kK], 1);
  Value TK = memref::DimOp::create(b, loc, args[kK], 2);
  Value delta = allocLike(b, loc, qType.getShape().drop_back(), b.getF32Type(), {B, H, TQ});
  Value dq = allocLike(b, loc, qType.getShape(), qType.getElementType(), {B, H, TQ, {}});
  Value dk = allocLike(b, loc, kType.getShape(), kType.getElementType(), {B, HKV, TK, {}});
  Value dv = allocLike(b, loc, vType.getShape(), vType.getElementType(), {B, HKV, TK, {}});
  args.append({lse, delta, dq, dk, dv});
  unsigned numCaptures = op.getCaptures().size();
  for (Value c : op.getCaptures())
    args.push_back(bufferOf(b, loc, c));

  // One gradient per float-tensor capture, zeroed; those the score region
  // reads get contributions.
  AttentionGradKernel shape{AttentionKernel{loc}};
  AttentionKernel &f = shape.fwd;
  f.mask = op.getMask().empty() ? nullptr : &op.getMask();
  f.score = op.getScore().empty() ? nullptr : &op.getScore();
  f.headDim = D, f.valueDim = Dv, f.queryTile = o.queryTile, f.keyTile = tk;
  f.scale = op.getScale().convertToDouble();
  f.kind = op.getKind();
  f.tileType = tileType;
  f.emulate = o.emulate;
  f.roundTo = isSoftmaxKind(f.kind) ? o.roundTo : Type();
  SmallVector<Value> gradBuffers, contributed;
  auto grads = op.getCaptureGrads();
  unsigned nextGrad = 0, leading = f.score ? f.score->getNumArguments() - numCaptures : 0;
  for (auto [i, c] : llvm::enumerate(op.getCaptures())) {
    auto type = dyn_cast<RankedTensorType>(c.getType());
    if (!type || !isa<FloatType>(type.getElementType()))
      continue;
    Value buffer = args[kFixed + i];
    SmallVector<Value> extents;
    for (int64_t d = 0; d < type.getRank(); ++d)
      extents.push_back(memref::DimOp::create(b, loc, buffer, d));
    auto gradType = cast<RankedTensorType>(grads[nextGrad++].getType());
    Value grad = allocLike(b, loc, gradType.getShape(), gradType.getElementType(), extents);
    linalg::FillOp::create(b, loc, ValueRange{cFloat(b, loc, gradType.getElementType(), 0.0)},
                           ValueRange{grad});
    gradBuffers.push_back(grad);
    if (readsArgument(f.score, leading + i)) {
      shape.captureGrads.push_back({unsigned(i), Value()});
      contributed.push_back(grad);
    }
  }
  // Only the gradients with contributions are kernel operands.
  args.append(contributed);

  Value tq = cIdx(b, loc, o.queryTile);
  bool failedRegion = false;
  std::string name = uniqueKernelName(o.module, op, *o.kernelCount);
  auto launch = [&](StringRef what, Value tiles0, Value heads, bool keys) {
    KernelLaunch l;
    l.name = name + what.str();
    l.grid = {arith::CeilDivUIOp::create(b, loc, tiles0, tq), heads, B};
    l.numThreads = mma ? o.queryTile / 16 * 32 : o.queryTile;
    l.tiles = tiles;
    l.body = [&](OpBuilder &kb, ValueRange kargs, ArrayRef<Value> ids, Value tid,
                 ValueRange tileBuffers) {
      AttentionGradKernel g = bindGradArgs(shape, kargs, numCaptures);
      readKernelSizes(kb, g.fwd);
      ThreadEnv env{tid, l.numThreads, o.emulate};
      Value first = arith::MulIOp::create(kb, loc, ids[0], cIdx(kb, loc, o.queryTile));
      Value t0 = tileBuffers[0], t1 = tileBuffers[1];
      if (keys) {
        BlockCoords block{ids[2], Value(), ids[1], first};
        failedRegion |= failed(mma ? buildGradKeyMmaKernel(kb, g, block, env, t0, t1, tk)
                                   : buildGradKeyKernel(kb, g, block, env, t0, t1, tk));
      } else {
        BlockCoords block{ids[2], ids[1], arith::DivUIOp::create(kb, loc, ids[1], g.fwd.group),
                          first};
        failedRegion |= failed(mma ? buildGradQueryMmaKernel(kb, g, block, env, t0, t1)
                                   : buildGradQueryKernel(kb, g, block, env, t0, t1));
      }
    };
    emitLaunch(b, loc, o.module, l, args, o.emulate);
  };
  launch("_dq", TQ, H, /*keys=*/false);
  launch("_dkv", TK, HKV, /*keys=*/true);
  if (failedRegion)
    return failure();

  // The results as tensors of the buffers, in the op's result order.
  auto asResult = [&](Value buffer, Type type) -> Value {
    auto memref = cast<MemRefType>(buffer.getType());
    Value t = bufferization::ToTensorOp::create(
        b, loc, RankedTensorType::get(memref.getShape(), memref.getElementType()), buffer,
        /*restrict=*/true, /*writable=*/true);
    return castTensor(b, loc, t, type);
  };
  SmallVector<Value> results;
  Value dqScored = asResult(dq, qType);
  if (Value metric = op.getMetric()) {
    // d(q G) → dq = d(qG) Gᵀ and dG = qᵀ d(qG).
    detail::GradientBuilder gb(b, loc);
    Value dmetric = gb.matmul(gb.transposeLast(op.getQ()), dqScored);
    Value dqFull = gb.matmul(dqScored, gb.transposeLast(metric));
    results = {castTensor(b, loc, dqFull, op.getDq().getType()), asResult(dk, op.getDk().getType()),
               asResult(dv, op.getDv().getType()), castTensor(b, loc, dmetric, op.getDmetric().getType())};
  } else {
    results = {castTensor(b, loc, dqScored, op.getDq().getType()), asResult(dk, op.getDk().getType()),
               asResult(dv, op.getDv().getType())};
  }
  for (auto [result, buffer] : llvm::zip(grads, gradBuffers))
    results.push_back(asResult(buffer, result.getType()));
  op->replaceAllUsesWith(results);
  op.erase();
  return success();
}
