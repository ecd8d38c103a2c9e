//===- BufferPoolTest.cpp - the reuse books of freed GPU buffers ----------===//
#include "frond/runtime/BufferPool.h"

#include <gtest/gtest.h>

#include <vector>

using namespace frond::runtime;

namespace {

void *fakeBlock(uintptr_t n) { return reinterpret_cast<void *>(n * 4096); }

TEST(BufferPool, SizesRoundUpTo512Bytes) {
  EXPECT_EQ(BufferPool::roundedSize(0), 512u);
  EXPECT_EQ(BufferPool::roundedSize(1), 512u);
  EXPECT_EQ(BufferPool::roundedSize(512), 512u);
  EXPECT_EQ(BufferPool::roundedSize(513), 1024u);
}

TEST(BufferPool, ReusesTheSmallestFittingBlockOfItsKind) {
  BufferPool pool;
  EXPECT_EQ(pool.take(100, false), nullptr); // empty
  pool.adopt(fakeBlock(1), 4096, false);
  pool.adopt(fakeBlock(2), 1024, false);
  pool.adopt(fakeBlock(3), 1024, true);
  for (uintptr_t b : {1, 2, 3})
    EXPECT_TRUE(pool.give(fakeBlock(b)));
  EXPECT_FALSE(pool.give(fakeBlock(9))); // never handed out
  // 600 bytes (1024 rounded): the device block of 1024, not the 4096 one,
  // nor the managed one.
  EXPECT_EQ(pool.take(600, false), fakeBlock(2));
  // 1500 (1536): 4096 is over twice that, so nothing fits.
  EXPECT_EQ(pool.take(1500, false), nullptr);
  // 2500 (2560): the 4096 block fits.
  EXPECT_EQ(pool.take(2500, false), fakeBlock(1));
  EXPECT_EQ(pool.take(1024, true), fakeBlock(3));
  EXPECT_EQ(pool.take(1024, true), nullptr); // in use
}

TEST(BufferPool, CountsPeakUseAndHeldBytes) {
  BufferPool pool;
  pool.adopt(fakeBlock(1), 1000, false); // 1024
  pool.adopt(fakeBlock(2), 2048, true);
  pool.give(fakeBlock(1));
  pool.give(fakeBlock(2));
  EXPECT_EQ(pool.take(1024, false), fakeBlock(1));
  const BufferPoolStats &s = pool.stats();
  EXPECT_EQ(s.inUseBytes, 1024u);
  EXPECT_EQ(s.peakInUseBytes, 3072u);
  EXPECT_EQ(s.heldBytes, 3072u);
  EXPECT_EQ(s.driverAllocations, 2u);
  EXPECT_EQ(s.reuses, 1u);

  std::vector<std::pair<void *, bool>> freed;
  pool.releaseCached([&](void *b, bool managed) { freed.push_back({b, managed}); });
  ASSERT_EQ(freed.size(), 1u); // the block in use stays
  EXPECT_EQ(freed[0].first, fakeBlock(2));
  EXPECT_TRUE(freed[0].second);
  EXPECT_EQ(pool.stats().heldBytes, 1024u);
  EXPECT_EQ(pool.stats().peakHeldBytes, 3072u);
  EXPECT_EQ(describeBufferPool(pool.stats()),
            "peak 0.0 MiB in use, 0.0 MiB held; 2 driver allocations, 1 reuses");
}

TEST(BufferPool, TrimDropsTheLargestCachedBlocksFirst) {
  BufferPool pool;
  pool.adopt(fakeBlock(1), 1024, false);
  pool.adopt(fakeBlock(2), 4096, true);
  pool.adopt(fakeBlock(3), 2048, false);
  pool.adopt(fakeBlock(4), 8192, false); // stays in use
  for (uintptr_t b : {1, 2, 3})
    pool.give(fakeBlock(b));
  std::vector<void *> freed;
  auto free = [&](void *b, bool) { freed.push_back(b); };
  pool.trim(7168, free); // 7168 cached: nothing to drop
  EXPECT_TRUE(freed.empty());
  pool.trim(3072, free); // drops the 4096 (managed) block only
  ASSERT_EQ(freed.size(), 1u);
  EXPECT_EQ(freed[0], fakeBlock(2));
  pool.trim(0, free); // then 2048, then 1024; the block in use stays
  ASSERT_EQ(freed.size(), 3u);
  EXPECT_EQ(freed[1], fakeBlock(3));
  EXPECT_EQ(freed[2], fakeBlock(1));
  EXPECT_EQ(pool.stats().heldBytes, 8192u);
  EXPECT_EQ(pool.take(1024, false), nullptr);
}

} // namespace
