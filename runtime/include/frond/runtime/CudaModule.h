//===- CudaModule.h - GPU code: PTX, cubins, kernels ------------*- C++ -*-===//
//
// The compiler produces PTX (gpu-module-to-binary, format=isa); the driver
// compiles it for the device at hand. compilePtx does that with the
// driver's linker (cuLinkCreate / cuLinkAddData / cuLinkComplete), which,
// unlike cuModuleLoadData, hands back the cubin so that it can be cached
// (CudaKernelCache.h); loadPtxCached puts the two together. The JIT's error
// log (ptxas' messages, naming the PTX line) is part of every failure.
//
//===----------------------------------------------------------------------===//
#ifndef FROND_RUNTIME_CUDAMODULE_H
#define FROND_RUNTIME_CUDAMODULE_H

#include "frond/runtime/CudaDevice.h"

#include <memory>
#include <string>

namespace frond::runtime::cuda {

/// Compiles `ptx` for the current context's device into `cubin`; `log` gets
/// the JIT's information log. False with `error` (the call, the CUDA error
/// and the JIT's error log).
bool compilePtx(const CudaContext &ctx, const std::string &ptx, std::string &cubin,
                std::string &log, std::string &error);

/// A loaded module (cuModuleLoadDataEx), unloaded on destruction.
class CudaModule {
public:
  /// Loads a cubin or a (NUL-free) PTX text; on failure `error` carries the
  /// JIT's error log.
  static std::unique_ptr<CudaModule> load(const CudaContext &ctx, const std::string &image,
                                          std::string &error);
  ~CudaModule();
  CudaModule(const CudaModule &) = delete;
  CudaModule &operator=(const CudaModule &) = delete;

  /// The kernel `name` (its PTX .entry name).
  bool function(const std::string &name, CUfunction &fn, std::string &error) const;

private:
  CudaModule(const CudaDriver &driver, CUmodule module) : driver_(&driver), module_(module) {}
  const CudaDriver *driver_;
  CUmodule module_;
};

struct KernelLoadReport {
  bool cacheHit = false;
  std::string cachePath; ///< the entry read or written ("" without a cache)
  std::string note;      ///< a cache problem worth a warning, else ""
  double compileSec = 0, loadSec = 0;
};

/// `ptx` as a loaded module through the kernel cache in `cacheDir` ("": no
/// cache): a cubin cached for this device and driver is loaded directly;
/// otherwise the PTX is compiled (compilePtx), stored and loaded. A bad or
/// unloadable entry is compiled again and replaced (with a `note`).
std::unique_ptr<CudaModule> loadPtxCached(const CudaContext &ctx, const std::string &ptx,
                                          const std::string &cacheDir,
                                          KernelLoadReport &report, std::string &error);

} // namespace frond::runtime::cuda

#endif // FROND_RUNTIME_CUDAMODULE_H
