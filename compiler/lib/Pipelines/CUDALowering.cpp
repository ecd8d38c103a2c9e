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
  if (!runPasses(
          module, [&](OpPassManager &pm) { mlir::frond::buildCUDAPipeline(pm, options); },
          "the CUDA pipeline", error))
    return false;
  // MLIR's NVVM target links libdevice (the CUDA math functions) from the
  // toolkit it finds; without one the PTX keeps them as unresolved externs,
  // which is fine to read (--emit=ptx) but which the driver would refuse to
  // load with a less helpful message.
  std::string missing = options.lowerHost ? unresolvedLibdeviceCall(ptxOf(module)) : "";
  if (!missing.empty()) {
    error = missingLibdeviceMessage(missing) + "\n";
    return false;
  }
  return true;
}

std::string missingLibdeviceMessage(const std::string &function) {
  return "the kernels call the CUDA math library (" + function +
         ") but no libdevice was found to link it: set CUDA_HOME (or CUDA_ROOT) to a CUDA "
         "toolkit, a directory with nvvm/libdevice/libdevice.10.bc";
}

std::string unresolvedLibdeviceCall(const std::string &ptx) {
  static const char kExtern[] = ".extern .func";
  for (size_t at = ptx.find(kExtern); at != std::string::npos; at = ptx.find(kExtern, at + 1)) {
    size_t end = ptx.find('\n', at);
    std::string line = ptx.substr(at, end == std::string::npos ? std::string::npos : end - at);
    size_t nv = line.find("__nv_");
    if (nv != std::string::npos) {
      size_t stop = line.find_first_of(" (;", nv);
      return line.substr(nv, stop == std::string::npos ? std::string::npos : stop - nv);
    }
  }
  return "";
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
