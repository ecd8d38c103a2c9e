//===- Location.h - source positions ---------------------------*- C++ -*-===//
#pragma once

#include <memory>
#include <string>

namespace frond {

/// A position in a source file: 1-based line and column. `file` is shared by
/// every location of one file so copying a Loc is cheap.
struct Loc {
  std::shared_ptr<const std::string> file;
  unsigned line = 0, col = 0;
  bool valid() const { return file && line > 0; }
  std::string str() const; ///< "file:line:col"
};

} // namespace frond
