//===- BufferPool.cpp - freed GPU buffers kept for reuse ------------------===//
#include "frond/runtime/BufferPool.h"

#include <algorithm>
#include <iterator>
#include <cstdio>

namespace frond::runtime {

namespace {
constexpr uint64_t kGranule = 512;

std::string mib(uint64_t bytes) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f MiB", double(bytes) / (1024.0 * 1024.0));
  return text;
}
} // namespace

uint64_t BufferPool::roundedSize(uint64_t bytes) {
  return (std::max<uint64_t>(bytes, 1) + kGranule - 1) / kGranule * kGranule;
}

void *BufferPool::take(uint64_t bytes, bool managed) {
  uint64_t size = roundedSize(bytes);
  auto &cache = cached_[managed];
  auto it = cache.lower_bound(size);
  if (it == cache.end() || it->first > 2 * size)
    return nullptr;
  void *block = it->second;
  uint64_t blockBytes = it->first;
  cache.erase(it);
  inUse_[block] = {blockBytes, managed};
  stats_.inUseBytes += blockBytes;
  stats_.peakInUseBytes = std::max(stats_.peakInUseBytes, stats_.inUseBytes);
  ++stats_.reuses;
  return block;
}

void BufferPool::adopt(void *block, uint64_t bytes, bool managed) {
  uint64_t size = roundedSize(bytes);
  inUse_[block] = {size, managed};
  stats_.inUseBytes += size;
  stats_.heldBytes += size;
  stats_.peakInUseBytes = std::max(stats_.peakInUseBytes, stats_.inUseBytes);
  stats_.peakHeldBytes = std::max(stats_.peakHeldBytes, stats_.heldBytes);
  ++stats_.driverAllocations;
}

bool BufferPool::give(void *block) {
  auto it = inUse_.find(block);
  if (it == inUse_.end())
    return false;
  stats_.inUseBytes -= it->second.bytes;
  cached_[it->second.managed].insert({it->second.bytes, block});
  inUse_.erase(it);
  return true;
}

void BufferPool::releaseCached(const std::function<void(void *, bool)> &free) {
  trim(0, free);
}

void BufferPool::trim(uint64_t maxCachedBytes,
                      const std::function<void(void *, bool)> &free) {
  while (stats_.heldBytes - stats_.inUseBytes > maxCachedBytes) {
    // The largest cached block of either kind.
    auto &device = cached_[0], &managed = cached_[1];
    bool fromManaged = device.empty() ||
                       (!managed.empty() && managed.rbegin()->first > device.rbegin()->first);
    auto &cache = fromManaged ? managed : device;
    auto last = std::prev(cache.end());
    free(last->second, fromManaged);
    stats_.heldBytes -= last->first;
    cache.erase(last);
  }
}

std::string describeBufferPool(const BufferPoolStats &stats) {
  return "peak " + mib(stats.peakInUseBytes) + " in use, " + mib(stats.peakHeldBytes) +
         " held; " + std::to_string(stats.driverAllocations) + " driver allocations, " +
         std::to_string(stats.reuses) + " reuses";
}

} // namespace frond::runtime
