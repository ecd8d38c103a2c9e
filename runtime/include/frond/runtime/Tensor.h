//===- Tensor.h - a minimal host tensor for the runtime ---------*- C++ -*-===//
//
// A shape plus a contiguous, row-major buffer of f32 or i64 elements: what
// the JIT (frond/JIT/Jit.h) takes as inputs and parameters and hands back as
// outputs, and what the parameter initializer (Init.h) produces. Booleans
// and index values travel as i64.
//
//===----------------------------------------------------------------------===//
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace frond::runtime {

enum class DType { F32, I64 };

inline const char *dtypeName(DType t) { return t == DType::F32 ? "f32" : "i64"; }

struct Tensor {
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  std::vector<float> f32;   ///< The elements when dtype is F32
  std::vector<int64_t> i64; ///< The elements when dtype is I64

  static int64_t count(const std::vector<int64_t> &shape) {
    int64_t n = 1;
    for (int64_t s : shape)
      n *= s;
    return n;
  }
  static Tensor zeros(DType t, std::vector<int64_t> shape) {
    Tensor r;
    r.dtype = t;
    r.shape = std::move(shape);
    if (t == DType::F32)
      r.f32.assign(size_t(count(r.shape)), 0.0f);
    else
      r.i64.assign(size_t(count(r.shape)), 0);
    return r;
  }
  int64_t numel() const { return count(shape); }
  int64_t rank() const { return int64_t(shape.size()); }
  void *data() {
    return dtype == DType::F32 ? static_cast<void *>(f32.data())
                               : static_cast<void *>(i64.data());
  }
  const void *data() const { return const_cast<Tensor *>(this)->data(); }
  /// Element `i` as a double, whatever the dtype.
  double at(int64_t i) const {
    return dtype == DType::F32 ? double(f32[size_t(i)]) : double(i64[size_t(i)]);
  }
  std::string shapeStr() const {
    std::string s = "[";
    for (size_t i = 0; i < shape.size(); ++i)
      s += (i ? ", " : "") + std::to_string(shape[i]);
    return s + "]";
  }
};

} // namespace frond::runtime
