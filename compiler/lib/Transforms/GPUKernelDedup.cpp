//===- GPUKernelDedup.cpp - one copy of each identical GPU kernel ---------===//
//
// See GPUKernelDedup.h.
//
//===----------------------------------------------------------------------===//
#include "GPUKernelDedup.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "llvm/ADT/StringMap.h"

using namespace mlir;

gpu::GPUFuncOp frond::onlyKernel(gpu::GPUModuleOp module) {
  gpu::GPUFuncOp kernel;
  for (Operation &op : module.getBodyRegion().front()) {
    auto func = dyn_cast<gpu::GPUFuncOp>(op);
    if (func && func.isKernel() && !kernel)
      kernel = func;
    else if (!isa<memref::GlobalOp>(op))
      return {};
  }
  return kernel;
}

namespace {

/// The module as text, its name and its kernel's left out: equal texts
/// are the same kernel (signature, attributes, constants, body and tiles).
std::string moduleText(gpu::GPUModuleOp module, gpu::GPUFuncOp kernel) {
  std::string text;
  llvm::raw_string_ostream os(text);
  os << module->getDiscardableAttrDictionary() << module.getTargetsAttr() << '\n';
  for (Operation &op : module.getBodyRegion().front()) {
    std::string opText;
    llvm::raw_string_ostream opOs(opText);
    op.print(opOs, OpPrintingFlags().useLocalScope());
    if (&op == kernel.getOperation()) {
      std::string name = ("@" + kernel.getName() + "(").str();
      size_t at = opText.find(name);
      if (at != std::string::npos)
        opText.replace(at, name.size(), "@(");
    }
    os << opText << '\n';
  }
  return text;
}

} // namespace

DenseMap<StringAttr, SymbolRefAttr> frond::dropDuplicateKernelModules(ModuleOp top) {
  llvm::StringMap<SymbolRefAttr> firstOfText;
  DenseMap<StringAttr, SymbolRefAttr> sameAs;
  SmallVector<gpu::GPUModuleOp> duplicates;
  for (auto module : top.getOps<gpu::GPUModuleOp>()) {
    gpu::GPUFuncOp kernel = onlyKernel(module);
    if (!kernel)
      continue;
    auto ref = SymbolRefAttr::get(module.getSymNameAttr(), {FlatSymbolRefAttr::get(kernel)});
    auto [it, fresh] = firstOfText.try_emplace(moduleText(module, kernel), ref);
    if (!fresh) {
      sameAs[module.getSymNameAttr()] = it->second;
      duplicates.push_back(module);
    }
  }
  for (gpu::GPUModuleOp module : duplicates)
    module.erase();
  return sameAs;
}
