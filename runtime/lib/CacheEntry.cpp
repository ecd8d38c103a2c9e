//===- CacheEntry.cpp - checksummed cache files ---------------------------===//
#include "frond/runtime/CacheEntry.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/SHA256.h"
#include "llvm/Support/xxhash.h"

#include <array>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>

namespace frond::runtime {

namespace {

constexpr size_t kHeader = 8 + 4 + 4 + 8 + 8;

void putU32(std::string &s, uint32_t v) { s.append(reinterpret_cast<const char *>(&v), 4); }
void putU64(std::string &s, uint64_t v) { s.append(reinterpret_cast<const char *>(&v), 8); }
uint64_t getU64(const std::string &s, size_t at) {
  uint64_t v;
  std::memcpy(&v, s.data() + at, 8);
  return v;
}

} // namespace

std::string userCacheDir() {
  if (const char *x = std::getenv("XDG_CACHE_HOME"); x && *x)
    return std::string(x) + "/frond";
  if (const char *h = std::getenv("HOME"); h && *h)
    return std::string(h) + "/.cache/frond";
  return "";
}

std::string cacheKey(const std::vector<std::string> &parts) {
  llvm::SHA256 h;
  for (const std::string &part : parts) {
    h.update(part);
    h.update(llvm::StringRef("\0", 1));
  }
  std::array<uint8_t, 32> digest = h.final();
  return llvm::toHex(llvm::ArrayRef<uint8_t>(digest.data(), 16), /*LowerCase=*/true);
}

std::string encodeCacheEntry(const char *magic, uint32_t format, const std::string &payload) {
  std::string data(magic, 8);
  putU32(data, format);
  putU32(data, 0);
  putU64(data, payload.size());
  putU64(data, llvm::xxh3_64bits(llvm::StringRef(payload)));
  data += payload;
  return data;
}

std::optional<std::string> decodeCacheEntry(const char *magic, uint32_t format,
                                            const std::string &data, std::string &why) {
  if (data.size() < kHeader || std::memcmp(data.data(), magic, 8) != 0) {
    why = "not a frond cache entry (it does not start with " + std::string(magic, 8) + ")";
    return std::nullopt;
  }
  uint32_t found;
  std::memcpy(&found, data.data() + 8, 4);
  if (found != format) {
    why = "cache format " + std::to_string(found) + ", expected " + std::to_string(format);
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

std::optional<std::string> readCacheEntry(const std::string &path, const char *magic,
                                          uint32_t format, std::string &why) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return std::nullopt;
  std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return decodeCacheEntry(magic, format, data, why);
}

} // namespace frond::runtime
