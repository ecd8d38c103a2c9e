//===- AstBuilder.h - ANTLR parse tree to Frond AST (private) ------------===//
#pragma once

#include "frond/lang/Ast.h"
#include "frond/lang/Diagnostics.h"

#include "FrondParser.h"

namespace frond {
/// Converts a successfully parsed file into `module`. Literal problems (an
/// integer that overflows, say) are reported to `diags`.
void buildAst(FrondParser::FileContext *tree,
              std::shared_ptr<const std::string> file, ast::Module &module,
              DiagEngine &diags);
} // namespace frond
