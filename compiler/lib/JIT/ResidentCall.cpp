//===- ResidentCall.cpp - one compiled function, called again and again ---===//
#include "frond/JIT/ResidentCall.h"

#include "CudaTarget.h"
#include "frond/runtime/CudaMgpu.h"

#include <cstdlib>
#include <cstring>

namespace frond::jit {

using runtime::cuda::MgpuGraph;

std::unique_ptr<ResidentCall> ResidentCall::bind(std::shared_ptr<CompiledModel> fn,
                                                 const std::vector<const runtime::Tensor *> &inputs,
                                                 std::string &error) {
  if (!fn->checkArgumentCount(inputs.size(), error))
    return nullptr;
  std::unique_ptr<ResidentCall> rc(new ResidentCall);
  rc->fn = fn;
  rc->noGraph = fn->onGPU ? fn->whyNotReplayable() : "on the CPU";
  if (fn->onGPU && std::getenv("FROND_NO_CUDA_GRAPHS"))
    rc->noGraph = "FROND_NO_CUDA_GRAPHS is set";
  // A replayed graph's kernels are not timed one by one.
  if (fn->onGPU && runtime::cuda::mgpuKernelProfiling())
    rc->noGraph = "--profile-kernels times each launch";
  for (size_t i = 0; i < inputs.size(); ++i) {
    const runtime::Tensor *t = inputs[i];
    if (!fn->checkArgument(i, t, error))
      return nullptr;
    size_t n = size_t(t->numel()) * runtime::elementSize(t->dtype);
    void *buffer = fn->onGPU ? frondMgpuMemAlloc(n, nullptr, /*hostShared=*/true)
                             : std::malloc(n ? n : 1);
    if (std::string why = fn->onGPU ? takeGPUError() : ""; !why.empty() || !buffer) {
      if (buffer) // a host fallback: keep it for the destructor to free
        rc->buffers.push_back(buffer);
      error = why.empty() ? "out of memory for argument '" + fn->args[i].name + "'" : why;
      return nullptr;
    }
    std::memcpy(buffer, t->data(), n); // managed memory: the host writes it directly
    rc->buffers.push_back(buffer);
    rc->bytes.push_back(n);
    rc->shapes.push_back(t->shape);
    rc->descs.push_back(CompiledModel::descriptor(buffer, t->shape));
    rc->argumentBuffers.insert(rc->descs.back()[0]);
  }
  return rc;
}

ResidentCall::~ResidentCall() {
  graph.reset(); // gives back what the recorded call freed
  if (fn)
    fn->freeResults(graphOwned);
  for (void *b : buffers)
    fn && fn->onGPU ? frondMgpuMemFree(b, nullptr) : std::free(b);
}

bool ResidentCall::fits(size_t i, const runtime::Tensor &t) const {
  return i < buffers.size() && t.dtype == fn->args[i].dtype && t.shape == shapes[i];
}

bool ResidentCall::set(size_t i, const runtime::Tensor &t, std::string &error) {
  if (i >= buffers.size()) {
    error = "no argument " + std::to_string(i);
    return false;
  }
  if (!fits(i, t)) {
    runtime::Tensor bound; // for its shapeStr
    bound.shape = shapes[i];
    error = "argument '" + fn->args[i].name + "' is bound as " +
            runtime::dtypeName(fn->args[i].dtype) + " " + bound.shapeStr() + ", got " +
            runtime::dtypeName(t.dtype) + " " + t.shapeStr();
    return false;
  }
  std::memcpy(buffers[i], t.data(), bytes[i]);
  return true;
}

bool ResidentCall::runOnce(std::vector<runtime::Tensor> &outputs, std::string &error) {
  std::vector<int64_t> resultWords = fn->call(descs);
  error = fn->onGPU ? takeGPUError() : "";
  fn->freeResults(fn->copyResults(resultWords, argumentBuffers, outputs));
  if (!error.empty())
    outputs.clear();
  return error.empty();
}

bool ResidentCall::record() {
  if (!runtime::cuda::beginMgpuCapture(noGraph))
    return false;
  // The host code runs, its kernels are recorded (not run).
  std::vector<int64_t> resultWords = fn->call(descs);
  std::unique_ptr<MgpuGraph> recorded = runtime::cuda::endMgpuCapture(noGraph);
  // Not computed yet: only their buffers count.
  std::set<int64_t> owned = fn->resultBuffers(resultWords, argumentBuffers);
  if (!recorded) {
    fn->freeResults(owned);
    return false;
  }
  graph = std::move(recorded);
  graphResults = std::move(resultWords);
  graphOwned = std::move(owned);
  return true;
}

bool ResidentCall::run(std::vector<runtime::Tensor> &outputs, std::string &error) {
  ++calls;
  // A failed recording ran nothing: the call then runs as before, without
  // a graph (noGraph says why).
  if (!noGraph.empty() || calls == 1 || (!graph && !record()))
    return runOnce(outputs, error);
  if (!graph->replay(error)) {
    outputs.clear();
    return false;
  }
  fn->copyResults(graphResults, argumentBuffers, outputs);
  return true;
}

bool ResidentCall::onGPU() const { return fn->onGPU; }

std::string ResidentCall::describe() const {
  if (!fn->onGPU)
    return "on the CPU";
  if (graph)
    return "a CUDA graph, replayed";
  if (noGraph.empty())
    return "one launch per kernel until its second call records a CUDA graph";
  return kernelByKernel(noGraph);
}

std::string ResidentCall::kernelByKernel(const std::string &why) {
  return "one launch per kernel (no CUDA graph: " + why + ")";
}

} // namespace frond::jit
