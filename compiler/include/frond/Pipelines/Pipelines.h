//===- Pipelines.h - frond pass pipelines -----------------------*- C++ -*-===//
//
// Pipelines as library functions: the CLI, frond-opt (--frond-cpu-pipeline,
// --frond-cuda-pipeline) and tests build exactly the same pass lists from here.
//
//===----------------------------------------------------------------------===//
#ifndef FROND_PIPELINES_PIPELINES_H
#define FROND_PIPELINES_PIPELINES_H

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassOptions.h"

namespace mlir {
class DialectRegistry;
} // namespace mlir

namespace mlir::frond {

/// Options of the CPU pipeline (frond → LLVM dialect).
struct CPUPipelineOptions : public PassPipelineOptions<CPUPipelineOptions> {
  Option<int64_t> queryTile{*this, "query-tile",
                            llvm::cl::desc("attention query tile size"),
                            llvm::cl::init(64)};
  Option<int64_t> keyTile{*this, "key-tile",
                          llvm::cl::desc("attention key tile size"),
                          llvm::cl::init(64)};
  Option<bool> fuseElementwise{
      *this, "fuse-elementwise",
      llvm::cl::desc("fuse producer/consumer elementwise linalg ops"),
      llvm::cl::init(true)};
  Option<bool> vectorize{
      *this, "vectorize",
      llvm::cl::desc("register-tile and vectorize contractions "
                     "(frond-tile-and-vectorize)"),
      llvm::cl::init(true)};
  Option<int64_t> tileM{*this, "tile-m",
                        llvm::cl::desc("contraction register tile: rows"),
                        llvm::cl::init(8)};
  Option<int64_t> tileN{*this, "tile-n",
                        llvm::cl::desc("contraction register tile: columns"),
                        llvm::cl::init(64)};
  Option<int64_t> tileK{*this, "tile-k",
                        llvm::cl::desc("contraction register tile: k steps"),
                        llvm::cl::init(1)};
  Option<bool> emulateGPUAttention{
      *this, "emulate-gpu-attention",
      llvm::cl::desc("lower attention with the CUDA pipeline's f32 kernels, run as "
                     "host loops (frond-lower-attention-to-gpu{emulate}), and the rest "
                     "as the CUDA pipeline's loop nests (fills per use, parallel loops "
                     "outside reductions, full reductions in two stages, copies as "
                     "loops, cumsum and embedding gradients as one nest each, "
                     "adjacent nests fused; no vectorization), run "
                     "sequentially, to check those numbers on the CPU"),
      llvm::cl::init(false)};
  Option<std::string> emulatedAttentionTiles{
      *this, "emulated-attention-tiles",
      llvm::cl::desc("with emulate-gpu-attention: the attention tiles to emulate, f32, or "
                     "bf16/f16 (the f32 kernel rounding where the mma.sync kernel does)"),
      llvm::cl::init("f32")};
  Option<std::string> emulatedMatmulTiles{
      *this, "emulated-matmul-tiles",
      llvm::cl::desc("with emulate-gpu-attention: the matmul tiles to emulate, f32, or "
                     "tf32/bf16/f16 (the f32 kernel rounding its operands as the "
                     "mma.sync kernel does)"),
      llvm::cl::init("f32")};
  Option<bool> chunkLinearAttention{
      *this, "chunk-linear-attention",
      llvm::cl::desc("linear, relaxed_linear and aft attention under a causal mask (or "
                     "none) as chunked scans of key-tile positions "
                     "(frond-chunk-linear-attention); false: the tiled loops over all "
                     "query x key tiles"),
      llvm::cl::init(true)};
};

/// frond (tensors) → LLVM dialect on the CPU: linear attention kinds as
/// chunked scans (chunk-linear-attention), lower attention, lower the
/// other ops to linalg, canonicalize/CSE, fuse elementwise ops, one-shot
/// bufferize (function boundaries included, identity layouts), free
/// temporaries, linalg to loops, then everything to LLVM. Functions keep
/// their argument order; each tensor argument/result becomes a memref
/// descriptor (expanded to scalars by the LLVM calling convention).
void buildCPUPipeline(OpPassManager &pm, const CPUPipelineOptions &options);

/// Dialects and external interface models the CPU pipeline needs loaded
/// (bufferization models of arith/linalg/tensor/scf/func, ...).
void registerCPUPipelineDialects(DialectRegistry &registry);

/// Options of the CUDA pipeline (frond → gpu.module with NVVM, PTX).
struct CUDAPipelineOptions : public PassPipelineOptions<CUDAPipelineOptions> {
  Option<std::string> chip{*this, "chip", llvm::cl::desc("target GPU (sm_80, sm_90, ...)"),
                           llvm::cl::init("sm_80")};
  Option<std::string> features{*this, "features",
                               llvm::cl::desc("PTX features: the PTX ISA version"),
                               llvm::cl::init("+ptx80")};
  Option<int64_t> queryTile{*this, "query-tile",
                            llvm::cl::desc("attention query rows per block"),
                            llvm::cl::init(64)};
  Option<int64_t> keyTile{*this, "key-tile",
                          llvm::cl::desc("attention keys per workgroup-memory tile"),
                          llvm::cl::init(64)};
  Option<std::string> elementType{
      *this, "element-type",
      llvm::cl::desc("attention tile type: f32 (scalar kernel), bf16 or f16 "
                     "(mma.sync tensor cores, f32 accumulation)"),
      llvm::cl::init("f32")};
  Option<std::string> matmulType{
      *this, "matmul-type",
      llvm::cl::desc("matmul tile type: f32 (CUDA cores), or tf32, bf16, f16 (mma.sync "
                     "tensor cores, operands rounded to it, f32 accumulation)"),
      llvm::cl::init("f32")};
  Option<int64_t> blockSize{*this, "block-size",
                            llvm::cl::desc("threads per block of the other kernels"),
                            llvm::cl::init(256)};
  Option<unsigned> optLevel{*this, "opt-level",
                            llvm::cl::desc("NVPTX optimisation level"), llvm::cl::init(3)};
  Option<bool> serialize{*this, "serialize",
                         llvm::cl::desc("run gpu-module-to-binary{format=isa}: PTX "
                                        "text in a gpu.binary (false: stop at the "
                                        "NVVM gpu.module)"),
                         llvm::cl::init(true)};
  Option<bool> lowerHost{
      *this, "lower-host",
      llvm::cl::desc("lower the host code to the LLVM dialect, to run it: host "
                     "buffers become managed GPU memory (frond-host-buffers-to-gpu), "
                     "gpu.alloc/dealloc become mgpu* runtime calls (gpu-to-llvm); "
                     "gpu.binary and gpu.launch_func stay, for the LLVM IR "
                     "translation to embed the PTX and call mgpuLaunchKernel. "
                     "Implies serialize"),
      llvm::cl::init(false)};
  Option<bool> asyncLaunches{
      *this, "async-launches",
      llvm::cl::desc("with lower-host: queue the kernels of each host block on one stream "
                     "and wait only before host code touches memory or the block ends "
                     "(frond-async-gpu-launches); false: wait after every launch"),
      llvm::cl::init(true)};
};

/// frond (tensors) → host functions calling `gpu.launch_func` + one
/// `gpu.module` per kernel with an NVVM target, then (with `serialize`)
/// `gpu.binary` ops holding PTX. Softmax attention becomes a flash-attention
/// kernel (frond-lower-attention-to-gpu); everything else goes through
/// linalg, bufferization, parallel loops and the upstream GPU mapping.
/// Host code stays at the func/scf/memref level: its buffers must be
/// device-accessible (no allocation or copy to the device is inserted), and
/// linalg ops without a parallel dimension (full reductions: the loss) stay
/// host loops. With `lowerHost`, host buffers become managed memory and the
/// host code goes on to the LLVM dialect (what the JIT runs, with the mgpu*
/// functions of frond/runtime/CudaMgpu.h).
void buildCUDAPipeline(OpPassManager &pm, const CUDAPipelineOptions &options);

/// Dialects, LLVM conversion interfaces, the NVVM target model and the
/// LLVM IR translations the CUDA pipeline needs.
void registerCUDAPipelineDialects(DialectRegistry &registry);

/// Registers `--frond-cpu-pipeline` and `--frond-cuda-pipeline` for
/// mlir-opt style drivers.
void registerFrondPipelines();

} // namespace mlir::frond

#endif // FROND_PIPELINES_PIPELINES_H
