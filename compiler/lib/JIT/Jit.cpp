//===- Jit.cpp - lower, JIT-compile and call a frond forward function ----===//
#include "frond/JIT/Jit.h"

#include "frond/Pipelines/Pipelines.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <set>

#ifndef FROND_C_RUNNER_UTILS
#define FROND_C_RUNNER_UTILS "libmlir_c_runner_utils.so"
#endif

using namespace mlir;

namespace frond::jit {

CompiledModel::~CompiledModel() = default;

static double secondsSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

/// A slot for a tensor/memref type; false for element types we cannot pass.
static bool slotFor(Type t, const std::string &name, Slot &s, std::string &why) {
  auto shaped = dyn_cast<ShapedType>(t);
  if (!shaped || !shaped.hasRank()) {
    why = "'" + name + "' is not a ranked tensor";
    return false;
  }
  s.name = name;
  Type e = shaped.getElementType();
  if (e.isF32())
    s.dtype = runtime::DType::F32;
  else if (e.isInteger(64) || e.isIndex())
    s.dtype = runtime::DType::I64;
  else if (e.isInteger(1)) {
    s.dtype = runtime::DType::I64;
    s.isBool = true;
  } else {
    std::string ty;
    llvm::raw_string_ostream os(ty);
    e.print(os);
    why = "'" + name + "' has element type " + ty + ", which the JIT cannot pass yet";
    return false;
  }
  for (int64_t d : shaped.getShape())
    s.shape.push_back(ShapedType::isDynamic(d) ? -1 : d);
  return true;
}

std::unique_ptr<CompiledModel>
CompiledModel::compile(OwningOpRef<ModuleOp> module, std::string &error,
                       unsigned optLevel) {
  MLIRContext *ctx = module->getContext();
  std::unique_ptr<CompiledModel> cm(new CompiledModel());

  // The one function MLIRGen made, and its named arguments and results.
  func::FuncOp fn;
  for (auto f : module->getOps<func::FuncOp>())
    if (f->hasAttr("frond.outputs") && !f.isExternal())
      fn = f;
  if (!fn) {
    error = "the module has no forward function (func.func with frond.outputs)";
    return nullptr;
  }
  cm->funcName = fn.getName().str();
  auto outNames = fn->getAttrOfType<ArrayAttr>("frond.outputs");
  FunctionType ft = fn.getFunctionType();
  for (unsigned i = 0; i < ft.getNumInputs(); ++i) {
    auto nameAttr = fn.getArgAttrOfType<StringAttr>(i, "frond.name");
    std::string name = nameAttr ? nameAttr.str() : "arg" + std::to_string(i);
    Slot s;
    if (!slotFor(ft.getInput(i), name, s, error))
      return nullptr;
    if (s.isBool) {
      error = "input '" + name + "' is i1, which the JIT cannot pass yet";
      return nullptr;
    }
    cm->args.push_back(s);
  }
  for (unsigned i = 0; i < ft.getNumResults(); ++i) {
    std::string name = "result" + std::to_string(i);
    if (outNames && i < outNames.size())
      if (auto sa = dyn_cast<StringAttr>(outNames[i]))
        name = sa.str();
    Slot s;
    if (!slotFor(ft.getResult(i), name, s, error))
      return nullptr;
    cm->outs.push_back(s);
  }
  if (cm->outs.empty()) {
    error = "the forward function has no results";
    return nullptr;
  }
  fn->setAttr("llvm.emit_c_interface", UnitAttr::get(ctx));

  // frond -> LLVM dialect. Pipeline errors carry the spec's locations.
  DialectRegistry registry;
  mlir::frond::registerCPUPipelineDialects(registry);
  registerBuiltinDialectTranslation(registry);
  registerLLVMDialectTranslation(registry);
  ctx->appendDialectRegistry(registry);
  ctx->loadAllAvailableDialects();

  auto t0 = std::chrono::steady_clock::now();
  {
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
    mlir::frond::CPUPipelineOptions options;
    mlir::frond::buildCPUPipeline(pm, options);
    if (failed(pm.run(*module))) {
      error = "the CPU pipeline failed:\n" + diagText;
      return nullptr;
    }
  }
  cm->pipelineSec = secondsSince(t0);

  // LLVM dialect -> native code.
  t0 = std::chrono::steady_clock::now();
  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  ExecutionEngineOptions eo;
  // Optimise for the host CPU: without a target machine LLVM's vectorisers
  // see no vector registers (no AVX, no FMA).
  std::unique_ptr<llvm::TargetMachine> hostTM;
  if (auto builder = llvm::orc::JITTargetMachineBuilder::detectHost())
    if (auto tm = builder->createTargetMachine())
      hostTM = std::move(*tm);
  auto transformer = makeOptimizingTransformer(optLevel, /*sizeLevel=*/0,
                                               hostTM.get());
  eo.transformer = transformer;
  eo.jitCodeGenOptLevel = static_cast<llvm::CodeGenOptLevel>(optLevel > 3 ? 3 : optLevel);
  llvm::StringRef libs[] = {FROND_C_RUNNER_UTILS};
  eo.sharedLibPaths = libs;
  eo.enableGDBNotificationListener = false;
  eo.enablePerfNotificationListener = false;
  auto engine = ExecutionEngine::create(*module, eo);
  if (!engine) {
    error = "JIT compilation failed: " + llvm::toString(engine.takeError());
    return nullptr;
  }
  cm->engine = std::move(*engine);
  // Code generation happens on the first lookup: do it here so that it
  // counts as compile time, not run time.
  auto entry = cm->engine->lookupPacked("_mlir_ciface_" + cm->funcName);
  if (!entry) {
    error = "JIT compilation failed: " + llvm::toString(entry.takeError());
    return nullptr;
  }
  cm->llvmSec = secondsSince(t0);
  return cm;
}

bool CompiledModel::run(const std::vector<const runtime::Tensor *> &inputs,
                        std::vector<runtime::Tensor> &outputs, std::string &error) {
  if (inputs.size() != args.size()) {
    error = "expected " + std::to_string(args.size()) + " arguments, got " +
            std::to_string(inputs.size());
    return false;
  }
  // One identity-layout descriptor per argument:
  //   {allocated, aligned, offset, sizes[rank], strides[rank]} as 64-bit words.
  std::vector<std::vector<int64_t>> descs(args.size());
  std::set<int64_t> inputBuffers;
  for (size_t i = 0; i < args.size(); ++i) {
    const Slot &s = args[i];
    const runtime::Tensor *t = inputs[i];
    if (!t || t->dtype != s.dtype || t->shape.size() != s.shape.size()) {
      error = "argument '" + s.name + "' must be a rank-" +
              std::to_string(s.shape.size()) + " " + runtime::dtypeName(s.dtype) +
              " tensor" + (t ? ", got " + std::string(runtime::dtypeName(t->dtype)) +
                                   " " + t->shapeStr() : "");
      return false;
    }
    for (size_t d = 0; d < s.shape.size(); ++d)
      if (s.shape[d] >= 0 && s.shape[d] != t->shape[d]) {
        error = "argument '" + s.name + "' has shape " + t->shapeStr() +
                ", but dimension " + std::to_string(d) + " must be " +
                std::to_string(s.shape[d]);
        return false;
      }
    int64_t ptr = int64_t(reinterpret_cast<intptr_t>(t->data()));
    inputBuffers.insert(ptr);
    std::vector<int64_t> &w = descs[i];
    w = {ptr, ptr, 0};
    for (int64_t e : t->shape)
      w.push_back(e);
    std::vector<int64_t> strides(t->shape.size(), 1);
    for (int d = int(t->shape.size()) - 2; d >= 0; --d)
      strides[d] = strides[d + 1] * t->shape[d + 1];
    w.insert(w.end(), strides.begin(), strides.end());
  }
  // The results: one struct of descriptors, all fields 64-bit.
  std::vector<size_t> resultAt;
  size_t words = 0;
  for (const Slot &s : outs) {
    resultAt.push_back(words);
    words += 3 + 2 * s.shape.size();
  }
  std::vector<int64_t> resultWords(words, 0);

  void *resultPtr = resultWords.data();
  std::vector<void *> descPtrs(args.size());
  std::vector<void *> packed;
  packed.push_back(&resultPtr);
  for (size_t i = 0; i < args.size(); ++i) {
    descPtrs[i] = descs[i].data();
    packed.push_back(&descPtrs[i]);
  }
  if (llvm::Error err = engine->invokePacked("_mlir_ciface_" + funcName, packed)) {
    error = "calling the compiled function failed: " + llvm::toString(std::move(err));
    return false;
  }

  outputs.clear();
  std::set<int64_t> freed;
  for (size_t r = 0; r < outs.size(); ++r) {
    const Slot &s = outs[r];
    const int64_t *w = &resultWords[resultAt[r]];
    size_t rank = s.shape.size();
    std::vector<int64_t> shape(w + 3, w + 3 + rank);
    std::vector<int64_t> strides(w + 3 + rank, w + 3 + 2 * rank);
    runtime::Tensor t = runtime::Tensor::zeros(s.dtype, shape);
    const char *base = reinterpret_cast<const char *>(intptr_t(w[1]));
    size_t elemSize = s.isBool ? 1 : (s.dtype == runtime::DType::F32 ? 4 : 8);
    int64_t n = t.numel();
    std::vector<int64_t> idx(rank, 0);
    for (int64_t e = 0; e < n; ++e) {
      int64_t off = w[2];
      for (size_t d = 0; d < rank; ++d)
        off += idx[d] * strides[d];
      const char *p = base + off * int64_t(elemSize);
      if (s.isBool)
        t.i64[size_t(e)] = (*reinterpret_cast<const uint8_t *>(p)) & 1;
      else if (s.dtype == runtime::DType::F32)
        std::memcpy(&t.f32[size_t(e)], p, 4);
      else
        std::memcpy(&t.i64[size_t(e)], p, 8);
      for (int d = int(rank) - 1; d >= 0; --d) {
        if (++idx[d] < shape[d])
          break;
        idx[d] = 0;
      }
    }
    outputs.push_back(std::move(t));
    // Results are owned by the caller (ownership-based deallocation clones
    // anything it does not own); several results may share one buffer.
    int64_t alloc = w[0];
    if (alloc && !inputBuffers.count(alloc) && freed.insert(alloc).second)
      std::free(reinterpret_cast<void *>(intptr_t(alloc)));
  }
  return true;
}

} // namespace frond::jit
