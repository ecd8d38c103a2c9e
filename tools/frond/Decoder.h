//===- Decoder.h - next-token logits for generation -------------*- C++ -*-===//
//
// Generation (`frond generate`, `frond serve`) asks a Decoder for the logits
// of the next token of every sequence in a batch. Two implementations:
//
// - full recompute (`--no-cache`, RecomputeDecoder.cpp): runs the compiled
//   forward over each whole sequence at every step; the yardstick that the
//   cached decoder must match token for token;
// - cached (CachedDecoder.cpp): the compiler's prefill and one-token decode
//   functions with the caches the spec declares (`cache kv`, ...).
//
// Models with per-sample inputs besides `tokens` (PALM's `src_len`) take
// them from the prompt: the prompt is the source, so src_len = its length.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "frond/JIT/Jit.h"
#include "frond/lang/Graph.h"
#include "frond/lang/Sema.h"
#include "frond/runtime/Tensor.h"

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace frond::gen {

/// Next-token logits of a batch, row-major [batch, vocab].
struct Logits {
  int64_t batch = 0, vocab = 0;
  std::vector<float> data;
  const float *row(int64_t i) const { return data.data() + i * vocab; }
};

class Decoder {
public:
  virtual ~Decoder() = default;
  /// Starts a batch from `prompts` (token ids; lengths may differ, none is
  /// empty) and fills `out` with each prompt's next-token logits. False
  /// with `error` set on failure (e.g. a prompt longer than max tokens).
  virtual bool prefill(const std::vector<std::vector<int64_t>> &prompts, Logits &out,
                       std::string &error) = 0;
  /// Appends `tokens[i]` to sequence i (one per sequence of the batch) and
  /// fills `out` with the next logits.
  virtual bool step(const std::vector<int64_t> &tokens, Logits &out, std::string &error) = 0;
  /// One line for the user, e.g. "full recompute" or
  /// "KV cache: 4 layers, 12.0 MiB preallocated for 512 tokens".
  virtual std::string describe() const = 0;
};

/// What both decoders are built from.
struct DecoderInputs {
  const ModelInstance *model = nullptr; ///< the resolved model (variant applied)
  const graph::Graph *graph = nullptr;  ///< its recorded graph (MLIRGen's input)
  /// Parameters by path (a checkpoint's model.safetensors, or a fresh init).
  std::map<std::string, runtime::Tensor> params;
  int64_t maxTokens = 0;        ///< prompt + generated tokens per sequence
  jit::CompileOptions compile;  ///< JIT cache directory etc.
};

/// The full-recompute decoder. Null with `error` set on failure.
std::unique_ptr<Decoder> makeRecomputeDecoder(const DecoderInputs &in, std::string &error);
/// The cached decoder (the spec's `cache` declarations). Null with `error`
/// set when the model declares no cache or the compiler cannot derive
/// prefill/decode for it.
std::unique_ptr<Decoder> makeCachedDecoder(const DecoderInputs &in, std::string &error);

} // namespace frond::gen
