//===- Pipelines.h - frond pass pipelines -----------------------*- C++ -*-===//
//
// Pipelines as library functions: the CLI, frond-opt (--frond-cpu-pipeline)
// and tests build exactly the same pass lists from here.
//
//===----------------------------------------------------------------------===//
#ifndef FROND_PIPELINES_PIPELINES_H
#define FROND_PIPELINES_PIPELINES_H

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassOptions.h"

namespace mlir {
class DialectRegistry;
} // namespace mlir

namespace mlir::frond {

/// Options of the CPU pipeline (frond → LLVM dialect).
struct CPUPipelineOptions : public PassPipelineOptions<CPUPipelineOptions> {
  Option<int64_t> queryTile{*this, "query-tile",
                            llvm::cl::desc("attention query tile size"),
                            llvm::cl::init(64)};
  Option<int64_t> keyTile{*this, "key-tile",
                          llvm::cl::desc("attention key tile size"),
                          llvm::cl::init(64)};
  Option<bool> fuseElementwise{
      *this, "fuse-elementwise",
      llvm::cl::desc("fuse producer/consumer elementwise linalg ops"),
      llvm::cl::init(true)};
  Option<bool> vectorize{
      *this, "vectorize",
      llvm::cl::desc("register-tile and vectorize contractions "
                     "(frond-tile-and-vectorize)"),
      llvm::cl::init(true)};
  Option<int64_t> tileM{*this, "tile-m",
                        llvm::cl::desc("contraction register tile: rows"),
                        llvm::cl::init(8)};
  Option<int64_t> tileN{*this, "tile-n",
                        llvm::cl::desc("contraction register tile: columns"),
                        llvm::cl::init(64)};
  Option<int64_t> tileK{*this, "tile-k",
                        llvm::cl::desc("contraction register tile: k steps"),
                        llvm::cl::init(1)};
};

/// frond (tensors) → LLVM dialect on the CPU: lower attention, lower the
/// other ops to linalg, canonicalize/CSE, fuse elementwise ops, one-shot
/// bufferize (function boundaries included, identity layouts), free
/// temporaries, linalg to loops, then everything to LLVM. Functions keep
/// their argument order; each tensor argument/result becomes a memref
/// descriptor (expanded to scalars by the LLVM calling convention).
void buildCPUPipeline(OpPassManager &pm, const CPUPipelineOptions &options);

/// Dialects and external interface models the CPU pipeline needs loaded
/// (bufferization models of arith/linalg/tensor/scf/func, ...).
void registerCPUPipelineDialects(DialectRegistry &registry);

/// Registers `--frond-cpu-pipeline` for mlir-opt style drivers.
void registerFrondPipelines();

} // namespace mlir::frond

#endif // FROND_PIPELINES_PIPELINES_H
