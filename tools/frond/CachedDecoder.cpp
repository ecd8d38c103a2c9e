//===- CachedDecoder.cpp - the compiler's cached decoder (placeholder) ---===//
//
// Placeholder until the compiler derives prefill / one-token decode
// functions with the caches a spec declares; generation falls back to full
// recompute (RecomputeDecoder.cpp) with a note.
//
//===----------------------------------------------------------------------===//
#include "Decoder.h"

namespace frond::gen {

std::unique_ptr<Decoder> makeCachedDecoder(const DecoderInputs &, std::string &error) {
  error = "the compiler's cached decoder is not available yet";
  return nullptr;
}

} // namespace frond::gen
