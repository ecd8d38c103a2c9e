//===- KernelProfileTest.cpp - GPU time per kernel, summed and tabled -----===//
#include "frond/runtime/KernelProfile.h"

#include <gtest/gtest.h>

using frond::runtime::describeKernelProfile;
using frond::runtime::KernelProfile;

TEST(KernelProfile, SumsByKernelLargestTotalFirst) {
  KernelProfile p;
  p.add("small", 0.5);
  p.add("big", 2.0);
  p.add("small", 1.0);
  p.add("big", 3.0);
  p.add("middle", 4.0);
  auto kernels = p.byTotal();
  ASSERT_EQ(kernels.size(), 3u);
  EXPECT_EQ(kernels[0].name, "big");
  EXPECT_EQ(kernels[0].launches, 2u);
  EXPECT_DOUBLE_EQ(kernels[0].totalMs, 5.0);
  EXPECT_DOUBLE_EQ(kernels[0].maxMs, 3.0);
  EXPECT_EQ(kernels[1].name, "middle");
  EXPECT_EQ(kernels[2].name, "small");
  EXPECT_DOUBLE_EQ(kernels[2].totalMs, 1.5);

  // The top 2 rows, then the rest in one: 10.5 ms in all.
  std::string table = describeKernelProfile(kernels, 2);
  EXPECT_EQ(table, "GPU kernels: 5 launches, 10.500 ms on the GPU\n"
                   "    total ms   share  launches     mean us  kernel\n"
                   "       5.000   47.6%         2      2500.0  big\n"
                   "       4.000   38.1%         1      4000.0  middle\n"
                   "       1.500   14.3%         2       750.0  (1 other kernels)\n");
  p.clear();
  EXPECT_TRUE(p.byTotal().empty());
  EXPECT_EQ(describeKernelProfile({}), "GPU kernels: 0 launches, 0.000 ms on the GPU\n"
                                       "    total ms   share  launches     mean us  kernel\n");
}
