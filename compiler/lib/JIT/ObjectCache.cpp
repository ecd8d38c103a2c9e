//===- ObjectCache.cpp - compiled objects on disk, keyed by IR -----------===//
#include "ObjectCache.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/Config/llvm-config.h"
#include "llvm/Support/SHA256.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/Support/xxhash.h"
#include "llvm/ADT/StringExtras.h"

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

namespace fs = std::filesystem;

namespace frond::jit::cache {

namespace {

constexpr char kMagic[8] = {'F', 'R', 'O', 'N', 'D', 'J', 'I', 'T'};
constexpr uint32_t kFormat = 1;
constexpr size_t kHeader = 8 + 4 + 4 + 8 + 8;

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

void putU32(std::string &s, uint32_t v) { s.append(reinterpret_cast<const char *>(&v), 4); }
void putU64(std::string &s, uint64_t v) { s.append(reinterpret_cast<const char *>(&v), 8); }
uint64_t getU64(const std::string &s, size_t at) {
  uint64_t v;
  std::memcpy(&v, s.data() + at, 8);
  return v;
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
  llvm::SHA256 h;
  for (const std::string &part :
       {irText, options, std::string(LLVM_VERSION_STRING), hostDescription(),
        executableIdentity()}) {
    h.update(part);
    h.update(llvm::StringRef("\0", 1));
  }
  std::array<uint8_t, 32> digest = h.final();
  return llvm::toHex(llvm::ArrayRef<uint8_t>(digest.data(), 16), /*LowerCase=*/true);
}

std::string entryPath(const std::string &dir, const std::string &key) {
  return dir + "/" + key + ".fjit";
}

std::optional<std::string> read(const std::string &path, std::string &why) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return std::nullopt;
  std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (data.size() < kHeader || std::memcmp(data.data(), kMagic, 8) != 0) {
    why = "not a frond JIT cache entry";
    return std::nullopt;
  }
  uint32_t format;
  std::memcpy(&format, data.data() + 8, 4);
  if (format != kFormat) {
    why = "cache format " + std::to_string(format) + ", expected " + std::to_string(kFormat);
    return std::nullopt;
  }
  uint64_t size = getU64(data, 16), sum = getU64(data, 24);
  if (data.size() != kHeader + size) {
    why = "truncated (" + std::to_string(data.size()) + " bytes, header says " +
          std::to_string(kHeader + size) + ")";
    return std::nullopt;
  }
  std::string payload = data.substr(kHeader);
  if (llvm::xxh3_64bits(llvm::StringRef(payload)) != sum) {
    why = "checksum mismatch";
    return std::nullopt;
  }
  return payload;
}

bool write(const std::string &path, const std::string &payload, std::string &why) {
  std::string dir = path.substr(0, path.rfind('/'));
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) {
    why = "cannot create " + dir + ": " + ec.message();
    return false;
  }
  std::string data(kMagic, 8);
  putU32(data, kFormat);
  putU32(data, 0);
  putU64(data, payload.size());
  putU64(data, llvm::xxh3_64bits(llvm::StringRef(payload)));
  data += payload;
  std::string tmp = path + ".tmp." + std::to_string(getpid());
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) {
    why = "cannot write " + tmp + ": " + std::strerror(errno);
    return false;
  }
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      why = "cannot write " + tmp + ": " + std::strerror(errno);
      close(fd);
      unlink(tmp.c_str());
      return false;
    }
    done += size_t(n);
  }
  bool ok = fsync(fd) == 0;
  ok = close(fd) == 0 && ok;
  if (!ok || rename(tmp.c_str(), path.c_str()) != 0) {
    why = "cannot store " + path + ": " + std::strerror(errno);
    unlink(tmp.c_str());
    return false;
  }
  trim(dir);
  return true;
}

} // namespace frond::jit::cache
