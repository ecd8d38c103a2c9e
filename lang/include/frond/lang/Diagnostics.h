//===- Diagnostics.h - located, explained errors ---------------*- C++ -*-===//
//
// Every error Frond reports about a spec goes through a DiagEngine. It prints
//   file:line:col: error: message
//     12 |   x = foo(y)
//        |       ^
//     expected: ...   found: ...   fix: ...
// keeps going after an error (several per run) and caps the count so garbage
// input cannot flood the terminal.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "frond/lang/Location.h"

#include <map>
#include <string>
#include <vector>

namespace frond {

struct Diagnostic {
  enum Severity { Error, Warning, Note } severity = Error;
  Loc loc;
  std::string message;
  std::string expected, found, fix; ///< Optional explanation lines.
  std::vector<std::string> notes;   ///< Context: "while checking sweep d = 0"
};

/// Owns source texts (to print the offending line) and collected diagnostics.
class DiagEngine {
public:
  static constexpr unsigned kMaxErrors = 25;

  /// Registers a file's text; returns the shared name used in its Locs.
  std::shared_ptr<const std::string> addFile(const std::string &path,
                                             std::string text);
  const std::string *text(const std::string &path) const;

  Diagnostic &error(Loc loc, std::string message);
  Diagnostic &warning(Loc loc, std::string message);
  /// Error without a location (command line, missing file given by the user).
  Diagnostic &error(std::string message) { return error(Loc{}, std::move(message)); }

  /// Context attached to every error reported until popContext(): where a
  /// value came from when the error shows up far from it.
  void pushContext(std::string note) { context.push_back(std::move(note)); }
  void popContext() { context.pop_back(); }

  unsigned errorCount() const { return errors; }
  bool hasErrors() const { return errors > 0; }
  bool tooMany() const { return errors >= kMaxErrors; }
  const std::vector<Diagnostic> &all() const { return diags; }

  /// Renders every diagnostic (sorted by file and position) to a string.
  std::string render() const;
  static std::string renderOne(const Diagnostic &d, const std::string *text);

private:
  std::map<std::string, std::shared_ptr<const std::string>> names;
  std::map<std::string, std::string> texts;
  std::vector<Diagnostic> diags;
  Diagnostic overflow;
  std::vector<std::string> context;
  unsigned errors = 0;
};

} // namespace frond
