//===- DeviceCommand.cpp - frond devices, and --device cuda ---------------===//
//
// `frond devices` lists the CUDA devices (or says why there are none; exit 0
// either way). `--device cuda` (or run.device = "cuda") on check, eval,
// train, generate and serve opens device 0 first: without a GPU the command
// stops with the "no CUDA device" message and exit status 2. With one, the
// device is reported; `check` then checks the spec as on the CPU, `eval` and
// `check --numerics` run the forward on the GPU (CompileOptions::Target::
// CUDA), while train, generate and serve say that they do not run on the GPU
// yet (exit 1) instead of quietly running on the CPU.
//
//===----------------------------------------------------------------------===//
#include "Cli.h"

#include "frond/runtime/CudaDevice.h"

#include <cstdio>

using namespace frond;
using namespace frond::cli;
using namespace frond::runtime::cuda;

const char *const frond::cli::kDevicesHelp =
    "usage: frond devices\n\n"
    "Lists the CUDA devices: index, name, compute capability, multiprocessors\n"
    "and memory, and the driver's version. libcuda.so.1 (the NVIDIA driver) is\n"
    "opened at run time; FROND_LIBCUDA names another file to open instead. On\n"
    "a machine without a GPU it says why there is none. Exit status: 0.\n";

int frond::cli::devicesCommand() {
  std::vector<CudaDeviceInfo> devices;
  std::string error;
  if (!listCudaDevices(devices, error)) {
    std::printf("%s\n", error.c_str());
    return 0;
  }
  const CudaDriver *driver = loadCudaDriver(error);
  std::printf("CUDA driver %s (%s)\n", cudaDriverVersionString(driver->version).c_str(),
              driver->library.c_str());
  for (const CudaDeviceInfo &d : devices)
    std::printf("device %d: %s\n", d.index, d.describe().c_str());
  return 0;
}

bool frond::cli::deviceApplies(const std::string &command) {
  return command == "check" || command == "eval" || command == "train" ||
         command == "generate" || command == "serve";
}

int frond::cli::cudaDeviceGate(const Options &o) {
  std::string error;
  auto ctx = CudaContext::open(0, error);
  if (!ctx) {
    std::fprintf(stderr, "frond: error: %s\n", error.c_str());
    return 2;
  }
  std::fprintf(stderr, "frond: CUDA device 0: %s, driver %s\n", ctx->info().describe().c_str(),
               cudaDriverVersionString(ctx->driver().version).c_str());
  return -1;
}

jit::CompileOptions frond::cli::jitOptions(const Options &o) {
  jit::CompileOptions options;
  options.cacheDir = o.cacheDir;
  options.refreshCache = o.noCache;
  options.emulateGPUAttention = o.emulateGPU;
  if (o.device == "cuda")
    options.target = jit::CompileOptions::Target::CUDA;
  options.gpuAttentionTiles = o.attentionTiles;
  options.gpuMatmulTiles = o.matmulTiles;
  if (o.codegen == "quick")
    options.llvmTuning = jit::LLVMTuning::quick();
  return options;
}
