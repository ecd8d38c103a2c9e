//===- DataTasks.cpp - synthetic tasks generated from a key ---------------===//
//
// The token layouts are documented in frond/runtime/Data.h. Every sample is
// written at the task's own length; Data.cpp pads it to the batch's.
//
//===----------------------------------------------------------------------===//
#include "DataGen.h"

#include <cmath>
#include <numeric>
#include <vector>

using namespace frond::runtime;
using namespace frond::runtime::detail;

namespace {

/// The first `k` entries of `v` become a uniform random k-subset of it, in
/// random order (a partial Fisher-Yates shuffle).
void pick(Rng &rng, std::vector<int64_t> &v, int64_t k) {
  for (int64_t i = 0; i < k; ++i)
    std::swap(v[size_t(i)], v[size_t(rng.range(i, int64_t(v.size())))]);
}

std::vector<int64_t> iota(int64_t lo, int64_t hi) {
  std::vector<int64_t> v(size_t(hi - lo));
  std::iota(v.begin(), v.end(), lo);
  return v;
}

class TaskGenerator : public Generator {
public:
  TaskGenerator(std::string summary, int64_t vocab, int64_t length)
      : summary_(std::move(summary)), vocab_(vocab), length_(length) {}
  int64_t vocab() const override { return vocab_; }
  int64_t length() const override { return length_; }
  std::string check(Split, int64_t seqLen) const override {
    if (seqLen == 0 || seqLen >= length_)
      return "";
    return "the task's samples have " + std::to_string(length_) +
           " tokens, more than the sequence length " + std::to_string(seqLen) +
           "\n  fix: set train.seq_len = " + std::to_string(length_) +
           " (or more: samples are padded with token 0), or shorten the task";
  }
  std::string describe() const override {
    return summary_ + ", " + std::to_string(length_) + " tokens, vocab " +
           std::to_string(vocab_);
  }

protected:
  std::string summary_;
  int64_t vocab_, length_;
};

class RecallTask : public TaskGenerator {
public:
  RecallTask(int64_t pairs, int64_t queries, int64_t vocab, int64_t length)
      : TaskGenerator("associative recall: " + std::to_string(pairs) + " pairs, " +
                          std::to_string(queries) + " queries",
                      vocab, length),
        pairs_(pairs), queries_(queries) {}

  void sample(Split, uint64_t key, int64_t, int64_t *tok, int64_t *lab,
              int64_t *) const override {
    Rng rng(key);
    std::fill(tok, tok + length_, 0);
    std::fill(lab, lab + length_, kIgnoreLabel);
    std::vector<int64_t> keys = iota(1, vocab_ / 2), values = iota(vocab_ / 2, vocab_);
    pick(rng, keys, pairs_);
    pick(rng, values, pairs_);
    for (int64_t i = 0; i < pairs_; ++i) {
      tok[2 * i] = keys[size_t(i)];
      tok[2 * i + 1] = values[size_t(i)];
    }
    // Queries: distinct pairs, each at a distinct even slot of the region
    // after the pairs.
    std::vector<int64_t> which = iota(0, pairs_), slots = iota(0, (length_ - 2 * pairs_) / 2);
    pick(rng, which, queries_);
    pick(rng, slots, queries_);
    for (int64_t q = 0; q < queries_; ++q) {
      int64_t at = 2 * pairs_ + 2 * slots[size_t(q)], pair = which[size_t(q)];
      tok[at] = keys[size_t(pair)];
      tok[at + 1] = lab[at + 1] = values[size_t(pair)];
    }
  }

private:
  int64_t pairs_, queries_;
};

class CopyTask : public TaskGenerator {
public:
  CopyTask(int64_t src, int64_t tgt, int64_t vocab)
      : TaskGenerator("copy from source: " + std::to_string(src) + " source then " +
                          std::to_string(tgt) + " target tokens",
                      vocab, src + tgt),
        src_(src) {}
  bool hasSrcLen() const override { return true; }

  void sample(Split, uint64_t key, int64_t, int64_t *tok, int64_t *lab,
              int64_t *srcLen) const override {
    Rng rng(key);
    for (int64_t t = 0; t < src_; ++t) {
      tok[t] = rng.range(1, vocab_);
      lab[t] = kIgnoreLabel;
    }
    for (int64_t t = src_; t < length_; ++t)
      tok[t] = lab[t] = tok[(t - src_) % src_];
    *srcLen = src_;
  }

private:
  int64_t src_;
};

class NeedleTask : public TaskGenerator {
public:
  NeedleTask(int64_t length, double depth, int64_t vocab)
      : TaskGenerator("needle in a haystack at depth " + fmt(depth), vocab, length),
        at_(int64_t(std::lround(depth * double(length - 6)))) {}

  void sample(Split, uint64_t key, int64_t, int64_t *tok, int64_t *lab,
              int64_t *) const override {
    Rng rng(key);
    int64_t k = rng.range(2, vocab_), v = rng.range(2, vocab_);
    for (int64_t t = 0; t < length_; ++t) {
      tok[t] = rng.range(2, vocab_);
      lab[t] = kIgnoreLabel;
    }
    for (int64_t at : {at_, length_ - 3}) {
      tok[at] = 1;
      tok[at + 1] = k;
      tok[at + 2] = v;
    }
    lab[length_ - 1] = v;
  }

private:
  static std::string fmt(double d) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", d);
    return buf;
  }
  int64_t at_;
};

class IclTask : public TaskGenerator {
public:
  IclTask(int64_t demos, int64_t classes, int64_t vocab, int64_t length)
      : TaskGenerator("in-context labels: " + std::to_string(demos) + " demos, " +
                          std::to_string(classes) + " classes",
                      vocab, length),
        demos_(demos), classes_(classes) {}

  void sample(Split, uint64_t key, int64_t, int64_t *tok, int64_t *lab,
              int64_t *) const override {
    Rng rng(key);
    std::fill(tok, tok + length_, 0);
    std::fill(lab, lab + length_, kIgnoreLabel);
    int64_t first = 2 + classes_; // the first feature id
    std::vector<int64_t> rule(size_t(vocab_ - first));
    for (int64_t &c : rule)
      c = 2 + rng.below(classes_);
    for (int64_t i = 0; i <= demos_; ++i) {
      // The query (i == demos_) repeats the feature of a random demo.
      int64_t x = i < demos_ ? rng.range(first, vocab_) : tok[3 * rng.below(demos_)];
      tok[3 * i] = x;
      tok[3 * i + 1] = 1;
      tok[3 * i + 2] = rule[size_t(x - first)];
    }
    lab[3 * demos_ + 2] = tok[3 * demos_ + 2];
  }

private:
  int64_t demos_, classes_;
};

/// Reads the integers `names` of `args` into `out`, in order.
std::string ints(const BoundArgs &args, std::initializer_list<const char *> names,
                 std::vector<int64_t> &out) {
  for (const char *n : names) {
    int64_t v = 0;
    if (std::string e = args.getInt(n, v); !e.empty())
      return e;
    out.push_back(v);
  }
  return "";
}

std::string need(bool ok, const std::string &what, const std::string &fix) {
  return ok ? "" : what + "\n  fix: " + fix;
}

} // namespace

std::unique_ptr<Generator> frond::runtime::detail::makeTask(const std::string &name,
                                                            const BoundArgs &args,
                                                            std::string &err) {
  std::vector<int64_t> v;
  auto fail = [&](std::string e) { return err = std::move(e), nullptr; };
  auto str = [](int64_t x) { return std::to_string(x); };
  // Generators allocate O(vocab + length) per sample: refuse absurd sizes
  // before they become an allocation failure.
  constexpr int64_t kMax = int64_t(1) << 24;
  for (auto &[arg, value] : args.values)
    if (value.kind == SettingValue::Int && value.i > kMax)
      return fail(arg + " = " + value.text + " is too large for a synthetic task (at most " +
                  str(kMax) + ")\n  fix: use a smaller " + arg);
  if (name == "task.associative_recall") {
    if (!(err = ints(args, {"pairs", "queries", "vocab", "length"}, v)).empty())
      return nullptr;
    int64_t P = v[0], Q = v[1], V = v[2], L = v[3];
    std::string e;
    if (e.empty())
      e = need(P >= 1 && Q >= 1, "pairs and queries must be at least 1, found pairs = " +
                                     str(P) + ", queries = " + str(Q),
               "write pairs = 8, queries = 4");
    if (e.empty())
      e = need(Q <= P, "queries = " + str(Q) + " exceeds pairs = " + str(P) +
                           " (each query asks a different key)",
               "write queries = " + str(P) + " or fewer");
    if (e.empty())
      e = need(V >= 4 && P <= V / 2 - 1,
               "vocab = " + str(V) + " has " + str(std::max<int64_t>(V / 2 - 1, 0)) +
                   " key ids ([1, vocab/2)), fewer than pairs = " + str(P),
               "write vocab = " + str(2 * P + 2) + " or more, or fewer pairs");
    if (e.empty())
      e = need(2 * P + 2 * Q <= L,
               "length = " + str(L) + " cannot hold " + str(P) + " pairs and " + str(Q) +
                   " queries (2 * pairs + 2 * queries = " + str(2 * P + 2 * Q) + " tokens)",
               "write length = " + str(2 * P + 2 * Q) + " or more");
    if (!e.empty())
      return fail(e);
    return std::make_unique<RecallTask>(P, Q, V, L);
  }
  if (name == "task.copy_from_source") {
    if (!(err = ints(args, {"src_len", "tgt_len", "vocab"}, v)).empty())
      return nullptr;
    int64_t S = v[0], T = v[1], V = v[2];
    if (S < 1 || T < 1)
      return fail(need(false, "src_len and tgt_len must be at least 1, found src_len = " +
                                  str(S) + ", tgt_len = " + str(T),
                       "write src_len = 32, tgt_len = 32"));
    if (V < 2)
      return fail(need(false, "vocab must be at least 2 (0 is the pad), found " + str(V),
                       "write vocab = 64"));
    return std::make_unique<CopyTask>(S, T, V);
  }
  if (name == "task.needle") {
    int64_t L = 0, V = 0;
    double depth = 0;
    if (!(err = args.getInt("length", L)).empty() ||
        !(err = args.getFloat("depth", depth)).empty() ||
        !(err = args.getInt("vocab", V)).empty())
      return nullptr;
    if (L < 6)
      return fail(need(false, "length must be at least 6 (the needle and the query take 3 "
                              "tokens each), found " + str(L),
                       "write length = 256"));
    if (!(depth >= 0 && depth <= 1))
      return fail(need(false, "depth must be in [0, 1], found " +
                                  args.values.at("depth").text,
                       "write depth = 0.5 (0 puts the needle at the start, 1 just "
                       "before the query)"));
    if (V < 3)
      return fail(need(false, "vocab must be at least 3 (0 pad, 1 marker, then the "
                              "needle's ids), found " + str(V),
                       "write vocab = 64"));
    return std::make_unique<NeedleTask>(L, depth, V);
  }
  if (name == "task.icl_labels") {
    if (!(err = ints(args, {"demos", "classes", "vocab", "length"}, v)).empty())
      return nullptr;
    int64_t N = v[0], C = v[1], V = v[2], L = v[3];
    if (N < 1)
      return fail(need(false, "demos must be at least 1, found " + str(N), "write demos = 8"));
    if (C < 2)
      return fail(need(false, "classes must be at least 2, found " + str(C),
                       "write classes = 2"));
    if (V < C + 3)
      return fail(need(false, "vocab = " + str(V) + " leaves no feature ids after the pad, "
                              "the separator and " + str(C) + " classes",
                       "write vocab = " + str(C + 3) + " or more (64 is usual)"));
    if (3 * N + 3 > L)
      return fail(need(false, "length = " + str(L) + " cannot hold " + str(N) +
                                  " demos and the query (3 * demos + 3 = " + str(3 * N + 3) +
                                  " tokens)",
                       "write length = " + str(3 * N + 3) + " or more, or demos = " +
                           str(std::max<int64_t>((L - 3) / 3, 0))));
    return std::make_unique<IclTask>(N, C, V, L);
  }
  return fail("'" + name + "' is not a synthetic task");
}
