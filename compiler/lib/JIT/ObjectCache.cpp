//===- ObjectCache.cpp - compiled objects on disk, keyed by IR -----------===//
#include "ObjectCache.h"

#include "frond/runtime/CacheEntry.h"
#include "frond/runtime/Checkpoint.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/Config/llvm-config.h"
#include "llvm/TargetParser/Host.h"

#include <algorithm>
#include <climits>
#include <filesystem>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

namespace fs = std::filesystem;

namespace frond::jit::cache {

namespace {

constexpr char kMagic[] = "FRONDJIT";
constexpr uint32_t kFormat = 1;

/// Path, size and modification time of the running executable.
std::string executableIdentity() {
  char self[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n <= 0)
    return "unknown-executable";
  self[n] = 0;
  struct stat st;
  if (stat(self, &st) != 0)
    return self;
  return std::string(self) + ":" + std::to_string(st.st_size) + ":" +
         std::to_string(st.st_mtim.tv_sec) + "." + std::to_string(st.st_mtim.tv_nsec);
}

std::string hostDescription() {
  std::string d = llvm::sys::getHostCPUName().str();
  llvm::StringMap<bool> features = llvm::sys::getHostCPUFeatures();
  std::vector<std::string> on;
  for (auto &f : features)
    if (f.second)
      on.push_back(f.first().str());
  std::sort(on.begin(), on.end());
  for (auto &f : on)
    d += "+" + f;
  return d;
}

/// Removes the oldest entries beyond kMaxEntries (errors ignored: trimming
/// is housekeeping).
void trim(const std::string &dir) {
  std::error_code ec;
  std::vector<std::pair<fs::file_time_type, fs::path>> entries;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
    if (it->path().extension() == ".fjit")
      entries.push_back({fs::last_write_time(it->path(), ec), it->path()});
  if (entries.size() <= kMaxEntries)
    return;
  std::sort(entries.begin(), entries.end());
  for (size_t i = 0; i + kMaxEntries < entries.size(); ++i)
    fs::remove(entries[i].second, ec);
}

} // namespace

std::string keyFor(const std::string &irText, const std::string &options) {
  return runtime::cacheKey({irText, options, std::string(LLVM_VERSION_STRING),
                            hostDescription(), executableIdentity()});
}

std::string entryPath(const std::string &dir, const std::string &key) {
  return dir + "/" + key + ".fjit";
}

std::optional<std::string> read(const std::string &path, std::string &why) {
  return runtime::readCacheEntry(path, kMagic, kFormat, why);
}

bool write(const std::string &path, const std::string &payload, std::string &why) {
  std::string dir = path.substr(0, path.rfind('/'));
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) {
    why = "cannot create " + dir + ": " + ec.message();
    return false;
  }
  std::string error;
  if (!runtime::writeFileAtomic(path, runtime::encodeCacheEntry(kMagic, kFormat, payload),
                                error)) {
    why = error;
    return false;
  }
  trim(dir);
  return true;
}

} // namespace frond::jit::cache
