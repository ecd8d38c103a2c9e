//===- CudaDevice.h - CUDA devices and their contexts -----------*- C++ -*-===//
//
// The layer over the driver API (CudaDriver.h) the GPU runtime is built on:
// devices and their primary contexts (this file), modules and kernels
// (CudaModule.h), streams, graphs and device memory (CudaStream.h). Every
// failure is an error string naming the driver call and the CUDA error;
// nothing here aborts or throws.
//
//===----------------------------------------------------------------------===//
#ifndef FROND_RUNTIME_CUDADEVICE_H
#define FROND_RUNTIME_CUDADEVICE_H

#include "frond/runtime/CudaDriver.h"

#include <memory>
#include <string>
#include <vector>

namespace frond::runtime::cuda {

struct CudaDeviceInfo {
  int index = 0;
  std::string name;
  int ccMajor = 0, ccMinor = 0;
  int multiprocessors = 0;
  size_t totalBytes = 0;
  /// "sm_90" for compute capability 9.0.
  std::string smName() const;
  /// "NVIDIA H100 80GB HBM3 (compute capability 9.0, 132 SMs, 79.6 GiB)".
  std::string describe() const;
};

/// The driver's version as "12.4".
std::string cudaDriverVersionString(int version);

/// Every CUDA device; false with `error` when the driver cannot be loaded or
/// has no device (the "no CUDA device: ..." message).
bool listCudaDevices(std::vector<CudaDeviceInfo> &devices, std::string &error);

/// A device's primary context, current on the calling thread while used.
class CudaContext {
public:
  /// Retains device `index`'s primary context and makes it current.
  static std::unique_ptr<CudaContext> open(int index, std::string &error);
  ~CudaContext();
  CudaContext(const CudaContext &) = delete;
  CudaContext &operator=(const CudaContext &) = delete;

  const CudaDeviceInfo &info() const { return info_; }
  const CudaDriver &driver() const { return *driver_; }
  /// Makes the context current on the calling thread.
  bool makeCurrent(std::string &error) const;
  /// Waits for all work on the device.
  bool synchronize(std::string &error) const;
  /// Free and total device memory.
  bool memoryInfo(size_t &freeBytes, size_t &totalBytes, std::string &error) const;

private:
  CudaContext(const CudaDriver &driver, CUdevice device, CUcontext context,
              CudaDeviceInfo info)
      : driver_(&driver), device_(device), context_(context), info_(std::move(info)) {}
  const CudaDriver *driver_;
  CUdevice device_;
  CUcontext context_;
  CudaDeviceInfo info_;
};

/// Runs a driver call; on failure sets `error` to cudaCallError's message
/// and returns false. `call` names the call, e.g. "cuMemAlloc".
bool cudaCheck(const CudaDriver &driver, CUresult result, const char *call, std::string &error);

} // namespace frond::runtime::cuda

#endif // FROND_RUNTIME_CUDADEVICE_H
