//===- RunPasses.cpp - run a pass pipeline, collect its errors ------------===//
#include "frond/Pipelines/RunPasses.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Verifier.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdlib>
#include <string>

using namespace mlir;

bool frond::runPasses(ModuleOp module, llvm::function_ref<void(OpPassManager &)> build,
                      llvm::StringRef what, std::string &error) {
  MLIRContext *ctx = module->getContext();
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
  const char *verifyEach = std::getenv("FROND_VERIFY_EACH");
  pm.enableVerifier(verifyEach && *verifyEach && std::string(verifyEach) != "0");
  build(pm);
  if (succeeded(pm.run(module)) && succeeded(verify(module)))
    return true;
  error = (what + " failed:\n").str() + diagText;
  return false;
}
