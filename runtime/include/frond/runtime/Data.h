//===- Data.h - training data: text files and synthetic tasks ---*- C++ -*-===//
//
// What the training loop (and `frond eval`) feeds a model. A DataSource is
// made from an experiment's `data` setting, as elaboration prints it
// (ExperimentInstance::settings, key "data"):
//
//   text(path = "data/corpus.txt", split = 0.9, tokenizer = "bytes")
//   task.associative_recall(pairs = 8, queries = 4, vocab = 64, length = 64)
//   task.copy_from_source(src_len = 32, tgt_len = 32, vocab = 64)
//   task.needle(length = 256, depth = 0.5, vocab = 64)
//   task.icl_labels(demos = 32, classes = 2, vocab = 64, length = 128)
//
// Arguments may come in any order, by name or by position; missing ones take
// the builtin defaults (lang/lib/Builtins.cpp). Nothing here throws; every
// problem is a message of the form
//   data = task.needle(depth = 1.5): depth must be in [0, 1], found 1.5
//     fix: ...
//
// Batches. batchAt(split, step, batch, seqLen, seed) is a pure function:
// sample b of a step is sample index i = step * batch + b, generated from a
// key derived from (seed, split, i) alone, so a resumed run sees exactly the
// batches an uninterrupted one would. The two splits use different keys
// (disjoint seed streams). A Batch holds
//   inputs["tokens"]   i64 [batch, seqLen]  token ids in [0, vocab())
//   inputs["src_len"]  i64 [batch]          task.copy_from_source only
//   inputs["labels"]   i64 [batch, seqLen]  = labels, for a model whose loss
//                      scores only the task's answers (input labels[b, t])
//   labels             i64 [batch, seqLen]  the token at every position whose
//                      prediction is scored, kIgnoreLabel (-100) elsewhere.
// labels follow PALM's / Hugging Face's convention: unshifted (labels[t] is
// tokens[t] where it is scored); a next-token loss compares logits[t-1] with
// labels[t]. They mark the task's answers (for accuracy, or for a loss that
// ignores the prompt); the spec's own loss reads only the inputs, labels
// among them if it declares them.
//
// Text (tokenizer "bytes": token = byte value, vocab 256). The first
// floor(split * size) bytes of the file are the training split, the rest the
// validation split. Sample i is a window of seqLen consecutive bytes starting
// at a seeded uniform offset inside its split (never crossing the boundary).
// labels = tokens.
//
// Synthetic tasks are generated at their own length (sequenceLength()); with
// seqLen > that length each sample is right-padded with token 0 (labels
// -100); seqLen < that length is an error; seqLen 0 means the task's length.
// Token 0 is always the pad. Layouts, positions from 0:
//
//   task.associative_recall(pairs P, queries Q, vocab V, length L)
//     (multi-query associative recall, after Zoology's MQAR)
//     keys: P distinct ids from [1, V/2); values: P distinct ids from [V/2, V).
//     [0, 2P)   k1 v1 k2 v2 ... kP vP                  the pairs
//     [2P, L)   0 ... 0 kq vq 0 ... kq' vq' 0 ...       Q queries
//     The Q queries ask Q distinct keys of the P, in random order, each at a
//     random even offset of the query region (Zoology draws the gaps from a
//     power law; uniform here); the value of the key follows it and is
//     labelled. Needs 2P + 2Q <= L, Q <= P, P <= V/2 - 1.
//
//   task.copy_from_source(src_len S, tgt_len T, vocab V)
//     [0, S)      source: uniform ids from [1, V)
//     [S, S + T)  target: tokens[S + j] = tokens[j mod S], labelled
//     inputs["src_len"][b] = S for every sample (PALM's fixed source length);
//     there is no separator token: src_len marks the boundary (PALM's prompt
//     positions carry label -100, as here).
//
//   task.needle(length L, depth d, vocab V)
//     1 is the needle marker; key, value and filler are uniform from [2, V).
//     [0, L - 3)      filler, with the needle "1 key value" starting at
//                     position round(d * (L - 6)) (d = 0: the start,
//                     d = 1: right before the query)
//     [L - 3, L)      the query "1 key value"; the value is labelled.
//     Needs L >= 6, 0 <= d <= 1, V >= 3.
//
//   task.icl_labels(demos N, classes C, vocab V, length L)
//     (in-context classification: "sentence: label" demonstrations, then a
//     query.) 1 is the separator (": "), class ids are [2, 2 + C), features
//     ("sentences") are [2 + C, V). Each sample draws its own rule: a class
//     for every feature id, uniformly.
//     [0, 3N)        N demos "x 1 class(x)", x uniform over the features
//     [3N, 3N + 3)   the query "xq 1 class(xq)", xq one of the demos' x;
//                    class(xq) is labelled
//     [3N + 3, L)    pad. Needs 3N + 3 <= L, C >= 2, V >= C + 3.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "frond/runtime/Tensor.h"

#include <cstdint>
#include <map>
#include <memory>
#include <string>

namespace frond::runtime {

namespace detail {
class Generator;
}

enum class Split { Train, Validation };

/// "train" or "validation".
const char *splitName(Split s);

/// The label of positions that are not scored (PyTorch's ignore_index).
constexpr int64_t kIgnoreLabel = -100;

/// One batch: the model's named inputs and the per-position labels. When the
/// request could not be met, `error` says why and the tensors are empty.
struct Batch {
  std::map<std::string, Tensor> inputs;
  Tensor labels;
  std::string error;
  bool ok() const { return error.empty(); }
};

/// The entropy of the unigram (token frequency) distribution of the
/// training split: the loss of a model that ignores context. A model that
/// learns anything must bring validation loss well below it.
struct UnigramEntropy {
  double nats = 0, bits = 0;
  int64_t tokens = 0; ///< How many tokens it was counted over
};

class DataSource {
public:
  enum class Kind { Text, AssociativeRecall, CopyFromSource, Needle, IclLabels };

  /// Parses `setting` (the experiment's data setting) and, for text, reads
  /// the file: a relative path is taken relative to `specDir` (the
  /// directory of the spec file; "" means the current directory). Returns
  /// null and sets `error` on any problem.
  static std::unique_ptr<DataSource> create(const std::string &setting,
                                            const std::string &specDir,
                                            std::string &error);
  ~DataSource();

  Kind kind() const { return kind_; }
  /// The setting as given.
  const std::string &setting() const { return setting_; }
  /// Token ids are in [0, vocab()): 256 for text, the task's vocab otherwise.
  int64_t vocab() const;
  /// The task's own sequence length (see above); 0 for text (any length).
  int64_t sequenceLength() const;
  /// One line for logs, e.g. "text data/corpus.txt (1954423 bytes: train
  /// 1758980, validation 195443), byte tokens, vocab 256".
  std::string describe() const;

  /// "" when a model with `modelVocab` embedding rows can take these tokens,
  /// else the error (with its fix).
  std::string checkVocab(int64_t modelVocab) const;
  /// "" when batchAt(split, *, batch, seqLen, *) can be served, else why not.
  std::string check(Split split, int64_t batch, int64_t seqLen) const;

  /// Batch `step` of `split` (see the file comment); a pure function.
  Batch batchAt(Split split, int64_t step, int64_t batch, int64_t seqLen,
                uint64_t seed) const;

  /// The batch at the split's cursor with seed(); advances the cursor.
  Batch next(Split split, int64_t batch, int64_t seqLen);
  /// The step the next next(split, ...) returns (0 at first).
  int64_t step(Split split) const { return cursor_[split == Split::Train ? 0 : 1]; }
  /// Moves the cursor (to resume a run at `step`).
  void seek(Split split, int64_t step) { cursor_[split == Split::Train ? 0 : 1] = step; }
  uint64_t seed() const { return seed_; }
  void setSeed(uint64_t seed) { seed_ = seed; }

  /// Unigram entropy of the training split: exact over the training bytes
  /// for text; for a task, counted over 256 training samples (seed()) at the
  /// task's own length, pad included.
  UnigramEntropy unigramEntropy() const;

  /// Text only: the file's resolved path and the byte range [begin, end) of
  /// a split.
  const std::string &path() const { return path_; }
  int64_t splitBegin(Split s) const;
  int64_t splitEnd(Split s) const;

private:
  DataSource();
  Kind kind_ = Kind::Text;
  std::string setting_, path_;
  std::unique_ptr<detail::Generator> gen_;
  uint64_t seed_ = 1;
  int64_t cursor_[2] = {0, 0};
};

} // namespace frond::runtime
