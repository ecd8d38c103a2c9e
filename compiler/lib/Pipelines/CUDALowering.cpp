//===- CUDALowering.cpp - frond module → GPU dialect / PTX ----------------===//
#include "frond/Pipelines/CUDALowering.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;

namespace frond::cuda {

bool lowerToCUDA(ModuleOp module, const mlir::frond::CUDAPipelineOptions &options,
                 std::string &error) {
  MLIRContext *ctx = module->getContext();
  DialectRegistry registry;
  mlir::frond::registerCUDAPipelineDialects(registry);
  ctx->appendDialectRegistry(registry);
  ctx->loadAllAvailableDialects();
  std::string diagText;
  llvm::raw_string_ostream dos(diagText);
  ScopedDiagnosticHandler handler(ctx, [&](Diagnostic &d) {
    if (d.getSeverity() != DiagnosticSeverity::Error)
      return success();
    dos << d.getLocation() << ": error: " << d << "\n";
    for (Diagnostic &n : d.getNotes())
      dos << n.getLocation() << ": note: " << n << "\n";
    return success();
  });
  PassManager pm(ctx);
  mlir::frond::buildCUDAPipeline(pm, options);
  if (failed(pm.run(module))) {
    error = "the CUDA pipeline failed:\n" + diagText;
    return false;
  }
  return true;
}

std::string ptxOf(ModuleOp module) {
  std::string text;
  llvm::raw_string_ostream os(text);
  module.walk([&](gpu::BinaryOp binary) {
    for (Attribute a : binary.getObjects()) {
      auto object = dyn_cast<gpu::ObjectAttr>(a);
      if (!object)
        continue;
      os << "// gpu.binary @" << binary.getName() << "\n" << object.getObject().getValue();
      if (!text.empty() && text.back() != '\n')
        os << "\n";
    }
  });
  return text;
}

} // namespace frond::cuda
