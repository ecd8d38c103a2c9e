//===- CudaTarget.cpp - the JIT's CUDA target -----------------------------===//
#include "CudaTarget.h"

#include "frond/Pipelines/CUDALowering.h"
#include "frond/runtime/CudaMgpu.h"
#include "mlir/IR/SymbolTable.h"

#include <cstring>

using namespace frond::runtime::cuda;

namespace frond::jit {

bool lowerForCUDA(mlir::ModuleOp module, const std::string &chip,
                  const std::string &attentionTiles, const std::string &matmulTiles,
                  const std::string &kernelCacheDir,
                  std::string &error) {
  CudaDeviceInfo device;
  if (!openMgpuDevice(error, &device))
    return false;
  setMgpuKernelCacheDir(kernelCacheDir);
  mlir::frond::CUDAPipelineOptions options;
  options.chip = chip.empty() ? device.smName() : chip;
  options.elementType = attentionTiles;
  options.matmulType = matmulTiles;
  options.lowerHost = true;
  return cuda::lowerToCUDA(module, options, error);
}

std::string replayProblem(mlir::ModuleOp module, const std::string &name) {
  mlir::Operation *fn = mlir::SymbolTable::lookupSymbolIn(module, name);
  if (!fn)
    return "no host function @" + name;
  if (auto why = fn->getAttrOfType<mlir::StringAttr>("frond.not_replayable"))
    return why.str();
  return fn->hasAttr("frond.replayable") ? "" : "@" + name + " was not checked for replay";
}

llvm::orc::SymbolMap mgpuSymbolMap(llvm::orc::MangleAndInterner mangle) {
  llvm::orc::SymbolMap symbols;
  for (auto &[name, address] : mgpuSymbols())
    symbols[mangle(name)] = {llvm::orc::ExecutorAddr::fromPtr(address),
                             llvm::JITSymbolFlags::Exported};
  return symbols;
}

std::string takeGPUError() {
  std::string error = takeMgpuError();
  return error.empty() ? "" : "the GPU run failed: " + error;
}

ManagedArguments::~ManagedArguments() {
  for (void *b : buffers)
    frondMgpuMemFree(b, nullptr);
}

void *ManagedArguments::copy(const void *data, size_t bytes, std::string &error) {
  void *b = frondMgpuMemAlloc(bytes, nullptr, /*hostShared=*/true);
  buffers.push_back(b);
  if (std::string why = takeGPUError(); !why.empty()) {
    error = why;
    return nullptr;
  }
  std::memcpy(b, data, bytes); // managed memory: the host writes it directly
  return b;
}

void freeGPUBuffer(void *buffer) { frondMgpuMemFree(buffer, nullptr); }

} // namespace frond::jit
