//===- MemoryPlan.cpp - greedy-by-size best-fit arena placement -----------===//
#include "frond/runtime/MemoryPlan.h"

#include <algorithm>
#include <cstdio>
#include <limits>
#include <numeric>
#include <utility>

namespace frond::runtime {

namespace {

bool overlaps(const BufferLifetime &a, const BufferLifetime &b) {
  return a.firstUse <= b.lastUse && b.firstUse <= a.lastUse;
}

/// The most bytes live at one operation (a sweep over start and end events;
/// a buffer ending at t and one starting at t + 1 are not live together).
uint64_t liveBound(const std::vector<BufferLifetime> &buffers,
                   const std::vector<uint64_t> &sizes) {
  std::vector<std::pair<int64_t, int64_t>> events; // (time, +size or -size)
  for (size_t i = 0; i < buffers.size(); ++i) {
    events.push_back({buffers[i].firstUse, int64_t(sizes[i])});
    events.push_back({buffers[i].lastUse + 1, -int64_t(sizes[i])});
  }
  // At equal times, ends (negative) come before starts.
  std::sort(events.begin(), events.end());
  int64_t live = 0, most = 0;
  for (auto &[time, delta] : events) {
    live += delta;
    most = std::max(most, live);
  }
  return uint64_t(most);
}

std::string mib(uint64_t bytes) {
  char buf[32];
  if (bytes < (1u << 20))
    std::snprintf(buf, sizeof buf, "%.1f KiB", double(bytes) / 1024);
  else
    std::snprintf(buf, sizeof buf, "%.1f MiB", double(bytes) / (1 << 20));
  return buf;
}

} // namespace

bool planMemory(const std::vector<BufferLifetime> &buffers, uint64_t alignment,
                MemoryPlan &plan, std::string &error) {
  if (alignment == 0 || (alignment & (alignment - 1)) != 0) {
    error = "memory plan: alignment " + std::to_string(alignment) +
            " is not a power of two";
    return false;
  }
  size_t n = buffers.size();
  std::vector<uint64_t> sizes(n);
  for (size_t i = 0; i < n; ++i) {
    const BufferLifetime &b = buffers[i];
    if (b.firstUse > b.lastUse) {
      error = "memory plan: buffer " + std::to_string(i) + " is last used at operation " +
              std::to_string(b.lastUse) + ", before its first use at " +
              std::to_string(b.firstUse);
      return false;
    }
    sizes[i] = (b.bytes + alignment - 1) & ~(alignment - 1);
  }
  plan = MemoryPlan();
  plan.offsets.assign(n, 0);
  plan.unsharedBytes = std::accumulate(sizes.begin(), sizes.end(), uint64_t(0));
  plan.liveBoundBytes = liveBound(buffers, sizes);

  // Largest first; equal sizes by first use, then by index (deterministic).
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    if (sizes[a] != sizes[b])
      return sizes[a] > sizes[b];
    return buffers[a].firstUse < buffers[b].firstUse;
  });
  std::vector<size_t> placed; // by offset
  for (size_t i : order) {
    if (sizes[i] == 0)
      continue;
    // Walk the placed buffers live at the same time, lowest offset first,
    // and keep the smallest gap that fits.
    uint64_t cursor = 0, best = std::numeric_limits<uint64_t>::max();
    uint64_t bestGap = std::numeric_limits<uint64_t>::max();
    for (size_t j : placed) {
      if (!overlaps(buffers[i], buffers[j]))
        continue;
      uint64_t start = plan.offsets[j];
      if (start > cursor && start - cursor >= sizes[i] && start - cursor < bestGap) {
        best = cursor;
        bestGap = start - cursor;
      }
      cursor = std::max(cursor, start + sizes[j]);
    }
    if (best == std::numeric_limits<uint64_t>::max())
      best = cursor;
    plan.offsets[i] = best;
    plan.peakBytes = std::max(plan.peakBytes, best + sizes[i]);
    auto at = std::upper_bound(placed.begin(), placed.end(), best,
                               [&](uint64_t off, size_t j) { return off < plan.offsets[j]; });
    placed.insert(at, i);
  }
  return true;
}

std::string describeMemoryPlan(const MemoryPlan &plan) {
  return "peak " + mib(plan.peakBytes) + " (live bound " + mib(plan.liveBoundBytes) + ", " +
         mib(plan.unsharedBytes) + " without reuse)";
}

} // namespace frond::runtime
