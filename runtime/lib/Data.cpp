//===- Data.cpp - DataSource: settings, seeds, batches --------------------===//
#include "frond/runtime/Data.h"

#include "DataGen.h"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <system_error>
#include <vector>

using namespace frond::runtime;
using namespace frond::runtime::detail;

namespace {

/// The key of sample `index` of `split`: distinct (seed, split, index)
/// give unrelated keys, and the two splits never share a stream.
uint64_t sampleKey(uint64_t seed, Split split, int64_t index) {
  uint64_t k = splitmix64(seed ^ 0x66726f6e64646174ull); // "fronddat"
  k = splitmix64(k ^ (split == Split::Train ? 0x747261696eull : 0x76616c6964ull));
  return splitmix64(k + uint64_t(index));
}

/// Reads the whole file, or says why not.
std::string readFile(const std::string &path, std::string &out) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec))
    return "the data file '" + path + "' does not exist";
  if (!std::filesystem::is_regular_file(path, ec))
    return "the data file '" + path + "' is not a regular file";
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return "cannot open the data file '" + path + "'";
  out.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  if (in.bad())
    return "cannot read the data file '" + path + "'";
  return "";
}

} // namespace

const char *frond::runtime::splitName(Split s) {
  return s == Split::Train ? "train" : "validation";
}

DataSource::DataSource() = default;
DataSource::~DataSource() = default;

std::unique_ptr<DataSource> DataSource::create(const std::string &setting,
                                               const std::string &specDir,
                                               std::string &error) {
  error.clear();
  if (setting.find_first_not_of(" \t\n") == std::string::npos) {
    error = "the experiment has no data setting\n  fix: add data = text(\"data/corpus.txt\") "
            "or a task, e.g. data = task.copy_from_source(src_len = 5, tgt_len = 5, vocab = "
            "97)";
    return nullptr;
  }
  auto fail = [&](const std::string &why) {
    error = "data = " + setting + ": " + why;
    return nullptr;
  };
  SettingCall call;
  if (std::string e = parseCall(setting, call); !e.empty())
    return fail(e + "\n  fix: write a call such as text(\"data/corpus.txt\") or "
                    "task.needle(length = 256)");
  BoundArgs args;
  if (std::string e = bindArgs(call, args); !e.empty())
    return fail(e);

  std::unique_ptr<DataSource> ds(new DataSource());
  ds->setting_ = setting;
  std::string e;
  if (call.name == "text") {
    std::string path;
    if (!(e = args.getString("path", path)).empty())
      return fail(e);
    std::filesystem::path full(path);
    if (full.is_relative() && !specDir.empty())
      full = std::filesystem::path(specDir) / full;
    ds->path_ = full.lexically_normal().string();
    std::string bytes;
    if (!(e = readFile(ds->path_, bytes)).empty())
      return fail(e + "\n  fix: check the path; text(...) paths are relative to the "
                      "spec's folder (" + (specDir.empty() ? "." : specDir) + ")");
    ds->gen_ = makeText(args, std::move(bytes), path, e);
    ds->kind_ = Kind::Text;
  } else {
    ds->gen_ = makeTask(call.name, args, e);
    ds->kind_ = call.name == "task.associative_recall" ? Kind::AssociativeRecall
                : call.name == "task.copy_from_source" ? Kind::CopyFromSource
                : call.name == "task.needle"           ? Kind::Needle
                                                       : Kind::IclLabels;
  }
  if (!ds->gen_)
    return fail(e);
  return ds;
}

int64_t DataSource::vocab() const { return gen_->vocab(); }
int64_t DataSource::sequenceLength() const { return gen_->length(); }
std::string DataSource::describe() const { return gen_->describe(); }
int64_t DataSource::splitBegin(Split s) const { return gen_->splitBegin(s); }
int64_t DataSource::splitEnd(Split s) const { return gen_->splitEnd(s); }

std::string DataSource::checkVocab(int64_t modelVocab) const {
  if (vocab() <= modelVocab)
    return "";
  std::string why = "data = " + setting_ + ": the data's token ids go up to " +
                    std::to_string(vocab() - 1) + " but the model's vocabulary has " +
                    std::to_string(modelVocab) + " entries\n  fix: ";
  if (kind_ == Kind::Text)
    return why + "give the model vocab = 256 (one token per byte)";
  return why + "write vocab = " + std::to_string(modelVocab) +
         " in the task, or give the model vocab = " + std::to_string(vocab());
}

std::string DataSource::check(Split split, int64_t batch, int64_t seqLen) const {
  std::string why;
  if (batch < 1)
    why = "the batch size must be at least 1, found " + std::to_string(batch);
  else if (seqLen < 0 || (seqLen == 0 && kind_ == Kind::Text))
    why = "the sequence length must be " + std::string(kind_ == Kind::Text ? "at least 1" : "0 (the task's own) or positive") +
          ", found " + std::to_string(seqLen);
  else if (std::max(seqLen, sequenceLength()) > (int64_t(1) << 31) / batch)
    why = "a batch of " + std::to_string(batch) + " x " + std::to_string(seqLen) +
          " tokens is too large";
  else
    why = gen_->check(split, seqLen);
  return why.empty() ? "" : "data = " + setting_ + ": " + why;
}

Batch DataSource::batchAt(Split split, int64_t step, int64_t batch, int64_t seqLen,
                          uint64_t seed) const {
  Batch out;
  out.error = check(split, batch, seqLen);
  if (out.error.empty() && step < 0)
    out.error = "data = " + setting_ + ": the step must be >= 0, found " + std::to_string(step);
  if (!out.ok())
    return out;
  int64_t n = sequenceLength() ? sequenceLength() : seqLen; // tokens a sample has
  int64_t T = seqLen ? seqLen : n;                          // tokens a row has
  Tensor tokens = Tensor::zeros(DType::I64, {batch, T});
  out.labels = Tensor::zeros(DType::I64, {batch, T});
  Tensor srcLen = Tensor::zeros(DType::I64, {batch});
  for (int64_t b = 0; b < batch; ++b) {
    int64_t *tok = tokens.i64.data() + b * T, *lab = out.labels.i64.data() + b * T;
    gen_->sample(split, sampleKey(seed, split, step * batch + b), n, tok, lab,
                 srcLen.i64.data() + b);
    std::fill(lab + n, lab + T, kIgnoreLabel); // the pad (tokens are already 0)
  }
  out.inputs["tokens"] = std::move(tokens);
  if (gen_->hasSrcLen())
    out.inputs["src_len"] = std::move(srcLen);
  out.inputs["labels"] = out.labels; // for a model that declares `input labels[b, t]`
  return out;
}

Batch DataSource::next(Split split, int64_t batch, int64_t seqLen) {
  int64_t &c = cursor_[split == Split::Train ? 0 : 1];
  Batch b = batchAt(split, c, batch, seqLen, seed_);
  if (b.ok())
    ++c;
  return b;
}

UnigramEntropy DataSource::unigramEntropy() const {
  std::vector<int64_t> counts;
  if (!gen_->trainCounts(counts)) {
    // A task: count 256 training samples at its own length.
    counts.assign(size_t(vocab()), 0);
    Batch b = batchAt(Split::Train, 0, 256, 0, seed_);
    for (int64_t t : b.inputs["tokens"].i64)
      ++counts[size_t(t)];
  }
  UnigramEntropy h;
  for (int64_t c : counts)
    h.tokens += c;
  for (int64_t c : counts)
    if (c > 0) {
      double p = double(c) / double(h.tokens);
      h.nats -= p * std::log(p);
    }
  h.bits = h.nats / std::log(2.0);
  return h;
}
