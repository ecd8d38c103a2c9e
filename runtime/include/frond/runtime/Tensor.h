//===- Tensor.h - a minimal host tensor for the runtime ---------*- C++ -*-===//
//
// A shape plus a contiguous, row-major buffer of f32, f64 or i64 elements:
// what the JIT (frond/JIT/Jit.h) takes as inputs and parameters and hands
// back as outputs, and what the parameter initializer (Init.h) produces.
// Booleans and index values travel as i64. f64 is for double-precision
// runs (gradient checks, `frond eval --dtype f64`); training is f32.
//
//===----------------------------------------------------------------------===//
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace frond::runtime {

enum class DType { F32, F64, I64 };

inline const char *dtypeName(DType t) {
  return t == DType::F32 ? "f32" : t == DType::F64 ? "f64" : "i64";
}
/// Bytes per element.
inline size_t elementSize(DType t) { return t == DType::F32 ? 4 : 8; }

struct Tensor {
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  std::vector<float> f32;   ///< The elements when dtype is F32
  std::vector<double> f64;  ///< The elements when dtype is F64
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
    size_t n = size_t(count(r.shape));
    if (t == DType::F32)
      r.f32.assign(n, 0.0f);
    else if (t == DType::F64)
      r.f64.assign(n, 0.0);
    else
      r.i64.assign(n, 0);
    return r;
  }
  int64_t numel() const { return count(shape); }
  int64_t rank() const { return int64_t(shape.size()); }
  bool isFloat() const { return dtype != DType::I64; }
  /// How many elements the buffer of `dtype` holds (numel() when well formed).
  size_t stored() const {
    return dtype == DType::F32 ? f32.size() : dtype == DType::F64 ? f64.size() : i64.size();
  }
  void *data() {
    switch (dtype) {
    case DType::F32:
      return f32.data();
    case DType::F64:
      return f64.data();
    case DType::I64:
      break;
    }
    return i64.data();
  }
  const void *data() const { return const_cast<Tensor *>(this)->data(); }
  /// Element `i` as a double, whatever the dtype.
  double at(int64_t i) const {
    switch (dtype) {
    case DType::F32:
      return double(f32[size_t(i)]);
    case DType::F64:
      return f64[size_t(i)];
    case DType::I64:
      break;
    }
    return double(i64[size_t(i)]);
  }
  /// Sets element `i` of a float tensor (rounded to f32 for F32).
  void set(int64_t i, double v) {
    if (dtype == DType::F32)
      f32[size_t(i)] = float(v);
    else if (dtype == DType::F64)
      f64[size_t(i)] = v;
    else
      i64[size_t(i)] = int64_t(v);
  }
  /// A copy with float elements converted to `to` (F32 or F64); integer
  /// tensors and tensors already of that dtype are copied unchanged.
  Tensor withFloatType(DType to) const {
    if (!isFloat() || dtype == to || to == DType::I64)
      return *this;
    Tensor r = zeros(to, shape);
    for (int64_t i = 0; i < numel(); ++i)
      r.set(i, at(i));
    return r;
  }
  std::string shapeStr() const {
    std::string s = "[";
    for (size_t i = 0; i < shape.size(); ++i)
      s += (i ? ", " : "") + std::to_string(shape[i]);
    return s + "]";
  }
};

} // namespace frond::runtime
