//===- RunPasses.h - run a pass pipeline, collect its errors ----*- C++ -*-===//
#ifndef FROND_PIPELINES_RUNPASSES_H
#define FROND_PIPELINES_RUNPASSES_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/PassManager.h"

#include <string>

namespace frond {

/// Runs the passes `build` adds to a pass manager on `module`. On failure
/// returns false and sets `error` to "<what> failed:" and then every error
/// diagnostic (with its notes) at its location, one a line. The module is
/// verified once, after the last pass, not after every pass (a quarter of
/// a gradient's GPU compile time); FROND_VERIFY_EACH=1 verifies after each
/// pass, to find the one that breaks the IR (frond-opt always does).
bool runPasses(mlir::ModuleOp module, llvm::function_ref<void(mlir::OpPassManager &)> build,
               llvm::StringRef what, std::string &error);

} // namespace frond

#endif // FROND_PIPELINES_RUNPASSES_H
