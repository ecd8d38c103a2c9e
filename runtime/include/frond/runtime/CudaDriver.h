//===- CudaDriver.h - the CUDA driver API, opened at run time ---*- C++ -*-===//
//
// Frond never links against libcuda: the driver library is dlopen'ed the
// first time a command asks for a GPU, so one binary starts on any machine
// and says plainly when there is no GPU. The few driver types and constants
// Frond uses are declared here (the driver ABI is stable; they match
// cuda.h, which tests/unit/CudaAbiTest.cpp checks when the toolkit is
// installed), and each entry point is looked up by its exported name (the
// `_v2` names cuda.h's macros select).
//
// Every call site turns a failure into a message naming the call and the
// CUDA error (cudaCallError), e.g.
//   cuModuleLoadDataEx: CUDA_ERROR_INVALID_PTX (a PTX JIT compilation failed)
//
//===----------------------------------------------------------------------===//
#ifndef FROND_RUNTIME_CUDADRIVER_H
#define FROND_RUNTIME_CUDADRIVER_H

#include <cstddef>
#include <string>

namespace frond::runtime::cuda {

// --- driver types (cuda.h) ---------------------------------------------------
using CUresult = int;
using CUdevice = int;
using CUdeviceptr = unsigned long long;
struct CUctx_st;
struct CUmod_st;
struct CUfunc_st;
struct CUstream_st;
struct CUgraph_st;
struct CUgraphExec_st;
struct CUlinkState_st;
struct CUevent_st;
using CUcontext = CUctx_st *;
using CUmodule = CUmod_st *;
using CUfunction = CUfunc_st *;
using CUstream = CUstream_st *;
using CUgraph = CUgraph_st *;
using CUgraphExec = CUgraphExec_st *;
using CUlinkState = CUlinkState_st *;
using CUevent = CUevent_st *;
/// CUjit_option, CUjitInputType, CUdevice_attribute and
/// CUstreamCaptureMode are C enums (int-sized).
using CUjit_option = int;
using CUjitInputType = int;
using CUdevice_attribute = int;
using CUstreamCaptureMode = int;

// --- the constants Frond uses ------------------------------------------------
constexpr CUresult kSuccess = 0;                  // CUDA_SUCCESS
constexpr CUresult kErrorStubLibrary = 34;        // CUDA_ERROR_STUB_LIBRARY
constexpr CUresult kErrorNoDevice = 100;          // CUDA_ERROR_NO_DEVICE
constexpr CUjit_option kJitInfoLogBuffer = 3;          // CU_JIT_INFO_LOG_BUFFER
constexpr CUjit_option kJitInfoLogBufferSize = 4;      // ..._SIZE_BYTES
constexpr CUjit_option kJitErrorLogBuffer = 5;         // CU_JIT_ERROR_LOG_BUFFER
constexpr CUjit_option kJitErrorLogBufferSize = 6;     // ..._SIZE_BYTES
constexpr CUjit_option kJitLogVerbose = 12;            // CU_JIT_LOG_VERBOSE
constexpr CUjitInputType kJitInputPtx = 1;             // CU_JIT_INPUT_PTX
constexpr CUdevice_attribute kAttrMultiprocessorCount = 16;
constexpr CUdevice_attribute kAttrComputeCapabilityMajor = 75;
constexpr CUdevice_attribute kAttrComputeCapabilityMinor = 76;
constexpr unsigned kStreamNonBlocking = 1;             // CU_STREAM_NON_BLOCKING
constexpr unsigned kMemAttachGlobal = 1;               // CU_MEM_ATTACH_GLOBAL
constexpr CUstreamCaptureMode kCaptureModeThreadLocal = 1;
constexpr CUstreamCaptureMode kCaptureModeRelaxed = 2;   // allocations allowed

/// A pointer to a function of type F.
template <class F>
using Fn = F *;

// --- the entry points: X(member, exported symbol, function type) -------------
#define FROND_CUDA_ENTRY_POINTS(X)                                                    \
  X(init, cuInit, CUresult(unsigned))                                              \
  X(driverGetVersion, cuDriverGetVersion, CUresult(int *))                         \
  X(getErrorName, cuGetErrorName, CUresult(CUresult, const char **))               \
  X(getErrorString, cuGetErrorString, CUresult(CUresult, const char **))           \
  X(deviceGetCount, cuDeviceGetCount, CUresult(int *))                             \
  X(deviceGet, cuDeviceGet, CUresult(CUdevice *, int))                             \
  X(deviceGetName, cuDeviceGetName, CUresult(char *, int, CUdevice))               \
  X(deviceGetAttribute, cuDeviceGetAttribute,                                          \
    CUresult(int *, CUdevice_attribute, CUdevice))                                 \
  X(deviceTotalMem, cuDeviceTotalMem_v2, CUresult(size_t *, CUdevice))             \
  X(primaryCtxRetain, cuDevicePrimaryCtxRetain, CUresult(CUcontext *, CUdevice))   \
  X(primaryCtxRelease, cuDevicePrimaryCtxRelease_v2, CUresult(CUdevice))           \
  X(ctxSetCurrent, cuCtxSetCurrent, CUresult(CUcontext))                           \
  X(ctxSynchronize, cuCtxSynchronize, CUresult())                                  \
  X(memGetInfo, cuMemGetInfo_v2, CUresult(size_t *, size_t *))                     \
  X(linkCreate, cuLinkCreate_v2,                                                       \
    CUresult(unsigned, CUjit_option *, void **, CUlinkState *))                    \
  X(linkAddData, cuLinkAddData_v2,                                                     \
    CUresult(CUlinkState, CUjitInputType, void *, size_t, const char *, unsigned,  \
                 CUjit_option *, void **))                                             \
  X(linkComplete, cuLinkComplete, CUresult(CUlinkState, void **, size_t *))        \
  X(linkDestroy, cuLinkDestroy, CUresult(CUlinkState))                             \
  X(moduleLoadDataEx, cuModuleLoadDataEx,                                              \
    CUresult(CUmodule *, const void *, unsigned, CUjit_option *, void **))         \
  X(moduleUnload, cuModuleUnload, CUresult(CUmodule))                              \
  X(moduleGetFunction, cuModuleGetFunction,                                            \
    CUresult(CUfunction *, CUmodule, const char *))                                \
  X(launchKernel, cuLaunchKernel,                                                      \
    CUresult(CUfunction, unsigned, unsigned, unsigned, unsigned, unsigned,         \
                 unsigned, unsigned, CUstream, void **, void **))                      \
  X(memAlloc, cuMemAlloc_v2, CUresult(CUdeviceptr *, size_t))                      \
  X(memAllocManaged, cuMemAllocManaged,                                                \
    CUresult(CUdeviceptr *, size_t, unsigned))                                     \
  X(memFree, cuMemFree_v2, CUresult(CUdeviceptr))                                  \
  X(memcpyHtoD, cuMemcpyHtoD_v2, CUresult(CUdeviceptr, const void *, size_t))      \
  X(memcpyDtoH, cuMemcpyDtoH_v2, CUresult(void *, CUdeviceptr, size_t))            \
  X(memcpyHtoDAsync, cuMemcpyHtoDAsync_v2,                                             \
    CUresult(CUdeviceptr, const void *, size_t, CUstream))                         \
  X(memcpyDtoHAsync, cuMemcpyDtoHAsync_v2,                                             \
    CUresult(void *, CUdeviceptr, size_t, CUstream))                               \
  X(memcpyAsync, cuMemcpyAsync,                                                        \
    CUresult(CUdeviceptr, CUdeviceptr, size_t, CUstream))                          \
  X(memsetD8Async, cuMemsetD8Async,                                                    \
    CUresult(CUdeviceptr, unsigned char, size_t, CUstream))                        \
  X(streamCreate, cuStreamCreate, CUresult(CUstream *, unsigned))                  \
  X(streamDestroy, cuStreamDestroy_v2, CUresult(CUstream))                         \
  X(streamSynchronize, cuStreamSynchronize, CUresult(CUstream))                    \
  X(streamBeginCapture, cuStreamBeginCapture_v2,                                       \
    CUresult(CUstream, CUstreamCaptureMode))                                       \
  X(streamEndCapture, cuStreamEndCapture, CUresult(CUstream, CUgraph *))           \
  X(graphInstantiate, cuGraphInstantiateWithFlags,                                     \
    CUresult(CUgraphExec *, CUgraph, unsigned long long))                          \
  X(graphLaunch, cuGraphLaunch, CUresult(CUgraphExec, CUstream))                   \
  X(graphExecDestroy, cuGraphExecDestroy, CUresult(CUgraphExec))                   \
  X(graphDestroy, cuGraphDestroy, CUresult(CUgraph))                              \
  X(eventCreate, cuEventCreate, CUresult(CUevent *, unsigned))                     \
  X(eventRecord, cuEventRecord, CUresult(CUevent, CUstream))                       \
  X(eventSynchronize, cuEventSynchronize, CUresult(CUevent))                       \
  X(eventElapsedTime, cuEventElapsedTime, CUresult(float *, CUevent, CUevent))     \
  X(eventDestroy, cuEventDestroy_v2, CUresult(CUevent))

/// The driver's entry points, resolved from the loaded library.
struct CudaDriver {
#define FROND_CUDA_MEMBER(member, symbol, type) Fn<type> member = nullptr;
  FROND_CUDA_ENTRY_POINTS(FROND_CUDA_MEMBER)
#undef FROND_CUDA_MEMBER
  /// The file dlopen found (the default or $FROND_LIBCUDA).
  std::string library;
  /// cuDriverGetVersion: 1000 * major + 10 * minor (12040 is CUDA 12.4).
  int version = 0;
};

/// The library Frond opens: $FROND_LIBCUDA when set (tests point it at a
/// stub or a missing file), else "libcuda.so.1".
std::string cudaLibraryName();

/// Opens the driver, resolves every entry point and runs cuInit(0), once per
/// process; nullptr (with `error`) when that fails. The message of a machine
/// without a GPU starts with "no CUDA device: " and ends with the fix.
const CudaDriver *loadCudaDriver(std::string &error);

/// "<call>: <CUDA_ERROR_NAME> (<description>)" for a failed call.
std::string cudaCallError(const CudaDriver &driver, const char *call, CUresult result);

/// "no CUDA device: <why> — run with --device cpu".
std::string noCudaDeviceMessage(const std::string &why);

} // namespace frond::runtime::cuda

#endif // FROND_RUNTIME_CUDADRIVER_H
