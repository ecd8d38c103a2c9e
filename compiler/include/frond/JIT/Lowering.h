//===- Lowering.h - frond module → LLVM dialect → LLVM IR -------*- C++ -*-===//
//
// The two steps the JIT takes before code generation, as functions that
// `frond compile --emit=lowered|llvm` and the JIT share.
//
//===----------------------------------------------------------------------===//
#ifndef FROND_JIT_LOWERING_H
#define FROND_JIT_LOWERING_H

#include "mlir/IR/BuiltinOps.h"

#include <string>

namespace frond::jit {

/// Loads the dialects and translations the CPU pipeline and the LLVM IR
/// translation need into the module's context.
void prepareContext(mlir::MLIRContext &ctx);

/// Lowers `module` in place through the CPU pipeline (frond → LLVM
/// dialect); `emulateGPUAttention` runs softmax attention as the CUDA
/// kernel's host emulation; `chunkLinearAttention` false keeps the linear
/// kinds in the tiled query x key loops; `emulatedAttentionTiles` bf16/f16
/// emulates the mma.sync kernel's rounding (CPUPipelineOptions). On failure
/// returns false and sets `error` to the pipeline's diagnostics, each with
/// its spec location.
bool lowerToLLVMDialect(mlir::ModuleOp module, std::string &error,
                        bool emulateGPUAttention = false, bool chunkLinearAttention = true,
                        const std::string &emulatedAttentionTiles = "f32");

/// Translates an LLVM-dialect module to LLVM IR and optimises it at
/// -O`optLevel` for the host CPU; `ir` gets the textual IR.
bool translateToLLVMIR(mlir::ModuleOp module, unsigned optLevel, std::string &ir,
                       std::string &error);

/// Runs -frond-autodiff (then canonicalize + CSE) on `module`, adding each
/// model's gradient function (@<model>_grad). Errors (an op without a
/// gradient rule, ...) carry their spec locations.
bool addGradient(mlir::ModuleOp module, std::string &error);

} // namespace frond::jit

#endif // FROND_JIT_LOWERING_H
