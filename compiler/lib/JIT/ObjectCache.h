//===- ObjectCache.h - compiled objects on disk, keyed by IR ----*- C++ -*-===//
//
// One file per compiled module, `<dir>/<key>.fjit`:
//
//   "FRONDJIT" | u32 format (1) | u32 0 | u64 payload size | u64 xxh3(payload)
//   | payload (the relocatable object ExecutionEngine produced)
//
// The key hashes the frond-level IR (without locations: they do not change
// the code), the compile options, the LLVM version, the host CPU and its
// features, and the identity of the running executable (path, size and
// modification time), so a rebuilt compiler never reuses stale code.
// Entries are written atomically (temporary file, fsync, rename); a
// truncated or corrupt entry fails its checksum and is recompiled. The
// directory keeps at most kMaxEntries files (oldest removed first).
//
//===----------------------------------------------------------------------===//
#ifndef FROND_JIT_OBJECTCACHE_H
#define FROND_JIT_OBJECTCACHE_H

#include <optional>
#include <string>

namespace frond::jit::cache {

constexpr unsigned kMaxEntries = 256;

/// The cache key of `irText` compiled with `options` (a description of
/// every option that changes the generated code): 32 hex digits.
std::string keyFor(const std::string &irText, const std::string &options);

/// `<dir>/<key>.fjit`.
std::string entryPath(const std::string &dir, const std::string &key);

/// The payload of the entry at `path`; nullopt when it does not exist. A
/// present but unreadable entry (bad header, size or checksum) sets `why`.
std::optional<std::string> read(const std::string &path, std::string &why);

/// Writes `payload` as the entry at `path` (creating the directory),
/// atomically, then trims the directory to kMaxEntries. False (with `why`)
/// when the cache cannot be written; the caller goes on without it.
bool write(const std::string &path, const std::string &payload, std::string &why);

} // namespace frond::jit::cache

#endif // FROND_JIT_OBJECTCACHE_H
