//===- EmbeddedStdlib.cpp - the standard library inside the binary --------===//
#include "EmbeddedStdlib.h"

#include "frond/lang/Loader.h"
#include "frond/runtime/CacheEntry.h"
#include "frond/runtime/Checkpoint.h"

#include <cstdlib>
#include <filesystem>
#include <vector>

namespace fs = std::filesystem;

namespace frond::cli {

namespace {

/// $FROND_CACHE_DIR, else $XDG_CACHE_HOME/frond, else ~/.cache/frond, else
/// the temporary directory.
std::string cacheRoot() {
  if (const char *d = std::getenv("FROND_CACHE_DIR"); d && *d)
    return d;
  std::string user = runtime::userCacheDir();
  return !user.empty() ? user : fs::temp_directory_path().string() + "/frond";
}

} // namespace

std::string resolveStdlibDir(const std::string &configured, std::string &error) {
  if (!configured.empty())
    return configured;
  if (const char *env = std::getenv("FROND_STDLIB"); env && *env)
    return env;
  std::string found = Program::findStdlib();
  std::error_code ec;
  if (fs::is_directory(found, ec))
    return found;
  // The embedded copy, in a directory named after its content: a different
  // frond's copy never mixes with this one, and an existing one is reused.
  std::vector<std::string> parts;
  for (const EmbeddedFile *f = kEmbeddedStdlib; f->path; ++f) {
    parts.push_back(f->path);
    parts.push_back(std::string(reinterpret_cast<const char *>(f->data), f->size));
  }
  std::string dir = cacheRoot() + "/stdlib-" + runtime::cacheKey(parts).substr(0, 16);
  for (const EmbeddedFile *f = kEmbeddedStdlib; f->path; ++f) {
    fs::path file = fs::path(dir) / f->path;
    if (fs::file_size(file, ec) == f->size && !ec)
      continue;
    fs::create_directories(file.parent_path(), ec);
    std::string bytes(reinterpret_cast<const char *>(f->data), f->size);
    if (ec || !runtime::writeFileAtomic(file.string(), bytes, error)) {
      error = "no standard library: " + found + " does not exist and the built-in copy " +
              "cannot be written to " + dir + (ec ? " (" + ec.message() + ")" : "") +
              "; fix: pass --stdlib DIR or set FROND_STDLIB or FROND_CACHE_DIR";
      return "";
    }
  }
  return dir;
}

} // namespace frond::cli
