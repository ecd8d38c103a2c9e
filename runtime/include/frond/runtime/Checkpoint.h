//===- Checkpoint.h - parameters and optimizer state on disk ----*- C++ -*-===//
//
// A checkpoint is a directory with two safetensors files
// (https://huggingface.co/docs/safetensors: an 8-byte little-endian header
// length N, N bytes of JSON {"name": {"dtype": "F32"|"I64", "shape": [...],
// "data_offsets": [begin, end]}, "__metadata__": {string: string}}, then
// the tensors' bytes, little-endian, row-major, without holes):
//
//   model.safetensors      the parameters (loadable by any safetensors reader)
//   optimizer.safetensors  the optimizer state (Optimizer::state()); its
//                          metadata holds the step, the RNG state and the
//                          data position (TrainingState)
//
// Each file is written atomically: a temporary file in the same directory,
// fsync, rename over the target, fsync of the directory — a crash leaves the
// old file or the new one, never a half-written one. Both files carry the
// same random "checkpoint_id" in their metadata; a pair from two different
// saves (a crash between the two renames) is refused on load.
//
// Reading validates everything (length, JSON, dtypes, shapes, offsets,
// coverage of the data, the expected parameters) and reports a problem as
// "<file>: <what is wrong, naming the tensor>; fix: <what to do>" — it never
// throws or aborts.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "frond/runtime/Tensor.h"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace frond {
struct ParamInfo;
}

namespace frond::runtime {

/// Writes `bytes` to `path` atomically (temp file in the same directory,
/// fsync, rename, fsync the directory).
bool writeFileAtomic(const std::string &path, const std::string &bytes, std::string &error);

/// A dtype's name in safetensors headers: "F32", "F64" or "I64".
const char *safetensorsDType(DType t);
/// The safetensors encoding of `tensors` (sorted by name) with `metadata`.
std::string encodeSafetensors(const std::map<std::string, Tensor> &tensors,
                              const std::map<std::string, std::string> &metadata);
/// Decodes a whole safetensors file's bytes; `name` is used in messages.
bool decodeSafetensors(const std::string &bytes, const std::string &name,
                       std::map<std::string, Tensor> &tensors,
                       std::map<std::string, std::string> &metadata, std::string &error);

/// encodeSafetensors + writeFileAtomic.
bool writeSafetensors(const std::string &path, const std::map<std::string, Tensor> &tensors,
                      const std::map<std::string, std::string> &metadata, std::string &error);
/// Reads and decodes `path`.
bool readSafetensors(const std::string &path, std::map<std::string, Tensor> &tensors,
                     std::map<std::string, std::string> &metadata, std::string &error);

/// What a run needs besides the tensors to continue exactly.
struct TrainingState {
  int64_t step = 0;          ///< Updates done so far (the next step's index)
  std::string rng;           ///< The RNG state, opaque (e.g. "seed:counter")
  int64_t dataPosition = 0;  ///< Where the data loader continues
  std::map<std::string, std::string> extra; ///< Anything else (stored as "x.<key>")
};

/// Writes `dir`/model.safetensors and `dir`/optimizer.safetensors (creating
/// `dir` if needed).
bool saveCheckpoint(const std::string &dir, const std::map<std::string, Tensor> &params,
                    const std::map<std::string, Tensor> &optimizerState,
                    const TrainingState &state, std::string &error);

/// Reads a checkpoint written by saveCheckpoint. With `expected` non-empty,
/// the parameters must match it exactly: every parameter present as f32
/// with its shape (a tied one may be absent: it is then copied from its
/// owner), nothing else. The optimizer state is checked by
/// Optimizer::loadState.
bool loadCheckpoint(const std::string &dir, const std::vector<ParamInfo> &expected,
                    std::map<std::string, Tensor> &params,
                    std::map<std::string, Tensor> &optimizerState, TrainingState &state,
                    std::string &error);

} // namespace frond::runtime
