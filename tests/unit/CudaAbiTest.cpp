//===- CudaAbiTest.cpp - Frond's driver declarations against cuda.h -------===//
//
// CudaDriver.h declares the driver's types, constants and entry points
// itself (Frond builds and runs without the CUDA toolkit). Where the
// toolkit is installed, this file checks them against cuda.h at compile
// time: every constant has cuda.h's value, and every entry point has the
// same number of parameters with the same sizes and pointer-ness as the
// function cuda.h declares under the exported name.
//
//===----------------------------------------------------------------------===//
#include <cuda.h>

#include "frond/runtime/CudaDriver.h"

#include <gtest/gtest.h>

#include <tuple>
#include <type_traits>

namespace fc = frond::runtime::cuda;

namespace {

/// Same arity, and each parameter (and the result) the same size and
/// pointer-ness: enough to catch a wrong or missing parameter.
template <class F, class G>
struct SameShape;
template <class R1, class... A1, class R2, class... A2>
struct SameShape<R1 (*)(A1...), R2 (*)(A2...)> {
  template <size_t... I>
  static constexpr bool params(std::index_sequence<I...>) {
    return ((sizeof(std::tuple_element_t<I, std::tuple<A1...>>) ==
                 sizeof(std::tuple_element_t<I, std::tuple<A2...>>) &&
             std::is_pointer_v<std::tuple_element_t<I, std::tuple<A1...>>> ==
                 std::is_pointer_v<std::tuple_element_t<I, std::tuple<A2...>>>) &&
            ... && true);
  }
  static constexpr bool value = []() {
    if constexpr (sizeof...(A1) != sizeof...(A2))
      return false;
    else
      return sizeof(R1) == sizeof(R2) && params(std::index_sequence_for<A1...>{});
  }();
};

#define FROND_CHECK_ENTRY(member, symbol, type)                                        \
  static_assert(SameShape<fc::Fn<type>, decltype(&::symbol)>::value,                           \
                #symbol ": CudaDriver.h's signature differs from cuda.h's");
FROND_CUDA_ENTRY_POINTS(FROND_CHECK_ENTRY)
#undef FROND_CHECK_ENTRY

static_assert(fc::kSuccess == CUDA_SUCCESS);
static_assert(fc::kErrorStubLibrary == CUDA_ERROR_STUB_LIBRARY);
static_assert(fc::kErrorNoDevice == CUDA_ERROR_NO_DEVICE);
static_assert(fc::kMemAttachGlobal == CU_MEM_ATTACH_GLOBAL);
static_assert(fc::kJitInfoLogBuffer == CU_JIT_INFO_LOG_BUFFER);
static_assert(fc::kJitInfoLogBufferSize == CU_JIT_INFO_LOG_BUFFER_SIZE_BYTES);
static_assert(fc::kJitErrorLogBuffer == CU_JIT_ERROR_LOG_BUFFER);
static_assert(fc::kJitErrorLogBufferSize == CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES);
static_assert(fc::kJitLogVerbose == CU_JIT_LOG_VERBOSE);
static_assert(fc::kJitInputPtx == CU_JIT_INPUT_PTX);
static_assert(fc::kAttrMultiprocessorCount == CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT);
static_assert(fc::kAttrComputeCapabilityMajor == CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR);
static_assert(fc::kAttrComputeCapabilityMinor == CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR);
static_assert(fc::kStreamNonBlocking == CU_STREAM_NON_BLOCKING);
static_assert(fc::kCaptureModeThreadLocal == CU_STREAM_CAPTURE_MODE_THREAD_LOCAL);
static_assert(sizeof(fc::CUdeviceptr) == sizeof(::CUdeviceptr));
static_assert(sizeof(fc::CUresult) == sizeof(::CUresult));
static_assert(sizeof(fc::CUjit_option) == sizeof(::CUjit_option));

} // namespace

// The checks above are compile-time; this records that they ran.
TEST(CudaAbi, DeclarationsMatchCudaH) { SUCCEED() << "checked against CUDA " << CUDA_VERSION; }
