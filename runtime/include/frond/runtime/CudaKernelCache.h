//===- CudaKernelCache.h - compiled GPU kernels on disk ---------*- C++ -*-===//
//
// PTX is compiled for the device by the driver (cuLink*, see CudaModule.h);
// the resulting cubin is kept on disk so that a second run loads it in
// milliseconds. One file per module, `<dir>/<key>.cubin`:
//
//   "FRONDCUB" | u32 format (1) | u32 0 | u64 payload size | u64 xxh3(payload)
//   | payload (the cubin)
//
// The key hashes the code (PTX or the IR it came from), the device's name
// and compute capability, the driver version (its PTX compiler made the
// cubin) and the JIT options. Entries are written atomically (temporary
// file, fsync, rename), so concurrent runs never see half a file; a
// truncated or corrupt entry fails its checksum and is compiled again.
//
// Everything here works without a GPU (tests/unit/CudaKernelCacheTest.cpp).
//
//===----------------------------------------------------------------------===//
#ifndef FROND_RUNTIME_CUDAKERNELCACHE_H
#define FROND_RUNTIME_CUDAKERNELCACHE_H

#include <optional>
#include <string>

namespace frond::runtime::cuda {

/// What a cubin depends on besides its code.
struct KernelTarget {
  std::string deviceName; ///< e.g. "NVIDIA H100 80GB HBM3"
  int ccMajor = 0, ccMinor = 0;
  int driverVersion = 0;   ///< cuDriverGetVersion
  std::string jitOptions;  ///< e.g. "O4"
};

/// The cache key of `code` compiled for `target`: 32 hex digits.
std::string kernelCacheKey(const std::string &code, const KernelTarget &target);

/// $FROND_CACHE_DIR/cuda, else $XDG_CACHE_HOME/frond/cuda, else
/// ~/.cache/frond/cuda; "" when none is known (no cache).
std::string defaultKernelCacheDir();

/// `<dir>/<key>.cubin`.
std::string kernelCachePath(const std::string &dir, const std::string &key);

/// The cubin stored under `key`; nullopt when absent. A present but bad
/// entry (header, size, checksum) also sets `why`.
std::optional<std::string> readCachedKernel(const std::string &dir, const std::string &key,
                                            std::string &why);

/// Stores `cubin` under `key` (creating `dir`), atomically. False with
/// `why` when the cache cannot be written; callers go on without it.
bool writeCachedKernel(const std::string &dir, const std::string &key,
                       const std::string &cubin, std::string &why);

} // namespace frond::runtime::cuda

#endif // FROND_RUNTIME_CUDAKERNELCACHE_H
