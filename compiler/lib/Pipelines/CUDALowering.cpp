//===- CUDALowering.cpp - frond module → GPU dialect / PTX ----------------===//
#include "frond/Pipelines/CUDALowering.h"
#include "frond/Pipelines/RunPasses.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/IR/DialectRegistry.h"
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
  return runPasses(
      module, [&](OpPassManager &pm) { mlir::frond::buildCUDAPipeline(pm, options); },
      "the CUDA pipeline", error);
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
