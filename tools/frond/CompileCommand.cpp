//===- CompileCommand.cpp - `frond compile`: every stage of the compiler ---===//
//
//   --emit=ast      the parsed file, printed in canonical spec form
//   --emit=graph    the model's recorded dataflow (elaborated, shapes known)
//   --emit=mlir     the frond dialect, one func.func per model forward
//   --emit=lowered  after the CPU pipeline: the LLVM dialect
//   --emit=llvm     LLVM IR, optimised at -O2 for this CPU (what the JIT runs)
//   --emit=generation  @<model>_prefill and @<model>_decode (Generation.h)
//   --target=cuda --emit=gpu  after the CUDA pipeline, before serialization:
//                             host code calling gpu.launch_func, NVVM kernels
//   --target=cuda --emit=ptx  the PTX of every kernel
//
//===----------------------------------------------------------------------===//
#include "Cli.h"
#include "CompiledStep.h"

#include "frond/JIT/Lowering.h"
#include "frond/MLIRGen/Generation.h"
#include "frond/MLIRGen/MLIRGen.h"
#include "frond/Pipelines/CUDALowering.h"
#include "frond/lang/Parser.h"
#include "frond/lang/Printer.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OperationSupport.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

namespace frond::cli {

const char *const kEmitKinds = "ast, graph, mlir, lowered, llvm, generation, gpu or ptx";

bool isEmitKind(const std::string &k) {
  return k == "ast" || k == "graph" || k == "mlir" || k == "lowered" || k == "llvm" ||
         k == "generation" || k == "gpu" || k == "ptx";
}

/// --target=cuda: the module after the CUDA pipeline (gpu), or its PTX.
static int printCUDA(const Options &o, mlir::ModuleOp module) {
  mlir::frond::CUDAPipelineOptions options;
  options.chip = o.gpuArch;
  options.elementType = o.attentionTiles;
  options.matmulType = o.matmulTiles;
  options.serialize = o.emit == "ptx";
  std::string error;
  if (!cuda::lowerToCUDA(module, options, error)) {
    std::fprintf(stderr, "frond: error: %s", error.c_str());
    return 1;
  }
  if (o.emit == "ptx") {
    std::string ptx = cuda::ptxOf(module);
    std::string missing = cuda::unresolvedLibdeviceCall(ptx);
    if (!missing.empty())
      std::fprintf(stderr, "frond: warning: %s; this PTX declares it unresolved\n",
                   cuda::missingLibdeviceMessage(missing).c_str());
    std::fputs(ptx.c_str(), stdout);
    return 0;
  }
  std::string text;
  llvm::raw_string_ostream os(text);
  module.print(os);
  std::fputs(text.c_str(), stdout);
  return 0;
}

/// The prefill and decode functions of cached generation, in one module.
static int printGeneration(mlir::MLIRContext &ctx, const graph::Graph &graph,
                           const ModelInstance &model, bool forCUDA, DiagEngine &diags) {
  GenerationPlan plan;
  GenerationOptions options;
  options.wholeCache = forCUDA;
  if (!planGeneration(graph, model, plan, diags, options))
    return printDiagnostics(diags), 1;
  auto module = mlirGenFunction(ctx, plan.prefill, model, diags, "_prefill");
  auto decode = module ? mlirGenFunction(ctx, plan.decode, model, diags, "_decode") : nullptr;
  printDiagnostics(diags);
  if (!module || !decode)
    return 1;
  for (mlir::Operation &op : llvm::make_early_inc_range(*decode->getBody()))
    op.moveBefore(module->getBody(), module->getBody()->end());
  std::string text;
  llvm::raw_string_ostream os(text);
  module->print(os, mlir::OpPrintingFlags().enableDebugInfo(true, /*prettyForm=*/false));
  std::fputs(text.c_str(), stdout);
  return 0;
}

/// Replaces @<model>_grad with @<model>_train_step for the experiment's
/// optimizer.
static bool addTrainStep(const ExperimentInstance &e, mlir::ModuleOp module, std::string &error) {
  auto opt = runtime::makeOptimizer(e, e.model.params, error);
  if (!opt)
    return false;
  std::string whyNot;
  // As training compiles it: with the experiment's micro-batches per update.
  int accumulate = std::max(1, std::atoi(setting(e, "train.accumulate").c_str()));
  auto plan = trainStepPlan(*opt, accumulate, whyNot);
  if (!plan) {
    error = "the optimizer step cannot be compiled: " + whyNot;
    return false;
  }
  if (!jit::addTrainStep(module, *plan, error))
    return false;
  jit::findFrondFunction(module, "_grad").erase();
  return true;
}

int compileCommand(const Options &o, const Program &program,
                   const std::vector<Override> &overrides, DiagEngine &diags) {
  bool cudaEmit = o.emit == "gpu" || o.emit == "ptx";
  if (cudaEmit != (o.target == "cuda") &&
      !(o.target == "cuda" && (o.emit == "mlir" || o.emit == "generation"))) {
    std::fprintf(stderr,
                 "frond: error: --emit=%s %s; the cuda target emits mlir, generation, gpu or "
                 "ptx\n",
                 o.emit.c_str(),
                 cudaEmit ? "needs --target=cuda" : "is a CPU stage, not one of --target=cuda");
    return 2;
  }
  if (o.gradient && (o.emit == "ast" || o.emit == "graph" || o.emit == "generation")) {
    std::fprintf(stderr, "frond: error: --gradient applies to --emit=mlir, lowered, llvm, gpu "
                         "or ptx, not %s\n", o.emit.c_str());
    return 2;
  }
  if (o.emit == "ast") {
    auto m = parseSpecFile(o.file, diags);
    if (diags.hasErrors() || !m)
      return printDiagnostics(diags);
    std::fputs(printModule(*m).c_str(), stdout);
    return 0;
  }
  graph::Graph graph;
  auto inst = resolveExperiment(program, o.experiment, o.variant, diags,
                                overrides, &graph);
  if (!inst || diags.hasErrors())
    return printDiagnostics(diags), 1;
  if (o.emit == "graph") {
    printDiagnostics(diags);
    std::fputs(graph.str().c_str(), stdout);
    return 0;
  }
  mlir::MLIRContext ctx;
  if (o.emit == "generation")
    return printGeneration(ctx, graph, inst->model, o.target == "cuda", diags);
  auto module = mlirGen(ctx, graph, inst->model, diags);
  printDiagnostics(diags);
  if (!module)
    return 1;
  std::string text, error;
  if (o.gradient && !jit::addGradient(*module, error)) {
    std::fprintf(stderr, "frond: error: %s", error.c_str());
    return 1;
  }
  if (o.trainStep && !addTrainStep(*inst, *module, error)) {
    std::fprintf(stderr, "frond: error: %s\n", error.c_str());
    return 1;
  }
  llvm::raw_string_ostream os(text);
  if (cudaEmit)
    return printCUDA(o, *module);
  if (o.emit == "mlir") {
    module->print(os, mlir::OpPrintingFlags().enableDebugInfo(true, /*prettyForm=*/false));
  } else {
    if (!jit::lowerToLLVMDialect(*module, error)) {
      std::fprintf(stderr, "frond: error: %s", error.c_str());
      return 1;
    }
    if (o.emit == "lowered") {
      module->print(os);
    } else if (!jit::translateToLLVMIR(*module, /*optLevel=*/2, text, error)) {
      std::fprintf(stderr, "frond: error: %s\n", error.c_str());
      return 1;
    }
  }
  std::fputs(text.c_str(), stdout);
  return 0;
}

} // namespace frond::cli
