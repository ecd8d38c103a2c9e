//===- CUDALowering.h - frond module → GPU dialect / PTX --------*- C++ -*-===//
//
// The CUDA pipeline as one call for drivers (`frond compile --target=cuda`):
// the context set-up, diagnostics collected with their spec locations, and
// the PTX text read back from the gpu.binary ops.
//
//===----------------------------------------------------------------------===//
#ifndef FROND_PIPELINES_CUDALOWERING_H
#define FROND_PIPELINES_CUDALOWERING_H

#include "frond/Pipelines/Pipelines.h"
#include "mlir/IR/BuiltinOps.h"

#include <string>

namespace frond::cuda {

/// Lowers `module` in place through the CUDA pipeline. On failure returns
/// false and sets `error` to the diagnostics, each with its location.
bool lowerToCUDA(mlir::ModuleOp module, const mlir::frond::CUDAPipelineOptions &options,
                 std::string &error);

/// The PTX of every gpu.binary in `module` (after a serializing lowering),
/// each preceded by a `// gpu.binary @name` line.
std::string ptxOf(mlir::ModuleOp module);

/// The first CUDA math function (`__nv_...`) that `ptx` declares but does
/// not define (libdevice was not linked), or "".
std::string unresolvedLibdeviceCall(const std::string &ptx);

/// What to do when `function` (from unresolvedLibdeviceCall) is unlinked.
std::string missingLibdeviceMessage(const std::string &function);

} // namespace frond::cuda

#endif // FROND_PIPELINES_CUDALOWERING_H
