//===- CudaRuntimeTest.cpp - the CUDA layer against a stand-in driver -----===//
//
// Runs the device layer (CudaDevice.h, CudaModule.h, CudaStream.h) against
// libfrond-fake-cuda.so (tests/unit/FakeCuda.cpp), which imitates a GPU in
// host memory: what is tested is Frond's side — entry points resolved by
// their exported names, arguments passed, errors named, the kernel cache
// used and refreshed, graphs captured and replayed — not CUDA itself (the
// `cuda` lit feature runs the real thing on a GPU).
//
//===----------------------------------------------------------------------===//
#include "frond/runtime/CudaKernelCache.h"
#include "frond/runtime/CudaModule.h"
#include "frond/runtime/CudaStream.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

using namespace frond::runtime;
using namespace frond::runtime::cuda;

namespace {

const char *kPtx = ".version 8.0\n.target sm_90\n.address_size 64\n"
                   ".visible .entry add_one(.param .u64 p, .param .u32 n) { ret; }\n";

/// Device 0 of the stand-in driver (loaded once per process).
std::unique_ptr<CudaContext> fakeDevice() {
  setenv("FROND_LIBCUDA", FROND_FAKE_CUDA, 1);
  std::string error;
  auto ctx = CudaContext::open(0, error);
  EXPECT_TRUE(ctx) << error;
  return ctx;
}

std::string freshDir(const char *name) {
  std::string dir = std::string(FROND_TEST_TMP) + "/" + name;
  std::filesystem::remove_all(dir);
  return dir;
}

} // namespace

TEST(CudaRuntime, ListsTheDeviceWithNameAndCapability) {
  ASSERT_TRUE(fakeDevice());
  std::vector<CudaDeviceInfo> devices;
  std::string error;
  ASSERT_TRUE(listCudaDevices(devices, error)) << error;
  ASSERT_EQ(devices.size(), 1u);
  EXPECT_EQ(devices[0].describe(),
            "Frond Fake GPU (compute capability 9.0, 132 SMs, 80.0 GiB)");
  EXPECT_EQ(devices[0].smName(), "sm_90");
  std::string library = cudaLibraryName();
  EXPECT_EQ(cudaDriverVersionString(loadCudaDriver(error)->version), "12.4");
}

TEST(CudaRuntime, AMissingDeviceIndexIsNamed) {
  ASSERT_TRUE(fakeDevice());
  std::string error;
  EXPECT_FALSE(CudaContext::open(3, error));
  EXPECT_EQ(error, "CUDA device 3 does not exist: this machine has 1 (0 to 0; see frond devices)");
}

TEST(CudaRuntime, BadPtxReportsTheCallTheErrorAndTheJitLog) {
  auto ctx = fakeDevice();
  ASSERT_TRUE(ctx);
  std::string cubin, log, error;
  EXPECT_FALSE(compilePtx(*ctx, "not ptx", cubin, log, error));
  EXPECT_EQ(error, "cuLinkAddData: CUDA_ERROR_INVALID_PTX (a PTX JIT compilation failed)\n"
                   "JIT error log:\n"
                   "ptxas fatal   : frond.ptx, line 1; error: no .entry in the PTX");
}

TEST(CudaRuntime, KernelCacheCompilesOnceThenLoads) {
  auto ctx = fakeDevice();
  ASSERT_TRUE(ctx);
  std::string dir = freshDir("cuda-cache-once"), error;
  KernelLoadReport first, second;
  ASSERT_TRUE(loadPtxCached(*ctx, kPtx, dir, first, error)) << error;
  EXPECT_FALSE(first.cacheHit);
  EXPECT_TRUE(first.note.empty()) << first.note;
  EXPECT_TRUE(std::filesystem::exists(first.cachePath));
  auto module = loadPtxCached(*ctx, kPtx, dir, second, error);
  ASSERT_TRUE(module) << error;
  EXPECT_TRUE(second.cacheHit);
  EXPECT_EQ(second.cachePath, first.cachePath);
  CUfunction fn;
  EXPECT_TRUE(module->function("add_one", fn, error)) << error;
  EXPECT_FALSE(module->function("add_two", fn, error));
  EXPECT_EQ(error, "cuModuleGetFunction: CUDA_ERROR_NOT_FOUND (fake driver error): "
                   "no kernel 'add_two' in the module");
}

TEST(CudaRuntime, KernelCacheReplacesEntriesThatDoNotLoad) {
  auto ctx = fakeDevice();
  ASSERT_TRUE(ctx);
  std::string dir = freshDir("cuda-cache-bad"), error;
  KernelLoadReport first, again;
  ASSERT_TRUE(loadPtxCached(*ctx, kPtx, dir, first, error)) << error;
  // A well-formed entry whose cubin the driver refuses.
  std::string key = std::filesystem::path(first.cachePath).stem().string();
  ASSERT_TRUE(writeCachedKernel(dir, key, "garbage", error)) << error;
  ASSERT_TRUE(loadPtxCached(*ctx, kPtx, dir, again, error)) << error;
  EXPECT_FALSE(again.cacheHit);
  EXPECT_NE(again.note.find("could not be loaded (cuModuleLoadDataEx: CUDA_ERROR_INVALID_IMAGE"),
            std::string::npos)
      << again.note;
  std::string why;
  EXPECT_EQ(readCachedKernel(dir, key, why).value_or("").rfind("FAKECUBIN", 0), 0u);
}

TEST(CudaRuntime, StreamLaunchesCopiesAndReplaysAGraph) {
  auto ctx = fakeDevice();
  ASSERT_TRUE(ctx);
  std::string error;
  auto module = CudaModule::load(*ctx, kPtx, error);
  ASSERT_TRUE(module) << error;
  CUfunction addOne;
  ASSERT_TRUE(module->function("add_one", addOne, error)) << error;
  auto stream = CudaStream::create(*ctx, error);
  ASSERT_TRUE(stream) << error;
  // Two buffers in one arena; the second reuses nothing (both live).
  MemoryPlan plan;
  ASSERT_TRUE(planMemory({{4 * sizeof(float), 0, 1}, {4 * sizeof(float), 0, 1}}, 256, plan,
                         error));
  auto arena = DeviceArena::create(*ctx, plan, error);
  ASSERT_TRUE(arena) << error;
  EXPECT_EQ(arena->buffer(1) - arena->buffer(0), 256u);

  float host[4] = {1, 2, 3, 4};
  CUdeviceptr p = arena->buffer(0);
  int n = 4;
  void *args[] = {&p, &n};
  ASSERT_TRUE(stream->copyToDevice(p, host, sizeof host, error)) << error;
  ASSERT_TRUE(stream->launch(addOne, {1, 1, 1}, {32, 1, 1}, 0, args, error)) << error;
  // Captured launches do not run until the graph is launched.
  ASSERT_TRUE(stream->beginCapture(error)) << error;
  ASSERT_TRUE(stream->launch(addOne, {1, 1, 1}, {32, 1, 1}, 0, args, error)) << error;
  ASSERT_TRUE(stream->launch(addOne, {1, 1, 1}, {32, 1, 1}, 0, args, error)) << error;
  auto graph = stream->endCapture(error);
  ASSERT_TRUE(graph) << error;
  ASSERT_TRUE(stream->copyToHost(host, p, sizeof host, error)) << error;
  ASSERT_TRUE(stream->synchronize(error)) << error;
  EXPECT_EQ(host[0], 2.0f); // one launch ran
  for (int replay = 0; replay < 3; ++replay)
    ASSERT_TRUE(graph->launch(*stream, error)) << error;
  ASSERT_TRUE(stream->copyToHost(host, p, sizeof host, error)) << error;
  ASSERT_TRUE(stream->synchronize(error)) << error;
  EXPECT_EQ(host[0], 8.0f); // + 3 replays x 2 launches
  EXPECT_EQ(host[3], 11.0f);
  ASSERT_TRUE(stream->zero(p, sizeof host, error)) << error;
  ASSERT_TRUE(stream->copyToHost(host, p, sizeof host, error)) << error;
  EXPECT_EQ(host[2], 0.0f);
  // Ending a capture that never began names the call.
  EXPECT_FALSE(stream->endCapture(error));
  EXPECT_EQ(error, "cuStreamEndCapture: CUDA_ERROR_INVALID_VALUE (fake driver error)");
}
