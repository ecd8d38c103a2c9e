//===- MLIRGen.h - a recorded model graph to frond MLIR ---------*- C++ -*-===//
//
// Turns the dataflow that sema records for one model (frond::graph::Graph,
// lang/include/frond/lang/Graph.h) into a module holding a single
//
//   func.func @<model>_forward(<inputs>..., <params>...) -> (<outputs>...)
//
// of frond ops: inputs then parameters as arguments (each with a
// `frond.name` argument attribute), the graph outputs (heads, then losses)
// as results, named by the function's `frond.outputs` array attribute.
// Every op carries the source location of the spec expression it came from.
// Symbolic extents become `?`; dtypes map float -> f32 (f64 with
// MLIRGenOptions::f64), int -> i64, bool -> i1, index -> index.
//
//===----------------------------------------------------------------------===//
#ifndef FROND_MLIRGEN_MLIRGEN_H
#define FROND_MLIRGEN_MLIRGEN_H

#include "frond/lang/Diagnostics.h"
#include "frond/lang/Graph.h"
#include "frond/lang/Sema.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OwningOpRef.h"

namespace frond {

struct MLIRGenOptions {
  /// Spec floats become f64 instead of f32: double-precision runs
  /// (finite-difference gradient checks, `frond eval --dtype f64`).
  bool f64 = false;
};

/// Emits `g` (the graph recorded while elaborating `m`) as a verified
/// module. Loads the dialects it needs into `ctx`. On a malformed graph or
/// a module that does not verify, reports errors at the offending node's
/// source location through `diags` and returns a null module.
mlir::OwningOpRef<mlir::ModuleOp> mlirGen(mlir::MLIRContext &ctx,
                                          const graph::Graph &g,
                                          const ModelInstance &m,
                                          DiagEngine &diags,
                                          const MLIRGenOptions &options = {});

} // namespace frond

#endif // FROND_MLIRGEN_MLIRGEN_H
