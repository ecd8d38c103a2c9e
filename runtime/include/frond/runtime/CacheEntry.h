//===- CacheEntry.h - checksummed cache files -------------------*- C++ -*-===//
//
// The on-disk caches (compiled CPU objects, compiled GPU kernels) store one
// payload per file behind a small header:
//
//   8-byte magic | u32 format | u32 0 | u64 payload size | u64 xxh3(payload)
//   | payload
//
// so that a truncated, corrupt or foreign file is recognised and rebuilt,
// never loaded.
//
//===----------------------------------------------------------------------===//
#ifndef FROND_RUNTIME_CACHEENTRY_H
#define FROND_RUNTIME_CACHEENTRY_H

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace frond::runtime {

/// The user's cache directory for Frond: $XDG_CACHE_HOME/frond, else
/// ~/.cache/frond; "" when neither is known. ($FROND_CACHE_DIR, which each
/// cache reads first, overrides it.)
std::string userCacheDir();

/// A cache key: SHA-256 of the parts (each ended by a NUL), as 32 hex digits.
std::string cacheKey(const std::vector<std::string> &parts);

/// The header (`magic` is exactly 8 characters) followed by `payload`.
std::string encodeCacheEntry(const char *magic, uint32_t format, const std::string &payload);

/// The payload of a file's bytes `data`; nullopt with `why` (what is wrong,
/// without the file's name) when the header, size or checksum is bad.
std::optional<std::string> decodeCacheEntry(const char *magic, uint32_t format,
                                            const std::string &data, std::string &why);

/// The payload of the entry file at `path`: nullopt when there is none, and
/// also (with `why`) when it is unreadable.
std::optional<std::string> readCacheEntry(const std::string &path, const char *magic,
                                          uint32_t format, std::string &why);

} // namespace frond::runtime

#endif // FROND_RUNTIME_CACHEENTRY_H
