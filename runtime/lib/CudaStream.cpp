//===- CudaStream.cpp - streams, CUDA graphs, device memory ---------------===//
#include "frond/runtime/CudaStream.h"

namespace frond::runtime::cuda {

// --- streams -------------------------------------------------------------------

std::unique_ptr<CudaStream> CudaStream::create(const CudaContext &ctx, std::string &error) {
  const CudaDriver &d = ctx.driver();
  CUstream stream = nullptr;
  if (!ctx.makeCurrent(error) ||
      !cudaCheck(d, d.streamCreate(&stream, kStreamNonBlocking), "cuStreamCreate", error))
    return nullptr;
  return std::unique_ptr<CudaStream>(new CudaStream(d, stream));
}

CudaStream::~CudaStream() { driver_->streamDestroy(stream_); }

bool CudaStream::launch(CUfunction fn, Dim3 grid, Dim3 block, unsigned sharedBytes, void **args,
                        std::string &error) {
  return cudaCheck(*driver_,
                   driver_->launchKernel(fn, grid.x, grid.y, grid.z, block.x, block.y, block.z,
                                         sharedBytes, stream_, args, nullptr),
                   "cuLaunchKernel", error);
}

bool CudaStream::copyToDevice(CUdeviceptr dst, const void *src, size_t bytes,
                              std::string &error) {
  return cudaCheck(*driver_, driver_->memcpyHtoDAsync(dst, src, bytes, stream_),
                   "cuMemcpyHtoDAsync", error);
}

bool CudaStream::copyToHost(void *dst, CUdeviceptr src, size_t bytes, std::string &error) {
  return cudaCheck(*driver_, driver_->memcpyDtoHAsync(dst, src, bytes, stream_),
                   "cuMemcpyDtoHAsync", error);
}

bool CudaStream::zero(CUdeviceptr dst, size_t bytes, std::string &error) {
  return cudaCheck(*driver_, driver_->memsetD8Async(dst, 0, bytes, stream_), "cuMemsetD8Async",
                   error);
}

bool CudaStream::synchronize(std::string &error) {
  return cudaCheck(*driver_, driver_->streamSynchronize(stream_), "cuStreamSynchronize", error);
}

bool CudaStream::beginCapture(std::string &error) {
  return cudaCheck(*driver_, driver_->streamBeginCapture(stream_, kCaptureModeThreadLocal),
                   "cuStreamBeginCapture", error);
}

std::unique_ptr<CudaGraph> CudaStream::endCapture(std::string &error) {
  return CudaGraph::endCapture(*driver_, stream_, error);
}

// --- graphs --------------------------------------------------------------------

std::unique_ptr<CudaGraph> CudaGraph::endCapture(const CudaDriver &driver, CUstream stream,
                                                 std::string &error) {
  CUgraph graph = nullptr;
  if (!cudaCheck(driver, driver.streamEndCapture(stream, &graph), "cuStreamEndCapture", error))
    return nullptr;
  CUgraphExec exec = nullptr;
  if (!cudaCheck(driver, driver.graphInstantiate(&exec, graph, 0), "cuGraphInstantiate",
                 error)) {
    driver.graphDestroy(graph);
    return nullptr;
  }
  return std::unique_ptr<CudaGraph>(new CudaGraph(driver, graph, exec));
}

CudaGraph::~CudaGraph() {
  driver_->graphExecDestroy(exec_);
  driver_->graphDestroy(graph_);
}

bool CudaGraph::launch(CUstream stream, std::string &error) {
  return cudaCheck(*driver_, driver_->graphLaunch(exec_, stream), "cuGraphLaunch", error);
}

// --- memory --------------------------------------------------------------------

std::unique_ptr<DeviceBuffer> DeviceBuffer::allocate(const CudaContext &ctx, size_t bytes,
                                                     std::string &error) {
  const CudaDriver &d = ctx.driver();
  CUdeviceptr ptr = 0;
  if (!ctx.makeCurrent(error))
    return nullptr;
  // cuMemAlloc refuses 0 bytes; an empty buffer still gets a valid pointer.
  if (!cudaCheck(d, d.memAlloc(&ptr, bytes ? bytes : 1), "cuMemAlloc", error)) {
    error += " (" + std::to_string(bytes) + " bytes)";
    return nullptr;
  }
  return std::unique_ptr<DeviceBuffer>(new DeviceBuffer(d, ptr, bytes));
}

DeviceBuffer::~DeviceBuffer() { driver_->memFree(ptr_); }

std::unique_ptr<DeviceArena> DeviceArena::create(const CudaContext &ctx, MemoryPlan plan,
                                                 std::string &error) {
  auto memory = DeviceBuffer::allocate(ctx, plan.peakBytes, error);
  if (!memory) {
    error = "the step's device memory (" + describeMemoryPlan(plan) + "): " + error;
    return nullptr;
  }
  return std::unique_ptr<DeviceArena>(new DeviceArena(std::move(memory), std::move(plan)));
}

} // namespace frond::runtime::cuda
