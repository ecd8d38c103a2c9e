//===- CompileCommand.cpp - `frond compile`: every stage of the compiler ---===//
#include "Cli.h"

#include "frond/MLIRGen/MLIRGen.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OperationSupport.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdio>

namespace frond::cli {

/// `frond compile`: the recorded graph, or the module MLIRGen makes of it.
int compileCommand(const Options &o, const Program &program,
                   const std::vector<Override> &overrides, DiagEngine &diags) {
  graph::Graph graph;
  auto inst = resolveExperiment(program, o.experiment, o.variant, diags,
                                overrides, &graph);
  if (!inst || diags.hasErrors())
    return printDiagnostics(diags), 1;
  if (o.emit == "graph") {
    printDiagnostics(diags);
    std::fputs(graph.str().c_str(), stdout);
    return 0;
  }
  mlir::MLIRContext ctx;
  auto module = mlirGen(ctx, graph, inst->model, diags);
  printDiagnostics(diags);
  if (!module)
    return 1;
  std::string text;
  llvm::raw_string_ostream os(text);
  module->print(os, mlir::OpPrintingFlags().enableDebugInfo(true, /*prettyForm=*/false));
  std::fputs(text.c_str(), stdout);
  return 0;
}

} // namespace frond::cli
