//===- CudaKernelCacheTest.cpp - the GPU kernel cache without a GPU -------===//
//
// The key separates what changes a cubin (code, device, capability, driver,
// options) and nothing else; entries round-trip, are written atomically
// (no temporary file left behind, a rewrite replaces the whole file) and a
// damaged entry is refused with the reason, never returned.
//
//===----------------------------------------------------------------------===//
#include "frond/runtime/CudaKernelCache.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>

using namespace frond::runtime::cuda;
namespace fs = std::filesystem;

namespace {

KernelTarget h100() { return {"NVIDIA H100 80GB HBM3", 9, 0, 12040, "O4"}; }

std::string freshDir(const char *name) {
  std::string dir = std::string(FROND_TEST_TMP) + "/" + name;
  fs::remove_all(dir);
  return dir;
}

std::string slurp(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void spit(const std::string &path, const std::string &bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

} // namespace

TEST(CudaKernelCache, KeyDependsOnCodeDeviceCapabilityDriverAndOptions) {
  std::string base = kernelCacheKey("ptx", h100());
  EXPECT_EQ(base.size(), 32u);
  EXPECT_EQ(base.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_EQ(kernelCacheKey("ptx", h100()), base); // deterministic
  KernelTarget t = h100();
  EXPECT_NE(kernelCacheKey("ptx ", t), base);
  t.deviceName = "NVIDIA A100-SXM4-80GB";
  EXPECT_NE(kernelCacheKey("ptx", t), base);
  t = h100();
  t.ccMinor = 1;
  EXPECT_NE(kernelCacheKey("ptx", t), base);
  t = h100();
  t.driverVersion = 12050;
  EXPECT_NE(kernelCacheKey("ptx", t), base);
  t = h100();
  t.jitOptions = "O3";
  EXPECT_NE(kernelCacheKey("ptx", t), base);
  // Parts are separated: moving text between them changes the key.
  t = h100();
  t.deviceName = "ptx" + t.deviceName;
  EXPECT_NE(kernelCacheKey("", t), base);
}

TEST(CudaKernelCache, DirectoryFollowsTheEnvironment) {
  setenv("FROND_CACHE_DIR", "/tmp/fc", 1);
  EXPECT_EQ(defaultKernelCacheDir(), "/tmp/fc/cuda");
  unsetenv("FROND_CACHE_DIR");
  setenv("XDG_CACHE_HOME", "/tmp/xdg", 1);
  EXPECT_EQ(defaultKernelCacheDir(), "/tmp/xdg/frond/cuda");
  unsetenv("XDG_CACHE_HOME");
  setenv("HOME", "/home/someone", 1);
  EXPECT_EQ(defaultKernelCacheDir(), "/home/someone/.cache/frond/cuda");
}

TEST(CudaKernelCache, EntriesRoundTripAndAreReplacedWhole) {
  std::string dir = freshDir("kernel-cache-roundtrip") + "/nested/cuda", why;
  std::string key = kernelCacheKey("ptx", h100());
  EXPECT_FALSE(readCachedKernel(dir, key, why)); // absent: no reason
  EXPECT_TRUE(why.empty());
  std::string cubin("\x7f" "ELF\0\1binary", 12);
  ASSERT_TRUE(writeCachedKernel(dir, key, cubin, why)) << why;
  EXPECT_EQ(readCachedKernel(dir, key, why).value_or(""), cubin);
  ASSERT_TRUE(writeCachedKernel(dir, key, "short", why)) << why;
  EXPECT_EQ(readCachedKernel(dir, key, why).value_or(""), "short");
  // Only the entry is left: the temporary file was renamed over it.
  std::vector<std::string> files;
  for (auto &e : fs::directory_iterator(dir))
    files.push_back(e.path().filename().string());
  EXPECT_EQ(files, std::vector<std::string>{key + ".cubin"});
}

TEST(CudaKernelCache, DamagedEntriesAreRefusedWithTheReason) {
  std::string dir = freshDir("kernel-cache-damaged"), why;
  std::string key = kernelCacheKey("ptx", h100());
  ASSERT_TRUE(writeCachedKernel(dir, key, std::string(1000, 'c'), why)) << why;
  std::string path = kernelCachePath(dir, key);
  std::string good = slurp(path);

  spit(path, good.substr(0, 500));
  EXPECT_FALSE(readCachedKernel(dir, key, why));
  EXPECT_EQ(why, path + ": truncated (500 bytes, header says 1032)");

  std::string flipped = good;
  flipped[700] ^= 0x20;
  spit(path, flipped);
  EXPECT_FALSE(readCachedKernel(dir, key, why));
  EXPECT_EQ(why, path + ": checksum mismatch");

  spit(path, "FRONDJIT" + good.substr(8));
  EXPECT_FALSE(readCachedKernel(dir, key, why));
  EXPECT_EQ(why, path + ": not a frond cache entry (it does not start with FRONDCUB)");
}

TEST(CudaKernelCache, UnwritableDirectoryIsAReasonNotACrash) {
  std::string base = freshDir("kernel-cache-unwritable"), why;
  fs::create_directories(base);
  spit(base + "/file", "x");
  EXPECT_FALSE(writeCachedKernel(base + "/file/cuda", "k", "cubin", why));
  EXPECT_NE(why.find("cannot create " + base + "/file/cuda"), std::string::npos) << why;
}
