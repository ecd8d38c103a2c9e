//===- CommonPasses.h - pass sequences the pipelines share ------*- C++ -*-===//
#ifndef FROND_LIB_PIPELINES_COMMONPASSES_H
#define FROND_LIB_PIPELINES_COMMONPASSES_H

#include "mlir/Pass/PassManager.h"

namespace mlir::frond {

/// frond ops (attention already lowered) → linalg/tensor on tensors, then
/// canonicalize/CSE and, with `fuse`, elementwise fusion.
void addLowerToLinalgPasses(OpPassManager &pm, bool fuse);

/// One-shot bufferization with function boundaries (identity layouts, so a
/// caller passes dense buffers; loops may return fresh allocations), then
/// ownership-based deallocation.
void addBufferizationPasses(OpPassManager &pm);

/// Run right before addBufferizationPasses where linalg becomes parallel
/// loops (the GPU's kernels): every reduction fills its own accumulator in
/// place instead of copying a shared filled buffer.
void addFillPerUsePass(OpPassManager &pm);

/// linalg on buffers → scf.parallel nests (the GPU's kernels): parallel
/// loops outside reductions, full reductions in two parallel stages,
/// copies and loop-free ops as nests of their own (no host code reads a
/// buffer), and adjacent nests over the same iteration
/// space fused (a fill with the reduction that accumulates into it, an
/// elementwise op with its consumer). No canonicalization here: it would
/// fold single-iteration nests into the host code.
void addParallelLoopPasses(OpPassManager &pm);

} // namespace mlir::frond

#endif // FROND_LIB_PIPELINES_COMMONPASSES_H
