//===- GPUKernelDedup.h - one copy of each identical GPU kernel -*- C++ -*-===//
//
// A layer's kernels repeat in every layer, and a gradient recomputes its
// forward's: modules holding one kernel (and its workgroup tiles) whose
// text is the same are the same kernel, kept once. frond-merge-gpu-modules
// drops the duplicates of every kernel; frond-lower-attention-to-gpu drops
// its own right away, before the canonicalizer walks every copy of the
// large tensor-core kernels.
//
//===----------------------------------------------------------------------===//
#ifndef FROND_LIB_TRANSFORMS_GPUKERNELDEDUP_H
#define FROND_LIB_TRANSFORMS_GPUKERNELDEDUP_H

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/IR/BuiltinOps.h"

namespace mlir::frond {

/// The one kernel of a module holding nothing else but workgroup globals
/// (an outlined kernel, an attention kernel and its tiles), or null.
gpu::GPUFuncOp onlyKernel(gpu::GPUModuleOp module);

/// Erases each module of `top` holding only a kernel whose text (the
/// module's and kernel's names left out: signature, attributes, constants,
/// body and tiles) is that of a module kept before it. Returns, per erased
/// module's name, the kept kernel that replaces it.
DenseMap<StringAttr, SymbolRefAttr> dropDuplicateKernelModules(ModuleOp top);

} // namespace mlir::frond

#endif // FROND_LIB_TRANSFORMS_GPUKERNELDEDUP_H
