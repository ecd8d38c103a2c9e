//===- FakeCuda.cpp - a stand-in CUDA driver for tests without a GPU ------===//
//
// libfrond-fake-cuda.so exports the driver entry points Frond resolves
// (runtime/include/frond/runtime/CudaDriver.h) and imitates a GPU in host
// memory, so that the runtime's device layer, the kernel cache and `frond
// --device cuda` can be tested on machines without one (FROND_LIBCUDA
// points Frond at it). It is a test double, never shipped:
//   - FROND_FAKE_CUDA_DEVICES: the device count (default 1; 0 makes cuInit
//     fail with CUDA_ERROR_NO_DEVICE, as a driver without GPUs does);
//   - "device memory" is calloc'ed host memory;
//   - PTX is accepted when it has an `.entry`; the "cubin" is the PTX behind
//     a FAKECUBIN line; anything else fails with a JIT error log;
//   - one kernel runs: `.entry add_one` with parameters (float *p, int n)
//     adds 1 to p[0..n); launching any other fails, unless
//     FROND_FAKE_CUDA_KERNELS=any makes it succeed doing nothing (its
//     outputs keep what they held), to follow host code past it;
//   - stream capture records launches and a graph launch replays them;
//   - a clock that every launch advances by 1 ms (kernels take 1 ms each),
//     read by events (cuEventRecord, cuEventElapsedTime);
//   - managed memory (cuMemAllocManaged) is calloc'ed host memory too;
//   - the calls that move data or run code are logged, one line each
//     (frondFakeCudaLog), so tests can check what reached the driver.
//
//===----------------------------------------------------------------------===//
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

using CUresult = int;
using CUdeviceptr = unsigned long long;

constexpr CUresult kOk = 0, kInvalidValue = 1, kNoDevice = 100, kInvalidImage = 200,
                   kInvalidPtx = 218, kNotFound = 500, kInvalidDevice = 101;

struct Launch {
  float *p;
  int n;
};
struct Stream {
  bool capturing = false;
  std::vector<Launch> recorded;
};
struct Graph {
  std::vector<Launch> launches;
};
struct Module {
  std::string text;
};
struct Event {
  float ms = 0;
};

/// The fake device's clock: milliseconds of kernel time so far.
float g_clockMs = 0;
struct Function {
  std::string name;
};
struct LinkState {
  char *errorLog = nullptr;
  size_t errorLogSize = 0;
  std::string cubin;
};

int deviceCount() {
  const char *n = std::getenv("FROND_FAKE_CUDA_DEVICES");
  return n ? std::atoi(n) : 1;
}

/// The log buffer and its size among JIT options (CU_JIT_ERROR_LOG_BUFFER
/// = 5, ..._SIZE_BYTES = 6).
void findErrorLog(unsigned n, const int *options, void **values, char *&log, size_t &size) {
  for (unsigned i = 0; i < n; ++i) {
    if (options[i] == 5)
      log = static_cast<char *>(values[i]);
    if (options[i] == 6)
      size = size_t(reinterpret_cast<uintptr_t>(values[i]));
  }
}

void writeLog(char *log, size_t size, const std::string &text) {
  if (log && size) {
    std::strncpy(log, text.c_str(), size - 1);
    log[size - 1] = 0;
  }
}

std::string &callLog() {
  static std::string log;
  return log;
}

void logCall(const std::string &line) { callLog() += line + "\n"; }

void run(const Launch &l) {
  for (int i = 0; i < l.n; ++i)
    l.p[i] += 1.0f;
}

void takeOneMillisecond() { g_clockMs += 1.0f; }

} // namespace

extern "C" {

/// The calls logged since the last frondFakeCudaClearLog, one a line.
const char *frondFakeCudaLog() { return callLog().c_str(); }
void frondFakeCudaClearLog() { callLog().clear(); }

CUresult cuInit(unsigned) { return deviceCount() > 0 ? kOk : kNoDevice; }
CUresult cuDriverGetVersion(int *v) { return *v = 12040, kOk; }

CUresult cuGetErrorName(CUresult e, const char **s) {
  switch (e) {
  case kOk: *s = "CUDA_SUCCESS"; return kOk;
  case kInvalidValue: *s = "CUDA_ERROR_INVALID_VALUE"; return kOk;
  case kNoDevice: *s = "CUDA_ERROR_NO_DEVICE"; return kOk;
  case kInvalidDevice: *s = "CUDA_ERROR_INVALID_DEVICE"; return kOk;
  case kInvalidImage: *s = "CUDA_ERROR_INVALID_IMAGE"; return kOk;
  case kInvalidPtx: *s = "CUDA_ERROR_INVALID_PTX"; return kOk;
  case kNotFound: *s = "CUDA_ERROR_NOT_FOUND"; return kOk;
  }
  *s = nullptr;
  return kInvalidValue;
}
CUresult cuGetErrorString(CUresult e, const char **s) {
  *s = e == kInvalidPtx ? "a PTX JIT compilation failed" : "fake driver error";
  return kOk;
}

CUresult cuDeviceGetCount(int *n) { return *n = deviceCount(), kOk; }
CUresult cuDeviceGet(int *d, int i) {
  return i >= 0 && i < deviceCount() ? (*d = i, kOk) : kInvalidDevice;
}
CUresult cuDeviceGetName(char *name, int len, int) {
  std::strncpy(name, "Frond Fake GPU", size_t(len));
  return kOk;
}
CUresult cuDeviceGetAttribute(int *v, int attr, int) {
  *v = attr == 75 ? 9 : attr == 76 ? 0 : attr == 16 ? 132 : 0;
  return kOk;
}
CUresult cuDeviceTotalMem_v2(size_t *b, int) { return *b = size_t(80) << 30, kOk; }
CUresult cuMemGetInfo_v2(size_t *f, size_t *t) {
  *f = size_t(79) << 30;
  *t = size_t(80) << 30;
  return kOk;
}

static int g_context;
CUresult cuDevicePrimaryCtxRetain(void **ctx, int) { return *ctx = &g_context, kOk; }
CUresult cuDevicePrimaryCtxRelease_v2(int) { return kOk; }
CUresult cuCtxSetCurrent(void *) { return kOk; }
CUresult cuCtxSynchronize() { return kOk; }

CUresult cuLinkCreate_v2(unsigned n, int *options, void **values, LinkState **out) {
  *out = new LinkState;
  findErrorLog(n, options, values, (*out)->errorLog, (*out)->errorLogSize);
  return kOk;
}
CUresult cuLinkAddData_v2(LinkState *s, int type, void *data, size_t size, const char *name,
                          unsigned, int *, void **) {
  std::string ptx(static_cast<const char *>(data), size ? size - 1 : 0);
  if (type != 1 || ptx.find(".entry") == std::string::npos) {
    writeLog(s->errorLog, s->errorLogSize,
             std::string("ptxas fatal   : ") + name + ", line 1; error: no .entry in the PTX");
    return kInvalidPtx;
  }
  s->cubin = "FAKECUBIN\n" + ptx;
  return kOk;
}
CUresult cuLinkComplete(LinkState *s, void **cubin, size_t *size) {
  *cubin = s->cubin.data();
  *size = s->cubin.size();
  return kOk;
}
CUresult cuLinkDestroy(LinkState *s) { return delete s, kOk; }

CUresult cuModuleLoadDataEx(Module **m, const void *image, unsigned n, int *options,
                            void **values) {
  std::string text(static_cast<const char *>(image));
  if (text.rfind("FAKECUBIN\n", 0) != 0 && text.find(".entry") == std::string::npos) {
    char *log = nullptr;
    size_t size = 0;
    findErrorLog(n, options, values, log, size);
    writeLog(log, size, "not a fake cubin");
    return kInvalidImage;
  }
  *m = new Module{text};
  logCall("cuModuleLoadDataEx " + std::string(text.rfind("FAKECUBIN\n", 0) == 0 ? "cubin" : "ptx"));
  return kOk;
}
CUresult cuModuleUnload(Module *m) { return logCall("cuModuleUnload"), delete m, kOk; }
CUresult cuModuleGetFunction(Function **f, Module *m, const char *name) {
  if (m->text.find(std::string(".entry ") + name) == std::string::npos)
    return kNotFound;
  *f = new Function{name}; // leaked, as the driver keeps functions with the module
  logCall(std::string("cuModuleGetFunction ") + name);
  return kOk;
}

CUresult cuLaunchKernel(Function *f, unsigned gx, unsigned gy, unsigned gz, unsigned bx,
                        unsigned by, unsigned bz, unsigned shared, Stream *s, void **args,
                        void **) {
  logCall("cuLaunchKernel " + f->name + " grid " + std::to_string(gx) + "x" +
          std::to_string(gy) + "x" + std::to_string(gz) + " block " + std::to_string(bx) + "x" +
          std::to_string(by) + "x" + std::to_string(bz) + " shared " + std::to_string(shared));
  if (!(s && s->capturing))
    takeOneMillisecond();
  if (f->name != "add_one") {
    const char *any = std::getenv("FROND_FAKE_CUDA_KERNELS");
    return any && std::string(any) == "any" ? kOk : kInvalidValue;
  }
  if (!args)
    return kInvalidValue;
  Launch l{reinterpret_cast<float *>(*static_cast<CUdeviceptr *>(args[0])),
           *static_cast<int *>(args[1])};
  if (s && s->capturing)
    s->recorded.push_back(l);
  else
    run(l);
  return kOk;
}

CUresult cuMemAlloc_v2(CUdeviceptr *p, size_t n) {
  // Zeroed, so that what no-op kernels leave there is finite.
  return *p = CUdeviceptr(reinterpret_cast<uintptr_t>(std::calloc(n, 1))), *p ? kOk : 2;
}
CUresult cuMemAllocManaged(CUdeviceptr *p, size_t n, unsigned flags) {
  logCall("cuMemAllocManaged " + std::to_string(n) + " flags " + std::to_string(flags));
  return cuMemAlloc_v2(p, n);
}
CUresult cuMemFree_v2(CUdeviceptr p) {
  logCall("cuMemFree");
  return std::free(reinterpret_cast<void *>(p)), kOk;
}
CUresult cuMemcpyHtoD_v2(CUdeviceptr d, const void *s, size_t n) {
  return std::memcpy(reinterpret_cast<void *>(d), s, n), kOk;
}
CUresult cuMemcpyDtoH_v2(void *d, CUdeviceptr s, size_t n) {
  return std::memcpy(d, reinterpret_cast<const void *>(s), n), kOk;
}
CUresult cuMemcpyHtoDAsync_v2(CUdeviceptr d, const void *s, size_t n, Stream *) {
  return cuMemcpyHtoD_v2(d, s, n);
}
CUresult cuMemcpyDtoHAsync_v2(void *d, CUdeviceptr s, size_t n, Stream *) {
  return cuMemcpyDtoH_v2(d, s, n);
}
CUresult cuMemcpyAsync(CUdeviceptr d, CUdeviceptr s, size_t n, Stream *) {
  logCall("cuMemcpyAsync " + std::to_string(n));
  return std::memcpy(reinterpret_cast<void *>(d), reinterpret_cast<const void *>(s), n), kOk;
}
CUresult cuMemsetD8Async(CUdeviceptr d, unsigned char v, size_t n, Stream *) {
  return std::memset(reinterpret_cast<void *>(d), v, n), kOk;
}

CUresult cuStreamCreate(Stream **s, unsigned) { return *s = new Stream, kOk; }
CUresult cuStreamDestroy_v2(Stream *s) { return delete s, kOk; }
CUresult cuStreamSynchronize(Stream *) { return kOk; }
CUresult cuStreamBeginCapture_v2(Stream *s, int) {
  logCall("cuStreamBeginCapture");
  s->capturing = true;
  s->recorded.clear();
  return kOk;
}
CUresult cuStreamEndCapture(Stream *s, Graph **g) {
  if (!s->capturing)
    return kInvalidValue;
  s->capturing = false;
  *g = new Graph{s->recorded};
  return kOk;
}
CUresult cuGraphInstantiateWithFlags(Graph **exec, Graph *g, unsigned long long) {
  return *exec = new Graph(*g), kOk;
}
CUresult cuGraphLaunch(Graph *exec, Stream *) {
  logCall("cuGraphLaunch");
  for (const Launch &l : exec->launches) {
    takeOneMillisecond();
    run(l);
  }
  return kOk;
}
CUresult cuGraphExecDestroy(Graph *g) { return delete g, kOk; }
CUresult cuGraphDestroy(Graph *g) { return delete g, kOk; }

CUresult cuEventCreate(Event **e, unsigned) { return *e = new Event, kOk; }
CUresult cuEventRecord(Event *e, Stream *) { return e->ms = g_clockMs, kOk; }
CUresult cuEventSynchronize(Event *) { return kOk; }
CUresult cuEventElapsedTime(float *ms, Event *start, Event *end) {
  return *ms = end->ms - start->ms, kOk;
}
CUresult cuEventDestroy_v2(Event *e) { return delete e, kOk; }

} // extern "C"
