//===- CudaTarget.h - the JIT's CUDA target -----------------------*- C++ -*-===//
//
// What CompiledModel does differently for CompileOptions::Target::CUDA:
// the module goes through the CUDA pipeline with its host lowering (for the
// architecture of device 0), the compiled code calls the mgpu* functions
// (frond/runtime/CudaMgpu.h, registered as JIT symbols), arguments are
// copied into managed memory before a call and results are freed with
// mgpuMemFree after they are copied out.
//
//===----------------------------------------------------------------------===//
#ifndef FROND_LIB_JIT_CUDATARGET_H
#define FROND_LIB_JIT_CUDATARGET_H

#include "mlir/IR/BuiltinOps.h"
#include "llvm/ExecutionEngine/Orc/Core.h"
#include "llvm/ExecutionEngine/Orc/Mangling.h"

#include <string>
#include <vector>

namespace frond::jit {

/// Opens device 0, points the kernel cache at `kernelCacheDir` and lowers
/// `module` through the CUDA pipeline for the device's architecture (or
/// `chip` when not empty), attention tiles of `attentionTiles` (f32, bf16,
/// f16) and matmul tiles of `matmulTiles` (f32, tf32, bf16, f16), down to
/// the LLVM dialect. False with `error`.
bool lowerForCUDA(mlir::ModuleOp module, const std::string &chip,
                  const std::string &attentionTiles, const std::string &matmulTiles,
                  const std::string &kernelCacheDir,
                  std::string &error);

/// Why the lowered host function `name` cannot be replayed as a CUDA graph
/// (frond-mark-replayable's frond.not_replayable), "" if it can.
std::string replayProblem(mlir::ModuleOp module, const std::string &name);

/// The mgpu* functions under the names generated code calls them by.
llvm::orc::SymbolMap mgpuSymbolMap(llvm::orc::MangleAndInterner mangle);

/// The first mgpu* failure since the last call ("" if none), as a message
/// for the user.
std::string takeGPUError();

/// Copies of a call's arguments in managed memory, freed on destruction.
class ManagedArguments {
public:
  ManagedArguments() = default;
  ManagedArguments(const ManagedArguments &) = delete;
  ManagedArguments &operator=(const ManagedArguments &) = delete;
  ~ManagedArguments();
  /// A managed copy of `bytes` bytes at `data`; null with `error` on failure.
  void *copy(const void *data, size_t bytes, std::string &error);

private:
  std::vector<void *> buffers;
};

/// Frees a buffer the compiled code allocated (mgpuMemFree).
void freeGPUBuffer(void *buffer);

} // namespace frond::jit

#endif // FROND_LIB_JIT_CUDATARGET_H
