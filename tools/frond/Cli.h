//===- Cli.h - what the frond driver's command files share ------*- C++ -*-===//
//
// frond.cpp parses the command line into Options and dispatches; each
// command lives in its own file (CompileCommand.cpp, EvalCommands.cpp,
// TrainCommand.cpp, GenerateCommand.cpp, ServeCommand.cpp).
//
//===----------------------------------------------------------------------===//
#pragma once

#include "frond/JIT/Jit.h"
#include "frond/lang/Diagnostics.h"
#include "frond/lang/Loader.h"
#include "frond/lang/Sema.h"

#include <chrono>
#include <string>
#include <vector>

namespace frond::cli {

struct Options {
  std::string command, file, configPath, experiment, variant, stdlib;
  std::string emit = "mlir";
  std::vector<std::string> sets;
  bool help = false;
  bool numerics = false;
  bool noCache = false;            ///< --no-cache: skip the on-disk JIT cache
  std::string cacheDir;            ///< JIT cache directory ("" = none)
  long long batch = 0, seqLen = 0; ///< 0: from the experiment's settings
  long long seed = -1;             ///< -1: train.seed, else 1
  double initStd = 0.02;           ///< std of the normal parameter init
  bool f64 = false;                ///< eval --dtype f64: floats in double precision
  bool emulateGPU = false;         ///< --emulate-gpu-attention: the CUDA kernel on the CPU
  std::string referenceIn;         ///< check --numerics --reference FILE (saved, no libtorch)
  std::string referenceOut;        ///< check --numerics --save-reference FILE
  bool gradient = false;           ///< compile --gradient: add @<model>_grad
  bool trainStep = false;          ///< compile --train-step: @<model>_train_step (implies gradient)
  /// train --optimizer-step: "host" (runtime::Optimizer), "compiled" (the
  /// update in the gradient function), "" (compiled when it can be).
  std::string optimizerStep;
  std::string target = "cpu";      ///< compile --target: cpu or cuda
  std::string gpuArch = "sm_80";   ///< compile --gpu-arch (cuda)
  /// --codegen: "full" (LLVM's loop unroller and vectorizer), "quick"
  /// (without them: compiles ~3x faster, runs slower); "" the command's
  /// default (quick for check --numerics, full elsewhere).
  std::string codegen;
  std::string attentionTiles = "f32"; ///< compile --attention-tiles (cuda): f32, bf16, f16
  std::string matmulTiles = "f32";    ///< --matmul-tiles (cuda): f32, tf32, bf16, f16
  bool profileKernels = false;        ///< --profile-kernels (with --device cuda)
  long long repeat = 1;               ///< eval --repeat: runs after a warm-up (1: one run)
  std::string inputsFile;             ///< eval --inputs: the batch from a safetensors file
  std::string device;              ///< --device cpu|cuda ("": run.device)
  // train
  std::string out, resume;          ///< --out DIR, --resume DIR
  long long steps = 0;              ///< --steps N: stop after step N (0: train.steps)
  long long evalEvery = -1;         ///< --eval-every N (-1: from the settings)
  long long checkpointEvery = -1;   ///< --checkpoint-every N (-1: from the settings)
  std::string runsDir = "runs";     ///< run.out_dir
  bool progress = true;             ///< run.progress
  // generate / serve (GenerateOptions.cpp; -1: from generate { })
  std::string checkpoint, prompt, promptsFile, topPStyle;
  long long maxTokens = 0, topK = -1, port = -1, context = 0;
  double temperature = -1, topP = -1, repetitionPenalty = -1;
  bool greedy = false;
  std::vector<std::string> generationFlags; ///< those given, for the command check
};

/// Prints `msg` as a command-line error; returns exit status 2.
int usageError(const std::string &msg);
/// Prints "frond: error: MSG" and, when given, "  fix: FIX"; returns 1.
int fail(const std::string &msg, const std::string &fix = "");
/// Prints the diagnostics and an error count; returns 1 on errors, else 0.
int printDiagnostics(const DiagEngine &d);
double secondsSince(std::chrono::steady_clock::time_point t0);
/// The value of the option args[i]: after '=' in "--flag=value", else the
/// next argument (advancing i); false when there is none.
bool optionValue(const std::vector<std::string> &args, size_t &i, std::string &slot);

/// The command line as given (for check --numerics handing over to
/// frond-numerics).
extern char **g_argv;

/// The values --emit accepts, for messages, and the check.
extern const char *const kEmitKinds;
bool isEmitKind(const std::string &kind);

/// The experiment's setting `key` (e.g. "train.steps") as written, or "".
std::string setting(const ExperimentInstance &e, const std::string &key);

/// The model's vocabulary: its `vocab` argument, else the first embedding
/// table's rows; 0 when neither says.
long long modelVocab(const ModelInstance &m);

int compileCommand(const Options &o, const Program &program,
                   const std::vector<Override> &overrides, DiagEngine &diags);
int evalCommand(const Options &o, const Program &program,
                const std::vector<Override> &overrides, DiagEngine &diags);
int trainCommand(const Options &o, const Program &program,
                 const std::vector<Override> &overrides, DiagEngine &diags);
int generateCommand(const Options &o, const Program &program,
                    const std::vector<Override> &overrides, DiagEngine &diags);
int serveCommand(const Options &o, const Program &program,
                 const std::vector<Override> &overrides, DiagEngine &diags);
/// Parses args[i] when it is an option of generate / serve, advancing i past
/// its value: 1 taken, 0 not one of them, -1 a usage error (printed).
int parseGenerationOption(const std::vector<std::string> &args, size_t &i, Options &o);
/// `frond generate --help` and `frond serve --help`.
extern const char *const kGenerateHelp;
extern const char *const kServeHelp;

/// `frond devices` (DeviceCommand.cpp).
int devicesCommand();
extern const char *const kDevicesHelp;
/// Whether --device applies to `command`.
bool deviceApplies(const std::string &command);
/// Opens CUDA device 0 for a command run with --device cuda: -1 to go on,
/// else the exit status (2 without a GPU).
int cudaDeviceGate(const Options &o);
/// The JIT's options for a command: its cache (--no-cache refreshes it),
/// the target of --device and --emulate-gpu-attention.
jit::CompileOptions jitOptions(const Options &o);

int numericsCommand(const Options &o, const Program &program,
                    const std::vector<Override> &overrides, DiagEngine &diags);

} // namespace frond::cli
