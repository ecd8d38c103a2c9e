//===- CudaDevice.cpp - CUDA devices and their contexts -------------------===//
#include "frond/runtime/CudaDevice.h"

#include <cstdio>

namespace frond::runtime::cuda {

bool cudaCheck(const CudaDriver &driver, CUresult result, const char *call, std::string &error) {
  if (result == kSuccess)
    return true;
  error = cudaCallError(driver, call, result);
  return false;
}

std::string CudaDeviceInfo::smName() const {
  return "sm_" + std::to_string(ccMajor) + std::to_string(ccMinor);
}

std::string CudaDeviceInfo::describe() const {
  char mem[32];
  std::snprintf(mem, sizeof mem, "%.1f GiB", double(totalBytes) / (1ull << 30));
  return name + " (compute capability " + std::to_string(ccMajor) + "." +
         std::to_string(ccMinor) + ", " + std::to_string(multiprocessors) + " SMs, " + mem +
         ")";
}

std::string cudaDriverVersionString(int version) {
  return std::to_string(version / 1000) + "." + std::to_string(version % 1000 / 10);
}

namespace {

bool queryDevice(const CudaDriver &d, int index, CUdevice &device, CudaDeviceInfo &info,
                 std::string &error) {
  if (!cudaCheck(d, d.deviceGet(&device, index), "cuDeviceGet", error))
    return false;
  char name[256] = {0};
  if (!cudaCheck(d, d.deviceGetName(name, sizeof name - 1, device), "cuDeviceGetName", error) ||
      !cudaCheck(d, d.deviceGetAttribute(&info.ccMajor, kAttrComputeCapabilityMajor, device),
                 "cuDeviceGetAttribute(COMPUTE_CAPABILITY_MAJOR)", error) ||
      !cudaCheck(d, d.deviceGetAttribute(&info.ccMinor, kAttrComputeCapabilityMinor, device),
                 "cuDeviceGetAttribute(COMPUTE_CAPABILITY_MINOR)", error) ||
      !cudaCheck(d, d.deviceGetAttribute(&info.multiprocessors, kAttrMultiprocessorCount, device),
                 "cuDeviceGetAttribute(MULTIPROCESSOR_COUNT)", error) ||
      !cudaCheck(d, d.deviceTotalMem(&info.totalBytes, device), "cuDeviceTotalMem", error))
    return false;
  info.index = index;
  info.name = name;
  return true;
}

/// The loaded driver and its number of devices; nullptr with `error` (the
/// no-device message when there is none).
const CudaDriver *driverWithDevices(int &count, std::string &error) {
  const CudaDriver *d = loadCudaDriver(error);
  count = 0;
  if (!d || !cudaCheck(*d, d->deviceGetCount(&count), "cuDeviceGetCount", error))
    return nullptr;
  if (count == 0) {
    error = noCudaDeviceMessage("driver found, 0 devices");
    return nullptr;
  }
  return d;
}

} // namespace

bool listCudaDevices(std::vector<CudaDeviceInfo> &devices, std::string &error) {
  int count;
  const CudaDriver *d = driverWithDevices(count, error);
  if (!d)
    return false;
  devices.clear();
  for (int i = 0; i < count; ++i) {
    CUdevice device;
    CudaDeviceInfo info;
    if (!queryDevice(*d, i, device, info, error))
      return false;
    devices.push_back(std::move(info));
  }
  return true;
}

std::unique_ptr<CudaContext> CudaContext::open(int index, std::string &error) {
  int count;
  const CudaDriver *d = driverWithDevices(count, error);
  if (!d)
    return nullptr;
  if (index < 0 || index >= count) {
    error = "CUDA device " + std::to_string(index) + " does not exist: this machine has " +
            std::to_string(count) + " (0 to " + std::to_string(count - 1) +
            "; see frond devices)";
    return nullptr;
  }
  CUdevice device;
  CudaDeviceInfo info;
  if (!queryDevice(*d, index, device, info, error))
    return nullptr;
  CUcontext context = nullptr;
  if (!cudaCheck(*d, d->primaryCtxRetain(&context, device), "cuDevicePrimaryCtxRetain", error))
    return nullptr;
  std::unique_ptr<CudaContext> ctx(new CudaContext(*d, device, context, std::move(info)));
  if (!ctx->makeCurrent(error))
    return nullptr;
  return ctx;
}

CudaContext::~CudaContext() { driver_->primaryCtxRelease(device_); }

bool CudaContext::makeCurrent(std::string &error) const {
  return cudaCheck(*driver_, driver_->ctxSetCurrent(context_), "cuCtxSetCurrent", error);
}

bool CudaContext::synchronize(std::string &error) const {
  return cudaCheck(*driver_, driver_->ctxSynchronize(), "cuCtxSynchronize", error);
}

bool CudaContext::memoryInfo(size_t &freeBytes, size_t &totalBytes, std::string &error) const {
  return cudaCheck(*driver_, driver_->memGetInfo(&freeBytes, &totalBytes), "cuMemGetInfo", error);
}

} // namespace frond::runtime::cuda
