//===- GPUAttentionLaunch.cpp - an attention kernel as a GPU launch -------===//
//
// The forward and backward attention kernels are emitted the same way: a
// gpu.func in a gpu.module of its own, called through a placeholder
// declaration until frond-launch-gpu-kernels, or (emulated) the same body
// as host loops in the function.
//
//===----------------------------------------------------------------------===//
#include "frond/Dialect/Frond/IR/GradientBuilder.h"
#include "GPUAttention.h"
#include "LoweringUtils.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Interfaces/FunctionInterfaces.h"

using namespace mlir;
using namespace mlir::frond;
using namespace mlir::frond::gpuattn;
using lowering::cIdx;

std::string gpuattn::uniqueKernelName(ModuleOp module, Operation *op, int64_t &counter,
                                      StringRef what) {
  auto parent = op->getParentOfType<FunctionOpInterface>();
  StringRef func = parent.getName();
  std::string name;
  do
    name = (func + "_" + what + "_" + Twine(counter++)).str();
  while (module.lookupSymbol(name) || module.lookupSymbol(name + "_launch"));
  return name;
}

MemRefType gpuattn::workgroupTile(MLIRContext *ctx, ArrayRef<int64_t> shape, Type elem,
                                  bool emulate) {
  Attribute space =
      emulate ? Attribute() : gpu::AddressSpaceAttr::get(ctx, gpu::AddressSpace::Workgroup);
  return MemRefType::get(shape, elem, MemRefLayoutAttrInterface(), space);
}

Value gpuattn::bufferOf(OpBuilder &b, Location loc, Value v) {
  auto tensor = dyn_cast<RankedTensorType>(v.getType());
  if (!tensor)
    return v;
  // Any layout the producer bufferizes to is accepted.
  SmallVector<int64_t> strides(tensor.getRank(), ShapedType::kDynamic);
  auto layout = StridedLayoutAttr::get(v.getContext(), ShapedType::kDynamic, strides);
  auto type = MemRefType::get(tensor.getShape(), tensor.getElementType(), layout);
  return bufferization::ToBufferOp::create(b, loc, type, v, /*readOnly=*/true);
}

Value gpuattn::scoredQueries(OpBuilder &b, Location loc, Value q, Value metric) {
  if (!metric)
    return q;
  return detail::GradientBuilder(b, loc).matmul(q, metric);
}

Value gpuattn::allocLike(OpBuilder &b, Location loc, ArrayRef<int64_t> shape, Type elem,
                         ArrayRef<Value> extents) {
  SmallVector<Value> dynamic;
  for (auto [extent, value] : llvm::zip(shape, extents))
    if (ShapedType::isDynamic(extent))
      dynamic.push_back(value);
  return memref::AllocOp::create(b, loc, MemRefType::get(shape, elem), dynamic);
}

namespace {

void emitKernel(OpBuilder &b, Location loc, ModuleOp module, const KernelLaunch &launch,
                ValueRange args) {
  module->setAttr(gpu::GPUDialect::getContainerModuleAttrName(), b.getUnitAttr());
  OpBuilder mb = OpBuilder::atBlockEnd(module.getBody());
  gpu::GPUModuleOp gpuModule =
      launch.into ? launch.into : gpu::GPUModuleOp::create(mb, loc, launch.name);
  mb.setInsertionPointToStart(gpuModule.getBody());
  auto type = FunctionType::get(b.getContext(), TypeRange(args), {});
  // Workgroup tiles as module globals aligned for vector loads (a
  // workgroup attribution would only get its element's alignment). Each
  // kernel gets the shared memory of the globals it uses.
  SmallVector<memref::GlobalOp> globals;
  for (auto [i, tile] : llvm::enumerate(launch.tiles)) {
    StringAttr name = mb.getStringAttr("tile" + Twine(i));
    auto global = SymbolTable::lookupNearestSymbolFrom<memref::GlobalOp>(gpuModule, name);
    assert((!global || global.getType() == tile) && "kernels of a module share their tiles");
    if (!global)
      global = memref::GlobalOp::create(mb, loc, name, mb.getStringAttr("private"),
                                        TypeAttr::get(tile), Attribute(), UnitAttr(),
                                        mb.getI64IntegerAttr(16));
    globals.push_back(global);
  }
  mb.setInsertionPointToEnd(gpuModule.getBody());
  // The kernel is named as its launch (and a module of its own), so it
  // names itself in PTX.
  auto kernelFunc = gpu::GPUFuncOp::create(mb, loc, launch.name, type);
  kernelFunc->setAttr(gpu::GPUDialect::getKernelFuncAttrName(), mb.getUnitAttr());
  kernelFunc.setKnownBlockSize(ArrayRef<int32_t>{static_cast<int32_t>(launch.numThreads), 1, 1});
  OpBuilder kb = OpBuilder::atBlockBegin(&kernelFunc.getBody().front());
  SmallVector<Value> tiles;
  for (memref::GlobalOp global : globals)
    tiles.push_back(memref::GetGlobalOp::create(kb, loc, global.getType(), global.getSymName()));
  SmallVector<Value> blockIds;
  for (gpu::Dimension d : {gpu::Dimension::x, gpu::Dimension::y, gpu::Dimension::z})
    blockIds.push_back(gpu::BlockIdOp::create(kb, loc, d));
  launch.body(kb, kernelFunc.getArguments(), blockIds,
              gpu::ThreadIdOp::create(kb, loc, gpu::Dimension::x), tiles);
  gpu::ReturnOp::create(kb, loc);

  // The host calls a declaration until frond-launch-gpu-kernels.
  SmallVector<Value> operands(launch.grid);
  operands.append(args.begin(), args.end());
  mb.setInsertionPoint(gpuModule);
  auto decl = func::FuncOp::create(mb, loc, launch.name + "_launch",
                                   FunctionType::get(b.getContext(), TypeRange(operands), {}));
  decl.setPrivate();
  decl->setAttr("frond.gpu_kernel",
                SymbolRefAttr::get(gpuModule.getNameAttr(),
                                   {FlatSymbolRefAttr::get(kernelFunc.getNameAttr())}));
  func::CallOp::create(b, loc, decl, operands);
}

void emitHostLoops(OpBuilder &b, Location loc, const KernelLaunch &launch, ValueRange args) {
  // The tiles (static shapes) as allocas at the function's entry: buffer
  // deallocation takes no explicit frees, and a loop around the op must
  // not grow the stack.
  SmallVector<Value> tiles;
  Block *entry = b.getInsertionBlock();
  while (!isa<FunctionOpInterface>(entry->getParentOp()))
    entry = entry->getParentOp()->getBlock();
  OpBuilder eb = OpBuilder::atBlockBegin(&entry->getParent()->front());
  for (Type t : launch.tiles)
    tiles.push_back(memref::AllocaOp::create(eb, loc, cast<MemRefType>(t)));
  using lowering::forEach;
  forEach(b, loc, launch.grid[2], [&](OpBuilder &b1, Value z) {
    forEach(b1, loc, launch.grid[1], [&](OpBuilder &b2, Value y) {
      forEach(b2, loc, launch.grid[0], [&](OpBuilder &b3, Value x) {
        forEach(b3, loc, cIdx(b3, loc, launch.numThreads), [&](OpBuilder &b4, Value tid) {
          launch.body(b4, args, {x, y, z}, tid, tiles);
        });
      });
    });
  });
}

} // namespace

void gpuattn::emitLaunch(OpBuilder &b, Location loc, ModuleOp module, const KernelLaunch &launch,
                         ValueRange args, bool emulate) {
  if (emulate)
    emitHostLoops(b, loc, launch, args);
  else
    emitKernel(b, loc, module, launch, args);
}
