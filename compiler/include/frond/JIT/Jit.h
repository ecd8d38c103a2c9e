//===- Jit.h - run a frond forward function on the CPU or a GPU -*- C++ -*-===//
//
// Compiles the module MLIRGen makes (func.func @<model>_forward of frond
// ops) with the CPU pipeline (frond/Pipelines/Pipelines.h) and
// mlir::ExecutionEngine, then calls it on host tensors
// (frond/runtime/Tensor.h). With CompileOptions::Target::CUDA the module
// goes through the CUDA pipeline instead and runs on GPU 0 (lib/JIT/
// CudaTarget.h).
//
// The function gets `llvm.emit_c_interface` before lowering, so the JIT
// exposes `_mlir_ciface_<name>(results*, memref-descriptor*...)`; it is
// called through ExecutionEngine::invokePacked with one pointer per
// argument. Argument i is a StridedMemRefType (identity layout) over the
// caller's buffer; the results come back as descriptors of buffers the
// compiled code allocated (malloc), which are copied out and freed.
// Generated code calls libm (erff) and memrefCopy from
// libmlir_c_runner_utils, which is loaded as a shared library.
//
// Compiled code is cached twice: in memory (a second compile of the same
// IR in one process returns the same CompiledModel) and on disk (the
// object file, keyed by a hash of the IR and the options, see
// lib/JIT/ObjectCache.h), so a second run skips the pipeline and LLVM.
//
//===----------------------------------------------------------------------===//
#ifndef FROND_JIT_JIT_H
#define FROND_JIT_JIT_H

#include "frond/JIT/Lowering.h"
#include "frond/runtime/Tensor.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

#include <memory>
#include <set>
#include <string>
#include <vector>

namespace mlir {
class ExecutionEngine;
} // namespace mlir
namespace llvm::orc {
class LLJIT;
} // namespace llvm::orc

namespace frond::jit {

struct TrainStepPlan;

/// One argument or result of the compiled function.
struct Slot {
  std::string name;            ///< frond.name / frond.outputs entry
  runtime::DType dtype;        ///< f32, f64, or i64 (i64, index and i1 values)
  bool isBool = false;         ///< i1 elements (results only)
  std::vector<int64_t> shape;  ///< -1 for a dynamic extent
};

struct CompileOptions {
  unsigned optLevel = 2;
  /// LLVM's loop transforms on the CPU target (Lowering.h).
  LLVMTuning llvmTuning;
  /// Directory of the on-disk object cache; empty: no disk cache.
  std::string cacheDir;
  /// Compile even when the disk cache has the entry (and refresh it).
  bool refreshCache = false;
  /// Run -frond-autodiff first and expose @<model>_grad (arguments as the
  /// forward's; results "loss", then "grad:<param>" for every trainable
  /// parameter) instead of the forward.
  bool gradient = false;
  /// With `gradient`: append the optimizer's update (TrainStep.h) and
  /// expose @<model>_train_step instead.
  std::shared_ptr<const TrainStepPlan> trainStep;
  /// Without `gradient`: the suffix of the function to expose, e.g.
  /// "_prefill" or "_decode" (frond/MLIRGen/Generation.h); empty: "_forward".
  std::string entry;
  /// Softmax attention as the CUDA pipeline's f32 kernel run in host loops
  /// (CPUPipelineOptions::emulateGPUAttention).
  bool emulateGPUAttention = false;
  /// Linear attention kinds under a causal mask as chunked scans
  /// (CPUPipelineOptions::chunkLinearAttention); false: the tiled loops
  /// over query x key tiles (benchmarks compare the two).
  bool chunkLinearAttention = true;
  /// Where the code runs. CUDA: the CUDA pipeline with its host lowering,
  /// kernels on device 0 (PTX compiled by the driver through the kernel
  /// cache, $FROND_CACHE_DIR/cuda), host code calling the mgpu* runtime
  /// (frond/runtime/CudaMgpu.h), buffers in managed memory. Compiling fails
  /// with the "no CUDA device: ..." message on a machine without a GPU. The
  /// CUDA target keeps no JIT object cache (its global constructors load
  /// the kernels); `cacheDir` empty also turns the kernel cache off.
  enum class Target { CPU, CUDA } target = Target::CPU;
  /// CUDA: the architecture to compile for ("": device 0's, e.g. sm_90).
  std::string gpuChip;
  /// CUDA: the attention kernels' tiles, f32 (scalar) or bf16/f16
  /// (mma.sync tensor cores, f32 accumulation). With emulateGPUAttention:
  /// bf16/f16 round as the mma.sync kernel does.
  std::string gpuAttentionTiles = "f32";
  /// CUDA: the matmul kernels' tiles, f32 (CUDA cores) or tf32/bf16/f16
  /// (mma.sync, operands rounded to it). With emulateGPUAttention: the f32
  /// kernel rounds its operands as the mma.sync kernel does.
  std::string gpuMatmulTiles = "f32";
};

/// Where a compile's code came from, and what it cost.
struct CompileReport {
  enum Source { Compiled, MemoryCache, DiskCache } source = Compiled;
  std::string key;       ///< the cache key (empty without a disk cache)
  std::string entry;     ///< the cache entry read or written ("" if none)
  std::string note;      ///< a cache problem worth telling (unreadable
                         ///< entry recompiled, cache not writable)
  double pipelineSec = 0, llvmSec = 0, loadSec = 0;
};

/// The default cache directory: $FROND_CACHE_DIR, else
/// $XDG_CACHE_HOME/frond/jit, else $HOME/.cache/frond/jit ("" if none).
std::string defaultCacheDir();

class CompiledModel {
public:
  ~CompiledModel();

  /// Lowers `module` (which must hold one func.func carrying frond.outputs)
  /// through the CPU pipeline and JIT-compiles it at -O`optLevel`, or
  /// reuses a cached compile of the same IR. On failure returns null and
  /// sets `error` (pipeline diagnostics with their source locations, or the
  /// JIT's message).
  static std::shared_ptr<CompiledModel>
  compile(mlir::OwningOpRef<mlir::ModuleOp> module, std::string &error,
          const CompileOptions &options = {}, CompileReport *report = nullptr);

  const std::vector<Slot> &arguments() const { return args; }
  const std::vector<Slot> &results() const { return outs; }

  /// Calls the function with `inputs` (one per argument, in order; dtypes
  /// and static extents must match). On success fills `outputs` (one per
  /// result) and returns true; otherwise sets `error`.
  bool run(const std::vector<const runtime::Tensor *> &inputs,
           std::vector<runtime::Tensor> &outputs, std::string &error);

  /// On the GPU: whether a call's host code reads and writes no memory
  /// itself, so that a CUDA graph recorded from one call can replay the
  /// next ones (frond-mark-replayable); if not, why not.
  bool replayable() const { return onGPU && notReplayable.empty(); }
  const std::string &whyNotReplayable() const { return notReplayable; }

private:
  friend class ResidentCall;
  CompiledModel() = default;
  /// Whether `n` arguments are as many as the function takes.
  bool checkArgumentCount(size_t n, std::string &error) const;
  /// Whether `t` fits argument i (dtype, rank, static extents).
  bool checkArgument(size_t i, const runtime::Tensor *t, std::string &error) const;
  /// The identity-layout memref descriptor of a dense buffer.
  static std::vector<int64_t> descriptor(const void *data, const std::vector<int64_t> &shape);
  /// Calls the function on argument descriptors; the results' descriptors.
  std::vector<int64_t> call(std::vector<std::vector<int64_t>> &descs) const;
  /// Copies the results out of their buffers into `outputs`; returns the
  /// buffers the compiled code allocated for them (resultBuffers).
  std::set<int64_t> copyResults(const std::vector<int64_t> &resultWords,
                                const std::set<int64_t> &inputBuffers,
                                std::vector<runtime::Tensor> &outputs) const;
  /// The buffers the compiled code allocated for its results (none of
  /// `inputBuffers`), without reading them.
  std::set<int64_t> resultBuffers(const std::vector<int64_t> &resultWords,
                                  const std::set<int64_t> &inputBuffers) const;
  /// Frees result buffers (std::free, or mgpuMemFree on the GPU).
  void freeResults(const std::set<int64_t> &owned) const;
  bool compileFresh(mlir::ModuleOp module, const CompileOptions &options,
                    CompileReport &report, std::string &object, std::string &error);
  bool loadObject(const std::string &object, std::string &error);

  std::string funcName;
  std::vector<Slot> args, outs;
  bool onGPU = false; ///< compiled for CompileOptions::Target::CUDA
  std::string notReplayable = "not compiled for the GPU";
  // Exactly one of the two owns the code: the ExecutionEngine after a fresh
  // compile, an LLJIT holding the cached object after a disk hit.
  std::unique_ptr<mlir::ExecutionEngine> engine;
  std::unique_ptr<llvm::orc::LLJIT> objectJit;
  void (*packed)(void **) = nullptr; ///< _mlir__mlir_ciface_<funcName>
};

} // namespace frond::jit

#endif // FROND_JIT_JIT_H
