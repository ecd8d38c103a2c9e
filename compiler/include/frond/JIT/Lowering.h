//===- Lowering.h - frond module → LLVM dialect → LLVM IR -------*- C++ -*-===//
//
// The two steps the JIT takes before code generation, as functions that
// `frond compile --emit=lowered|llvm` and the JIT share.
//
//===----------------------------------------------------------------------===//
#ifndef FROND_JIT_LOWERING_H
#define FROND_JIT_LOWERING_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"

#include <functional>
#include <string>

namespace llvm {
class Error;
class Module;
class TargetMachine;
} // namespace llvm

namespace frond::jit {

/// Loads the dialects and translations the CPU pipeline and the LLVM IR
/// translation need into the module's context.
void prepareContext(mlir::MLIRContext &ctx);

/// Lowers `module` in place through the CPU pipeline (frond → LLVM
/// dialect); `emulateGPUAttention` runs softmax attention as the CUDA
/// kernel's host emulation; `chunkLinearAttention` false keeps the linear
/// kinds in the tiled query x key loops; `emulatedAttentionTiles` bf16/f16
/// and `emulatedMatmulTiles` tf32/bf16/f16 emulate the mma.sync kernels'
/// rounding (CPUPipelineOptions). On failure
/// returns false and sets `error` to the pipeline's diagnostics, each with
/// its spec location.
bool lowerToLLVMDialect(mlir::ModuleOp module, std::string &error,
                        bool emulateGPUAttention = false, bool chunkLinearAttention = true,
                        const std::string &emulatedAttentionTiles = "f32",
                        const std::string &emulatedMatmulTiles = "f32");

/// Which of LLVM's loop transforms run on the lowered code. All of them by
/// default: the CPU pipeline vectorizes the contractions, but the
/// elementwise loop nests it leaves scalar gain from LLVM's loop vectorizer
/// and unroller. `quick()` drops those two: LLVM then compiles about three
/// times faster and the code runs about a quarter slower, the trade for a
/// model compiled to run once (check --numerics; bench/results/jit_compile.md).
struct LLVMTuning {
  bool loopUnrolling = true;      ///< also loop interleaving
  bool loopVectorization = true;
  bool slpVectorization = true;   ///< straight-line code (cheap)
  static LLVMTuning quick() { return {false, false, true}; }
  bool isQuick() const { return !loopUnrolling && !loopVectorization; }
  /// "unroll=1 loop-vectorize=1 slp=1", for cache keys.
  std::string describe() const;
};

/// LLVM's default -O`optLevel` pipeline with `tuning`, for `targetMachine`
/// (its cost model; null: none).
std::function<llvm::Error(llvm::Module *)>
makeLLVMOptimizer(unsigned optLevel, llvm::TargetMachine *targetMachine,
                  const LLVMTuning &tuning = {});

/// Translates an LLVM-dialect module to LLVM IR and optimises it at
/// -O`optLevel` for the host CPU; `ir` gets the textual IR.
bool translateToLLVMIR(mlir::ModuleOp module, unsigned optLevel, std::string &ir,
                       std::string &error);

/// Runs -frond-autodiff (then canonicalize + CSE) on `module`, adding each
/// model's gradient function (@<model>_grad). Errors (an op without a
/// gradient rule, ...) carry their spec locations.
bool addGradient(mlir::ModuleOp module, std::string &error);

/// The module's compiled function whose name ends in `suffix` ("_forward",
/// "_grad", ...): a defined func.func carrying frond.outputs; null if none.
mlir::func::FuncOp findFrondFunction(mlir::ModuleOp module, llvm::StringRef suffix);

} // namespace frond::jit

#endif // FROND_JIT_LOWERING_H
