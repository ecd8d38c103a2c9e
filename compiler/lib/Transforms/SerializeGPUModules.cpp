//===- SerializeGPUModules.cpp - gpu.modules to PTX, concurrently ---------===//
//
// The frond-serialize-gpu-modules pass (see Passes.td).
//
//===----------------------------------------------------------------------===//
#include "frond/Transforms/Passes.h"
#include "mlir/Dialect/GPU/IR/CompilationInterfaces.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/IR/Threading.h"

namespace mlir::frond {
#define GEN_PASS_DEF_FRONDSERIALIZEGPUMODULES
#include "frond/Transforms/Passes.h.inc"
} // namespace mlir::frond

using namespace mlir;

namespace {

/// One module's objects, one per target attribute (what gpu.binary holds).
FailureOr<SmallVector<Attribute>> serialize(gpu::GPUModuleOp module,
                                            const gpu::TargetOptions &options) {
  if (!module.getTargetsAttr() || module.getTargetsAttr().empty())
    return module.emitError("frond-serialize-gpu-modules: the module has no target "
                            "attribute; run gpu-nvvm-attach-target first");
  SmallVector<Attribute> objects;
  for (Attribute attr : module.getTargetsAttr()) {
    auto target = dyn_cast<gpu::TargetAttrInterface>(attr);
    if (!target)
      return module.emitError("frond-serialize-gpu-modules: ")
             << attr << " is not a GPU target attribute";
    std::optional<SmallVector<char, 0>> object = target.serializeToObject(module, options);
    if (!object)
      return module.emitError("frond-serialize-gpu-modules: serializing for ")
             << attr << " failed";
    Attribute made = target.createObject(module, *object, options);
    if (!made)
      return module.emitError("frond-serialize-gpu-modules: no object for ") << attr;
    objects.push_back(made);
  }
  return objects;
}

struct FrondSerializeGPUModules
    : frond::impl::FrondSerializeGPUModulesBase<FrondSerializeGPUModules> {
  using Base::Base;
  void runOnOperation() override {
    ModuleOp top = getOperation();
    SmallVector<gpu::GPUModuleOp> modules(top.getOps<gpu::GPUModuleOp>());
    // Built before the threads start: a lazily built table would race.
    SymbolTable table(top);
    gpu::TargetOptions options(/*toolkitPath=*/{}, /*librariesToLink=*/{}, /*cmdOptions=*/{},
                               /*elfSection=*/{}, gpu::CompilationTarget::Assembly,
                               [&]() { return &table; });
    // Each module is translated into its own llvm::LLVMContext and compiled
    // by its own TargetMachine; only attribute uniquing is shared, and the
    // MLIRContext makes that thread-safe.
    SmallVector<SmallVector<Attribute>> objects(modules.size());
    LogicalResult done =
        failableParallelForEach(&getContext(), llvm::seq<size_t>(0, modules.size()),
                                [&](size_t i) -> LogicalResult {
                                  FailureOr<SmallVector<Attribute>> made =
                                      serialize(modules[i], options);
                                  if (failed(made))
                                    return failure();
                                  objects[i] = std::move(*made);
                                  return success();
                                });
    if (failed(done))
      return signalPassFailure();
    OpBuilder b(&getContext());
    for (auto [module, objs] : llvm::zip_equal(modules, objects)) {
      b.setInsertionPointAfter(module);
      gpu::BinaryOp::create(b, module.getLoc(), module.getName(),
                            module.getOffloadingHandlerAttr(), b.getArrayAttr(objs));
      module.erase();
    }
  }
};

} // namespace
