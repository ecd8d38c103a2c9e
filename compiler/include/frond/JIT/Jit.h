//===- Jit.h - run a frond forward function on the CPU ----------*- C++ -*-===//
//
// Compiles the module MLIRGen makes (func.func @<model>_forward of frond
// ops) with the CPU pipeline (frond/Pipelines/Pipelines.h) and
// mlir::ExecutionEngine, then calls it on host tensors
// (frond/runtime/Tensor.h).
//
// The function gets `llvm.emit_c_interface` before lowering, so the JIT
// exposes `_mlir_ciface_<name>(results*, memref-descriptor*...)`; it is
// called through ExecutionEngine::invokePacked with one pointer per
// argument. Argument i is a StridedMemRefType (identity layout) over the
// caller's buffer; the results come back as descriptors of buffers the
// compiled code allocated (malloc), which are copied out and freed.
// Generated code calls libm (erff) and memrefCopy from
// libmlir_c_runner_utils, which is loaded as a shared library.
//
//===----------------------------------------------------------------------===//
#ifndef FROND_JIT_JIT_H
#define FROND_JIT_JIT_H

#include "frond/runtime/Tensor.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

#include <memory>
#include <string>
#include <vector>

namespace mlir {
class ExecutionEngine;
} // namespace mlir

namespace frond::jit {

/// One argument or result of the compiled function.
struct Slot {
  std::string name;            ///< frond.name / frond.outputs entry
  runtime::DType dtype;        ///< f32, or i64 (i64, index and i1 values)
  bool isBool = false;         ///< i1 elements (results only)
  std::vector<int64_t> shape;  ///< -1 for a dynamic extent
};

class CompiledModel {
public:
  ~CompiledModel();

  /// Lowers `module` (which must hold one func.func carrying frond.outputs)
  /// through the CPU pipeline and JIT-compiles it at -O`optLevel`. On
  /// failure returns null and sets `error` (pipeline diagnostics with their
  /// source locations, or the JIT's message).
  static std::unique_ptr<CompiledModel>
  compile(mlir::OwningOpRef<mlir::ModuleOp> module, std::string &error,
          unsigned optLevel = 2);

  const std::vector<Slot> &arguments() const { return args; }
  const std::vector<Slot> &results() const { return outs; }
  /// Seconds spent in the pipeline and in LLVM (translation + codegen).
  double pipelineSeconds() const { return pipelineSec; }
  double llvmSeconds() const { return llvmSec; }

  /// Calls the function with `inputs` (one per argument, in order; dtypes
  /// and static extents must match). On success fills `outputs` (one per
  /// result) and returns true; otherwise sets `error`.
  bool run(const std::vector<const runtime::Tensor *> &inputs,
           std::vector<runtime::Tensor> &outputs, std::string &error);

private:
  CompiledModel() = default;
  std::string funcName;
  std::vector<Slot> args, outs;
  std::unique_ptr<mlir::ExecutionEngine> engine;
  double pipelineSec = 0, llvmSec = 0;
};

} // namespace frond::jit

#endif // FROND_JIT_JIT_H
