//===- Jit.cpp - lower, JIT-compile and call a frond forward function ----===//
#include "frond/JIT/Jit.h"

#include "CudaTarget.h"
#include "ObjectCache.h"
#include "RunnerUtils.h"
#include "frond/runtime/CacheEntry.h"
#include "frond/runtime/CudaKernelCache.h"
#include "frond/JIT/Lowering.h"
#include "frond/JIT/TrainStep.h"
#include "frond/Pipelines/Pipelines.h"
#include "frond/Transforms/Passes.h"
#include "mlir/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "llvm/ExecutionEngine/Orc/ExecutionUtils.h"
#include "llvm/ExecutionEngine/Orc/LLJIT.h"
#include "llvm/ExecutionEngine/Orc/RTDyldObjectLinkingLayer.h"
#include "llvm/ExecutionEngine/SectionMemoryManager.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <map>
#include <mutex>
#include <set>

// MLIR's C runner utilities, for any function generated code calls that
// Frond does not carry itself (RunnerUtils.h); "" in the portable build,
// which carries them all.
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
  else if (e.isF64())
    s.dtype = runtime::DType::F64;
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

std::string defaultCacheDir() {
  if (const char *d = std::getenv("FROND_CACHE_DIR"); d && *d)
    return d;
  std::string user = runtime::userCacheDir();
  return user.empty() ? "" : user + "/jit";
}

namespace {

/// Compiled models of this process by cache key.
std::mutex memoryMutex;
std::map<std::string, std::weak_ptr<CompiledModel>> memoryCache;


/// The options that change the generated code, for the cache key.
std::string describeOptions(const CompileOptions &o) {
  mlir::frond::CPUPipelineOptions p;
  std::string d = "opt=" + std::to_string(o.optLevel) + " " + o.llvmTuning.describe() +
                  " grad=" + std::to_string(o.gradient) +
                  " query-tile=" + std::to_string(p.queryTile) +
                  " key-tile=" + std::to_string(p.keyTile) +
                  " fuse=" + std::to_string(bool(p.fuseElementwise)) +
                  " vectorize=" + std::to_string(bool(p.vectorize)) +
                  " chunk-linear=" + std::to_string(o.chunkLinearAttention) +
                  " tile=" + std::to_string(p.tileM) + "x" + std::to_string(p.tileN) + "x" +
                  std::to_string(p.tileK) +
                  " gpu-attention-emulation=" + std::to_string(o.emulateGPUAttention);
  if (o.target == CompileOptions::Target::CUDA)
    d += " target=cuda chip=" + o.gpuChip;
  if (o.target == CompileOptions::Target::CUDA || o.emulateGPUAttention)
    d += " attention-tiles=" + o.gpuAttentionTiles + " matmul-tiles=" + o.gpuMatmulTiles;
  return d;
}

} // namespace

func::FuncOp findFrondFunction(ModuleOp module, llvm::StringRef suffix) {
  func::FuncOp found;
  for (auto f : module.getOps<func::FuncOp>())
    if (f->hasAttr("frond.outputs") && !f.isExternal() && f.getName().ends_with(suffix))
      found = f;
  return found;
}

bool addGradient(ModuleOp module, std::string &error) {
  MLIRContext *ctx = module->getContext();
  prepareContext(*ctx);
  std::string diagText;
  llvm::raw_string_ostream dos(diagText);
  ScopedDiagnosticHandler handler(ctx, [&](Diagnostic &d) {
    if (d.getSeverity() == DiagnosticSeverity::Error)
      dos << d.getLocation() << ": error: " << d << "\n";
    return success();
  });
  PassManager pm(ctx);
  pm.addPass(mlir::frond::createFrondAutodiff());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  if (failed(pm.run(module))) {
    error = "differentiating the model failed:\n" + diagText;
    return false;
  }
  return true;
}

std::shared_ptr<CompiledModel>
CompiledModel::compile(OwningOpRef<ModuleOp> module, std::string &error,
                       const CompileOptions &options, CompileReport *reportOut) {
  CompileReport localReport;
  CompileReport &report = reportOut ? *reportOut : localReport;
  report = CompileReport();
  MLIRContext *ctx = module->getContext();
  std::shared_ptr<CompiledModel> cm(new CompiledModel());
  cm->onGPU = options.target == CompileOptions::Target::CUDA;

  if (options.gradient && !addGradient(*module, error))
    return nullptr;
  if (options.trainStep && !options.gradient) {
    error = "the optimizer step needs the gradient (CompileOptions::gradient)";
    return nullptr;
  }
  if (options.trainStep && !addTrainStep(*module, *options.trainStep, error))
    return nullptr;
  // The function to expose (the forward MLIRGen made, or its gradient),
  // its named arguments and results; every other function goes.
  std::string suffix = options.trainStep        ? "_train_step"
                       : options.gradient      ? "_grad"
                       : options.entry.empty() ? "_forward"
                                               : options.entry;
  func::FuncOp fn = findFrondFunction(*module, suffix);
  if (!fn) {
    error = options.gradient ? "the module has no gradient function"
                             : "the module has no function @..." + suffix +
                                   " (func.func with frond.outputs)";
    return nullptr;
  }
  for (auto f : llvm::make_early_inc_range(module->getOps<func::FuncOp>()))
    if (f != fn)
      f.erase();
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

  // The key: the frond-level IR without locations, and the options.
  std::string irText;
  {
    llvm::raw_string_ostream os(irText);
    module->print(os);
  }
  report.key = cache::keyFor(irText, describeOptions(options));
  {
    std::lock_guard<std::mutex> lock(memoryMutex);
    auto it = memoryCache.find(report.key);
    if (it != memoryCache.end())
      if (std::shared_ptr<CompiledModel> hit = it->second.lock()) {
        report.source = CompileReport::MemoryCache;
        return hit;
      }
  }

  auto t0 = std::chrono::steady_clock::now();
  if (!options.cacheDir.empty() && !cm->onGPU) {
    report.entry = cache::entryPath(options.cacheDir, report.key);
    std::string why;
    if (options.refreshCache) {
      // compile below, then overwrite the entry
    } else if (std::optional<std::string> object = cache::read(report.entry, why)) {
      if (cm->loadObject(*object, why)) {
        report.source = CompileReport::DiskCache;
        report.loadSec = secondsSince(t0);
        std::lock_guard<std::mutex> lock(memoryMutex);
        memoryCache[report.key] = cm;
        return cm;
      }
      report.note = "the cache entry " + report.entry + " could not be loaded (" + why +
                    "); recompiled and replaced it";
    } else if (!why.empty()) {
      report.note = "the cache entry " + report.entry + " is unreadable (" + why +
                    "); recompiled and replaced it";
    }
  }

  std::string object;
  if (!cm->compileFresh(*module, options, report, object, error))
    return nullptr;
  if (!report.entry.empty()) {
    std::string why;
    if (object.empty() || !cache::write(report.entry, object, why)) {
      report.note = "the JIT cache was not written (" +
                    (why.empty() ? std::string("no object was produced") : why) +
                    "); point run.cache_dir or FROND_CACHE_DIR at a writable directory";
      report.entry.clear();
    }
  }
  std::lock_guard<std::mutex> lock(memoryMutex);
  memoryCache[report.key] = cm;
  return cm;
}

bool CompiledModel::compileFresh(ModuleOp module, const CompileOptions &options,
                                 CompileReport &report, std::string &object,
                                 std::string &error) {
  // frond -> LLVM dialect. Pipeline errors carry the spec's locations.
  auto t0 = std::chrono::steady_clock::now();
  if (onGPU) {
    std::string kernelCache =
        options.cacheDir.empty() ? "" : runtime::cuda::defaultKernelCacheDir();
    if (!lowerForCUDA(module, options.gpuChip, options.gpuAttentionTiles, options.gpuMatmulTiles,
                      kernelCache, error))
      return false;
    notReplayable = replayProblem(module, funcName);
  } else if (!lowerToLLVMDialect(module, error, options.emulateGPUAttention,
                                 options.chunkLinearAttention, options.gpuAttentionTiles,
                                 options.gpuMatmulTiles)) {
    return false;
  }
  report.pipelineSec = secondsSince(t0);

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
  // On the GPU the host code is a long straight line of copies and kernel
  // launches: LLVM's -O2 spends its time there (SLP scheduling and
  // instruction ordering grow with the block's length) for nothing.
  unsigned optLevel = onGPU ? std::min(options.optLevel, 1u) : options.optLevel;
  LLVMTuning tuning = onGPU ? LLVMTuning{false, false, false} : options.llvmTuning;
  auto transformer = makeLLVMOptimizer(optLevel, hostTM.get(), tuning);
  eo.transformer = transformer;
  eo.jitCodeGenOptLevel = static_cast<llvm::CodeGenOptLevel>(optLevel > 3 ? 3 : optLevel);
  llvm::StringRef libs[] = {FROND_C_RUNNER_UTILS};
  if (!libs[0].empty())
    eo.sharedLibPaths = libs;
  eo.enableObjectDump = !options.cacheDir.empty() && !onGPU;
  eo.enableGDBNotificationListener = false;
  eo.enablePerfNotificationListener = false;
  auto created = ExecutionEngine::create(module, eo);
  if (!created) {
    error = "JIT compilation failed: " + llvm::toString(created.takeError());
    return false;
  }
  engine = std::move(*created);
  engine->registerSymbols(runnerUtilSymbols);
  if (onGPU) {
    engine->registerSymbols(mgpuSymbolMap);
    // The global constructors load the kernel modules (mgpuModuleLoadJIT).
    engine->initialize();
    if (error = takeGPUError(); !error.empty())
      return false;
  }
  // Code generation happens on the first lookup: do it here so that it
  // counts as compile time, not run time.
  auto entry = engine->lookupPacked("_mlir_ciface_" + funcName);
  if (!entry) {
    error = "JIT compilation failed: " + llvm::toString(entry.takeError());
    return false;
  }
  packed = *entry;
  report.llvmSec = secondsSince(t0);
  if (eo.enableObjectDump) {
    // ExecutionEngine writes its one object to a file; read it back.
    llvm::SmallString<128> tmp;
    if (!llvm::sys::fs::createTemporaryFile("frond-jit", "o", tmp)) {
      engine->dumpToObjectFile(tmp);
      std::ifstream in(std::string(tmp), std::ios::binary);
      object.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
      llvm::sys::fs::remove(tmp);
    }
  }
  return true;
}

bool CompiledModel::loadObject(const std::string &object, std::string &error) {
  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  auto fail = [&](llvm::Error err) {
    error = llvm::toString(std::move(err));
    return false;
  };
  auto tmb = llvm::orc::JITTargetMachineBuilder::detectHost();
  if (!tmb)
    return fail(tmb.takeError());
  auto jit = llvm::orc::LLJITBuilder()
                 .setJITTargetMachineBuilder(std::move(*tmb))
                 .setObjectLinkingLayerCreator([](llvm::orc::ExecutionSession &session) {
                   // The same linker ExecutionEngine uses.
                   return std::make_unique<llvm::orc::RTDyldObjectLinkingLayer>(
                       session, [](const llvm::MemoryBuffer &) {
                         return std::make_unique<llvm::SectionMemoryManager>();
                       });
                 })
                 .create();
  if (!jit)
    return fail(jit.takeError());
  llvm::orc::JITDylib &main = (*jit)->getMainJITDylib();
  char prefix = (*jit)->getDataLayout().getGlobalPrefix();
  // libm, malloc/free (the process) and memrefCopy (RunnerUtils.h).
  auto process = llvm::orc::DynamicLibrarySearchGenerator::GetForCurrentProcess(prefix);
  if (!process)
    return fail(process.takeError());
  main.addGenerator(std::move(*process));
  if (llvm::Error err = main.define(llvm::orc::absoluteSymbols(
          runnerUtilSymbols(llvm::orc::MangleAndInterner(main.getExecutionSession(),
                                                         (*jit)->getDataLayout())))))
    return fail(std::move(err));
  if (*FROND_C_RUNNER_UTILS) {
    auto utils = llvm::orc::DynamicLibrarySearchGenerator::Load(FROND_C_RUNNER_UTILS, prefix);
    if (!utils)
      return fail(utils.takeError());
    main.addGenerator(std::move(*utils));
  }
  if (llvm::Error err = (*jit)->addObjectFile(
          llvm::MemoryBuffer::getMemBufferCopy(object, "frond-jit-cache")))
    return fail(std::move(err));
  auto sym = (*jit)->lookup("_mlir__mlir_ciface_" + funcName);
  if (!sym)
    return fail(sym.takeError());
  packed = sym->toPtr<void (*)(void **)>();
  objectJit = std::move(*jit);
  return true;
}

bool CompiledModel::checkArgumentCount(size_t n, std::string &error) const {
  if (n == args.size())
    return true;
  error = "expected " + std::to_string(args.size()) + " arguments, got " + std::to_string(n);
  return false;
}

bool CompiledModel::checkArgument(size_t i, const runtime::Tensor *t, std::string &error) const {
  const Slot &s = args[i];
  if (!t || t->dtype != s.dtype || t->shape.size() != s.shape.size()) {
    error = "argument '" + s.name + "' must be a rank-" + std::to_string(s.shape.size()) + " " +
            runtime::dtypeName(s.dtype) + " tensor" +
            (t ? ", got " + std::string(runtime::dtypeName(t->dtype)) + " " + t->shapeStr()
               : "");
    return false;
  }
  for (size_t d = 0; d < s.shape.size(); ++d)
    if (s.shape[d] >= 0 && s.shape[d] != t->shape[d]) {
      error = "argument '" + s.name + "' has shape " + t->shapeStr() + ", but dimension " +
              std::to_string(d) + " must be " + std::to_string(s.shape[d]);
      return false;
    }
  return true;
}

std::vector<int64_t> CompiledModel::descriptor(const void *data,
                                               const std::vector<int64_t> &shape) {
  // {allocated, aligned, offset, sizes[rank], strides[rank]} as 64-bit words.
  int64_t ptr = int64_t(reinterpret_cast<intptr_t>(data));
  std::vector<int64_t> w = {ptr, ptr, 0};
  w.insert(w.end(), shape.begin(), shape.end());
  std::vector<int64_t> strides(shape.size(), 1);
  for (int d = int(shape.size()) - 2; d >= 0; --d)
    strides[d] = strides[d + 1] * shape[d + 1];
  w.insert(w.end(), strides.begin(), strides.end());
  return w;
}

std::vector<int64_t> CompiledModel::call(std::vector<std::vector<int64_t>> &descs) const {
  // The results: one struct of descriptors, all fields 64-bit.
  size_t words = 0;
  for (const Slot &s : outs)
    words += 3 + 2 * s.shape.size();
  std::vector<int64_t> resultWords(words, 0);
  void *resultPtr = resultWords.data();
  std::vector<void *> descPtrs(descs.size());
  std::vector<void *> argPtrs;
  argPtrs.push_back(&resultPtr);
  for (size_t i = 0; i < descs.size(); ++i) {
    descPtrs[i] = descs[i].data();
    argPtrs.push_back(&descPtrs[i]);
  }
  packed(argPtrs.data());
  return resultWords;
}

std::set<int64_t> CompiledModel::copyResults(const std::vector<int64_t> &resultWords,
                                             const std::set<int64_t> &inputBuffers,
                                             std::vector<runtime::Tensor> &outputs) const {
  outputs.clear();
  size_t at = 0;
  for (const Slot &s : outs) {
    const int64_t *w = &resultWords[at];
    size_t rank = s.shape.size();
    at += 3 + 2 * rank;
    std::vector<int64_t> shape(w + 3, w + 3 + rank);
    std::vector<int64_t> strides(w + 3 + rank, w + 3 + 2 * rank);
    runtime::Tensor t = runtime::Tensor::zeros(s.dtype, shape);
    const char *base = reinterpret_cast<const char *>(intptr_t(w[1]));
    size_t elemSize = s.isBool ? 1 : runtime::elementSize(s.dtype);
    char *dst = static_cast<char *>(t.data());
    int64_t n = t.numel();
    // Row-major without gaps (most results): one copy.
    bool dense = !s.isBool;
    for (int64_t d = int64_t(rank) - 1, step = 1; d >= 0 && dense; step *= shape[size_t(d)], --d)
      dense = shape[size_t(d)] == 1 || strides[size_t(d)] == step;
    if (dense && n > 0) {
      std::memcpy(dst, base + w[2] * int64_t(elemSize), size_t(n) * elemSize);
      n = 0;
    }
    std::vector<int64_t> idx(rank, 0);
    for (int64_t e = 0; e < n; ++e) {
      int64_t off = w[2];
      for (size_t d = 0; d < rank; ++d)
        off += idx[d] * strides[d];
      const char *p = base + off * int64_t(elemSize);
      if (s.isBool)
        t.i64[size_t(e)] = (*reinterpret_cast<const uint8_t *>(p)) & 1;
      else
        std::memcpy(dst + size_t(e) * elemSize, p, elemSize);
      for (int d = int(rank) - 1; d >= 0; --d) {
        if (++idx[d] < shape[d])
          break;
        idx[d] = 0;
      }
    }
    outputs.push_back(std::move(t));
  }
  return resultBuffers(resultWords, inputBuffers);
}

std::set<int64_t> CompiledModel::resultBuffers(const std::vector<int64_t> &resultWords,
                                               const std::set<int64_t> &inputBuffers) const {
  // Results are owned by the caller (ownership-based deallocation clones
  // anything it does not own); several results may share one buffer.
  std::set<int64_t> owned;
  size_t at = 0;
  for (const Slot &s : outs) {
    if (int64_t alloc = resultWords[at]; alloc && !inputBuffers.count(alloc))
      owned.insert(alloc);
    at += 3 + 2 * s.shape.size();
  }
  return owned;
}

void CompiledModel::freeResults(const std::set<int64_t> &owned) const {
  for (int64_t alloc : owned) {
    void *buffer = reinterpret_cast<void *>(intptr_t(alloc));
    onGPU ? freeGPUBuffer(buffer) : std::free(buffer);
  }
}

bool CompiledModel::run(const std::vector<const runtime::Tensor *> &inputs,
                        std::vector<runtime::Tensor> &outputs, std::string &error) {
  if (!checkArgumentCount(inputs.size(), error))
    return false;
  std::vector<std::vector<int64_t>> descs(args.size());
  std::set<int64_t> inputBuffers;
  ManagedArguments managed; // on the GPU: the arguments' copies
  for (size_t i = 0; i < args.size(); ++i) {
    const runtime::Tensor *t = inputs[i];
    if (!checkArgument(i, t, error))
      return false;
    const void *data = t->data();
    if (onGPU &&
        !(data = managed.copy(data, size_t(t->numel()) * runtime::elementSize(t->dtype), error)))
      return false;
    descs[i] = descriptor(data, t->shape);
    inputBuffers.insert(descs[i][0]);
  }
  std::vector<int64_t> resultWords = call(descs);
  std::string gpuError = onGPU ? takeGPUError() : "";
  // Buffers are freed once every result has been copied out.
  freeResults(copyResults(resultWords, inputBuffers, outputs));
  if (!gpuError.empty()) {
    outputs.clear();
    error = gpuError;
    return false;
  }
  return true;
}

} // namespace frond::jit
