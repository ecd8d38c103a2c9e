//===- MemoryPlanTest.cpp - the device memory planner (MemoryPlan.h) ------===//
//
// Hand cases with a known optimum, then random lifetimes checked for the
// planner's invariants: buffers live at the same time never share a byte,
// offsets are aligned, and the peak lies between the live bound (no plan
// needs less) and the memory without reuse.
//
//===----------------------------------------------------------------------===//
#include "frond/runtime/MemoryPlan.h"

#include <gtest/gtest.h>

#include <random>

using namespace frond::runtime;

namespace {

MemoryPlan plan(const std::vector<BufferLifetime> &buffers, uint64_t alignment = 1) {
  MemoryPlan p;
  std::string error;
  EXPECT_TRUE(planMemory(buffers, alignment, p, error)) << error;
  return p;
}

bool liveTogether(const BufferLifetime &a, const BufferLifetime &b) {
  return a.firstUse <= b.lastUse && b.firstUse <= a.lastUse;
}

/// Every pair of buffers live at the same time occupies disjoint bytes.
void expectNoSharedBytes(const std::vector<BufferLifetime> &b, const MemoryPlan &p,
                         uint64_t alignment) {
  ASSERT_EQ(p.offsets.size(), b.size());
  auto rounded = [&](uint64_t n) { return (n + alignment - 1) / alignment * alignment; };
  for (size_t i = 0; i < b.size(); ++i) {
    EXPECT_EQ(p.offsets[i] % alignment, 0u) << "buffer " << i;
    EXPECT_LE(p.offsets[i] + rounded(b[i].bytes), p.peakBytes) << "buffer " << i;
    for (size_t j = i + 1; j < b.size(); ++j) {
      if (!liveTogether(b[i], b[j]) || b[i].bytes == 0 || b[j].bytes == 0)
        continue;
      bool disjoint = p.offsets[i] + rounded(b[i].bytes) <= p.offsets[j] ||
                      p.offsets[j] + rounded(b[j].bytes) <= p.offsets[i];
      EXPECT_TRUE(disjoint) << "buffers " << i << " and " << j << " are live together "
                            << "and overlap at offsets " << p.offsets[i] << " and "
                            << p.offsets[j];
    }
  }
}

} // namespace

TEST(MemoryPlan, OverlappingLifetimesNeverShareBytes) {
  // Three buffers all live at operation 2.
  std::vector<BufferLifetime> b = {{100, 0, 2}, {50, 1, 3}, {70, 2, 4}};
  MemoryPlan p = plan(b);
  expectNoSharedBytes(b, p, 1);
  EXPECT_EQ(p.peakBytes, 220u); // all live at once: nothing to reuse
  EXPECT_EQ(p.liveBoundBytes, 220u);
}

TEST(MemoryPlan, DisjointLifetimesReuseTheSameBytes) {
  // A chain: each buffer dies before the next is born.
  std::vector<BufferLifetime> b = {{64, 0, 0}, {64, 1, 1}, {32, 2, 2}, {64, 3, 5}};
  MemoryPlan p = plan(b);
  EXPECT_EQ(p.offsets, (std::vector<uint64_t>{0, 0, 0, 0}));
  EXPECT_EQ(p.peakBytes, 64u);
  EXPECT_EQ(p.unsharedBytes, 224u);
}

TEST(MemoryPlan, MatchesTheOptimumOnHandCases) {
  struct Case {
    const char *name;
    std::vector<BufferLifetime> buffers;
    uint64_t optimum;
  };
  std::vector<Case> cases = {
      // A and C never meet; B meets both: A and C share, B beside them.
      {"bridge", {{100, 0, 1}, {50, 1, 2}, {100, 2, 3}}, 150},
      // An MLP step: x -> h (4x) -> y, then the residual sum.
      {"mlp", {{256, 0, 1}, {1024, 1, 2}, {256, 2, 3}, {256, 3, 4}}, 1280},
      // Small buffers fit into the gap a dead large one left.
      {"gap", {{100, 0, 4}, {300, 0, 1}, {100, 0, 4}, {120, 2, 4}, {150, 2, 4}}, 500},
      // Equal sizes, staggered lifetimes of length 2: two slots suffice.
      {"stagger", {{8, 0, 1}, {8, 1, 2}, {8, 2, 3}, {8, 3, 4}, {8, 4, 5}}, 16},
      // Empty buffers take no space.
      {"empty", {{0, 0, 9}, {40, 0, 1}, {0, 1, 1}, {40, 2, 3}}, 40},
  };
  for (const Case &c : cases) {
    MemoryPlan p = plan(c.buffers);
    expectNoSharedBytes(c.buffers, p, 1);
    EXPECT_EQ(p.peakBytes, c.optimum) << c.name;
    // On these cases the live bound is the optimum: it is reachable.
    EXPECT_EQ(p.liveBoundBytes, c.optimum) << c.name;
  }
}

TEST(MemoryPlan, RoundsSizesToTheAlignment) {
  std::vector<BufferLifetime> b = {{1, 0, 1}, {300, 0, 1}, {256, 2, 2}};
  MemoryPlan p = plan(b, 256);
  expectNoSharedBytes(b, p, 256);
  EXPECT_EQ(p.peakBytes, 768u); // 256 + 512 live together; the third reuses
  EXPECT_EQ(p.unsharedBytes, 1024u);
}

TEST(MemoryPlan, RandomLifetimesKeepTheInvariants) {
  std::mt19937_64 rng(7);
  for (int trial = 0; trial < 200; ++trial) {
    std::vector<BufferLifetime> b(1 + rng() % 40);
    for (auto &x : b) {
      x.bytes = rng() % 5000;
      x.firstUse = int64_t(rng() % 30);
      x.lastUse = x.firstUse + int64_t(rng() % 8);
    }
    MemoryPlan p = plan(b, 64);
    expectNoSharedBytes(b, p, 64);
    EXPECT_GE(p.peakBytes, p.liveBoundBytes) << "trial " << trial;
    EXPECT_LE(p.peakBytes, p.unsharedBytes) << "trial " << trial;
  }
}

TEST(MemoryPlan, BadInputIsAnErrorNamingTheBuffer) {
  MemoryPlan p;
  std::string error;
  EXPECT_FALSE(planMemory({{8, 0, 1}, {8, 5, 2}}, 1, p, error));
  EXPECT_EQ(error, "memory plan: buffer 1 is last used at operation 2, before its first use at 5");
  EXPECT_FALSE(planMemory({{8, 0, 1}}, 48, p, error));
  EXPECT_EQ(error, "memory plan: alignment 48 is not a power of two");
}

TEST(MemoryPlan, DescribesPeakBoundAndUnshared) {
  MemoryPlan p = plan({{1 << 20, 0, 0}, {1 << 20, 1, 1}, {512, 1, 1}});
  EXPECT_EQ(describeMemoryPlan(p), "peak 1.0 MiB (live bound 1.0 MiB, 2.0 MiB without reuse)");
}
