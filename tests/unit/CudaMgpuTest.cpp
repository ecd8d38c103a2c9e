//===- CudaMgpuTest.cpp - the mgpu* ABI against a stand-in driver ---------===//
//
// What generated host code does (CudaMgpu.h), call by call, against
// libfrond-fake-cuda.so: the module load goes through the kernel cache, the
// launch reaches cuLaunchKernel with the grid and block the code asked for
// and the parameters it packed, managed memory is what host_shared buffers
// get, and a failing launch is latched (naming the kernel) instead of
// aborting, with later work skipped until the error is taken.
//
//===----------------------------------------------------------------------===//
#include "frond/runtime/CudaMgpu.h"

#include <gtest/gtest.h>

#include <dlfcn.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>

using namespace frond::runtime::cuda;
using frond::runtime::BufferPoolStats;

namespace {

const char *kPtx = ".version 8.0\n.target sm_90\n.address_size 64\n"
                   ".visible .entry add_one(.param .u64 p, .param .u32 n) { ret; }\n"
                   ".visible .entry other(.param .u64 p) { ret; }\n";

/// The stand-in driver's call log since the last call (FakeCuda.cpp).
std::string takeDriverLog() {
  void *lib = dlopen(FROND_FAKE_CUDA, RTLD_NOW | RTLD_NOLOAD);
  if (!lib)
    return "(the fake driver is not loaded)";
  auto log = reinterpret_cast<const char *(*)()>(dlsym(lib, "frondFakeCudaLog"));
  auto clear = reinterpret_cast<void (*)()>(dlsym(lib, "frondFakeCudaClearLog"));
  std::string text = log ? log() : "(no frondFakeCudaLog)";
  if (clear)
    clear();
  dlclose(lib);
  return text;
}

class MgpuTest : public ::testing::Test {
protected:
  void SetUp() override {
    setenv("FROND_LIBCUDA", FROND_FAKE_CUDA, 1);
    std::string error;
    ASSERT_TRUE(openMgpuDevice(error)) << error;
    std::string dir = std::string(FROND_TEST_TMP) + "/mgpu-cache";
    std::filesystem::remove_all(dir);
    setMgpuKernelCacheDir(dir);
    releaseMgpuCachedBuffers(); // an earlier test's buffers
    takeMgpuError();
    takeDriverLog();
  }
};

TEST_F(MgpuTest, EverySymbolHasItsMgpuName) {
  auto symbols = mgpuSymbols();
  ASSERT_EQ(symbols.size(), 11u);
  for (auto &[name, address] : symbols) {
    EXPECT_EQ(std::strncmp(name, "mgpu", 4), 0) << name;
    EXPECT_NE(address, nullptr) << name;
  }
}

TEST_F(MgpuTest, LaunchReachesTheDriverWithItsArguments) {
  void *module = frondMgpuModuleLoadJIT(const_cast<char *>(kPtx), 3);
  ASSERT_NE(module, nullptr) << takeMgpuError();
  void *fn = frondMgpuModuleGetFunction(module, "add_one");
  ASSERT_NE(fn, nullptr) << takeMgpuError();

  // A host_shared buffer of 4 floats, written by the host, read back after
  // the kernel (the fake's add_one adds 1 to p[0..n)).
  auto *p = static_cast<float *>(frondMgpuMemAlloc(4 * sizeof(float), nullptr, true));
  ASSERT_NE(p, nullptr);
  for (int i = 0; i < 4; ++i)
    p[i] = float(i);
  void *stream = frondMgpuStreamCreate();
  int n = 3;
  void *params[] = {&p, &n};
  frondMgpuLaunchKernel(fn, 2, 1, 1, 64, 1, 1, 128, stream, params, nullptr, 2);
  frondMgpuStreamSynchronize(stream);
  frondMgpuStreamDestroy(stream);
  EXPECT_EQ(takeMgpuError(), "");
  EXPECT_EQ(p[0], 1.0f);
  EXPECT_EQ(p[2], 3.0f);
  EXPECT_EQ(p[3], 3.0f); // n = 3: the fourth is untouched
  frondMgpuMemFree(p, nullptr); // kept for reuse: no cuMemFree
  frondMgpuModuleUnload(module);

  // Sizes are rounded up to 512 bytes (BufferPool.h).
  EXPECT_EQ(takeDriverLog(), "cuModuleLoadDataEx cubin\n"
                             "cuModuleGetFunction add_one\n"
                             "cuMemAllocManaged 512 flags 1\n"
                             "cuLaunchKernel add_one grid 2x1x1 block 64x1x1 shared 128\n"
                             "cuModuleUnload\n");
  // The PTX was compiled once and cached: the second load reads the cubin.
  void *again = frondMgpuModuleLoadJIT(const_cast<char *>(kPtx), 3);
  ASSERT_NE(again, nullptr) << takeMgpuError();
  frondMgpuModuleUnload(again);
  EXPECT_TRUE(std::filesystem::exists(std::string(FROND_TEST_TMP) + "/mgpu-cache"));
}

// --profile-kernels: each launch between two events on its stream, summed
// by kernel name. The fake driver's kernels take 1 ms each on its clock.
TEST_F(MgpuTest, ProfilingTimesEveryLaunchByKernel) {
  void *module = frondMgpuModuleLoadJIT(const_cast<char *>(kPtx), 3);
  ASSERT_NE(module, nullptr) << takeMgpuError();
  void *fn = frondMgpuModuleGetFunction(module, "add_one");
  ASSERT_NE(fn, nullptr) << takeMgpuError();
  auto *p = static_cast<float *>(frondMgpuMemAlloc(sizeof(float), nullptr, true));
  *p = 0;
  int n = 1;
  void *params[] = {&p, &n};
  void *stream = frondMgpuStreamCreate();
  auto launch = [&] { frondMgpuLaunchKernel(fn, 1, 1, 1, 32, 1, 1, 0, stream, params, nullptr, 2); };

  launch(); // before profiling: not timed
  setMgpuKernelProfiling(true);
  for (int i = 0; i < 3; ++i)
    launch();
  std::vector<frond::runtime::KernelTime> profile = takeMgpuKernelProfile();
  ASSERT_EQ(profile.size(), 1u);
  EXPECT_EQ(profile[0].name, "add_one");
  EXPECT_EQ(profile[0].launches, 3u);
  EXPECT_FLOAT_EQ(profile[0].totalMs, 3.0f);
  EXPECT_FLOAT_EQ(profile[0].maxMs, 1.0f);
  EXPECT_TRUE(takeMgpuKernelProfile().empty()); // taken: starts over

  launch();
  setMgpuKernelProfiling(false);
  launch();
  profile = takeMgpuKernelProfile();
  ASSERT_EQ(profile.size(), 1u);
  EXPECT_EQ(profile[0].launches, 1u);
  EXPECT_EQ(*p, 6.0f); // every launch ran
  EXPECT_EQ(takeMgpuError(), "");
  frondMgpuMemFree(p, nullptr);
  frondMgpuModuleUnload(module);
  std::string table = frond::runtime::describeKernelProfile(profile);
  EXPECT_NE(table.find("GPU kernels: 1 launches, 1.000 ms on the GPU"), std::string::npos)
      << table;
  EXPECT_NE(table.find("  100.0%         1      1000.0  add_one"), std::string::npos) << table;
}

TEST_F(MgpuTest, DeviceMemoryAndCopies) {
  void *a = frondMgpuMemAlloc(8, nullptr, false);
  void *b = frondMgpuMemAlloc(0, nullptr, true); // zero bytes: still a buffer
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  frondMgpuMemcpy(b, a, 8, nullptr);
  frondMgpuMemFree(a, nullptr);
  frondMgpuMemFree(b, nullptr);
  EXPECT_EQ(takeMgpuError(), "");
  EXPECT_EQ(takeDriverLog(), "cuMemAllocManaged 512 flags 1\n"
                             "cuMemcpyAsync 8\n");
  releaseMgpuCachedBuffers();
  EXPECT_EQ(takeDriverLog(), "cuMemFree\n"
                             "cuMemFree\n");
}

TEST_F(MgpuTest, FreedBuffersAreReusedByKindAndSize) {
  BufferPoolStats before = mgpuMemoryStats();
  void *device = frondMgpuMemAlloc(1000, nullptr, false);
  void *managed = frondMgpuMemAlloc(1000, nullptr, true);
  frondMgpuMemFree(device, nullptr);
  frondMgpuMemFree(managed, nullptr);
  // A second step's allocations: same sizes, same buffers, no driver call;
  // a buffer in use is not handed out again.
  EXPECT_EQ(frondMgpuMemAlloc(900, nullptr, false), device);
  EXPECT_EQ(frondMgpuMemAlloc(1024, nullptr, true), managed);
  void *small = frondMgpuMemAlloc(100, nullptr, true);
  EXPECT_NE(small, managed);
  EXPECT_EQ(takeDriverLog(), "cuMemAllocManaged 1024 flags 1\n"
                             "cuMemAllocManaged 512 flags 1\n");
  BufferPoolStats after = mgpuMemoryStats();
  EXPECT_EQ(after.driverAllocations - before.driverAllocations, 3u);
  EXPECT_EQ(after.reuses - before.reuses, 2u);
  EXPECT_GE(after.peakInUseBytes, 2 * 1024u + 512u);
  for (void *p : {device, managed, small})
    frondMgpuMemFree(p, nullptr);
  EXPECT_EQ(takeMgpuError(), "");
}

TEST_F(MgpuTest, EveryLaunchSharesOneKeptStream) {
  // Generated code creates, synchronizes and destroys a stream around each
  // launch: the same stream comes back every time, never destroyed.
  void *first = frondMgpuStreamCreate();
  ASSERT_NE(first, nullptr);
  frondMgpuStreamSynchronize(first);
  frondMgpuStreamDestroy(first);
  EXPECT_EQ(frondMgpuStreamCreate(), first);
  frondMgpuStreamSynchronize(first); // still a live stream
  EXPECT_EQ(takeMgpuError(), "");
}

TEST_F(MgpuTest, AFailedLaunchIsLatchedWithTheKernelsName) {
  void *module = frondMgpuModuleLoadJIT(const_cast<char *>(kPtx), 3);
  void *fn = frondMgpuModuleGetFunction(module, "other");
  ASSERT_NE(fn, nullptr) << takeMgpuError();
  float x = 0;
  float *p = &x;
  void *params[] = {&p};
  takeDriverLog();
  // The fake runs only add_one: anything else is CUDA_ERROR_INVALID_VALUE.
  frondMgpuLaunchKernel(fn, 1, 1, 1, 1, 1, 1, 0, nullptr, params, nullptr, 1);
  // Later work is skipped; allocations still return usable host memory.
  frondMgpuLaunchKernel(fn, 1, 1, 1, 1, 1, 1, 0, nullptr, params, nullptr, 1);
  auto *q = static_cast<float *>(frondMgpuMemAlloc(4, nullptr, true));
  ASSERT_NE(q, nullptr);
  *q = 1.0f;
  frondMgpuMemFree(q, nullptr);
  EXPECT_EQ(takeDriverLog(), "cuLaunchKernel other grid 1x1x1 block 1x1x1 shared 0\n");
  std::string error = takeMgpuError();
  EXPECT_NE(error.find("cuLaunchKernel: CUDA_ERROR_INVALID_VALUE"), std::string::npos) << error;
  EXPECT_NE(error.find("(kernel other)"), std::string::npos) << error;
  EXPECT_EQ(takeMgpuError(), ""); // taken: cleared
  frondMgpuModuleUnload(module);
}

TEST_F(MgpuTest, AMissingKernelIsAnError) {
  void *module = frondMgpuModuleLoadJIT(const_cast<char *>(kPtx), 3);
  EXPECT_EQ(frondMgpuModuleGetFunction(module, "absent"), nullptr);
  EXPECT_NE(takeMgpuError().find("CUDA_ERROR_NOT_FOUND"), std::string::npos);
  frondMgpuModuleUnload(module);
}

} // namespace

// A call recorded as a CUDA graph (beginMgpuCapture .. endMgpuCapture):
// its launches are queued into the graph, not run; a buffer it frees stays
// reserved for the graph (not handed to the next allocation) until the
// graph is destroyed; its waits are skipped. Each replay runs the launches
// again on the same buffers.
TEST_F(MgpuTest, CapturedCallReplaysOnTheSameBuffers) {
  void *module = frondMgpuModuleLoadJIT(const_cast<char *>(kPtx), 3);
  ASSERT_NE(module, nullptr) << takeMgpuError();
  void *fn = frondMgpuModuleGetFunction(module, "add_one");
  ASSERT_NE(fn, nullptr) << takeMgpuError();
  uint64_t driverAllocations = mgpuMemoryStats().driverAllocations;
  auto *p = static_cast<float *>(frondMgpuMemAlloc(2 * sizeof(float), nullptr, true));
  p[0] = p[1] = 0;
  int n = 2;
  void *params[] = {&p, &n};

  std::string error;
  ASSERT_TRUE(beginMgpuCapture(error)) << error;
  EXPECT_FALSE(beginMgpuCapture(error));
  void *stream = frondMgpuStreamCreate();
  frondMgpuLaunchKernel(fn, 1, 1, 1, 32, 1, 1, 0, stream, params, nullptr, 2);
  void *scratch = frondMgpuMemAlloc(4096, stream, false);
  frondMgpuLaunchKernel(fn, 1, 1, 1, 32, 1, 1, 0, stream, params, nullptr, 2);
  frondMgpuMemFree(scratch, stream);
  frondMgpuStreamSynchronize(stream); // skipped: it would end the recording
  frondMgpuStreamDestroy(stream);
  std::unique_ptr<MgpuGraph> graph = endMgpuCapture(error);
  ASSERT_TRUE(graph) << error;
  EXPECT_EQ(p[0], 0.0f) << "recorded launches must not run";

  ASSERT_TRUE(graph->replay(error)) << error;
  EXPECT_EQ(p[0], 2.0f);
  ASSERT_TRUE(graph->replay(error)) << error;
  EXPECT_EQ(p[1], 4.0f);
  // Held for the graph: a new buffer of the scratch's size is another one.
  void *other = frondMgpuMemAlloc(4096, nullptr, false);
  EXPECT_NE(other, scratch);
  frondMgpuMemFree(other, nullptr);
  graph.reset();
  // Back in the pool once the graph is gone: two buffers of that size now
  // come from it, the scratch one of them.
  void *a = frondMgpuMemAlloc(4096, nullptr, false), *b = frondMgpuMemAlloc(4096, nullptr, false);
  EXPECT_TRUE(a == scratch || b == scratch);
  EXPECT_EQ(mgpuMemoryStats().driverAllocations - driverAllocations, 3u)
      << "p, scratch and other from the driver; a and b reused";
  frondMgpuMemFree(a, nullptr);
  frondMgpuMemFree(b, nullptr);
  frondMgpuMemFree(p, nullptr);
  frondMgpuModuleUnload(module);
  EXPECT_EQ(takeMgpuError(), "");
  EXPECT_FALSE(endMgpuCapture(error));
  EXPECT_EQ(error, "no CUDA graph is being recorded");
}
