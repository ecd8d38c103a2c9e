//===- KernelProfile.h - GPU time per kernel --------------------*- C++ -*-===//
//
// `--profile-kernels` (with --device cuda) times every kernel launch with a
// pair of CUDA events around it (CudaMgpu.cpp) and sums the times here, by
// kernel name: where a forward or a training step spends its GPU time,
// without nsys. Events measure on the GPU's clock, so queued launches are
// timed as they run, not as the host issues them.
//
//===----------------------------------------------------------------------===//
#ifndef FROND_RUNTIME_KERNELPROFILE_H
#define FROND_RUNTIME_KERNELPROFILE_H

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace frond::runtime {

struct KernelTime {
  std::string name;
  uint64_t launches = 0;
  double totalMs = 0;
  double maxMs = 0;
};

class KernelProfile {
public:
  void add(const std::string &kernel, double ms);
  /// Every kernel timed, the largest total first (ties by name).
  std::vector<KernelTime> byTotal() const;
  void clear() { kernels_.clear(); }

private:
  std::map<std::string, KernelTime> kernels_;
};

/// A table of the `top` kernels with the largest totals (the others summed
/// in one row): launches, total ms, mean µs, share of all kernel time.
std::string describeKernelProfile(const std::vector<KernelTime> &kernels, size_t top = 15);

} // namespace frond::runtime

#endif // FROND_RUNTIME_KERNELPROFILE_H
