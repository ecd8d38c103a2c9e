//===- CudaDriver.cpp - dlopen libcuda, resolve the entry points ----------===//
#include "frond/runtime/CudaDriver.h"

#include <cstdlib>
#include <dlfcn.h>
#include <mutex>

namespace frond::runtime::cuda {

std::string cudaLibraryName() {
  if (const char *lib = std::getenv("FROND_LIBCUDA"); lib && *lib)
    return lib;
  return "libcuda.so.1";
}

std::string noCudaDeviceMessage(const std::string &why) {
  return "no CUDA device: " + why + " \u2014 run with --device cpu";
}

std::string cudaCallError(const CudaDriver &driver, const char *call, CUresult result) {
  const char *name = nullptr, *text = nullptr;
  if (!driver.getErrorName || driver.getErrorName(result, &name) != kSuccess || !name)
    name = nullptr;
  if (!driver.getErrorString || driver.getErrorString(result, &text) != kSuccess)
    text = nullptr;
  // The toolkit's stub library answers every call, cuGetErrorName included,
  // with CUDA_ERROR_STUB_LIBRARY: name the codes Frond tests for itself.
  if (!name && result == kErrorStubLibrary)
    name = "CUDA_ERROR_STUB_LIBRARY";
  if (!name && result == kErrorNoDevice)
    name = "CUDA_ERROR_NO_DEVICE";
  std::string msg = std::string(call) + ": " +
                    (name ? std::string(name) : "CUDA error " + std::to_string(result));
  if (text && *text)
    msg += std::string(" (") + text + ")";
  return msg;
}

namespace {

/// Opens and initialises the driver; false with `error` on failure.
bool openDriver(CudaDriver &d, std::string &error) {
  d.library = cudaLibraryName();
  // RTLD_LOCAL: the driver's symbols stay out of the JIT's process lookup.
  void *handle = dlopen(d.library.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    std::string why = dlerror();
    error = noCudaDeviceMessage(
        why.find("No such file") != std::string::npos
            ? d.library + " not found (NVIDIA driver not installed)"
            : d.library + " cannot be opened (" + why + ")");
    return false;
  }
#define FROND_CUDA_RESOLVE(member, symbol, type)                                      \
  d.member = reinterpret_cast<Fn<type>>(dlsym(handle, #symbol));                          \
  if (!d.member) {                                                                     \
    error = noCudaDeviceMessage(d.library + " has no " #symbol                         \
                                " (the NVIDIA driver is older than CUDA 12; update it)"); \
    return false;                                                                      \
  }
  FROND_CUDA_ENTRY_POINTS(FROND_CUDA_RESOLVE)
#undef FROND_CUDA_RESOLVE
  CUresult r = d.init(0);
  if (r == kErrorNoDevice) {
    error = noCudaDeviceMessage("driver found, 0 devices");
    return false;
  }
  if (r == kErrorStubLibrary) {
    error = noCudaDeviceMessage(d.library +
                                " is the CUDA toolkit's stub library, not a driver (" +
                                cudaCallError(d, "cuInit", r) + ")");
    return false;
  }
  if (r != kSuccess) {
    error = noCudaDeviceMessage("the driver did not start (" + cudaCallError(d, "cuInit", r) +
                                ")");
    return false;
  }
  if ((r = d.driverGetVersion(&d.version)) != kSuccess) {
    error = cudaCallError(d, "cuDriverGetVersion", r);
    return false;
  }
  return true;
}

} // namespace

const CudaDriver *loadCudaDriver(std::string &error) {
  static std::once_flag once;
  static CudaDriver driver;
  static std::string loadError;
  static bool ok = false;
  std::call_once(once, [] { ok = openDriver(driver, loadError); });
  if (!ok) {
    error = loadError;
    return nullptr;
  }
  return &driver;
}

} // namespace frond::runtime::cuda
