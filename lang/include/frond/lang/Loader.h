//===- Loader.h - modules, imports and global names ------------*- C++ -*-===//
//
// A Program is the root spec plus every module it imports, transitively.
// `import std.x.y` reads <stdlib>/x/y.spec; `import a.b` reads a/b.spec next
// to the importing file's root experiment. Nothing else can be read.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "frond/lang/Ast.h"
#include "frond/lang/Diagnostics.h"

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace frond {

struct SourceModule;

/// A global name: the declaration and the module it was declared in.
struct GlobalRef {
  const ast::Decl *decl = nullptr;
  const SourceModule *module = nullptr;
};

struct SourceModule {
  std::string path;       ///< File path as opened.
  std::string importName; ///< "std.masks", or "" for the root.
  std::unique_ptr<ast::Module> ast;
  /// Names visible at this module's top level: own declarations and imports.
  std::map<std::string, GlobalRef> globals;
  const GlobalRef *lookup(const std::string &name) const {
    auto it = globals.find(name);
    return it == globals.end() ? nullptr : &it->second;
  }
};

class Program {
public:
  /// Directory of the standard library; found automatically when empty.
  std::string stdlibDir;

  /// Loads `path` and its imports. Returns false when anything failed (the
  /// diagnostics say what); the modules that did load stay usable.
  bool load(const std::string &path, DiagEngine &diags);

  SourceModule *root() const { return rootModule; }
  const std::vector<std::unique_ptr<SourceModule>> &all() const { return modules; }

  /// Finds the standard library: $FROND_STDLIB, then ../../stdlib relative to
  /// the running executable, then /usr/share/frond/stdlib.
  static std::string findStdlib();

private:
  SourceModule *loadModule(const std::string &path, const std::string &name,
                           DiagEngine &diags, std::vector<std::string> &stack,
                           Loc importLoc);
  void bindGlobals(SourceModule &m, DiagEngine &diags,
                   std::vector<std::string> &stack);

  std::vector<std::unique_ptr<SourceModule>> modules;
  std::map<std::string, SourceModule *> byPath;
  SourceModule *rootModule = nullptr;
  std::string rootDir;
};

/// Optimal-string-alignment distance: edits plus transpositions ("rnak"
/// is one edit from "rank").
size_t editDistance(const std::string &a, const std::string &b);
/// Edit-distance suggestion: the closest candidate to `name`, or "".
std::string closestName(const std::string &name,
                        const std::vector<std::string> &candidates);

} // namespace frond
