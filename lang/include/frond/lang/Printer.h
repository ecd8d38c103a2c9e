//===- Printer.h - canonical .spec pretty-printer --------------*- C++ -*-===//
//
// Prints the AST back as .spec text in one canonical layout: 2-space indent,
// one statement per line, minimal parentheses. Printing is a fixed point:
// print(parse(print(m))) == print(m). Comments are not in the AST and are
// dropped.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "frond/lang/Ast.h"

#include <string>

namespace frond {

/// Prints a module in canonical form (ends with a newline unless empty).
/// Declarations are separated by one blank line; consecutive imports are
/// grouped without blank lines. print(parse(print(m))) == print(m).
std::string printModule(const ast::Module &m);

/// Prints one expression on a single line with minimal parentheses; used in
/// diagnostics and `frond explain`.
std::string printExpr(const ast::Expr &e);

} // namespace frond
