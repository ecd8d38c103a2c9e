//===- DataText.cpp - text(...): byte tokens, seeded windows of a split ---===//
#include "DataGen.h"

#include <cmath>
#include <vector>

using namespace frond::runtime;
using namespace frond::runtime::detail;

namespace {

class TextGenerator : public Generator {
public:
  TextGenerator(std::string bytes, std::string name, double split)
      : bytes_(std::move(bytes)), name_(std::move(name)) {
    // The boundary is floor(split * size), clamped so that each split keeps
    // at least one byte.
    int64_t n = int64_t(bytes_.size());
    cut_ = std::min(std::max<int64_t>(int64_t(std::floor(split * double(n))), 1), n - 1);
  }

  int64_t vocab() const override { return 256; }
  int64_t length() const override { return 0; }

  int64_t splitBegin(Split s) const override { return s == Split::Train ? 0 : cut_; }
  int64_t splitEnd(Split s) const override {
    return s == Split::Train ? cut_ : int64_t(bytes_.size());
  }

  std::string check(Split s, int64_t seqLen) const override {
    int64_t have = splitEnd(s) - splitBegin(s);
    if (seqLen <= have)
      return "";
    return "the " + std::string(splitName(s)) + " split of " + name_ + " has " +
           std::to_string(have) + " bytes, fewer than the sequence length " +
           std::to_string(seqLen) +
           "\n  fix: use a longer file, a shorter train.seq_len, or move split";
  }

  void sample(Split s, uint64_t key, int64_t seqLen, int64_t *tokens, int64_t *labels,
              int64_t *) const override {
    Rng rng(key);
    int64_t begin = splitBegin(s), end = splitEnd(s);
    int64_t start = begin + rng.below(end - begin - seqLen + 1);
    for (int64_t t = 0; t < seqLen; ++t)
      tokens[t] = labels[t] = int64_t((unsigned char)bytes_[size_t(start + t)]);
  }

  std::string describe() const override {
    return "text " + name_ + " (" + std::to_string(bytes_.size()) + " bytes: train " +
           std::to_string(cut_) + ", validation " +
           std::to_string(int64_t(bytes_.size()) - cut_) + "), byte tokens, vocab 256";
  }

  bool trainCounts(std::vector<int64_t> &counts) const override {
    counts.assign(256, 0);
    for (int64_t i = 0; i < cut_; ++i)
      ++counts[(unsigned char)bytes_[size_t(i)]];
    return true;
  }

private:
  std::string bytes_, name_;
  int64_t cut_ = 0;
};

} // namespace

std::unique_ptr<Generator> frond::runtime::detail::makeText(const BoundArgs &args,
                                                            std::string bytes,
                                                            const std::string &name,
                                                            std::string &err) {
  std::string tokenizer;
  double split = 0;
  if (!(err = args.getString("tokenizer", tokenizer)).empty() ||
      !(err = args.getFloat("split", split)).empty())
    return nullptr;
  if (tokenizer != "bytes") {
    err = "tokenizer \"" + tokenizer + "\" is not supported\n  fix: write tokenizer = "
          "\"bytes\" (one token per byte, vocab 256)";
    return nullptr;
  }
  if (!(split > 0 && split < 1)) {
    err = "split must be between 0 and 1 (the training fraction), found " +
          args.values.at("split").text + "\n  fix: write split = 0.9";
    return nullptr;
  }
  if (bytes.size() < 2) {
    err = "the file " + name + " has " + std::to_string(bytes.size()) +
          " bytes; a training and a validation split need at least 2\n  fix: point "
          "text(...) at a real corpus, e.g. data/corpus.txt";
    return nullptr;
  }
  return std::make_unique<TextGenerator>(std::move(bytes), name, split);
}
