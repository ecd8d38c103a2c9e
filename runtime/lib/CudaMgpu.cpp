//===- CudaMgpu.cpp - the mgpu* runtime ABI on Frond's driver layer -------===//
#include "frond/runtime/CudaMgpu.h"

#include "frond/runtime/BufferPool.h"
#include "frond/runtime/CudaModule.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <set>

using namespace frond::runtime::cuda;

namespace {

/// The process's mgpu state: device 0, loaded modules, the latched error.
/// Never destroyed: global destructors of JIT'ed code (module unloads) may
/// run after static destruction has begun.
struct MgpuState {
  std::mutex mutex;
  std::unique_ptr<CudaContext> context;
  std::string openError; ///< why device 0 could not be opened, once tried
  std::string cacheDir;
  std::string error;     ///< the first failure since takeMgpuError
  std::map<void *, std::unique_ptr<CudaModule>> modules;
  std::map<void *, std::string> kernelNames; ///< CUfunction → kernel name
  std::set<void *> hostFallbacks;            ///< allocations made with malloc
  frond::runtime::BufferPool pool;           ///< freed buffers, for reuse
  CUstream stream = nullptr;                 ///< the one stream, kept
  // beginMgpuCapture .. endMgpuCapture: the stream is being recorded.
  bool capturing = false;
  std::vector<void *> heldForGraph; ///< freed while recording
  // --profile-kernels: events around each launch, read back in batches.
  struct TimedLaunch {
    CUfunction kernel;
    CUevent start, end;
  };
  bool profiling = false;
  std::vector<TimedLaunch> timed; ///< launched, not yet read
  std::vector<CUevent> spareEvents;
  frond::runtime::KernelProfile profile;
};

MgpuState &state() {
  static MgpuState *s = new MgpuState;
  return *s;
}

/// Latches `message` unless an earlier error is pending.
void fail(MgpuState &s, const std::string &message) {
  if (s.error.empty())
    s.error = message;
}

/// The context, current on this thread; null (error latched) if there is no
/// device or an earlier call failed. Call with the mutex held.
const CudaContext *ready(MgpuState &s) {
  if (!s.error.empty())
    return nullptr;
  if (!s.context && s.openError.empty()) {
    s.context = CudaContext::open(0, s.openError);
    if (!s.context && s.openError.empty())
      s.openError = "CUDA device 0 could not be opened";
  }
  if (!s.context) {
    fail(s, s.openError);
    return nullptr;
  }
  thread_local const CudaContext *currentHere = nullptr;
  if (currentHere != s.context.get()) {
    std::string error;
    if (!s.context->makeCurrent(error)) {
      fail(s, error);
      return nullptr;
    }
    currentHere = s.context.get();
  }
  return s.context.get();
}

/// Runs a driver call; on failure latches "<call>: <error> (<what>)".
bool check(MgpuState &s, CUresult result, const char *call, const std::string &what = "") {
  std::string error;
  if (cudaCheck(s.context->driver(), result, call, error))
    return true;
  fail(s, what.empty() ? error : error + " (" + what + ")");
  return false;
}

CUstream asStream(void *stream) { return static_cast<CUstream>(stream); }

/// An event for timing, reused when one is spare; null (error latched) on
/// failure. Call with the mutex held and the context ready.
CUevent timingEvent(MgpuState &s) {
  if (!s.spareEvents.empty()) {
    CUevent e = s.spareEvents.back();
    s.spareEvents.pop_back();
    return e;
  }
  CUevent e = nullptr;
  return check(s, s.context->driver().eventCreate(&e, 0), "cuEventCreate") ? e : nullptr;
}

/// Reads the times of the launches timed so far into the profile (waiting
/// for them to finish) and keeps their events for reuse.
void readTimedLaunches(MgpuState &s) {
  if (s.timed.empty() || !s.context)
    return;
  const CudaDriver &d = s.context->driver();
  for (const MgpuState::TimedLaunch &t : s.timed) {
    float ms = 0;
    if (check(s, d.eventSynchronize(t.end), "cuEventSynchronize") &&
        check(s, d.eventElapsedTime(&ms, t.start, t.end), "cuEventElapsedTime"))
      s.profile.add(s.kernelNames[t.kernel], ms);
    s.spareEvents.push_back(t.start);
    s.spareEvents.push_back(t.end);
  }
  s.timed.clear();
}

/// Returns the pool's cached buffers to the driver, all of them or down to
/// `keepBytes`. Call with the mutex held.
void releaseCachedBuffers(MgpuState &s, uint64_t keepBytes = 0) {
  const frond::runtime::BufferPoolStats &books = s.pool.stats();
  // Not while recording a graph: the stream cannot be waited for then.
  if (!s.context || s.capturing || books.heldBytes - books.inUseBytes <= keepBytes)
    return;
  const CudaDriver &d = s.context->driver();
  // Launches are queued (frond-async-gpu-launches): a kernel still queued
  // may use a buffer freed into the pool, so the stream drains first.
  if (s.stream)
    d.streamSynchronize(s.stream);
  s.pool.trim(keepBytes,
              [&](void *block, bool) { d.memFree(reinterpret_cast<CUdeviceptr>(block)); });
}

} // namespace

namespace frond::runtime::cuda {

bool openMgpuDevice(std::string &error, CudaDeviceInfo *info) {
  MgpuState &s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  if (!s.context && s.openError.empty())
    s.context = CudaContext::open(0, s.openError);
  error = s.openError;
  if (s.context && info)
    *info = s.context->info();
  return s.context != nullptr;
}

void setMgpuKernelCacheDir(const std::string &dir) {
  MgpuState &s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  s.cacheDir = dir;
}

std::string takeMgpuError() {
  MgpuState &s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  return std::exchange(s.error, std::string());
}

frond::runtime::BufferPoolStats mgpuMemoryStats() {
  MgpuState &s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  return s.pool.stats();
}

void releaseMgpuCachedBuffers() {
  MgpuState &s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  releaseCachedBuffers(s);
}

void setMgpuKernelProfiling(bool on) {
  MgpuState &s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  s.profiling = on;
}

bool mgpuKernelProfiling() {
  MgpuState &s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  return s.profiling;
}

std::vector<frond::runtime::KernelTime> takeMgpuKernelProfile() {
  MgpuState &s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  readTimedLaunches(s);
  std::vector<frond::runtime::KernelTime> out = s.profile.byTotal();
  s.profile.clear();
  return out;
}

std::vector<std::pair<const char *, void *>> mgpuSymbols() {
  auto fn = [](auto *f) { return reinterpret_cast<void *>(f); };
  return {{"mgpuModuleLoad", fn(&frondMgpuModuleLoad)},
          {"mgpuModuleLoadJIT", fn(&frondMgpuModuleLoadJIT)},
          {"mgpuModuleUnload", fn(&frondMgpuModuleUnload)},
          {"mgpuModuleGetFunction", fn(&frondMgpuModuleGetFunction)},
          {"mgpuLaunchKernel", fn(&frondMgpuLaunchKernel)},
          {"mgpuStreamCreate", fn(&frondMgpuStreamCreate)},
          {"mgpuStreamDestroy", fn(&frondMgpuStreamDestroy)},
          {"mgpuStreamSynchronize", fn(&frondMgpuStreamSynchronize)},
          {"mgpuMemAlloc", fn(&frondMgpuMemAlloc)},
          {"mgpuMemFree", fn(&frondMgpuMemFree)},
          {"mgpuMemcpy", fn(&frondMgpuMemcpy)}};
}

} // namespace frond::runtime::cuda

/// Loads `image` (PTX text or a cubin) through the kernel cache.
static void *loadModule(const std::string &image) {
  MgpuState &s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  const CudaContext *ctx = ready(s);
  if (!ctx)
    return nullptr;
  std::string error;
  KernelLoadReport report;
  bool isPtx = image.find(".entry") != std::string::npos && image.find('\0') == std::string::npos;
  std::unique_ptr<CudaModule> module = isPtx
                                           ? loadPtxCached(*ctx, image, s.cacheDir, report, error)
                                           : CudaModule::load(*ctx, image, error);
  if (!module) {
    fail(s, "loading a GPU kernel module: " + error);
    return nullptr;
  }
  void *handle = module.get();
  s.modules[handle] = std::move(module);
  return handle;
}

extern "C" void *frondMgpuModuleLoad(void *data, size_t size) {
  return loadModule(std::string(static_cast<const char *>(data), size));
}

extern "C" void *frondMgpuModuleLoadJIT(void *ptx, int /*optLevel: ptxas' default*/) {
  return loadModule(std::string(static_cast<const char *>(ptx)));
}

extern "C" void frondMgpuModuleUnload(void *module) {
  MgpuState &s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  s.modules.erase(module);
}

extern "C" void *frondMgpuModuleGetFunction(void *module, const char *name) {
  MgpuState &s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  auto it = s.modules.find(module);
  if (!ready(s) || it == s.modules.end()) {
    fail(s, std::string("kernel ") + name + ": its module is not loaded");
    return nullptr;
  }
  CUfunction fn = nullptr;
  std::string error;
  if (!it->second->function(name, fn, error)) {
    fail(s, error);
    return nullptr;
  }
  s.kernelNames[fn] = name;
  return fn;
}

extern "C" void frondMgpuLaunchKernel(void *function, intptr_t gridX, intptr_t gridY,
                                      intptr_t gridZ, intptr_t blockX, intptr_t blockY,
                                      intptr_t blockZ, int32_t sharedBytes, void *stream,
                                      void **params, void **extra, size_t /*paramCount*/) {
  MgpuState &s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  if (!ready(s) || !function)
    return;
  const CudaDriver &d = s.context->driver();
  auto fn = static_cast<CUfunction>(function);
  CUevent start = s.profiling && !s.capturing ? timingEvent(s) : nullptr;
  if (start)
    check(s, d.eventRecord(start, asStream(stream)), "cuEventRecord");
  bool launched =
      check(s,
            d.launchKernel(fn, unsigned(gridX), unsigned(gridY), unsigned(gridZ),
                           unsigned(blockX), unsigned(blockY), unsigned(blockZ),
                           unsigned(sharedBytes), asStream(stream), params, extra),
            "cuLaunchKernel", "kernel " + s.kernelNames[fn]);
  if (!start)
    return;
  CUevent end = launched ? timingEvent(s) : nullptr;
  if (end && check(s, d.eventRecord(end, asStream(stream)), "cuEventRecord")) {
    s.timed.push_back({fn, start, end});
  } else {
    s.spareEvents.push_back(start);
    if (end)
      s.spareEvents.push_back(end);
  }
  if (s.timed.size() >= 4096) // bounded: a long run reads its times as it goes
    readTimedLaunches(s);
}

// Generated code creates a stream for every launch, allocation and free,
// synchronizes it and destroys it. One stream, created once and kept,
// serves them all: the same order, without two driver calls per launch.
extern "C" void *frondMgpuStreamCreate() {
  MgpuState &s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  if (ready(s) && !s.stream)
    check(s, s.context->driver().streamCreate(&s.stream, kStreamNonBlocking), "cuStreamCreate");
  return s.stream;
}

extern "C" void frondMgpuStreamDestroy(void *stream) {
  MgpuState &s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  if (s.context && stream && stream != s.stream)
    s.context->driver().streamDestroy(asStream(stream));
}

extern "C" void frondMgpuStreamSynchronize(void *stream) {
  MgpuState &s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  // Waiting would end the recording; the graph's replay waits instead.
  if (ready(s) && !s.capturing)
    check(s, s.context->driver().streamSynchronize(asStream(stream)), "cuStreamSynchronize");
}

extern "C" void *frondMgpuMemAlloc(uint64_t bytes, void *stream, bool hostShared) {
  MgpuState &s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  CUdeviceptr p = 0;
  if (const CudaContext *ctx = ready(s)) {
    if (void *reused = s.pool.take(bytes, hostShared))
      return reused;
    const CudaDriver &d = ctx->driver();
    size_t size = frond::runtime::BufferPool::roundedSize(bytes);
    auto allocate = [&] {
      return hostShared ? d.memAllocManaged(&p, size, kMemAttachGlobal) : d.memAlloc(&p, size);
    };
    CUresult result = allocate();
    if (result != kSuccess) { // out of memory, perhaps: drop the cache and retry
      releaseCachedBuffers(s);
      result = allocate();
    }
    if (check(s, result, hostShared ? "cuMemAllocManaged" : "cuMemAlloc",
              std::to_string(bytes) + " bytes"))
      s.pool.adopt(reinterpret_cast<void *>(p), bytes, hostShared);
    else
      p = 0;
  }
  if (p)
    return reinterpret_cast<void *>(p);
  // The error is latched; host code may still write here before the caller
  // reads it.
  size_t size = bytes ? size_t(bytes) : 1;
  void *host = std::calloc(size, 1);
  s.hostFallbacks.insert(host);
  return host;
}

extern "C" void frondMgpuMemFree(void *pointer, void * /*stream*/) {
  MgpuState &s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  if (!pointer)
    return;
  if (s.hostFallbacks.erase(pointer)) {
    std::free(pointer);
    return;
  }
  if (s.capturing) { // the graph's kernels use it at every replay
    s.heldForGraph.push_back(pointer);
    return;
  }
  // Kept for the next allocation of its size: a kernel still queued may use
  // the buffer, but the next user's kernels run after it on the one stream.
  if (s.pool.give(pointer)) {
    // Keep at most twice the peak in use (at least 1 GiB) cached.
    releaseCachedBuffers(
        s, std::max<uint64_t>(uint64_t(1) << 30, 2 * s.pool.stats().peakInUseBytes));
    return;
  }
  if (s.context)
    check(s, s.context->driver().memFree(reinterpret_cast<CUdeviceptr>(pointer)), "cuMemFree");
}

extern "C" void frondMgpuMemcpy(void *dst, void *src, size_t bytes, void *stream) {
  MgpuState &s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  if (ready(s))
    check(s,
          s.context->driver().memcpyAsync(reinterpret_cast<CUdeviceptr>(dst),
                                          reinterpret_cast<CUdeviceptr>(src), bytes,
                                          asStream(stream)),
          "cuMemcpyAsync");
}

// --- CUDA graphs ---------------------------------------------------------------

namespace frond::runtime::cuda {

bool beginMgpuCapture(std::string &error) {
  MgpuState &s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  if (s.capturing) {
    error = "a CUDA graph is already being recorded";
    return false;
  }
  if (ready(s) && !s.stream)
    check(s, s.context->driver().streamCreate(&s.stream, kStreamNonBlocking), "cuStreamCreate");
  if (s.error.empty())
    check(s, s.context->driver().streamBeginCapture(s.stream, kCaptureModeRelaxed),
          "cuStreamBeginCapture");
  if (!s.error.empty()) {
    error = std::exchange(s.error, std::string());
    return false;
  }
  s.capturing = true;
  return true;
}

std::unique_ptr<MgpuGraph> endMgpuCapture(std::string &error) {
  MgpuState &s = state();
  std::unique_ptr<MgpuGraph> g(new MgpuGraph);
  std::string failure;
  {
    std::lock_guard<std::mutex> lock(s.mutex);
    if (!s.capturing) {
      error = "no CUDA graph is being recorded";
      return nullptr;
    }
    s.capturing = false;
    g->held = std::exchange(s.heldForGraph, {});
    failure = std::exchange(s.error, std::string());
    std::string why;
    g->graph = CudaGraph::endCapture(s.context->driver(), s.stream, why);
    if (!g->graph && failure.empty())
      failure = why;
  }
  if (failure.empty())
    return g;
  error = "recording a CUDA graph: " + failure;
  return nullptr; // ~MgpuGraph (the lock released) returns the held buffers
}

MgpuGraph::~MgpuGraph() {
  graph.reset();
  for (void *p : held)
    frondMgpuMemFree(p, nullptr);
}

bool MgpuGraph::replay(std::string &error) {
  MgpuState &s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  error.clear();
  if (ready(s) && graph->launch(s.stream, error))
    check(s, s.context->driver().streamSynchronize(s.stream), "cuStreamSynchronize");
  if (error.empty())
    error = std::exchange(s.error, std::string());
  return error.empty();
}

} // namespace frond::runtime::cuda
