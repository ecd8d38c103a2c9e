//===- Generation.h - what frond generate and frond serve share -*- C++ -*-===//
//
// GenerationModel: an experiment resolved for generation (the checkpoint's
// experiment and variant unless the command line names them), its
// parameters (a checkpoint, or a fresh initialisation), the tokenizer, the
// generate { } settings with the command line's overrides, and a decoder
// (cached, else full recompute with a note).
//
// generateBatch: the decoding loop over a batch of sequences, each with its
// own sampling settings, seed, length and stop strings, reporting text as it
// becomes final.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "Cli.h"
#include "Decoder.h"
#include "Tokenizer.h"

#include "frond/runtime/Sampling.h"

#include <functional>
#include <optional>

namespace frond::gen {

/// Sampling settings and length: generate { } then the command line.
struct GenerateSettings {
  runtime::SamplingParams sampling;
  int64_t maxTokens = 16; ///< new tokens per sequence
  uint64_t seed = 1;
};

struct GenerationModel {
  std::optional<ExperimentInstance> inst;
  graph::Graph graph;
  Tokenizer tokenizer;
  GenerateSettings defaults;
  std::unique_ptr<Decoder> decoder;
  std::string paramsNote;   ///< "runs/x/checkpoint (step 60)" or "fresh parameters (seed 1)"
  int64_t contextLimit = 0; ///< the model's max_len (positions it has), 0: none
  int64_t decoderTokens = 0; ///< prompt + completion the decoder was made for
  std::string modelId;      ///< "<experiment>" or "<experiment>/<variant>"
};

/// The model's own bound on a sequence's length: its `max_len` /
/// `max_seq_len` / `context` argument, or 0.
int64_t contextLimit(const ModelInstance &m);

/// Resolves the experiment (the checkpoint's unless --experiment /
/// --variant say otherwise), loads the parameters (--checkpoint, else a
/// fresh initialisation) and reads the settings. Prints diagnostics and
/// errors; false on error.
bool prepareGeneration(const cli::Options &o, const Program &program,
                       const std::vector<Override> &overrides, DiagEngine &diags,
                       GenerationModel &g, DecoderInputs &inputs);

/// Makes g.decoder for sequences of up to `tokens` tokens (prompt plus
/// completion): the cached decoder unless `noCache`, else (or when it is
/// not available, with a one-line note on stderr) full recompute. Prints
/// the error; false on error.
bool makeDecoder(DecoderInputs &inputs, bool noCache, int64_t tokens, GenerationModel &g);

/// One sequence to generate.
struct SequenceRequest {
  std::vector<int64_t> prompt;
  runtime::SamplingParams sampling;
  uint64_t seed = 1;
  int64_t maxTokens = 16;
  std::vector<std::string> stop; ///< stop strings: the text ends before one
};

struct SequenceResult {
  std::vector<int64_t> tokens; ///< generated tokens (after a stop string too)
  std::string text;            ///< the completion's text, cut before a stop string
  std::string finishReason;    ///< "length", "stop" or "cancelled"
};

/// Text that became final for sequence `row`; at the end (`finished` set:
/// its whole result) once more with "". Returning false cancels the
/// sequence (ignored at the end).
using TextCallback =
    std::function<bool(size_t row, const std::string &text, const SequenceResult *finished)>;

/// Decodes every request together; calls `onText` as text becomes final
/// (held back while it may start a stop string or a UTF-8 character) and
/// once more, with "" and its result, when a sequence finishes. False with `error` set when
/// the decoder fails or the logits are not finite.
bool generateBatch(Decoder &decoder, const Tokenizer &tokenizer,
                   const std::vector<SequenceRequest> &requests, const TextCallback &onText,
                   std::vector<SequenceResult> &results, std::string &error);

} // namespace frond::gen
