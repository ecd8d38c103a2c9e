//===- RunnerUtils.h - runtime functions generated code calls ---*- C++ -*-===//
//
// Lowered code calls a few functions of MLIR's C runner utilities (today
// only memrefCopy, for copies between strided memrefs). Frond carries its
// own and defines them in every JIT'ed module's symbol table, so that it
// needs no libmlir_c_runner_utils.so at run time: the portable binary
// (FROND_PORTABLE) runs where no MLIR is installed.
//
//===----------------------------------------------------------------------===//
#ifndef FROND_JIT_RUNNERUTILS_H
#define FROND_JIT_RUNNERUTILS_H

#include "llvm/ExecutionEngine/Orc/Core.h"
#include "llvm/ExecutionEngine/Orc/Mangling.h"

template <typename T>
struct UnrankedMemRefType;

/// MLIR's memrefCopy (CRunnerUtils.cpp): copies `src` to `dst`, two memrefs
/// of the same shape and any strides, element by element in row-major
/// order; `elemSize` is the element's size in bytes.
extern "C" void frondMemrefCopy(int64_t elemSize, UnrankedMemRefType<char> *src,
                                UnrankedMemRefType<char> *dst);

namespace frond::jit {

/// The runner functions, under the names generated code calls them by.
llvm::orc::SymbolMap runnerUtilSymbols(llvm::orc::MangleAndInterner mangle);

} // namespace frond::jit

#endif // FROND_JIT_RUNNERUTILS_H
