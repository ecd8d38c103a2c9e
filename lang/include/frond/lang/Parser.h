//===- Parser.h - text to AST ----------------------------------*- C++ -*-===//
#pragma once

#include "frond/lang/Ast.h"
#include "frond/lang/Diagnostics.h"

#include <functional>

namespace frond {

/// Largest spec file accepted; larger inputs get an error, not a parse
/// (ANTLR parses about 1 MB/s: this bounds a check to a few seconds).
constexpr size_t kMaxSpecBytes = 4u << 20;
/// Deepest bracket / operator nesting accepted before parsing.
constexpr unsigned kMaxNesting = 200;

/// Parses `text` (the contents of `path`). Never throws: ANTLR's exceptions
/// are caught here and every problem becomes a diagnostic. Returns the module
/// (possibly partial) even when errors were reported.
std::unique_ptr<ast::Module> parseSpec(const std::string &path,
                                       const std::string &text,
                                       DiagEngine &diags);

/// Reads and parses a file; a missing or unreadable file is a diagnostic.
std::unique_ptr<ast::Module> parseSpecFile(const std::string &path,
                                           DiagEngine &diags);

/// Runs `fn` on a thread with a large stack, so recursive passes over
/// deeply nested (but accepted) input cannot overflow the default stack.
void runOnLargeStack(const std::function<void()> &fn);

} // namespace frond
