//===- RunnerUtils.cpp - runtime functions generated code calls -----------===//
#include "RunnerUtils.h"

#include "mlir/ExecutionEngine/CRunnerUtils.h"

#include <cstring>
#include <vector>

extern "C" void frondMemrefCopy(int64_t elemSize, UnrankedMemRefType<char> *srcArg,
                                UnrankedMemRefType<char> *dstArg) {
  DynamicMemRefType<char> src(*srcArg);
  DynamicMemRefType<char> dst(*dstArg);
  int64_t rank = src.rank;
  for (int64_t d = 0; d < rank; ++d)
    if (src.sizes[d] == 0)
      return; // an empty memref: nothing to copy
  char *srcPtr = src.data + src.offset * elemSize;
  char *dstPtr = dst.data + dst.offset * elemSize;
  if (rank == 0) {
    std::memcpy(dstPtr, srcPtr, elemSize);
    return;
  }
  std::vector<int64_t> index(rank, 0), srcStride(rank), dstStride(rank);
  for (int64_t d = 0; d < rank; ++d) {
    srcStride[d] = src.strides[d] * elemSize;
    dstStride[d] = dst.strides[d] * elemSize;
  }
  int64_t read = 0, write = 0;
  for (;;) {
    std::memcpy(dstPtr + write, srcPtr + read, elemSize);
    // Advance the innermost index; carry into the outer ones.
    for (int64_t d = rank - 1;; --d) {
      read += srcStride[d];
      write += dstStride[d];
      if (++index[d] != src.sizes[d])
        break;
      if (d == 0)
        return;
      index[d] = 0;
      read -= src.sizes[d] * srcStride[d];
      write -= dst.sizes[d] * dstStride[d];
    }
  }
}

llvm::orc::SymbolMap frond::jit::runnerUtilSymbols(llvm::orc::MangleAndInterner mangle) {
  llvm::orc::SymbolMap symbols;
  symbols[mangle("memrefCopy")] = {llvm::orc::ExecutorAddr::fromPtr(&frondMemrefCopy),
                                   llvm::JITSymbolFlags::Exported};
  return symbols;
}
