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

} // namespace mlir::frond

#endif // FROND_LIB_PIPELINES_COMMONPASSES_H
