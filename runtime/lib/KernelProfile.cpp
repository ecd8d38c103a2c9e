//===- KernelProfile.cpp - GPU time per kernel ----------------------------===//
#include "frond/runtime/KernelProfile.h"

#include <algorithm>
#include <cstdio>

namespace frond::runtime {

void KernelProfile::add(const std::string &kernel, double ms) {
  KernelTime &k = kernels_[kernel];
  k.name = kernel;
  k.launches += 1;
  k.totalMs += ms;
  k.maxMs = std::max(k.maxMs, ms);
}

std::vector<KernelTime> KernelProfile::byTotal() const {
  std::vector<KernelTime> out;
  for (const auto &[name, k] : kernels_)
    out.push_back(k);
  std::stable_sort(out.begin(), out.end(),
                   [](const KernelTime &a, const KernelTime &b) { return a.totalMs > b.totalMs; });
  return out;
}

namespace {

std::string row(const std::string &name, uint64_t launches, double ms, double allMs) {
  char buf[512];
  std::snprintf(buf, sizeof buf, "  %10.3f %6.1f%% %9llu %11.1f  %s\n", ms,
                allMs > 0 ? 100.0 * ms / allMs : 0.0, (unsigned long long)launches,
                launches ? 1e3 * ms / double(launches) : 0.0, name.c_str());
  return buf;
}

} // namespace

std::string describeKernelProfile(const std::vector<KernelTime> &kernels, size_t top) {
  double allMs = 0;
  uint64_t allLaunches = 0;
  for (const KernelTime &k : kernels) {
    allMs += k.totalMs;
    allLaunches += k.launches;
  }
  char head[160];
  std::snprintf(head, sizeof head, "GPU kernels: %llu launches, %.3f ms on the GPU\n",
                (unsigned long long)allLaunches, allMs);
  std::string out = head;
  out += "    total ms   share  launches     mean us  kernel\n";
  double restMs = 0;
  uint64_t restLaunches = 0;
  for (size_t i = 0; i < kernels.size(); ++i) {
    if (i < top) {
      out += row(kernels[i].name, kernels[i].launches, kernels[i].totalMs, allMs);
    } else {
      restMs += kernels[i].totalMs;
      restLaunches += kernels[i].launches;
    }
  }
  if (kernels.size() > top)
    out += row("(" + std::to_string(kernels.size() - top) + " other kernels)", restLaunches,
               restMs, allMs);
  return out;
}

} // namespace frond::runtime
