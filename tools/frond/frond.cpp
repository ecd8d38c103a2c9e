//===- frond.cpp - the Frond command-line driver --------------------------===//
//
//   frond check FILE      parse + semantic checks (exit 0 clean, 1 errors)
//   frond print FILE      canonical pretty-print
//   frond explain FILE    the resolved model: structure, shapes, parameters
//   frond compile FILE    the model's forward as frond MLIR (or its graph)
//   frond eval FILE       JIT-compile the forward and run it on one batch
//   frond train FILE      train the experiment's model (TrainCommand.cpp)
//   frond generate FILE   generate text (GenerateCommand.cpp)
//   frond serve FILE      an OpenAI-compatible HTTP server (ServeCommand.cpp)
//   frond check --numerics FILE   the JIT against the libtorch reference
//   frond config          the resolved run configuration
//   frond devices         the CUDA devices (DeviceCommand.cpp)
//   frond help builtins   the language's primitives
//
// Every command reads run configuration (frond.toml, --config, --set).
//
//===----------------------------------------------------------------------===//
#include "Cli.h"
#include "EmbeddedStdlib.h"

#include "frond/JIT/Jit.h"

#include "frond/lang/Parser.h"
#include "frond/lang/Printer.h"
#include "frond/runtime/CudaMgpu.h"
#include "frond/runtime/RunConfig.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <malloc.h>
#include <map>
#include <thread>

using namespace frond;
using namespace frond::cli;

char **frond::cli::g_argv = nullptr;

int frond::cli::usageError(const std::string &msg) {
  std::fprintf(stderr, "frond: error: %s\n(see frond --help)\n", msg.c_str());
  return 2;
}

int frond::cli::fail(const std::string &msg, const std::string &fix) {
  std::fprintf(stderr, "frond: error: %s\n", msg.c_str());
  if (!fix.empty())
    std::fprintf(stderr, "  fix: %s\n", fix.c_str());
  return 1;
}

int frond::cli::printDiagnostics(const DiagEngine &d) {
  std::string out = d.render();
  std::fputs(out.c_str(), stderr);
  if (d.hasErrors())
    std::fprintf(stderr, "%u error%s\n", d.errorCount(), d.errorCount() == 1 ? "" : "s");
  return d.hasErrors() ? 1 : 0;
}

bool frond::cli::optionValue(const std::vector<std::string> &args, size_t &i,
                             std::string &slot) {
  const std::string &a = args[i];
  size_t eq = a.find('=');
  if (a.rfind("--", 0) == 0 && eq != std::string::npos) {
    slot = a.substr(eq + 1);
    return true;
  }
  if (i + 1 >= args.size())
    return false;
  slot = args[++i];
  return true;
}

double frond::cli::secondsSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

namespace {

const char *kUsage = R"(usage: frond <command> [options] FILE

commands:
  check FILE       parse and check a spec; exit 0 when clean, 1 on errors
  print FILE       print a spec in canonical form
  explain FILE     show the resolved model: attention, components, parameter
                   counts, heads, losses, caches, training settings
  compile FILE     lower the experiment's model to frond MLIR: one function
                   @<model>_forward; --emit picks the stage to print
  eval FILE        JIT-compile the model's forward for the CPU and run it on
                   one batch of its data; print each loss, accuracy, timings
  train FILE       train the experiment's model on the CPU: progress, metrics
                   (metrics.jsonl), validation loss, checkpoints, --resume;
                   ends with a summary (frond train --help)
  generate FILE    generate from a checkpoint: --checkpoint DIR --prompt TEXT,
                   sampling flags (frond generate --help)
  serve FILE       serve the model over an OpenAI-compatible HTTP API on
                   127.0.0.1 (frond serve --help)
  config           print the resolved run configuration (TOML)
  devices          list the CUDA devices, or say why there are none
  help [builtins]  this text, or the list of the language's functions

options:
  --config FILE    run configuration (default: ./frond.toml when present)
  --set KEY=VALUE  override a configuration value, e.g. --set model.layers=4
                   or --set train.steps=500 (repeatable)
  --experiment N   which experiment of the file (default: the first)
  --variant V      explain or compile a variant instead of the base experiment
  --emit=KIND      what compile prints: ast (the parsed file), graph (the
                   recorded dataflow), mlir (the frond dialect, default),
                   lowered (the LLVM dialect after the CPU pipeline), llvm
                   (LLVM IR at -O2, what the JIT compiles), generation
                   (the cached-generation functions @<model>_prefill and
                   @<model>_decode, in the frond dialect; with --target=cuda
                   as the GPU gets them: decode attends over every cache
                   slot, so that each step is the same CUDA graph); with
                   --target=cuda also gpu (host code and NVVM kernels) or ptx
  --target T       compile: cpu (default) or cuda; with cuda, --emit=gpu prints
                   the host code and NVVM kernels (gpu.launch_func, gpu.module)
                   and --emit=ptx the PTX of every kernel (no GPU needed)
  --gpu-arch SM    compile --target=cuda: the GPU, e.g. sm_80 (default), sm_90
  --gradient       compile --emit=mlir|lowered|llvm|gpu|ptx: add the loss's
                   gradient function @<model>_grad (frond-autodiff), as
                   training compiles it; on cuda its attention backward is
                   the dQ and dK/dV kernels
  --train-step     compile: the gradient with the experiment's optimizer
                   update appended, @<model>_train_step, as training on
                   the GPU compiles it (--optimizer-step compiled)
  --attention-tiles T
                   compile --target=cuda and --device cuda: the attention
                   kernel's tiles, f32 (default; a thread per query row) or
                   bf16/f16 (tensor-core mma.sync with f32 accumulation,
                   forward and backward); with --emulate-gpu-attention,
                   bf16/f16 round where the mma.sync kernels do; check
                   --numerics then also runs libtorch with eager bf16/f16
                   attention (the yardstick)
  --matmul-tiles T
                   compile --target=cuda and --device cuda: the matmul
                   kernels' tiles, f32 (default; CUDA-core FMAs) or tf32,
                   bf16, f16 (tensor-core mma.sync, operands rounded to T
                   as they are staged, f32 accumulation); with
                   --emulate-gpu-attention the f32 kernel rounds the same
                   way; check --numerics then also runs libtorch with every
                   matmul's operands rounded to T (the yardstick)
  --codegen C      check / eval / train / generate / serve on the CPU: full
                   (LLVM's loop unroller and vectorizer; the default, except
                   for check --numerics) or quick (without them: LLVM
                   compiles about 3x faster, the code runs about 25% slower;
                   check --numerics' default, as it runs the model once)
  --profile-kernels
                   with --device cuda: time every GPU kernel (CUDA events)
                   and print, at the end, the GPU time per kernel (generate
                   then launches decode steps kernel by kernel, not as a
                   CUDA graph)
  --batch N        eval / check --numerics: batch size (default: train.batch)
  --seq-len T      eval / check --numerics: sequence length (default:
                   train.seq_len)
  --seed S         eval / check --numerics: parameter and data seed (default:
                   train.seed, else 1)
  --init-std X     eval / check --numerics: std of the normal parameter
                   initialisation (default 0.02; larger values make masks and
                   score modifiers change the outputs more, a sharper check)
  --dtype T        eval: the floats' type, f32 (default) or f64
  --no-cache       eval / check --numerics: compile even when the on-disk JIT
                   cache has the model (the fresh object still updates it);
                   generate / serve: full recompute instead of the cached decoder
  --numerics       check: also run the JIT against the libtorch reference
  --save-reference F
                   check --numerics: also save libtorch's results (outputs,
                   gradients, fp64 yardsticks, parameters, inputs) to F
  --reference F    check --numerics: compare with the results saved in F
                   instead of running libtorch (a build without it, e.g.
                   the portable frond on a GPU machine); same experiment,
                   --batch, --seq-len, --seed and --init-std
  --emulate-gpu-attention
                   eval / check --numerics / train: run attention (every
                   kind, forward and backward) as the CUDA pipeline's f32
                   flash-attention kernels, emulated on the CPU (blocks and
                   threads as loops), and the rest as its fused loop
                   nests, to check their numbers
  --device D       check / eval / train / generate / serve: cpu (default:
                   run.device) or cuda (stops with exit status 2 when there
                   is no GPU)
  --out DIR        train: the run directory (default:
                   runs/<experiment>/<variant>-<YYYYmmdd-HHMMSS>/)
  --resume DIR     train: continue the run in DIR from its checkpoint
  --steps N        train: stop after step N (the schedule spans train.steps)
  --eval-every N   train: validation loss every N steps (0: only at the end)
  --checkpoint-every N
                   train: checkpoint every N steps (0: only at the end)
  --stdlib DIR     standard library directory (default: found automatically)
  -h, --help       help for a command: frond <command> --help
)";

const std::map<std::string, std::string> kCommandHelp = {
    {"check", "usage: frond check [--config F] [--set K=V]... [--experiment N] [--variant V] FILE\n"
              "       frond check --numerics [--batch N] [--seq-len T] [--seed S] ... FILE\n\n"
              "Parses FILE and its imports and checks names, shapes, masks, losses,\n"
              "experiments, variants and sweeps. Errors are printed as\n"
              "file:line:col: error: ... with the source line and a fix.\n"
              "--numerics also runs the experiment's model once with the JIT (as\n"
              "eval does) and once with the libtorch reference, on the same batch\n"
              "and parameters, and prints the max abs and max rel error of every\n"
              "head and loss; fp32 tolerance: |jit - ref| <= 1e-5 + 1e-4 * |ref|\n"
              "per element, and every gradient. Needs a build with libtorch, or\n"
              "a reference saved by one: --save-reference F writes libtorch's\n"
              "results, --reference F compares with them (e.g. on a GPU machine:\n"
              "--device cuda --reference F, same batch, seed and init std).\n"
              "With --device cuda or --attention-tiles bf16|f16 a tensor beyond the\n"
              "fp32 tolerance is judged as FlexAttention's tests do: its mean abs\n"
              "error from the fp64 reference must be at most twice that of the\n"
              "same-dtype eager computation (libtorch fp32, or libtorch with eager\n"
              "bf16/f16 attention; save such a reference with --attention-tiles).\n"
              "Exit status: 0 clean, 1 errors or beyond tolerance, 2 bad command line.\n"},
    {"eval", "usage: frond eval [--experiment N] [--variant V] [--set K=V]...\n"
             "                  [--batch N] [--seq-len T] [--seed S] [--dtype f64]\n"
             "                  [--checkpoint DIR] [--inputs FILE] [--gradient] [--repeat N]\n"
             "                  [--device cuda [--profile-kernels]] FILE\n\n"
             "Elaborates the experiment's model, lowers it to frond MLIR and\n"
             "through the CPU pipeline, JIT-compiles it and runs it on one\n"
             "deterministic batch with deterministic parameters (seed S), or with\n"
             "the trained ones of --checkpoint DIR (a run directory of frond train,\n"
             "whose experiment and variant are used unless named), on the\n"
             "experiment's own data (batch 0 of the validation split, as frond\n"
             "train sees it; a task's length is the default --seq-len); without\n"
             "data, seeded random token ids below the vocabulary, and per-sample\n"
             "int inputs (e.g. src_len) get seeded values in [1, T-1]. --dtype f64\n"
             "computes in double precision (the same parameters, widened). Prints\n"
             "every loss, the first head's next-token accuracy on the data's labelled\n"
             "positions, and the compile and run times. --inputs FILE takes the\n"
             "batch from a safetensors file of named inputs (int: I64, float: F32;\n"
             "batch and length from their shapes; inputs it lacks stay seeded).\n"
             "--gradient also compiles\n"
             "and runs the loss's gradient (as training does) and prints its global\n"
             "norm. --repeat N runs each function once to warm up, then N times,\n"
             "and prints the median run time (--profile-kernels leaves the warm-up\n"
             "out of its table). Exit status: 0 ok, 1 errors (including constructs\n"
             "the pipeline cannot lower yet).\n"},
    {"train",
     "usage: frond train [--experiment N] [--variant V] [--set K=V]... [--out DIR]\n"
     "                   [--steps N] [--eval-every N] [--checkpoint-every N]\n"
     "                   [--seed S] [--batch N] [--seq-len T] FILE\n"
     "       frond train [same --experiment/--variant/--set] --resume DIR FILE\n\n"
     "Trains the experiment's model on the CPU (on the GPU with --device\n"
     "cuda): the JIT-compiled gradient (reverse-mode autodiff of the model's\n"
     "loss) and the experiment's optimizer, schedule and clipping (train\n"
     "{ ... }), by default compiled into one training step, on batches of its\n"
     "data that are pure functions of (seed, step). Settings come from the spec,\n"
     "then frond.toml and --set (e.g. --set train.steps=1000).\n\n"
     "The run directory (--out DIR; default run.out_dir/<experiment>/\n"
     "<variant or base>-<YYYYmmdd-HHMMSS>, run.out_dir = \"runs\") receives\n"
     "  run.json        resolved settings, spec, variant, seed, command line\n"
     "  metrics.jsonl   per step: step, loss, lr, grad_norm, tokens,\n"
     "                  tokens_per_s, time; per validation: step, val_loss\n"
     "  checkpoint/     the latest parameters (model.safetensors) and optimizer\n"
     "                  state and step (optimizer.safetensors), written atomically\n"
     "An existing non-empty --out directory is refused, never overwritten.\n\n"
     "  --steps N             stop after step N (at most train.steps; the\n"
     "                        learning-rate schedule still spans train.steps)\n"
     "  --eval-every N        validation loss every N steps on a fixed set of\n"
     "                        eval.batches (default 10) validation batches\n"
     "                        (default: train.eval_every, else a tenth of the\n"
     "                        steps; 0: only before and after training)\n"
     "  --checkpoint-every N  checkpoint every N steps (default:\n"
     "                        train.checkpoint_every, else with validation; 0: only\n"
     "                        at the end); a checkpoint is always written at the end\n"
     "                        and on Ctrl-C\n"
     "  --seed S              parameter and data seed (default: train.seed, else 1)\n"
     "  --resume DIR          continue the run in DIR from its checkpoint with the\n"
     "                        same FILE, --experiment, --variant and --set flags;\n"
     "                        the losses are bit-identical to an uninterrupted\n"
     "                        run's; metrics.jsonl rows after the checkpoint are\n"
     "                        dropped, new ones appended\n"
     "  --optimizer-step host|compiled\n"
     "                        where the optimizer's update runs: host (after\n"
     "                        each gradient, on host tensors) or compiled into\n"
     "                        the gradient step (AdamW, SGD, Muon, groups,\n"
     "                        schedules, clipping and accumulation: the\n"
     "                        parameters and optimizer state stay in the step's\n"
     "                        buffers, on the GPU in device memory, and come\n"
     "                        back for validation and checkpoints; on the CPU\n"
     "                        the same losses, bit for bit, and faster).\n"
     "                        Default: compiled where it can be\n\n"
     "Progress (step, loss, lr, tokens/s, ETA) goes to stderr, in place on a\n"
     "terminal (run.progress = false: none). The summary on stdout gives the\n"
     "final train loss (mean of the last 10 steps), validation loss, the data's\n"
     "unigram entropy for comparison, tokens/s, wall time and the run directory.\n"
     "A non-finite loss or gradient stops the run without saving anything new.\n"
     "Exit status: 0 ok, 1 errors, 2 bad command line, 130 interrupted.\n"},
    {"print", "usage: frond print FILE\n\n"
              "Prints FILE in canonical form (comments are not kept). Printing the\n"
              "output again gives the same text.\n"},
    {"explain", "usage: frond explain [--experiment N] [--variant V] [--set K=V]... FILE\n\n"
                "Elaborates the experiment's model and prints its inputs, recursion,\n"
                "attention layers, every component with its parameter count and\n"
                "whether it trains, heads, losses, caches and settings.\n"},
    {"compile", "usage: frond compile [--experiment N] [--variant V] [--set K=V]...\n"
                "                     [--emit=ast|graph|mlir|lowered|llvm|generation] FILE\n\n"
                "Elaborates the experiment's model (as explain does), recording its\n"
                "dataflow, and prints it lowered to the frond MLIR dialect: one\n"
                "func.func @<model>_forward taking the inputs then the parameters\n"
                "(each named by a frond.name attribute) and returning the heads and\n"
                "losses (named by frond.outputs), every op with its spec location.\n"
                "--emit picks another stage: ast (the parsed file in canonical form),\n"
                "graph (the recorded dataflow), lowered (the LLVM dialect after the\n"
                "CPU pipeline), llvm (LLVM IR at -O2, what the JIT compiles) or\n"
                "generation (@<model>_prefill and @<model>_decode, derived for\n"
                "generation with the caches the spec declares).\n"
                "Exit status: 0 ok,\n"
                "1 errors (including constructs that cannot be compiled yet).\n"},
    {"config", "usage: frond config [--config F] [--set K=V]...\n\n"
               "Prints the resolved run configuration as TOML, with the origin of\n"
               "each value.\n"},
    {"devices", kDevicesHelp},
    {"generate", kGenerateHelp},
    {"serve", kServeHelp},
    {"help", "usage: frond help [builtins]\n"},
};


Value toValue(const ConfigValue &v) {
  if (auto *i = std::get_if<int64_t>(&v)) return Value::ofInt(*i);
  if (auto *f = std::get_if<double>(&v)) return Value::ofFloat(*f);
  if (auto *b = std::get_if<bool>(&v)) return Value::ofBool(*b);
  if (auto *s = std::get_if<std::string>(&v)) return Value::ofStr(*s);
  Value l;
  l.kind = Value::List;
  for (auto &s : std::get<std::vector<std::string>>(v))
    l.list.push_back(Value::ofStr(s));
  return l;
}

/// Loads the run configuration; returns false (after printing) on errors.
bool loadConfig(const Options &o, RunConfig &cfg, std::vector<Override> &ov) {
  std::vector<ConfigError> errs;
  if (!loadRunConfig(o.configPath, o.sets, cfg, errs)) {
    for (auto &e : errs)
      std::fprintf(stderr, "%s\n", e.str().c_str());
    return false;
  }
  for (const char *section : {"model", "train", "data"})
    for (auto &[k, v, origin] : cfg.overrides(section))
      ov.push_back({std::string(section) + "." + k, toValue(v), origin});
  return true;
}

int runCommand(const Options &o) {
  if (o.command == "help") {
    if (o.file == "builtins") {
      std::fputs(builtinsHelp().c_str(), stdout);
      return 0;
    }
    std::fputs(kUsage, stdout);
    return 0;
  }
  RunConfig cfg;
  std::vector<Override> overrides;
  if (!loadConfig(o, cfg, overrides))
    return 1;
  if (o.command == "config") {
    std::fputs(cfg.dump(true).c_str(), stdout);
    return 0;
  }
  if (o.command == "devices")
    return devicesCommand();
  if (o.file.empty())
    return usageError("'" + o.command + "' needs a spec FILE");
  // The JIT cache: run.cache_dir (+ /jit), else the user cache directory.
  Options withCache = o;
  std::string cacheRoot = cfg.getString("run.cache_dir", "");
  withCache.cacheDir = !cacheRoot.empty() ? cacheRoot + "/jit" : jit::defaultCacheDir();

  DiagEngine diags;
  if (o.command == "print") {
    auto m = parseSpecFile(o.file, diags);
    if (diags.hasErrors() || !m)
      return printDiagnostics(diags);
    std::fputs(printModule(*m).c_str(), stdout);
    return 0;
  }
  std::string device = !o.device.empty() ? o.device : cfg.getString("run.device", "cpu");
  // check --numerics runs in frond-numerics (exec'ed below when this build
  // has no libtorch and the reference is not a saved one), which opens the
  // device itself.
  bool numericsElsewhere = false;
#ifndef FROND_HAVE_REFERENCE
  numericsElsewhere = o.command == "check" && o.numerics && o.referenceIn.empty();
#endif
  if (device == "cuda" && deviceApplies(o.command) && !numericsElsewhere)
    if (int rc = cudaDeviceGate(o); rc >= 0)
      return rc;
  withCache.device = device;
  Program program;
  std::string stdlibError;
  program.stdlibDir =
      resolveStdlibDir(!o.stdlib.empty() ? o.stdlib : cfg.getString("paths.stdlib", ""),
                       stdlibError);
  if (program.stdlibDir.empty()) {
    std::fprintf(stderr, "frond: error: %s\n", stdlibError.c_str());
    return 1;
  }
  program.load(o.file, diags);
  if (diags.hasErrors())
    return printDiagnostics(diags);
  if (o.command == "check" && o.numerics)
    return numericsCommand(withCache, program, overrides, diags);
  if (o.command == "check") {
    checkProgram(program, diags, overrides);
    // --experiment / --variant: also check that they exist.
    if (!diags.hasErrors() && (!o.experiment.empty() || !o.variant.empty()))
      resolveExperiment(program, o.experiment, o.variant, diags, overrides);
    int rc = printDiagnostics(diags);
    if (rc == 0)
      std::printf("%s: ok\n", o.file.c_str());
    return rc;
  }
  if (o.command == "explain") {
    auto inst = resolveExperiment(program, o.experiment, o.variant, diags, overrides);
    if (!inst)
      return printDiagnostics(diags) ? 1 : 1;
    printDiagnostics(diags);
    std::fputs(explainText(*inst).c_str(), stdout);
    return 0;
  }
  if (o.command == "compile")
    return compileCommand(withCache, program, overrides, diags);
  if (o.command == "eval")
    return evalCommand(withCache, program, overrides, diags);
  if (o.command == "generate")
    return generateCommand(withCache, program, overrides, diags);
  if (o.command == "serve")
    return serveCommand(withCache, program, overrides, diags);
  if (o.command == "train") {
    withCache.runsDir = cfg.getString("run.out_dir", "runs");
    withCache.progress = cfg.getBool("run.progress", true);
    return trainCommand(withCache, program, overrides, diags);
  }
  return usageError("unknown command '" + o.command + "'");
}

} // namespace

/// Called first on the work thread while M_ARENA_MAX is 1: its first
/// allocation binds it to the main arena for good. Then the other threads
/// (MLIR's pool compiling GPU modules in parallel, the runtime's workers) may
/// have arenas of their own again: with one arena for all they queued on its
/// lock, and compiling a gradient for the GPU took a third longer.
static void bindToMainArena() {
  std::free(std::malloc(1));
  mallopt(M_ARENA_MAX, 8 * std::max(1u, std::thread::hardware_concurrency()));
}

int main(int argc, char **argv) {
  g_argv = argv;
  // Work runs on a large-stack thread (runOnLargeStack); glibc would give it
  // its own arena, grown a page range at a time. Binding it to the main
  // arena, which has a generous top pad, makes parsing large specs several
  // times faster (see bindToMainArena).
  mallopt(M_ARENA_MAX, 1);
  mallopt(M_TOP_PAD, 64 << 20);
  Options o;
  std::vector<std::string> args(argv + 1, argv + argc);
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string &a = args[i];
    auto value = [&](std::string &slot) { return optionValue(args, i, slot); };
    auto is = [&](const char *flag) {
      return a == flag || a.rfind(std::string(flag) + "=", 0) == 0;
    };
    if (a == "-h" || a == "--help") {
      o.help = true;
    } else if (is("--config")) {
      if (!value(o.configPath)) return usageError("--config needs a FILE");
    } else if (a == "--set") {
      std::string s;
      if (!value(s)) return usageError("--set needs KEY=VALUE");
      o.sets.push_back(s);
    } else if (a.rfind("--set=", 0) == 0) {
      o.sets.push_back(a.substr(6));
    } else if (is("--variant")) {
      if (!value(o.variant)) return usageError("--variant needs a name");
    } else if (is("--experiment")) {
      if (!value(o.experiment)) return usageError("--experiment needs a name");
    } else if (is("--emit")) {
      if (!value(o.emit)) return usageError(std::string("--emit needs ") + kEmitKinds);
      if (!isEmitKind(o.emit))
        return usageError(std::string("--emit must be ") + kEmitKinds + ", not '" + o.emit + "'");
    } else if (is("--batch") || is("--seq-len") || is("--seed")) {
      std::string v;
      std::string flag = a.substr(0, a.find('='));
      if (!value(v)) return usageError(flag + " needs a number");
      char *end = nullptr;
      long long n = std::strtoll(v.c_str(), &end, 10);
      if (v.empty() || *end || n < 0 || (flag != "--seed" && n == 0))
        return usageError(flag + " needs a " + (flag == "--seed" ? "non-negative" : "positive") +
                          " integer, not '" + v + "'");
      (flag == "--batch" ? o.batch : flag == "--seq-len" ? o.seqLen : o.seed) = n;
    } else if (is("--inputs")) {
      if (!value(o.inputsFile) || o.inputsFile.empty())
        return usageError("--inputs needs a safetensors file of the model's inputs");
    } else if (is("--repeat")) {
      std::string v;
      if (!value(v)) return usageError("--repeat needs a number");
      char *end = nullptr;
      long long n = std::strtoll(v.c_str(), &end, 10);
      if (v.empty() || *end || n < 1 || n > 100000)
        return usageError("--repeat needs a number of runs from 1 to 100000, not '" + v + "'");
      o.repeat = n;
    } else if (is("--steps") || is("--eval-every") || is("--checkpoint-every")) {
      std::string v;
      std::string flag = a.substr(0, a.find('='));
      if (!value(v)) return usageError(flag + " needs a number");
      char *end = nullptr;
      long long n = std::strtoll(v.c_str(), &end, 10);
      if (v.empty() || *end || n < 0 || (flag == "--steps" && n == 0))
        return usageError(flag + " needs a " + (flag == "--steps" ? "positive" : "non-negative") +
                          " integer, not '" + v + "'");
      (flag == "--steps" ? o.steps : flag == "--eval-every" ? o.evalEvery : o.checkpointEvery) = n;
    } else if (is("--out")) {
      if (!value(o.out) || o.out.empty()) return usageError("--out needs a directory");
    } else if (is("--resume")) {
      if (!value(o.resume) || o.resume.empty()) return usageError("--resume needs a run directory");
    } else if (is("--init-std")) {
      std::string v;
      if (!value(v)) return usageError("--init-std needs a number");
      char *end = nullptr;
      double x = std::strtod(v.c_str(), &end);
      if (v.empty() || *end || !(x > 0) || x > 100)
        return usageError("--init-std needs a positive number (at most 100), not '" + v + "'");
      o.initStd = x;
    } else if (is("--dtype")) {
      std::string v;
      if (!value(v) || (v != "f32" && v != "f64"))
        return usageError("--dtype needs f32 or f64" + (v.empty() ? "" : ", not '" + v + "'"));
      o.f64 = v == "f64";
    } else if (is("--device")) {
      std::string v;
      if (!value(v) || (v != "cpu" && v != "cuda"))
        return usageError("--device needs cpu or cuda" + (v.empty() ? "" : ", not '" + v + "'"));
      o.device = v;
    } else if (a == "--no-cache") {
      o.noCache = true;
    } else if (is("--target")) {
      if (!value(o.target) || (o.target != "cpu" && o.target != "cuda"))
        return usageError("--target needs cpu or cuda" +
                          (o.target.empty() ? "" : ", not '" + o.target + "'"));
    } else if (is("--gpu-arch")) {
      if (!value(o.gpuArch) || o.gpuArch.rfind("sm_", 0) != 0)
        return usageError("--gpu-arch needs an sm_NN architecture, e.g. sm_80 or sm_90");
    } else if (is("--attention-tiles")) {
      std::string v;
      if (!value(v) || (v != "f32" && v != "bf16" && v != "f16"))
        return usageError("--attention-tiles needs f32, bf16 or f16" +
                          (v.empty() ? "" : ", not '" + v + "'"));
      o.attentionTiles = v;
    } else if (is("--matmul-tiles")) {
      std::string v;
      if (!value(v) || (v != "f32" && v != "tf32" && v != "bf16" && v != "f16"))
        return usageError("--matmul-tiles needs f32, tf32, bf16 or f16" +
                          (v.empty() ? "" : ", not '" + v + "'"));
      o.matmulTiles = v;
    } else if (is("--codegen")) {
      if (!value(o.codegen) || (o.codegen != "quick" && o.codegen != "full"))
        return usageError("--codegen needs quick or full" +
                          (o.codegen.empty() ? "" : ", not '" + o.codegen + "'"));
    } else if (is("--optimizer-step")) {
      if (!value(o.optimizerStep) || (o.optimizerStep != "host" && o.optimizerStep != "compiled"))
        return usageError("--optimizer-step needs host or compiled" +
                          (o.optimizerStep.empty() ? "" : ", not '" + o.optimizerStep + "'"));
    } else if (a == "--profile-kernels") {
      o.profileKernels = true;
    } else if (a == "--gradient") {
      o.gradient = true;
    } else if (a == "--train-step") {
      o.gradient = o.trainStep = true;
    } else if (a == "--emulate-gpu-attention") {
      o.emulateGPU = true;
    } else if (a == "--numerics") {
      o.numerics = true;
    } else if (is("--reference")) {
      if (!value(o.referenceIn) || o.referenceIn.empty())
        return usageError("--reference needs a file (saved by check --numerics --save-reference)");
    } else if (is("--save-reference")) {
      if (!value(o.referenceOut) || o.referenceOut.empty())
        return usageError("--save-reference needs a file to write");
    } else if (is("--stdlib")) {
      if (!value(o.stdlib)) return usageError("--stdlib needs a directory");
    } else if (int taken = parseGenerationOption(args, i, o); taken != 0) {
      if (taken < 0)
        return 2;
    } else if (a.size() > 1 && a[0] == '-') {
      return usageError("unknown option '" + a + "'");
    } else if (o.command.empty()) {
      o.command = a;
    } else if (o.file.empty()) {
      o.file = a;
    } else {
      return usageError("unexpected argument '" + a + "'");
    }
  }
  if (o.command.empty() || (o.help && o.command == "help")) {
    std::fputs(kUsage, o.command.empty() && !o.help ? stderr : stdout);
    return o.command.empty() && !o.help ? 2 : 0;
  }
  if (o.help) {
    auto it = kCommandHelp.find(o.command);
    if (it == kCommandHelp.end())
      return usageError("unknown command '" + o.command + "'");
    std::fputs(it->second.c_str(), stdout);
    return 0;
  }
  for (const std::string &flag : o.generationFlags)
    if (o.command != "generate" && o.command != "serve" &&
        !(flag == "--checkpoint" && o.command == "eval"))
      return usageError(flag + (flag == "--checkpoint" ? " applies to generate, serve and eval"
                                                       : " applies to generate and serve") +
                        ", not " + o.command);
  if (!o.device.empty() && !deviceApplies(o.command))
    return usageError("--device applies to check, eval, train, generate and serve");
  if (o.repeat != 1 && o.command != "eval")
    return usageError("--repeat applies to eval");
  if (!o.inputsFile.empty() && o.command != "eval")
    return usageError("--inputs applies to eval");
  if (o.gradient && o.command != "eval" && o.command != "compile")
    return usageError("--gradient applies to compile and eval");
  if (o.trainStep && o.command != "compile")
    return usageError("--train-step applies to compile");
  if (!o.optimizerStep.empty() && o.command != "train")
    return usageError("--optimizer-step applies to train");
  if (o.profileKernels && o.device != "cuda")
    return usageError("--profile-kernels times GPU kernels: add --device cuda");
  // check --numerics runs the model once: compiling quickly pays more.
  if (o.codegen.empty())
    o.codegen = o.command == "check" && o.numerics ? "quick" : "full";
  if (o.attentionTiles != "f32" && o.command != "compile" && o.device != "cuda" && !o.emulateGPU)
    return usageError("--attention-tiles " + o.attentionTiles +
                      " picks the GPU attention kernel's tiles: add --device cuda, or "
                      "--emulate-gpu-attention to reproduce their rounding on the CPU");
  if (o.matmulTiles != "f32" && o.command != "compile" && o.device != "cuda" && !o.emulateGPU)
    return usageError("--matmul-tiles " + o.matmulTiles +
                      " picks the GPU matmul kernels' tiles: add --device cuda, or "
                      "--emulate-gpu-attention to reproduce their rounding on the CPU");
  if (o.f64 && o.command != "eval")
    return usageError("--dtype applies to eval only (train and check --numerics run in f32)");
  if ((!o.referenceIn.empty() || !o.referenceOut.empty()) && !(o.command == "check" && o.numerics))
    return usageError(std::string(o.referenceIn.empty() ? "--save-reference" : "--reference") +
                      " applies to check --numerics");
  if (!o.referenceIn.empty() && !o.referenceOut.empty())
    return usageError("--reference compares with a saved reference and --save-reference "
                      "saves a new one: give one of them");
  if (o.profileKernels)
    frond::runtime::cuda::setMgpuKernelProfiling(true);
  int rc = 0;
  runOnLargeStack([&] {
    bindToMainArena();
    rc = runCommand(o);
  });
  if (o.profileKernels)
    std::fputs(frond::runtime::describeKernelProfile(frond::runtime::cuda::takeMgpuKernelProfile())
                   .c_str(),
               stdout);
  std::fflush(stdout);
  return rc;
}