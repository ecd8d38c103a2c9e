//===- CudaStream.h - streams, CUDA graphs, device memory -------*- C++ -*-===//
//
// Work goes to the GPU on a stream (kernel launches and asynchronous
// copies). A step that repeats with the same shapes (the decode step) is
// captured once into a CUDA graph and replayed with one launch, which
// removes the per-kernel launch cost. Device memory comes in two kinds:
// DeviceBuffer for what lives across steps (parameters, optimizer state,
// caches) and DeviceArena, one allocation holding all of a step's
// temporaries at the offsets a MemoryPlan gave them, reused by every step.
//
//===----------------------------------------------------------------------===//
#ifndef FROND_RUNTIME_CUDASTREAM_H
#define FROND_RUNTIME_CUDASTREAM_H

#include "frond/runtime/CudaDevice.h"
#include "frond/runtime/MemoryPlan.h"

#include <memory>
#include <string>

namespace frond::runtime::cuda {

struct Dim3 {
  unsigned x = 1, y = 1, z = 1;
};

class CudaGraph;

class CudaStream {
public:
  /// A non-blocking stream on `ctx`'s device.
  static std::unique_ptr<CudaStream> create(const CudaContext &ctx, std::string &error);
  ~CudaStream();
  CudaStream(const CudaStream &) = delete;
  CudaStream &operator=(const CudaStream &) = delete;

  CUstream handle() const { return stream_; }
  /// Launches `fn`; `args` points at each kernel parameter's value.
  bool launch(CUfunction fn, Dim3 grid, Dim3 block, unsigned sharedBytes, void **args,
              std::string &error);
  /// Asynchronous copies (the host side must stay valid until synchronize).
  bool copyToDevice(CUdeviceptr dst, const void *src, size_t bytes, std::string &error);
  bool copyToHost(void *dst, CUdeviceptr src, size_t bytes, std::string &error);
  bool zero(CUdeviceptr dst, size_t bytes, std::string &error);
  bool synchronize(std::string &error);

  /// Starts recording the stream's work into a graph instead of running it
  /// (capture mode thread-local: other threads may use the GPU meanwhile).
  bool beginCapture(std::string &error);
  /// Ends the recording: the recorded work as a graph ready to launch.
  std::unique_ptr<CudaGraph> endCapture(std::string &error);

private:
  CudaStream(const CudaDriver &driver, CUstream stream) : driver_(&driver), stream_(stream) {}
  const CudaDriver *driver_;
  CUstream stream_;
};

/// An instantiated graph: the captured work, replayed by launch().
class CudaGraph {
public:
  /// Ends the recording on `stream` (any stream being captured, e.g. the
  /// mgpu runtime's) and instantiates it; null with `error`.
  static std::unique_ptr<CudaGraph> endCapture(const CudaDriver &driver, CUstream stream,
                                               std::string &error);
  ~CudaGraph();
  CudaGraph(const CudaGraph &) = delete;
  CudaGraph &operator=(const CudaGraph &) = delete;
  bool launch(CudaStream &stream, std::string &error) { return launch(stream.handle(), error); }
  bool launch(CUstream stream, std::string &error);

private:
  CudaGraph(const CudaDriver &driver, CUgraph graph, CUgraphExec exec)
      : driver_(&driver), graph_(graph), exec_(exec) {}
  const CudaDriver *driver_;
  CUgraph graph_;
  CUgraphExec exec_;
};

/// One device allocation, freed on destruction.
class DeviceBuffer {
public:
  static std::unique_ptr<DeviceBuffer> allocate(const CudaContext &ctx, size_t bytes,
                                                std::string &error);
  ~DeviceBuffer();
  DeviceBuffer(const DeviceBuffer &) = delete;
  DeviceBuffer &operator=(const DeviceBuffer &) = delete;
  CUdeviceptr pointer() const { return ptr_; }
  size_t bytes() const { return bytes_; }

private:
  DeviceBuffer(const CudaDriver &driver, CUdeviceptr ptr, size_t bytes)
      : driver_(&driver), ptr_(ptr), bytes_(bytes) {}
  const CudaDriver *driver_;
  CUdeviceptr ptr_;
  size_t bytes_;
};

/// A step's temporaries: one allocation of the plan's peak size.
class DeviceArena {
public:
  static std::unique_ptr<DeviceArena> create(const CudaContext &ctx, MemoryPlan plan,
                                             std::string &error);
  /// Buffer i of the plan.
  CUdeviceptr buffer(size_t i) const { return memory_->pointer() + plan_.offsets[i]; }
  const MemoryPlan &plan() const { return plan_; }

private:
  DeviceArena(std::unique_ptr<DeviceBuffer> memory, MemoryPlan plan)
      : memory_(std::move(memory)), plan_(std::move(plan)) {}
  std::unique_ptr<DeviceBuffer> memory_;
  MemoryPlan plan_;
};

} // namespace frond::runtime::cuda

#endif // FROND_RUNTIME_CUDASTREAM_H
