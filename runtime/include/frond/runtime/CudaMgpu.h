//===- CudaMgpu.h - the mgpu* runtime ABI of MLIR's GPU lowering -*- C++ -*-===//
//
// Host code that MLIR's gpu-to-llvm lowering and gpu.binary translation
// produce calls a small runtime by name: mgpuModuleLoadJIT (from a global
// constructor, once per kernel module), mgpuModuleGetFunction,
// mgpuStreamCreate / mgpuLaunchKernel / mgpuStreamSynchronize /
// mgpuStreamDestroy around each block's queued launches
// (frond-async-gpu-launches), mgpuMemAlloc / mgpuMemFree for buffers. Upstream's libmlir_cuda_runtime links libcuda; Frond implements
// the same ABI (MLIR 22's signatures) on its own driver layer (CudaDriver.h,
// dlopen'ed), so one binary runs with or without a GPU. The JIT registers
// these functions under the mgpu* names (mgpuSymbols).
//
// Generated code cannot take an error back, so the functions latch the
// first failure (the driver call, the CUDA error, the kernel's name) and
// turn later work into no-ops; the caller of the compiled function reads
// it with takeMgpuError. Freed buffers are kept for reuse (BufferPool.h):
// every launch, allocation and free is on one stream, created once and
// kept, so a reused buffer's next kernels run after its last ones; the
// stream drains before cached buffers go back to the driver.
// mgpuMemoryStats reports the peak. A kernel fault surfaces at the next
// wait (CUDA_LAUNCH_BLOCKING=1 makes each launch wait, to find it). An
// allocation that fails falls back to host memory
// so that host code after it does not crash before the error is read.
//
// Module loads go through the kernel cache (CudaModule.h, loadPtxCached)
// in the directory setMgpuKernelCacheDir names. Everything runs on CUDA
// device 0's primary context, opened on first use.
//
//===----------------------------------------------------------------------===//
#ifndef FROND_RUNTIME_CUDAMGPU_H
#define FROND_RUNTIME_CUDAMGPU_H

#include "frond/runtime/BufferPool.h"
#include "frond/runtime/CudaDevice.h"
#include "frond/runtime/CudaStream.h"
#include "frond/runtime/KernelProfile.h"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace frond::runtime::cuda {

/// Opens CUDA device 0 for the mgpu functions (once per process) and, with
/// `info`, describes it; false with `error` (the "no CUDA device: ..."
/// message) when there is none.
bool openMgpuDevice(std::string &error, CudaDeviceInfo *info = nullptr);

/// The kernel cache directory for module loads ("": no cache).
void setMgpuKernelCacheDir(const std::string &dir);

/// The first error since the last call, and clears it; "" when none.
std::string takeMgpuError();

/// The buffers the generated code allocated so far: peak in use and held.
frond::runtime::BufferPoolStats mgpuMemoryStats();

/// Returns the buffers kept for reuse to the driver (cuMemFree).
void releaseMgpuCachedBuffers();

/// Times every kernel launch from now on (a CUDA event before and after
/// it), or stops timing.
void setMgpuKernelProfiling(bool on);
/// Whether kernel launches are being timed.
bool mgpuKernelProfiling();

/// GPU time per kernel since profiling began or the last call, waiting
/// for the kernels still queued; the largest total first.
std::vector<frond::runtime::KernelTime> takeMgpuKernelProfile();

/// A call of generated code recorded from the mgpu stream as a CUDA graph
/// (beginMgpuCapture ... endMgpuCapture), replayed with one cuGraphLaunch:
/// the same kernels on the same buffers, without the host code. Buffers
/// the call freed while it was recorded stay out of the pool (its kernels
/// use them) until the graph is destroyed.
class MgpuGraph {
public:
  ~MgpuGraph();
  MgpuGraph(const MgpuGraph &) = delete;
  MgpuGraph &operator=(const MgpuGraph &) = delete;
  /// Launches the graph on the mgpu stream and waits for it; false with
  /// `error`.
  bool replay(std::string &error);

private:
  friend std::unique_ptr<MgpuGraph> endMgpuCapture(std::string &error);
  MgpuGraph() = default;
  std::unique_ptr<CudaGraph> graph;
  std::vector<void *> held; ///< freed during the capture, kept for the graph
};

/// Starts recording the mgpu stream (relaxed mode: allocations allowed).
/// Until endMgpuCapture kernels are queued into the graph, not run; frees
/// are held for it; waits (mgpuStreamSynchronize) are skipped and kernel
/// profiling pauses. False with `error` (no device, a pending error).
bool beginMgpuCapture(std::string &error);

/// Ends the recording and instantiates it; null with `error` if anything
/// failed since beginMgpuCapture (the error latched then is taken).
std::unique_ptr<MgpuGraph> endMgpuCapture(std::string &error);

/// Each mgpu* function under the name generated code calls it by.
std::vector<std::pair<const char *, void *>> mgpuSymbols();

} // namespace frond::runtime::cuda

// The ABI itself (MLIR 22, mlir/lib/ExecutionEngine/CudaRuntimeWrappers.cpp).
extern "C" {
void *frondMgpuModuleLoad(void *data, size_t size);
void *frondMgpuModuleLoadJIT(void *ptx, int optLevel);
void frondMgpuModuleUnload(void *module);
void *frondMgpuModuleGetFunction(void *module, const char *name);
void frondMgpuLaunchKernel(void *function, intptr_t gridX, intptr_t gridY, intptr_t gridZ,
                           intptr_t blockX, intptr_t blockY, intptr_t blockZ,
                           int32_t sharedBytes, void *stream, void **params, void **extra,
                           size_t paramCount);
void *frondMgpuStreamCreate();
void frondMgpuStreamDestroy(void *stream);
void frondMgpuStreamSynchronize(void *stream);
void *frondMgpuMemAlloc(uint64_t bytes, void *stream, bool hostShared);
void frondMgpuMemFree(void *pointer, void *stream);
void frondMgpuMemcpy(void *dst, void *src, size_t bytes, void *stream);
}

#endif // FROND_RUNTIME_CUDAMGPU_H
