//===- Passes.h - frond lowering passes -------------------------*- C++ -*-===//
//
// Declarations (generated from Passes.td) of the passes lowering frond to
// upstream dialects, and their registration for frond-opt. Only the pass
// machinery is included here: the dialect headers cost most of a file's
// compile time (NVVM's alone about 15 s), so each file that defines a pass
// (GEN_PASS_DEF_*) includes the dialects the pass depends on.
//
//===----------------------------------------------------------------------===//
#ifndef FROND_TRANSFORMS_PASSES_H
#define FROND_TRANSFORMS_PASSES_H

#include "mlir/Pass/Pass.h"

namespace mlir::frond {

#define GEN_PASS_DECL
#include "frond/Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "frond/Transforms/Passes.h.inc"

} // namespace mlir::frond

#endif // FROND_TRANSFORMS_PASSES_H
