//===- Lowering.cpp - frond module → LLVM dialect → LLVM IR --------------===//
#include "frond/JIT/Lowering.h"

#include "frond/Pipelines/Pipelines.h"
#include "frond/Pipelines/RunPasses.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;

namespace frond::jit {

void prepareContext(MLIRContext &ctx) {
  DialectRegistry registry;
  mlir::frond::registerCPUPipelineDialects(registry);
  registerBuiltinDialectTranslation(registry);
  registerLLVMDialectTranslation(registry);
  ctx.appendDialectRegistry(registry);
  ctx.loadAllAvailableDialects();
}

bool lowerToLLVMDialect(ModuleOp module, std::string &error, bool emulateGPUAttention,
                        bool chunkLinearAttention, const std::string &emulatedAttentionTiles,
                        const std::string &emulatedMatmulTiles) {
  MLIRContext *ctx = module->getContext();
  prepareContext(*ctx);
  mlir::frond::CPUPipelineOptions options;
  options.emulateGPUAttention = emulateGPUAttention;
  options.chunkLinearAttention = chunkLinearAttention;
  options.emulatedAttentionTiles = emulatedAttentionTiles;
  options.emulatedMatmulTiles = emulatedMatmulTiles;
  return runPasses(
      module, [&](OpPassManager &pm) { mlir::frond::buildCPUPipeline(pm, options); },
      "the CPU pipeline", error);
}

bool translateToLLVMIR(ModuleOp module, unsigned optLevel, std::string &ir,
                       std::string &error) {
  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  llvm::LLVMContext llvmCtx;
  std::unique_ptr<llvm::Module> llvmModule = translateModuleToLLVMIR(module, llvmCtx);
  if (!llvmModule) {
    error = "translating the LLVM dialect to LLVM IR failed";
    return false;
  }
  auto transformer = makeLLVMOptimizer(optLevel, /*targetMachine=*/nullptr);
  if (llvm::Error err = transformer(llvmModule.get())) {
    error = "optimising the LLVM IR failed: " + llvm::toString(std::move(err));
    return false;
  }
  llvm::raw_string_ostream os(ir);
  llvmModule->print(os, nullptr);
  return true;
}

} // namespace frond::jit
