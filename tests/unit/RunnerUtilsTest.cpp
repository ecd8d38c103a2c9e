//===- RunnerUtilsTest.cpp - Frond's own memrefCopy -----------------------===//
//
// frondMemrefCopy (compiler/lib/JIT/RunnerUtils.cpp) replaces MLIR's C
// runner utilities in JIT'ed code. Checked here against index arithmetic
// on strided layouts: a transposed source, an offset into a larger buffer,
// rank 0 and an empty memref.
//
//===----------------------------------------------------------------------===//
#include "RunnerUtils.h"

#include "mlir/ExecutionEngine/CRunnerUtils.h"

#include <gtest/gtest.h>

#include <vector>

namespace {

/// A rank-2 descriptor over `data` (row stride s0, column stride s1).
StridedMemRefType<float, 2> view2(float *data, int64_t offset, int64_t n0, int64_t n1, int64_t s0,
                                  int64_t s1) {
  StridedMemRefType<float, 2> m;
  m.basePtr = m.data = data;
  m.offset = offset;
  m.sizes[0] = n0;
  m.sizes[1] = n1;
  m.strides[0] = s0;
  m.strides[1] = s1;
  return m;
}

void copy(int64_t rank, void *src, void *dst) {
  UnrankedMemRefType<char> s{rank, src}, d{rank, dst};
  frondMemrefCopy(sizeof(float), &s, &d);
}

} // namespace

TEST(RunnerUtils, CopiesATransposedViewIntoAnOffsetWindow) {
  // src: a 3x4 row-major matrix read as its 4x3 transpose.
  std::vector<float> a(12), out(40, -1);
  for (int i = 0; i < 12; ++i)
    a[i] = float(i);
  auto src = view2(a.data(), 0, 4, 3, 1, 4);
  // dst: rows of 3 in a buffer with row pitch 8, starting at element 5.
  auto dst = view2(out.data(), 5, 4, 3, 8, 1);
  copy(2, &src, &dst);
  for (int r = 0; r < 4; ++r)
    for (int c = 0; c < 3; ++c)
      EXPECT_EQ(out[5 + r * 8 + c], a[c * 4 + r]) << r << "," << c;
  // Nothing outside the window was written.
  int untouched = 0;
  for (float v : out)
    untouched += v == -1;
  EXPECT_EQ(untouched, 40 - 12);
}

TEST(RunnerUtils, CopiesRankZeroAndSkipsEmpty) {
  float x = 3.5f, y = 0;
  StridedMemRefType<float, 0> sx{&x, &x, 0}, sy{&y, &y, 0};
  copy(0, &sx, &sy);
  EXPECT_EQ(y, 3.5f);
  std::vector<float> a(4, 1), b(4, 0);
  auto src = view2(a.data(), 0, 0, 4, 4, 1), dst = view2(b.data(), 0, 0, 4, 4, 1);
  copy(2, &src, &dst);
  EXPECT_EQ(b, std::vector<float>(4, 0));
}
