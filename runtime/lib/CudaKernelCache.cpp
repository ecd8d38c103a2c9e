//===- CudaKernelCache.cpp - cubins on disk, keyed by code and device -----===//
#include "frond/runtime/CudaKernelCache.h"

#include "frond/runtime/CacheEntry.h"
#include "frond/runtime/Checkpoint.h"

#include <cstdlib>
#include <filesystem>

namespace frond::runtime::cuda {

namespace {

constexpr char kMagic[] = "FRONDCUB";
constexpr uint32_t kFormat = 1;

} // namespace

std::string kernelCacheKey(const std::string &code, const KernelTarget &target) {
  return cacheKey({std::string("frond-cubin-") + std::to_string(kFormat), code,
                   target.deviceName,
                   "sm_" + std::to_string(target.ccMajor) + std::to_string(target.ccMinor),
                   std::to_string(target.driverVersion), target.jitOptions});
}

std::string defaultKernelCacheDir() {
  if (const char *d = std::getenv("FROND_CACHE_DIR"); d && *d)
    return std::string(d) + "/cuda";
  std::string user = userCacheDir();
  return user.empty() ? "" : user + "/cuda";
}

std::string kernelCachePath(const std::string &dir, const std::string &key) {
  return dir + "/" + key + ".cubin";
}

std::optional<std::string> readCachedKernel(const std::string &dir, const std::string &key,
                                            std::string &why) {
  std::string path = kernelCachePath(dir, key);
  std::optional<std::string> payload = readCacheEntry(path, kMagic, kFormat, why);
  if (!payload && !why.empty())
    why = path + ": " + why;
  return payload;
}

bool writeCachedKernel(const std::string &dir, const std::string &key,
                       const std::string &cubin, std::string &why) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    why = "cannot create " + dir + ": " + ec.message();
    return false;
  }
  return writeFileAtomic(kernelCachePath(dir, key), encodeCacheEntry(kMagic, kFormat, cubin),
                         why);
}

} // namespace frond::runtime::cuda
