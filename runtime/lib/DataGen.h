//===- DataGen.h - sample generators behind DataSource ---------*- C++ -*-===//
//
// A Generator writes one sample from a 64-bit key; DataSource (Data.cpp)
// derives the keys, assembles batches and pads. Text lives in DataText.cpp,
// the synthetic tasks in DataTasks.cpp. Internal to the runtime.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "DataSetting.h"
#include "frond/runtime/Data.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace frond::runtime::detail {

inline uint64_t splitmix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

/// A small counter-based generator: the same numbers on every platform and
/// standard library (std::uniform_int_distribution is not specified
/// bit-for-bit, so it is not used).
class Rng {
public:
  explicit Rng(uint64_t key) : state_(key) {}
  uint64_t next() { return splitmix64(state_++); }
  /// Uniform in [0, n), n > 0 (Lemire's multiply-high; the bias is below
  /// n / 2^64, far below anything a test could see).
  int64_t below(int64_t n) {
    return int64_t((static_cast<unsigned __int128>(next()) * uint64_t(n)) >> 64);
  }
  /// Uniform in [lo, hi).
  int64_t range(int64_t lo, int64_t hi) { return lo + below(hi - lo); }

private:
  uint64_t state_;
};

class Generator {
public:
  virtual ~Generator() = default;
  virtual int64_t vocab() const = 0;
  /// The task's own sequence length; 0 for text (any length).
  virtual int64_t length() const = 0;
  virtual bool hasSrcLen() const { return false; }
  /// "" when samples of `seqLen` tokens of `split` can be made, else why not.
  virtual std::string check(Split split, int64_t seqLen) const = 0;
  /// Writes one sample: n = (length() ? length() : seqLen) tokens and labels
  /// and, when hasSrcLen(), the source length.
  virtual void sample(Split split, uint64_t key, int64_t seqLen, int64_t *tokens,
                      int64_t *labels, int64_t *srcLen) const = 0;
  virtual std::string describe() const = 0;
  /// Text only: the file and its split.
  virtual int64_t splitBegin(Split) const { return 0; }
  virtual int64_t splitEnd(Split) const { return 0; }
  /// Text: exact counts of the training split; tasks return false (Data.cpp
  /// then counts generated samples).
  virtual bool trainCounts(std::vector<int64_t> &) const { return false; }
};

/// text(...): `bytes` is the file's content, `name` its path as written.
/// Returns null and sets `err` (message and fix) on bad arguments.
std::unique_ptr<Generator> makeText(const BoundArgs &args, std::string bytes,
                                    const std::string &name, std::string &err);

/// task.*(...) for the task `name` (a key of dataSignatures() but "text").
std::unique_ptr<Generator> makeTask(const std::string &name, const BoundArgs &args,
                                    std::string &err);

} // namespace frond::runtime::detail
