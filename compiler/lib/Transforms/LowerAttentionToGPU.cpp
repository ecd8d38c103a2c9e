//===- LowerAttentionToGPU.cpp - frond.attention → flash-attention kernel -===//
//
// The frond-lower-attention-to-gpu pass (algorithm in Passes.td): buffers
// for the operands, the output and the log-sum-exp; the kernel as a
// gpu.func in its own gpu.module, called through a placeholder declaration
// until frond-launch-gpu-kernels (or, with `emulate`, the same kernel as
// host loops in the function).
//
//===----------------------------------------------------------------------===//
#include "GPUAttention.h"
#include "GPUKernelDedup.h"
#include "LoweringUtils.h"
#include "frond/Dialect/Frond/IR/FrondOps.h"
#include "frond/Transforms/Passes.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/Dominance.h"
#include "llvm/Support/MathExtras.h"

#include <limits>

namespace mlir::frond {
#define GEN_PASS_DEF_FRONDLOWERATTENTIONTOGPU
#include "frond/Transforms/Passes.h.inc"
} // namespace mlir::frond

using namespace mlir;
using namespace mlir::frond;
using namespace mlir::frond::gpuattn;
using lowering::cFloat;
using lowering::cIdx;

namespace {

/// The launch geometry and workgroup tiles of one attention op.
struct Plan {
  int64_t keyTile = 0, numThreads = 0;
  SmallVector<Type> tiles; // workgroup buffers
};

struct FrondLowerAttentionToGPU
    : frond::impl::FrondLowerAttentionToGPUBase<FrondLowerAttentionToGPU> {
  using Base::Base;

  void runOnOperation() override {
    Type tile = parseTileType();
    if (!tile || queryTile < 1 || keyTile < 1) {
      getOperation().emitError("frond-lower-attention-to-gpu: element-type must be f32, bf16 or "
                               "f16 and tiles positive, found element-type=")
          << std::string(elementType) << " query-tile=" << int64_t(queryTile) << " key-tile=" << int64_t(keyTile);
      return signalPassFailure();
    }
    bool mma = !tile.isF32();
    if (mma && (queryTile % 16 || keyTile % 16)) {
      getOperation().emitError("frond-lower-attention-to-gpu: the mma.sync kernel needs tiles "
                               "that are multiples of 16, found query-tile=")
          << int64_t(queryTile) << " key-tile=" << int64_t(keyTile);
      return signalPassFailure();
    }
    SmallVector<AttentionOp> ops;
    getOperation().walk([&](AttentionOp op) {
      if (isSupported(op))
        ops.push_back(op);
    });
    for (AttentionOp op : ops)
      if (failed(lower(op, tile, mma)))
        return signalPassFailure();
    // Backward kernels for the gradients of the forwards lowered here, on
    // the forward's tiles (mma.sync for softmax kinds on bf16/f16 tiles;
    // emulated, f32 rounding as those do). They read the forward's saved
    // row statistic.
    SmallVector<AttentionGradOp> grads;
    DominanceInfo dominance(getOperation());
    getOperation().walk([&](AttentionGradOp op) {
      Value lse = savedLse.lookup(op.getOut());
      if (supportedOperands(op.getMetric(), op.getQ(), op.getV()) && lse &&
          dominance.properlyDominates(lse, op))
        grads.push_back(op);
    });
    GradLoweringOptions options{getOperation(), queryTile, keyTile, emulate, &kernelCount,
                                mma ? tile : Type()};
    for (AttentionGradOp op : grads)
      if (failed(lowerAttentionGradToGPU(op, savedLse.lookup(op.getOut()), options)))
        return signalPassFailure();
    // Every layer's kernels are the same: keep one of each before later
    // passes walk every copy.
    DenseMap<StringAttr, SymbolRefAttr> sameAs = dropDuplicateKernelModules(getOperation());
    if (!sameAs.empty())
      getOperation().walk([&](func::FuncOp decl) {
        auto kernel = decl->getAttrOfType<SymbolRefAttr>("frond.gpu_kernel");
        if (SymbolRefAttr kept = kernel ? sameAs.lookup(kernel.getRootReference()) : SymbolRefAttr())
          decl->setAttr("frond.gpu_kernel", kept);
      });
  }

  Type parseTileType() {
    MLIRContext *ctx = &getContext();
    if (elementType == "f32")
      return Float32Type::get(ctx);
    if (elementType == "bf16")
      return BFloat16Type::get(ctx);
    if (elementType == "f16")
      return Float16Type::get(ctx);
    return {};
  }

  /// f32/bf16/f16 operands with static head sizes, a metric's (power_law)
  /// too.
  static bool isSupported(AttentionOp op) {
    return supportedOperands(op.getMetric(), op.getQ(), op.getV());
  }
  static bool supportedOperands(Value metric, Value q, Value v) {
    auto qType = cast<RankedTensorType>(q.getType());
    auto vType = cast<RankedTensorType>(v.getType());
    Type elem = qType.getElementType();
    return (elem.isF32() || elem.isBF16() || elem.isF16()) && !qType.isDynamicDim(3) &&
           !vType.isDynamicDim(3) &&
           !(metric && cast<RankedTensorType>(metric.getType()).isDynamicDim(3));
  }

  /// Tile sizes, threads and workgroup buffers; the key tile shrinks until
  /// the buffers fit.
  FailureOr<Plan> plan(AttentionOp op, const AttentionKernel &kernel, bool mma) {
    Type tileType = kernel.tileType;
    int64_t bytes = tileType.getIntOrFloatBitWidth() / 8;
    int64_t dp = mma ? llvm::alignTo(kernel.headDim, 16) : kernel.headDim;
    int64_t dvp = mma ? llvm::alignTo(kernel.valueDim, 8) : kernel.valueDim;
    int64_t qRows = mma ? queryTile : 0, tk = keyTile;
    auto sharedBytes = [&](int64_t keys) { return (qRows * dp + keys * (dp + dvp)) * bytes; };
    while (sharedBytes(tk) > kWorkgroupBytes && tk > (mma ? 16 : 1))
      tk = mma ? std::max<int64_t>(16, tk / 2 / 16 * 16) : tk / 2;
    if (sharedBytes(tk) > kWorkgroupBytes)
      return op.emitError("attention tiles do not fit in 48 KiB of workgroup memory with head "
                          "sizes ")
             << kernel.headDim << "/" << kernel.valueDim << " and query-tile=" << int64_t(queryTile)
             << "; lower query-tile";
    Plan p;
    p.keyTile = tk;
    p.numThreads = mma ? queryTile / 16 * 32 : queryTile;
    if (p.numThreads > 1024)
      return op.emitError("query-tile ") << int64_t(queryTile) << " needs " << p.numThreads
                                         << " threads per block (at most 1024); lower query-tile";
    auto shared = [&](int64_t r, int64_t c) -> Type {
      return workgroupTile(op.getContext(), {r, c}, tileType, emulate);
    };
    if (mma)
      p.tiles = {shared(queryTile, dp), shared(tk, dp), shared(dvp, tk)};
    else
      p.tiles = {shared(tk, dp), shared(tk, dvp)};
    return p;
  }

  /// The body of one block at `b`.
  void buildBlock(OpBuilder &b, const AttentionKernel &kernel, const Plan &p, bool mma, Value qt,
                  Value h, Value bi, Value tid, ValueRange tiles) {
    Location loc = kernel.loc;
    BlockCoords block{bi, h, arith::DivUIOp::create(b, loc, h, kernel.group),
                      arith::MulIOp::create(b, loc, qt, cIdx(b, loc, queryTile))};
    ThreadEnv env{tid, p.numThreads, static_cast<bool>(emulate)};
    if (mma)
      buildMmaKernel(b, kernel, block, env, tiles[0], tiles[1], tiles[2]);
    else
      buildRowKernel(b, kernel, block, env, tiles[0], tiles[1]);
  }

  LogicalResult lower(AttentionOp op, Type tileType, bool mma) {
    OpBuilder b(op);
    Location loc = op.getLoc();
    auto resType = cast<RankedTensorType>(op.getType());
    AttentionKernel kernel{loc};
    kernel.kind = op.getKind();
    // mma.sync has the online softmax only; the other kinds take f32 rows.
    if (!isSoftmaxKind(kernel.kind)) {
      mma = false;
      tileType = b.getF32Type();
    }
    // mma.sync has no host form: emulated, the f32 row kernel rounds where
    // the mma kernel does (q, k, v and the probabilities times v).
    if (mma && emulate) {
      kernel.roundTo = tileType;
      mma = false;
      tileType = b.getF32Type();
    }
    Value q = scoredQueries(b, loc, op.getQ(), op.getMetric());
    kernel.mask = op.getMask().empty() ? nullptr : &op.getMask();
    kernel.score = op.getScore().empty() ? nullptr : &op.getScore();
    kernel.headDim = cast<RankedTensorType>(q.getType()).getDimSize(3);
    kernel.valueDim = resType.getDimSize(3);
    kernel.scale = op.getScale().convertToDouble();
    kernel.tileType = tileType;
    kernel.emulate = emulate;
    kernel.queryTile = queryTile;
    FailureOr<Plan> p = plan(op, kernel, mma);
    if (failed(p))
      return failure();
    kernel.keyTile = p->keyTile;

    // Host side: buffers, sizes, output and log-sum-exp.
    SmallVector<Value> args{bufferOf(b, loc, q), bufferOf(b, loc, op.getK()),
                            bufferOf(b, loc, op.getV())};
    for (Value c : op.getCaptures())
      args.push_back(bufferOf(b, loc, c));
    Value B = memref::DimOp::create(b, loc, args[0], 0);
    Value H = memref::DimOp::create(b, loc, args[0], 1);
    Value TQ = memref::DimOp::create(b, loc, args[0], 2);
    SmallVector<Value> dims{B, H, TQ, Value()};
    Value out = allocLike(b, loc, resType.getShape(), resType.getElementType(), dims);
    Value lse = allocLike(b, loc, resType.getShape().drop_back(), b.getF32Type(), dims);
    args.append({out, lse});
    Value numQTiles = arith::CeilDivUIOp::create(b, loc, TQ, cIdx(b, loc, queryTile));

    KernelLaunch launch;
    launch.name = uniqueKernelName(getOperation(), op, kernelCount);
    launch.grid = {numQTiles, H, B};
    launch.numThreads = p->numThreads;
    launch.tiles = p->tiles;
    launch.body = [&, plan = *p](OpBuilder &kb, ValueRange kargs, ArrayRef<Value> ids, Value tid,
                                 ValueRange tiles) {
      bindKernelArgs(kernel, kargs);
      readKernelSizes(kb, kernel);
      buildBlock(kb, kernel, plan, mma, ids[0], ids[1], ids[2], tid, tiles);
    };
    emitLaunch(b, loc, getOperation(), launch, args, emulate);
    Value result = bufferization::ToTensorOp::create(b, loc, resType, out,
                                                     /*restrict=*/true, /*writable=*/true);
    op.replaceAllUsesWith(result);
    op.erase();
    savedLse[result] = lse;
    return success();
  }

  static void bindKernelArgs(AttentionKernel &kernel, ValueRange args) {
    kernel.q = args[0], kernel.k = args[1], kernel.v = args[2];
    ValueRange captures = args.slice(3, args.size() - 5);
    kernel.captures.assign(captures.begin(), captures.end());
    kernel.out = args[args.size() - 2], kernel.lse = args.back();
  }

  int64_t kernelCount = 0;
  /// The log-sum-exp each lowered forward saved, by its result (what an
  /// attention_grad's `out` is).
  DenseMap<Value, Value> savedLse;
};

} // namespace
