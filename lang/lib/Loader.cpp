//===- Loader.cpp - modules, imports and global names --------------------===//
#include "frond/lang/Loader.h"
#include "frond/lang/Parser.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <unistd.h>

using namespace frond;

size_t frond::editDistance(const std::string &a, const std::string &b) {
  std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); ++i)
    d[i][0] = i;
  for (size_t j = 0; j <= b.size(); ++j)
    d[0][j] = j;
  for (size_t i = 1; i <= a.size(); ++i)
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  return d[a.size()][b.size()];
}

std::string frond::closestName(const std::string &name,
                               const std::vector<std::string> &candidates) {
  std::string best;
  unsigned bestDist = UINT_MAX;
  for (auto &c : candidates) {
    if (c.size() > name.size() + 8 || name.size() > c.size() + 8)
      continue;
    unsigned d = unsigned(editDistance(name, c));
    if (d < bestDist) {
      bestDist = d;
      best = c;
    }
  }
  // Only suggest names that are plausibly typos.
  unsigned limit = std::max<unsigned>(1, name.size() / 3);
  return bestDist <= limit ? best : "";
}

std::string Program::findStdlib() {
  if (const char *env = std::getenv("FROND_STDLIB"))
    return env;
  char buf[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n > 0) {
    buf[n] = 0;
    llvm::SmallString<256> dir(llvm::sys::path::parent_path(buf));
    for (const char *rel : {"../../stdlib", "../stdlib", "../share/frond/stdlib"}) {
      llvm::SmallString<256> p(dir);
      llvm::sys::path::append(p, rel);
      if (llvm::sys::fs::is_directory(p)) {
        llvm::SmallString<256> real;
        if (!llvm::sys::fs::real_path(p, real))
          return std::string(real);
        return std::string(p);
      }
    }
  }
  return "/usr/share/frond/stdlib";
}

bool Program::load(const std::string &path, DiagEngine &diags) {
  if (stdlibDir.empty())
    stdlibDir = findStdlib();
  rootDir = path == "-" ? "." : std::string(llvm::sys::path::parent_path(path));
  if (rootDir.empty())
    rootDir = ".";
  unsigned before = diags.errorCount();
  std::vector<std::string> stack;
  rootModule = loadModule(path, "", diags, stack, Loc{});
  return rootModule && diags.errorCount() == before;
}

SourceModule *Program::loadModule(const std::string &path,
                                  const std::string &name, DiagEngine &diags,
                                  std::vector<std::string> &stack,
                                  Loc importLoc) {
  if (auto it = byPath.find(path); it != byPath.end()) {
    if (std::find(stack.begin(), stack.end(), path) != stack.end()) {
      std::string cycle;
      for (auto &p : stack)
        cycle += p + " -> ";
      auto &d = diags.error(importLoc, "import cycle: " + cycle + path);
      d.fix = "move the shared declarations into a module both can import";
    }
    return it->second;
  }
  auto mod = std::make_unique<SourceModule>();
  mod->path = path;
  mod->importName = name;
  if (!importLoc.valid()) {
    mod->ast = parseSpecFile(path, diags);
  } else {
    if (!llvm::sys::fs::is_regular_file(path)) {
      auto &d = diags.error(importLoc, "cannot find module '" + name + "'");
      d.expected = "a file " + path;
      d.fix = name.rfind("std.", 0) == 0
                  ? "check the module name against the files in " + stdlibDir
                  : "put " + llvm::sys::path::filename(path).str() +
                        " next to the experiment, or import a std.* module";
      return nullptr;
    }
    mod->ast = parseSpecFile(path, diags);
  }
  if (!mod->ast)
    return nullptr;
  SourceModule *raw = mod.get();
  modules.push_back(std::move(mod));
  byPath[path] = raw;
  stack.push_back(path);
  bindGlobals(*raw, diags, stack);
  stack.pop_back();
  return raw;
}

void Program::bindGlobals(SourceModule &m, DiagEngine &diags,
                          std::vector<std::string> &stack) {
  // Own declarations first, so an import that clashes with one is reported
  // at the import.
  for (auto &d : m.ast->decls) {
    if (llvm::isa<ast::ImportDecl>(d.get()) || llvm::isa<ast::ExperimentDecl>(d.get()))
      continue;
    auto [it, inserted] = m.globals.insert({d->name, GlobalRef{d.get(), &m}});
    if (!inserted) {
      auto &e = diags.error(d->loc, "'" + d->name + "' is already defined");
      e.found = "an earlier definition at " + it->second.decl->loc.str();
      e.fix = "rename one of them";
    }
  }
  for (auto &d : m.ast->decls) {
    auto *imp = llvm::dyn_cast<ast::ImportDecl>(d.get());
    if (!imp)
      continue;
    bool isStd = imp->path.size() > 1 && imp->path[0] == "std";
    llvm::SmallString<256> file(isStd ? stdlibDir : rootDir);
    for (size_t i = isStd ? 1 : 0; i < imp->path.size(); ++i)
      llvm::sys::path::append(file, imp->path[i]);
    file += ".spec";
    if (imp->path.size() == 1 && imp->path[0] == "std") {
      auto &e = diags.error(imp->loc, "'import std' names no module");
      e.fix = "import a module of the standard library, e.g. import std.masks";
      continue;
    }
    SourceModule *dep = loadModule(std::string(file), imp->name, diags, stack, imp->loc);
    if (!dep)
      continue;
    auto bind = [&](const std::string &name, const GlobalRef &ref, Loc at) {
      auto [it, inserted] = m.globals.insert({name, ref});
      if (!inserted && it->second.decl != ref.decl) {
        auto &e = diags.error(at, "import of '" + name + "' clashes with another definition");
        e.found = "'" + name + "' already defined at " + it->second.decl->loc.str();
        e.fix = "import only the names you need: import " + imp->name + ".{...}";
      }
    };
    if (imp->names.empty()) {
      for (auto &[n, ref] : dep->globals)
        if (ref.module == dep) // No re-export of a module's own imports.
          bind(n, ref, imp->loc);
      continue;
    }
    for (auto &[n, at] : imp->names) {
      const GlobalRef *ref = dep->lookup(n);
      if (!ref || ref->module != dep) {
        std::vector<std::string> names;
        for (auto &[k, r] : dep->globals)
          if (r.module == dep)
            names.push_back(k);
        auto &e = diags.error(at, "module '" + imp->name + "' has no '" + n + "'");
        std::string guess = closestName(n, names);
        e.fix = guess.empty() ? "it defines: " + llvm::join(names, ", ")
                              : "did you mean '" + guess + "'?";
        continue;
      }
      bind(n, *ref, at);
    }
  }
}
