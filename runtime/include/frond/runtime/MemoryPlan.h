//===- MemoryPlan.h - one arena for a step's buffers ------------*- C++ -*-===//
//
// A step (a forward, a training step, a decode step) uses many temporary
// buffers whose lifetimes are known before it runs: buffer i is live from
// the step's operation firstUse to lastUse (inclusive). planMemory places
// them all in one arena so that buffers live at the same time never share
// a byte and buffers that are not reuse the same bytes: on the GPU the
// arena is one cuMemAlloc for the whole run, reused by every step, and its
// size is the step's peak memory.
//
// The placement is greedy by size with best fit (TFLite's
// GreedyBySizePlanner, XLA's heap simulator): the largest buffers are
// placed first, each in the smallest gap between already placed buffers
// whose lifetimes overlap its own, else above them. It is not optimal in
// general; the plan also reports the lower bound (the most bytes live at
// one time) so the gap is visible.
//
//===----------------------------------------------------------------------===//
#ifndef FROND_RUNTIME_MEMORYPLAN_H
#define FROND_RUNTIME_MEMORYPLAN_H

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace frond::runtime {

struct BufferLifetime {
  uint64_t bytes = 0;
  /// The first and last operation (inclusive) that use the buffer.
  int64_t firstUse = 0, lastUse = 0;
};

struct MemoryPlan {
  /// Each buffer's offset in the arena (a multiple of the alignment).
  std::vector<uint64_t> offsets;
  /// The arena's size: the highest end of any buffer.
  uint64_t peakBytes = 0;
  /// The most bytes (rounded to the alignment) live at one operation: no
  /// placement needs less than this.
  uint64_t liveBoundBytes = 0;
  /// Every buffer's rounded size added up: the memory without reuse.
  uint64_t unsharedBytes = 0;
};

/// Places `buffers` in one arena, each size rounded up to `alignment` (a
/// power of two; 256 is what cuMemAlloc guarantees). False with `error`
/// naming the buffer when a lifetime is reversed or alignment is not a
/// power of two.
bool planMemory(const std::vector<BufferLifetime> &buffers, uint64_t alignment,
                MemoryPlan &plan, std::string &error);

/// "peak 1.5 MiB (live bound 1.5 MiB, 4.0 MiB without reuse)".
std::string describeMemoryPlan(const MemoryPlan &plan);

} // namespace frond::runtime

#endif // FROND_RUNTIME_MEMORYPLAN_H
