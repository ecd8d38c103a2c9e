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
#include "LoweringUtils.h"
#include "frond/Dialect/Frond/IR/FrondOps.h"
#include "frond/Transforms/Passes.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
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

constexpr int64_t kSharedBytes = 48 * 1024; // static workgroup memory per block

Type bufferTypeOf(Type type) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  if (!tensor)
    return type;
  // Any layout the producer bufferizes to is accepted.
  SmallVector<int64_t> strides(tensor.getRank(), ShapedType::kDynamic);
  auto layout = StridedLayoutAttr::get(type.getContext(), ShapedType::kDynamic, strides);
  return MemRefType::get(tensor.getShape(), tensor.getElementType(), layout);
}

Value bufferOf(OpBuilder &b, Location loc, Value v) {
  if (!isa<RankedTensorType>(v.getType()))
    return v;
  return bufferization::ToBufferOp::create(b, loc, bufferTypeOf(v.getType()), v, /*readOnly=*/true);
}

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
    if (mma && emulate) {
      getOperation().emitError("frond-lower-attention-to-gpu: emulate runs the f32 kernel only "
                               "(mma.sync has no host form); use element-type=f32");
      return signalPassFailure();
    }
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

  /// Softmax without a metric, f32/bf16/f16 operands, static head sizes.
  static bool isSupported(AttentionOp op) {
    auto q = cast<RankedTensorType>(op.getQ().getType());
    auto v = cast<RankedTensorType>(op.getV().getType());
    Type elem = q.getElementType();
    return op.getKind() == AttentionKind::Softmax && !op.getMetric() &&
           (elem.isF32() || elem.isBF16() || elem.isF16()) && !q.isDynamicDim(3) &&
           !v.isDynamicDim(3);
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
    while (sharedBytes(tk) > kSharedBytes && tk > (mma ? 16 : 1))
      tk = mma ? std::max<int64_t>(16, tk / 2 / 16 * 16) : tk / 2;
    if (sharedBytes(tk) > kSharedBytes)
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
    MLIRContext *ctx = op.getContext();
    Attribute space = emulate ? Attribute()
                              : gpu::AddressSpaceAttr::get(ctx, gpu::AddressSpace::Workgroup);
    auto shared = [&](int64_t r, int64_t c) {
      return MemRefType::get({r, c}, tileType, MemRefLayoutAttrInterface(), space);
    };
    if (mma)
      p.tiles = {shared(queryTile, dp), shared(tk, dp), shared(dvp, tk)};
    else
      p.tiles = {shared(tk, dp), shared(tk, dvp)};
    return p;
  }

  /// Fills the kernel's sizes from its buffers.
  static void readSizes(OpBuilder &b, AttentionKernel &kernel) {
    Location loc = kernel.loc;
    kernel.TQ = memref::DimOp::create(b, loc, kernel.q, 2);
    kernel.TK = memref::DimOp::create(b, loc, kernel.k, 2);
    kernel.group = arith::DivUIOp::create(b, loc, memref::DimOp::create(b, loc, kernel.q, 1),
                                          memref::DimOp::create(b, loc, kernel.k, 1));
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
    kernel.mask = op.getMask().empty() ? nullptr : &op.getMask();
    kernel.score = op.getScore().empty() ? nullptr : &op.getScore();
    kernel.headDim = cast<RankedTensorType>(op.getQ().getType()).getDimSize(3);
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
    SmallVector<Value> args{bufferOf(b, loc, op.getQ()), bufferOf(b, loc, op.getK()),
                            bufferOf(b, loc, op.getV())};
    for (Value c : op.getCaptures())
      args.push_back(bufferOf(b, loc, c));
    Value B = memref::DimOp::create(b, loc, args[0], 0);
    Value H = memref::DimOp::create(b, loc, args[0], 1);
    Value TQ = memref::DimOp::create(b, loc, args[0], 2);
    SmallVector<Value> dims{B, H, TQ}, dynamic;
    for (auto [extent, dim] : llvm::zip(resType.getShape(), dims))
      if (ShapedType::isDynamic(extent))
        dynamic.push_back(dim);
    Value out = memref::AllocOp::create(
        b, loc, MemRefType::get(resType.getShape(), resType.getElementType()), dynamic);
    Value lse = memref::AllocOp::create(
        b, loc, MemRefType::get(resType.getShape().drop_back(), b.getF32Type()), dynamic);
    args.append({out, lse});
    Value numQTiles = arith::CeilDivUIOp::create(b, loc, TQ, cIdx(b, loc, queryTile));

    if (emulate) {
      bindKernelArgs(kernel, args);
      readSizes(b, kernel);
      emitHostLoops(b, kernel, *p, mma, {numQTiles, H, B});
    } else {
      emitKernel(b, op, kernel, *p, mma, args, {numQTiles, H, B});
    }
    Value result = bufferization::ToTensorOp::create(b, loc, resType, out,
                                                     /*restrict=*/true, /*writable=*/true);
    op.replaceAllUsesWith(result);
    op.erase();
    return success();
  }

  static void bindKernelArgs(AttentionKernel &kernel, ValueRange args) {
    kernel.q = args[0], kernel.k = args[1], kernel.v = args[2];
    ValueRange captures = args.slice(3, args.size() - 5);
    kernel.captures.assign(captures.begin(), captures.end());
    kernel.out = args[args.size() - 2], kernel.lse = args.back();
  }

  /// The kernel in a gpu.module of its own, and the host's placeholder call.
  void emitKernel(OpBuilder &b, AttentionOp op, AttentionKernel &kernel, const Plan &p, bool mma,
                  ValueRange args, ArrayRef<Value> grid) {
    Location loc = kernel.loc;
    ModuleOp module = getOperation();
    module->setAttr(gpu::GPUDialect::getContainerModuleAttrName(), b.getUnitAttr());
    auto func = op->getParentOfType<FunctionOpInterface>();
    std::string name;
    do
      name = (func.getName() + "_attention_" + Twine(kernelCount++)).str();
    while (module.lookupSymbol(name) || module.lookupSymbol(name + "_launch"));
    OpBuilder mb = OpBuilder::atBlockEnd(module.getBody());
    auto gpuModule = gpu::GPUModuleOp::create(mb, loc, name);
    mb.setInsertionPointToStart(gpuModule.getBody());
    auto type = FunctionType::get(b.getContext(), TypeRange(args), {});
    // Workgroup tiles as module globals aligned for vector loads (a
    // workgroup attribution would only get its element's alignment).
    SmallVector<memref::GlobalOp> globals;
    for (auto [i, tile] : llvm::enumerate(p.tiles))
      globals.push_back(memref::GlobalOp::create(
          mb, loc, mb.getStringAttr("tile" + Twine(i)), mb.getStringAttr("private"),
          TypeAttr::get(tile), Attribute(), UnitAttr(), mb.getI64IntegerAttr(16)));
    // The kernel carries the module's name, so it names itself in PTX.
    auto kernelFunc = gpu::GPUFuncOp::create(mb, loc, name, type);
    kernelFunc->setAttr(gpu::GPUDialect::getKernelFuncAttrName(), mb.getUnitAttr());
    kernelFunc.setKnownBlockSize(ArrayRef<int32_t>{static_cast<int32_t>(p.numThreads), 1, 1});
    OpBuilder kb = OpBuilder::atBlockBegin(&kernelFunc.getBody().front());
    bindKernelArgs(kernel, kernelFunc.getArguments());
    readSizes(kb, kernel);
    SmallVector<Value> tiles;
    for (memref::GlobalOp global : globals)
      tiles.push_back(memref::GetGlobalOp::create(kb, loc, global.getType(), global.getSymName()));
    auto blockId = [&](gpu::Dimension d) -> Value { return gpu::BlockIdOp::create(kb, loc, d); };
    buildBlock(kb, kernel, p, mma, blockId(gpu::Dimension::x), blockId(gpu::Dimension::y),
               blockId(gpu::Dimension::z), gpu::ThreadIdOp::create(kb, loc, gpu::Dimension::x),
               tiles);
    gpu::ReturnOp::create(kb, loc);

    // The host calls a declaration until frond-launch-gpu-kernels.
    SmallVector<Value> operands(grid);
    operands.append(args.begin(), args.end());
    mb.setInsertionPoint(gpuModule);
    auto decl = func::FuncOp::create(mb, loc, name + "_launch",
                                     FunctionType::get(b.getContext(), TypeRange(operands), {}));
    decl.setPrivate();
    decl->setAttr("frond.gpu_kernel",
                  SymbolRefAttr::get(gpuModule.getNameAttr(),
                                     {FlatSymbolRefAttr::get(kernelFunc.getNameAttr())}));
    func::CallOp::create(b, loc, decl, operands);
  }

  /// The launch as loops: blocks (z, y, x), then threads, one at a time.
  void emitHostLoops(OpBuilder &b, const AttentionKernel &kernel, const Plan &p, bool mma,
                     ArrayRef<Value> grid) {
    Location loc = kernel.loc;
    // The tiles (static shapes) as allocas at the function's entry: buffer
    // deallocation takes no explicit frees, and a loop around the op must
    // not grow the stack.
    SmallVector<Value> tiles;
    Block *entry = b.getInsertionBlock();
    while (!isa<FunctionOpInterface>(entry->getParentOp()))
      entry = entry->getParentOp()->getBlock();
    OpBuilder eb = OpBuilder::atBlockBegin(&entry->getParent()->front());
    for (Type t : p.tiles)
      tiles.push_back(memref::AllocaOp::create(eb, loc, cast<MemRefType>(t)));
    Value zero = cIdx(b, loc, 0), one = cIdx(b, loc, 1);
    auto loop = [&](OpBuilder &lb, Value ub, function_ref<void(OpBuilder &, Value)> inner) {
      scf::ForOp::create(lb, loc, zero, ub, one, ValueRange{},
                         [&](OpBuilder &nb, Location, Value iv, ValueRange) {
                           inner(nb, iv);
                           scf::YieldOp::create(nb, loc);
                         });
    };
    loop(b, grid[2], [&](OpBuilder &b1, Value bi) {
      loop(b1, grid[1], [&](OpBuilder &b2, Value h) {
        loop(b2, grid[0], [&](OpBuilder &b3, Value qt) {
          loop(b3, cIdx(b3, loc, p.numThreads), [&](OpBuilder &b4, Value tid) {
            buildBlock(b4, kernel, p, mma, qt, h, bi, tid, tiles);
          });
        });
      });
    });
  }

  int64_t kernelCount = 0;
};

} // namespace
