//===- BenchSupport.h - what the CPU benchmarks share -----------*- C++ -*-===//
//
// forward_cpu, train_cpu and decode_cpu time Frond's JIT against the
// libtorch reference in one process. They take the same command line (plus
// a benchmark's own integer flags, Options::extraInts)
//
//   BENCH [--set K=V]... [--batch N] [--seq-len T] [--iters N] [--warmup N]
//         [--seed S] [SPEC]
//
// build the same batch (token windows of the experiment's corpus, or seeded
// ids), and report median/min times and the libtorch/Frond ratio with the
// thread counts and the BLAS libtorch uses.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "frond/lang/Loader.h"
#include "frond/lang/Parser.h"
#include "frond/lang/Sema.h"
#include "frond/runtime/Tensor.h"

#include <ATen/ATen.h>

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace frond::bench {

struct Options {
  std::string spec = "experiments/baseline.spec";
  std::vector<Override> overrides;
  long long batch = 8, seqLen = 256, iters = 5, warmup = 1, seed = 1;
  /// forward_cpu --chunk-linear: CompileOptions::chunkLinearAttention.
  bool chunkLinear = true;
  /// Integer flags of one benchmark only ("--context"), each with what to
  /// do with its value, and their part of the usage line.
  std::map<std::string, std::function<void(long long)>> extraInts;
  std::string extraUsage;
};

/// Parses the command line into `o`; returns -1 to go on, else the exit
/// status (after printing the usage for --help or an error).
int parseArgs(int argc, char **argv, const char *name, const char *what, Options &o);

using Clock = std::chrono::steady_clock;
double msSince(Clock::time_point t0);

struct Stats {
  double median, min;
};
Stats stats(std::vector<double> v);

/// The experiment (first in SPEC, overrides applied) and its recorded graph;
/// prints diagnostics and returns nothing on errors.
std::optional<ExperimentInstance> loadExperiment(const Options &o, graph::Graph &graph);

/// The batch `frond eval` would build, for inputs shaped [b, t].
bool makeInputs(const Options &o, const ExperimentInstance &e,
                std::map<std::string, runtime::Tensor> &inputs);

at::Tensor toAten(const runtime::Tensor &t);

/// Prints the thread counts of both engines and the math libraries mapped.
void printEnvironment();

/// Runs `frond` then `torch` warmup + iters times, interleaved, and prints
/// both medians/minimums (per `unit`, e.g. "forward") and their ratio.
void timeInterleaved(const Options &o, const char *unit, const std::function<void()> &frond,
                     const std::function<void()> &torch);

} // namespace frond::bench
