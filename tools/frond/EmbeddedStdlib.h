//===- EmbeddedStdlib.h - the standard library inside the binary -*- C++ -*-===//
//
// frond carries a copy of stdlib/ (generated into the build by
// cmake/EmbedStdlib.cmake) for when no standard library directory is
// configured (--stdlib, paths.stdlib, FROND_STDLIB) or installed beside the
// binary, as with the portable binary copied to another machine. The copy
// is written once into the cache directory, under a name that hashes its
// content, and used from there.
//
//===----------------------------------------------------------------------===//
#pragma once

#include <cstddef>
#include <string>

namespace frond::cli {

struct EmbeddedFile {
  const char *path; ///< relative to stdlib/, e.g. "masks.spec"
  const unsigned char *data;
  size_t size;
};

/// The embedded files, ended by an entry whose path is null.
extern const EmbeddedFile kEmbeddedStdlib[];

/// The standard library directory: `configured` when set, else the one
/// Program::findStdlib() finds when it exists, else the embedded copy
/// written out under the cache directory. "" with `error` when that copy
/// cannot be written.
std::string resolveStdlibDir(const std::string &configured, std::string &error);

} // namespace frond::cli
