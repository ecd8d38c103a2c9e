//===- BufferPool.h - freed GPU buffers kept for reuse ----------*- C++ -*-===//
//
// Compiled GPU code allocates and frees every temporary buffer on each
// call (mgpuMemAlloc / mgpuMemFree), and a training step makes hundreds.
// cuMemAlloc is slow and cuMemFree synchronizes the whole device, so the
// mgpu layer keeps freed buffers here and hands them out again, as
// PyTorch's caching allocator does: a step's sizes repeat, so from the
// second step on no allocation reaches the driver. A request takes the
// smallest cached block of its kind (device or managed) that fits, at most
// twice its size; sizes are rounded up to 512 bytes. When the driver runs
// out of memory, the caller drops the cache (releaseCached) and tries again;
// it also keeps the cache bounded (trim).
//
// The pool only keeps the books: it never calls the driver itself.
//
//===----------------------------------------------------------------------===//
#ifndef FROND_RUNTIME_BUFFERPOOL_H
#define FROND_RUNTIME_BUFFERPOOL_H

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <unordered_map>

namespace frond::runtime {

struct BufferPoolStats {
  uint64_t inUseBytes = 0;     ///< handed out and not given back
  uint64_t peakInUseBytes = 0; ///< the most in use at one time
  uint64_t heldBytes = 0;      ///< obtained from the driver, cached or in use
  uint64_t peakHeldBytes = 0;
  uint64_t driverAllocations = 0; ///< requests the cache could not serve
  uint64_t reuses = 0;            ///< requests served from the cache
};

class BufferPool {
public:
  /// The size a request of `bytes` is served with (0 counts as 1).
  static uint64_t roundedSize(uint64_t bytes);

  /// A cached block for `bytes` of the kind, now in use; null when none
  /// fits (then the caller allocates and calls adopt).
  void *take(uint64_t bytes, bool managed);
  /// Records a block the caller just obtained for `bytes` (rounded) as in use.
  void adopt(void *block, uint64_t bytes, bool managed);
  /// Takes back a block in use; false if the pool did not hand it out.
  bool give(void *block);
  /// Drops every cached block, calling `free(block, managed)` on each.
  void releaseCached(const std::function<void(void *, bool)> &free);
  /// Drops cached blocks, the largest first, until at most `maxCachedBytes`
  /// are cached. Sizes that only grow (a cache lengthening at every decode
  /// step) would otherwise pile up blocks that never fit again.
  void trim(uint64_t maxCachedBytes, const std::function<void(void *, bool)> &free);

  const BufferPoolStats &stats() const { return stats_; }

private:
  struct Block {
    uint64_t bytes;
    bool managed;
  };
  std::unordered_map<void *, Block> inUse_;
  std::multimap<uint64_t, void *> cached_[2]; ///< by size; [managed]
  BufferPoolStats stats_;
};

/// "peak 12.0 MiB in use, 16.0 MiB held; 40 driver allocations, 3960 reuses".
std::string describeBufferPool(const BufferPoolStats &stats);

} // namespace frond::runtime

#endif // FROND_RUNTIME_BUFFERPOOL_H
