//===- OptimizerMuon.cpp - Muon: Newton-Schulz orthogonalised momentum ---===//
//
// Palm's Muon (seeds-math.md 2, src/optimizer.py L32-72). Newton-Schulz runs
// in f32 by default; `faithful` rounds every
// intermediate to bf16 (round to nearest even) like the public code's bf16
// tensors (f32 accumulation inside each matmul, as on the GPU).
//
//===----------------------------------------------------------------------===//
#include "frond/runtime/Optimizer.h"

#include <algorithm>
#include <cmath>
#include <cstring>

using namespace frond::runtime;

namespace {

float bf16(float x) {
  uint32_t u;
  std::memcpy(&u, &x, 4);
  if ((u & 0x7f800000u) == 0x7f800000u) // inf / nan: keep
    return x;
  u += 0x7fffu + ((u >> 16) & 1u);
  u &= 0xffff0000u;
  float r;
  std::memcpy(&r, &u, 4);
  return r;
}

void roundAll(std::vector<float> &x, bool on) {
  if (on)
    for (float &e : x)
      e = bf16(e);
}

/// C (n x m) = A (n x k) * B (k x m), row-major; B is given as (m x k)
/// when `bT`. f32 accumulation in i-l-j order, which vectorises.
std::vector<float> matmul(const std::vector<float> &a, const std::vector<float> &b, int64_t n,
                          int64_t k, int64_t m, bool bT, bool bf) {
  std::vector<float> bt;
  if (bT) {
    bt.resize(size_t(k * m));
    for (int64_t j = 0; j < m; ++j)
      for (int64_t l = 0; l < k; ++l)
        bt[size_t(l * m + j)] = b[size_t(j * k + l)];
  }
  const float *B = bT ? bt.data() : b.data();
  std::vector<float> c(size_t(n * m), 0.0f);
  for (int64_t i = 0; i < n; ++i) {
    float *ci = c.data() + i * m;
    const float *ai = a.data() + i * k;
    for (int64_t l = 0; l < k; ++l) {
      const float al = ai[l];
      const float *bl = B + l * m;
      for (int64_t j = 0; j < m; ++j)
        ci[j] += al * bl[j];
    }
    if (bf)
      for (int64_t j = 0; j < m; ++j)
        ci[j] = bf16(ci[j]);
  }
  return c;
}

} // namespace

double frond::runtime::muonMomentum(const Hyper &h, int64_t step) {
  if (h.momentumWarmup <= 0)
    return h.momentum;
  double frac = std::min(double(std::max<int64_t>(step, 0)) / double(h.momentumWarmup), 1.0);
  return (1.0 - frac) * h.momentumStart + frac * h.momentum;
}

std::vector<float> frond::runtime::newtonSchulz5(const std::vector<float> &g, int64_t rows,
                                                 int64_t cols, int64_t steps, bool bf) {
  const double a = 3.4445, b = -4.7750, c = 2.0315;
  bool transpose = rows > cols;
  int64_t r = transpose ? cols : rows, k = transpose ? rows : cols; // X is r x k, r <= k
  std::vector<float> x(size_t(r * k));
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < cols; ++j) {
      float v = bf ? bf16(g[size_t(i * cols + j)]) : g[size_t(i * cols + j)];
      if (transpose)
        x[size_t(j * k + i)] = v;
      else
        x[size_t(i * k + j)] = v;
    }
  double sq = 0;
  for (float v : x)
    sq += double(v) * double(v);
  float norm = float(std::sqrt(sq));
  if (bf)
    norm = bf16(norm);
  float denom = norm + 1e-7f;
  if (bf)
    denom = bf16(denom);
  for (float &v : x)
    v = v / denom;
  roundAll(x, bf);
  const float fa = float(a), fb = float(b), fc = float(c);
  for (int64_t s = 0; s < steps; ++s) {
    std::vector<float> A = matmul(x, x, r, k, r, /*bT=*/true, bf);   // X X^T
    std::vector<float> AA = matmul(A, A, r, r, r, false, bf);          // A A
    std::vector<float> B(A.size());
    for (size_t i = 0; i < A.size(); ++i) {
      if (bf) {
        B[i] = bf16(bf16(fb * A[i]) + bf16(fc * AA[i]));
      } else {
        B[i] = fb * A[i] + fc * AA[i];
      }
    }
    std::vector<float> BX = matmul(B, x, r, r, k, false, bf);
    for (size_t i = 0; i < x.size(); ++i)
      x[i] = bf ? bf16(bf16(fa * x[i]) + BX[i]) : fa * x[i] + BX[i];
  }
  if (!transpose)
    return x;
  std::vector<float> out(size_t(rows * cols));
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < cols; ++j)
      out[size_t(i * cols + j)] = x[size_t(j * k + i)];
  return out;
}

void frond::runtime::muonUpdate(float *p, const float *g, float *buf, int64_t rows, int64_t cols,
                                const Hyper &h, double lr, int64_t step, float gradScale,
                                double clipValue) {
  const int64_t n = rows * cols;
  const float beta = float(muonMomentum(h, step));
  const float cv = float(clipValue);
  std::vector<float> u(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    float gi = g[i];
    if (gradScale != 1.0f)
      gi *= gradScale;
    if (cv > 0)
      gi = std::clamp(gi, -cv, cv);
    buf[i] = buf[i] + (1.0f - beta) * (gi - buf[i]);          // lerp(m, g, 1 - b)
    u[size_t(i)] = h.nesterov ? gi + beta * (buf[i] - gi) : buf[i]; // lerp(g, m, b)
  }
  std::vector<float> o = newtonSchulz5(u, rows, cols, h.nsSteps, h.faithful);
  const float scale = float(std::sqrt(std::max(1.0, double(rows) / double(cols))));
  const float decay = float(1.0 - lr * h.weightDecay);
  const float negLr = float(-lr);
  for (int64_t i = 0; i < n; ++i) {
    if (h.weightDecay != 0)
      p[i] = p[i] * decay;
    p[i] = p[i] + negLr * (o[size_t(i)] * scale);
  }
}
