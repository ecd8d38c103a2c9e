//===- CudaModule.cpp - PTX to cubin, modules, the kernel cache -----------===//
#include "frond/runtime/CudaModule.h"

#include "frond/runtime/CudaKernelCache.h"

#include <chrono>
#include <cstdint>
#include <vector>

namespace frond::runtime::cuda {

namespace {

constexpr size_t kLogBytes = 16384;
/// The JIT options compilePtx passes (part of the cache key).
constexpr const char *kJitOptions = "default-O4,verbose-log";

/// The driver's JIT log buffers, passed as option values.
struct JitLogs {
  std::vector<char> info = std::vector<char>(kLogBytes, 0);
  std::vector<char> error = std::vector<char>(kLogBytes, 0);
  CUjit_option options[5] = {kJitInfoLogBuffer, kJitInfoLogBufferSize, kJitErrorLogBuffer,
                             kJitErrorLogBufferSize, kJitLogVerbose};
  void *values[5] = {info.data(), reinterpret_cast<void *>(uintptr_t(kLogBytes - 1)),
                     error.data(), reinterpret_cast<void *>(uintptr_t(kLogBytes - 1)),
                     reinterpret_cast<void *>(uintptr_t(1))};
  unsigned count() const { return 5; }
  std::string infoText() const { return std::string(info.data()); }
  /// "\n<the error log>" when there is one.
  std::string errorSuffix() const {
    std::string e(error.data());
    return e.empty() ? "" : "\nJIT error log:\n" + e;
  }
};

double secondsSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

} // namespace

bool compilePtx(const CudaContext &ctx, const std::string &ptx, std::string &cubin,
                std::string &log, std::string &error) {
  const CudaDriver &d = ctx.driver();
  if (!ctx.makeCurrent(error))
    return false;
  JitLogs logs;
  CUlinkState link = nullptr;
  if (!cudaCheck(d, d.linkCreate(logs.count(), logs.options, logs.values, &link),
                 "cuLinkCreate", error))
    return false;
  // The PTX text with its terminating NUL, as the driver expects.
  CUresult r = d.linkAddData(link, kJitInputPtx, const_cast<char *>(ptx.c_str()),
                             ptx.size() + 1, "frond.ptx", 0, nullptr, nullptr);
  bool ok = cudaCheck(d, r, "cuLinkAddData", error);
  void *image = nullptr;
  size_t size = 0;
  if (ok)
    ok = cudaCheck(d, d.linkComplete(link, &image, &size), "cuLinkComplete", error);
  log = logs.infoText();
  if (ok)
    cubin.assign(static_cast<const char *>(image), size); // owned by `link`
  else
    error += logs.errorSuffix();
  d.linkDestroy(link);
  return ok;
}

std::unique_ptr<CudaModule> CudaModule::load(const CudaContext &ctx, const std::string &image,
                                             std::string &error) {
  const CudaDriver &d = ctx.driver();
  if (!ctx.makeCurrent(error))
    return nullptr;
  JitLogs logs;
  CUmodule module = nullptr;
  CUresult r = d.moduleLoadDataEx(&module, image.c_str(), logs.count(), logs.options, logs.values);
  if (!cudaCheck(d, r, "cuModuleLoadDataEx", error)) {
    error += logs.errorSuffix();
    return nullptr;
  }
  return std::unique_ptr<CudaModule>(new CudaModule(d, module));
}

CudaModule::~CudaModule() { driver_->moduleUnload(module_); }

bool CudaModule::function(const std::string &name, CUfunction &fn, std::string &error) const {
  CUresult r = driver_->moduleGetFunction(&fn, module_, name.c_str());
  if (cudaCheck(*driver_, r, "cuModuleGetFunction", error))
    return true;
  error += ": no kernel '" + name + "' in the module";
  return false;
}

std::unique_ptr<CudaModule> loadPtxCached(const CudaContext &ctx, const std::string &ptx,
                                          const std::string &cacheDir,
                                          KernelLoadReport &report, std::string &error) {
  const CudaDeviceInfo &info = ctx.info();
  KernelTarget target{info.name, info.ccMajor, info.ccMinor, ctx.driver().version, kJitOptions};
  std::string key = kernelCacheKey(ptx, target);
  auto t0 = std::chrono::steady_clock::now();
  if (!cacheDir.empty()) {
    report.cachePath = kernelCachePath(cacheDir, key);
    std::string why;
    if (auto cubin = readCachedKernel(cacheDir, key, why)) {
      std::string loadError;
      if (auto module = CudaModule::load(ctx, *cubin, loadError)) {
        report.cacheHit = true;
        report.loadSec = secondsSince(t0);
        return module;
      }
      why = report.cachePath + " could not be loaded (" + loadError + ")";
    }
    if (!why.empty())
      report.note = "the kernel cache entry " + why + "; compiled again and replaced it";
  }
  std::string cubin, log;
  if (!compilePtx(ctx, ptx, cubin, log, error))
    return nullptr;
  report.compileSec = secondsSince(t0);
  if (!cacheDir.empty()) {
    std::string why;
    if (!writeCachedKernel(cacheDir, key, cubin, why)) {
      report.note = "the kernel cache was not written (" + why + ")";
      report.cachePath.clear();
    }
  }
  t0 = std::chrono::steady_clock::now();
  auto module = CudaModule::load(ctx, cubin, error);
  report.loadSec = secondsSince(t0);
  return module;
}

} // namespace frond::runtime::cuda
