//===- LLVMOptimizer.cpp - LLVM's -O pipeline, tuned for lowered frond ----===//
//
// mlir::makeOptimizingTransformer with a choice of LLVM's loop transforms
// (LLVMTuning): the loop unroller and loop vectorizer account for most of
// LLVM's compile time on lowered frond, and a model compiled to run once
// does better without them.
//
//===----------------------------------------------------------------------===//
#include "frond/JIT/Lowering.h"

#include "llvm/Analysis/CGSCCPassManager.h"
#include "llvm/Analysis/LoopAnalysisManager.h"
#include "llvm/IR/Module.h"
#include "llvm/IR/PassManager.h"
#include "llvm/Passes/OptimizationLevel.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Support/Error.h"
#include "llvm/Target/TargetMachine.h"

using namespace frond::jit;

std::string LLVMTuning::describe() const {
  return std::string("unroll=") + (loopUnrolling ? "1" : "0") +
         " loop-vectorize=" + (loopVectorization ? "1" : "0") +
         " slp=" + (slpVectorization ? "1" : "0");
}

std::function<llvm::Error(llvm::Module *)>
frond::jit::makeLLVMOptimizer(unsigned optLevel, llvm::TargetMachine *targetMachine,
                              const LLVMTuning &tuning) {
  return [=](llvm::Module *m) -> llvm::Error {
    llvm::OptimizationLevel level = optLevel == 0   ? llvm::OptimizationLevel::O0
                                    : optLevel == 1 ? llvm::OptimizationLevel::O1
                                    : optLevel == 2 ? llvm::OptimizationLevel::O2
                                                    : llvm::OptimizationLevel::O3;
    llvm::PipelineTuningOptions pto;
    pto.LoopUnrolling = tuning.loopUnrolling;
    pto.LoopInterleaving = tuning.loopUnrolling;
    pto.LoopVectorization = tuning.loopVectorization;
    pto.SLPVectorization = tuning.slpVectorization;

    llvm::LoopAnalysisManager lam;
    llvm::FunctionAnalysisManager fam;
    llvm::CGSCCAnalysisManager cgam;
    llvm::ModuleAnalysisManager mam;
    llvm::PassBuilder pb(targetMachine, pto);
    pb.registerModuleAnalyses(mam);
    pb.registerCGSCCAnalyses(cgam);
    pb.registerFunctionAnalyses(fam);
    pb.registerLoopAnalyses(lam);
    pb.crossRegisterProxies(lam, fam, cgam, mam);
    llvm::ModulePassManager mpm = optLevel == 0 ? pb.buildO0DefaultPipeline(level)
                                                : pb.buildPerModuleDefaultPipeline(level);
    mpm.run(*m, mam);
    return llvm::Error::success();
  };
}
