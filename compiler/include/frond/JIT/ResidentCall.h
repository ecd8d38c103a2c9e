//===- ResidentCall.h - one compiled function, called again and again -*- C++ -*-===//
//
// A decode step is the same function called once per token with the same
// weights, caches that it updates in place, and a few small inputs that
// change. ResidentCall keeps every argument in a buffer of its own for its
// lifetime (on the GPU in managed memory, so the weights are copied there
// once, not at every call), lets the caller change an argument between
// calls (set, or in place through data()), and runs the function on those
// buffers.
//
// On the GPU, when the host code reads no memory itself
// (CompiledModel::replayable), the second call is recorded as a CUDA graph
// and every later call replays it: one cuGraphLaunch instead of a launch
// per kernel. The first call runs normally (it loads the kernels and fills
// the buffer pool, so the recording allocates nothing new). The buffers
// the graph's kernels use, results included, stay reserved until the
// ResidentCall is destroyed.
//
//===----------------------------------------------------------------------===//
#ifndef FROND_JIT_RESIDENTCALL_H
#define FROND_JIT_RESIDENTCALL_H

#include "frond/JIT/Jit.h"

namespace frond::runtime::cuda {
class MgpuGraph;
} // namespace frond::runtime::cuda

namespace frond::jit {

class ResidentCall {
public:
  /// Copies `inputs` (one per argument, as CompiledModel::run takes them)
  /// into the call's buffers; null with `error` if one does not fit.
  static std::unique_ptr<ResidentCall> bind(std::shared_ptr<CompiledModel> fn,
                                            const std::vector<const runtime::Tensor *> &inputs,
                                            std::string &error);
  ~ResidentCall();
  ResidentCall(const ResidentCall &) = delete;
  ResidentCall &operator=(const ResidentCall &) = delete;

  /// Whether `t` has argument i's bound dtype and shape (what set takes).
  bool fits(size_t i, const runtime::Tensor &t) const;
  /// Copies `t` into argument i's buffer: the same dtype and shape as bound.
  bool set(size_t i, const runtime::Tensor &t, std::string &error);
  /// Argument i's buffer (dense, row-major, host-addressable), to change in
  /// place between calls.
  void *data(size_t i) { return buffers[i]; }

  /// Calls the function on the buffers; fills `outputs` as
  /// CompiledModel::run does.
  bool run(std::vector<runtime::Tensor> &outputs, std::string &error);

  bool onGPU() const;
  /// How calls run: "a CUDA graph, replayed" once one is recorded, else
  /// one launch per kernel (and why not a graph) or the CPU.
  std::string describe() const;
  /// "one launch per kernel (no CUDA graph: <why>)".
  static std::string kernelByKernel(const std::string &why);

private:
  ResidentCall() = default;
  bool runOnce(std::vector<runtime::Tensor> &outputs, std::string &error);
  /// Records a call as `graph` (its kernels do not run); false, with
  /// noGraph saying why, if that fails.
  bool record();

  std::shared_ptr<CompiledModel> fn;
  std::vector<void *> buffers;
  std::vector<size_t> bytes;
  std::vector<std::vector<int64_t>> shapes, descs;
  std::set<int64_t> argumentBuffers;
  int calls = 0;
  std::string noGraph; ///< why calls do not replay a graph ("" if they may)
  std::unique_ptr<runtime::cuda::MgpuGraph> graph;
  std::vector<int64_t> graphResults; ///< result descriptors the graph writes
  std::set<int64_t> graphOwned;      ///< their buffers, freed with the graph
};

} // namespace frond::jit

#endif // FROND_JIT_RESIDENTCALL_H
