# lit configuration for Frond's FileCheck tests.
import os
import sys
import lit.formats

config.name = "Frond"
config.test_format = lit.formats.ShTest(execute_external=False)
config.suffixes = [".spec", ".mlir", ".test", ".toml"]
config.excludes = ["Inputs", "lit.cfg.py", "lit.site.cfg.py.in"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.frond_obj_root, "tests", "lit")

# One JIT cache for the suite, inside the build tree (tests of the cache
# itself use their own directory).
config.environment["FROND_CACHE_DIR"] = os.path.join(config.test_exec_root, "jit-cache")
config.environment["FROND_STDLIB"] = os.path.join(config.frond_src_root, "stdlib")
config.substitutions.append(("%frond_src", config.frond_src_root))
config.substitutions.append(("%frond_bin", os.path.join(config.frond_tools_dir, "frond")))
config.substitutions.append(("%stdlib", os.path.join(config.frond_src_root, "stdlib")))
config.substitutions.append(("%experiments", os.path.join(config.frond_src_root, "experiments")))
config.environment["PATH"] = os.pathsep.join(
    [config.frond_tools_dir, config.llvm_tools_dir, config.environment.get("PATH", os.environ["PATH"])])
for feature in config.frond_features:
    config.available_features.add(feature)

# %python runs helper scripts with the interpreter running lit; %exitcode
# runs a command, merges its output and prints "exit code: N" last (lit's
# `not` only says "non-zero").
config.substitutions.append(("%python", sys.executable))
config.substitutions.append(
    ("%exitcode", sys.executable + " " + os.path.join(config.test_source_root, "Inputs", "exit-code.py")))

# CUDA (tests/lit/cuda). `libcuda`: the NVIDIA driver library loads here;
# `cuda`: `frond devices` found a GPU (device tests say REQUIRES: cuda);
# `cuda-stub`: the toolkit's stub libcuda exists (%cuda_stub). %fake_libcuda
# is the stand-in driver of tests/unit/FakeCuda.cpp.
import ctypes
import subprocess

config.substitutions.append(
    ("%fake_libcuda", os.path.join(config.frond_obj_root, "lib", "libfrond-fake-cuda.so")))
try:
    ctypes.CDLL("libcuda.so.1")
    config.available_features.add("libcuda")
except OSError:
    pass
try:
    devices = subprocess.run([os.path.join(config.frond_tools_dir, "frond"), "devices"],
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, timeout=60,
                             env={k: v for k, v in os.environ.items() if k != "FROND_LIBCUDA"})
    if any(line.startswith(b"device ") for line in devices.stdout.splitlines()):
        config.available_features.add("cuda")
except (OSError, subprocess.SubprocessError):
    pass
cuda_stub = "/usr/local/cuda/lib64/stubs/libcuda.so"
if os.path.exists(cuda_stub):
    config.available_features.add("cuda-stub")
    config.substitutions.append(("%cuda_stub", cuda_stub))
