//===- GPUPasses.td - frond passes of the CUDA pipeline ---*- tablegen -*-===//
//
// The passes only the CUDA pipeline runs (or that prepare loop nests the way
// the GPU wants them, which the CPU pipeline also runs to emulate it):
// attention as GPU kernels, loop nests mapped to blocks and threads, the
// host code's launches, streams and buffers, and PTX. Included by
// Passes.td, so that one Passes.h.inc declares every frond pass.
//
//===----------------------------------------------------------------------===//
#ifndef FROND_TRANSFORMS_GPUPASSES_TD
#define FROND_TRANSFORMS_GPUPASSES_TD

include "mlir/Pass/PassBase.td"

def FrondLowerAttentionToGPU : Pass<"frond-lower-attention-to-gpu", "ModuleOp"> {
  let summary = "lower frond.attention (and its attention_grad) to tiled flash-attention GPU kernels";
  let description = [{
    Replaces each `frond.attention` with static head sizes (aft: D == Dv;
    others are left for `frond-lower-attention`) by a kernel on buffers:
    the operands and tensor captures are read through
    `bufferization.to_buffer`, the output and the row statistic `[b, h, tq]`
    (for a backward pass: the log-sum-exp, or Σ w for the kinds without
    softmax) are fresh buffers, and the result is
    `bufferization.to_tensor` of the output, so the rest of the function
    bufferizes around the kernel.

    The kernel is a `gpu.func` in a `gpu.module` of its own, both named
    `@<func>_attention_<n>`, launched on a grid (ceil(tq / Tq), h, b):

    ```
    one block per (query tile, head, batch):
      for k0 in 0..tk step Tk:                          (key tiles)
        [must, may] = mask over the tile's (q, k) box      (interval evaluation)
        if may:                                         (empty tiles skipped)
          barrier; K/V tile → workgroup memory; barrier
          s = score(scale · q·k); if !must: s = mask ? s : -inf
          online softmax update of (m, l, acc) in f32
      out = acc / l; lse = m + log(l)
    ```

    Until buffers are deallocated the host calls it through a `func.call`
    of a private declaration carrying `frond.gpu_kernel` (grid sizes, then
    the kernel's arguments); `frond-launch-gpu-kernels` turns the call into
    `gpu.launch_func`. (Buffer deallocation rejects GPU ops, whose memory
    effects are unknown, so kernels appear in host code only after it.)

    Every kind shares the kernel; per key the row's state is updated by
    kind (w = s where visible, else 0):
    - `softmax`: the online softmax above;
    - `power_law`: softmax attention of q G (`frond.matmul` of q and the
      metric on tensors before the kernel; its gradient gives dq = d(qG) Gᵀ
      and dG = qᵀ d(qG) after the backward kernels);
    - `linear`: l += w, acc += w v, out = acc / l;
    - `relaxed_linear`: acc += w v, out = acc;
    - `aft`: w = score(1) (no q·k), acc += w (k ⊙ v), out = scale · q ⊙ acc.
    Only softmax and power_law use the mma.sync kernel; the others take the
    f32 one whatever `element-type`.

    The mask region is evaluated once per tile over intervals: the query
    and key indices range over the tile's box; `b`, `h`, constants and
    values read with exact indices (`src_len[b]`) are exact; integer
    arithmetic, comparisons, `and`/`or`/`xor` and `select` propagate
    (must, may) bounds; anything else is unknown. A tile whose mask cannot
    be true is skipped (causal: key tile after the query tile; sliding
    window: key tile before the window); a tile where it must be true
    computes scores without the mask. Per element, the mask and score
    regions are cloned inline, a capture's `tensor.extract` reading its
    buffer with `memref.load`.

    Two kernels:
    - `element-type=f32`: one thread per query row (Tq threads); the row's
      accumulator is a `vector<Dv x f32>`, K/V tiles are staged in f32.
    - `element-type=bf16` or `f16`: Tq / 16 warps, each owning 16 query
      rows; Q, K and Vᵀ tiles are staged in that type (head sizes padded to
      16 and 8), Q·Kᵀ and P·V are `nvvm.mma.sync` m16n8k16 with f32
      accumulators, row maxima and sums are combined with warp shuffles.

    The backward: an `attention_grad` whose `out` is the result of a
    forward lowered here reads that forward's row statistic and becomes two
    launches (f32, a thread per row; for softmax and power_law with
    `element-type=bf16|f16`, Tq / 16 warps of `nvvm.mma.sync` instead, see
    below); for softmax:

    ```
    dQ kernel, grid (ceil(tq / Tq), h, b), a thread per query row i:
      delta_i = dO_i·O_i; lse_i saved (-inf, a row without keys, as +inf)
      per key tile (skipped / unmasked as above, K/V staged):
        P = exp(s - lse_i); G = P (dO_i·v_j - delta_i)
        dS = G · score'(scale · q·k) · scale; dQ_i += dS k_j
        captured tensors the score reads: += G · ∂score/∂c (atomic add)
      write dQ_i, delta_i
    dK/dV kernel, grid (ceil(tk / Tq), h_kv, b), a thread per key row j:
      for each query head of the K/V head, each query tile (mask bounds
      over its box skip it or drop the mask; Q and dO staged):
        dV_j += P dO_i; dK_j += dS q_i
      write dK_j, dV_j
    ```

    linear: P = w / L, G = (dP - delta) / L; relaxed_linear: P = w,
    G = dP (both 0 where masked). aft, with U_i = scale · q_i ⊙ dO_i: the dQ
    kernel sums A_i = Σ_j w_ij k_j ⊙ v_j (dQ_i = scale · dO_i ⊙ A_i;
    captures get U_i · (k_j ⊙ v_j) · ∂score/∂c), the dK/dV kernel
    d(k ⊙ v)_j = Σ_i w_ij U_i (dK = v ⊙ ·, dV = k ⊙ ·).

    On tensor cores each warp keeps its 16 rows' operands as A fragments
    (dQ: Q and dO; dK/dV: K and V), staged tiles are row-major in the tile
    type (D and Dv padded to 16), S = Q Kᵀ and dP = dO Vᵀ (transposed in
    the dK/dV kernel) are mma.sync products, and P and dS, rounded to the
    tile type, are the A fragments of dV += Pᵀ dO, dK += dSᵀ Q and
    dQ += dS K straight from the accumulators; delta is summed by the 4
    lanes of a row in f32.

    Two kernels rather than one with atomic dQ: every gradient row has a
    single writer. Kernels whose text is the same (every layer's, and
    a gradient's recomputed forward) are kept once, their launches
    retargeted, before later passes walk every copy. A gradient whose forward was not lowered here is left
    for `frond-lower-attention`.

    The key tile shrinks until the tiles fit in 48 KiB of workgroup memory.
    Exponentials are `math.exp2` marked `afn` (scores scaled by log2 e),
    which `frond-nvvm-approx-math` makes `ex2.approx`. With `emulate`, the
    f32 kernel is built as host loops in the function instead (blocks and
    threads become `scf.for`, workgroup buffers `memref.alloca`), so the CPU
    JIT can check its numbers against the reference. mma.sync has no host
    form: `emulate` with `element-type=bf16|f16` builds the f32 kernel but
    rounds through that type where the mma kernels do (q, k and v as
    staged, the probabilities that multiply v; their sum stays f32; in the
    backward also dO, and P and dS where they multiply), so the host
    reproduces the tensor-core kernels' rounding, not their instructions.
  }];
  let options = [
    Option<"queryTile", "query-tile", "int64_t", /*default=*/"64",
           "Query rows per block">,
    Option<"keyTile", "key-tile", "int64_t", /*default=*/"64",
           "Keys per workgroup-memory tile">,
    Option<"elementType", "element-type", "std::string", /*default=*/"\"f32\"",
           "Type of the staged Q/K/V tiles: f32 (scalar kernel), bf16 or f16 (mma.sync)">,
    Option<"emulate", "emulate", "bool", /*default=*/"false",
           "Build the f32 kernel as host loops (to run it on the CPU); with bf16/f16 "
           "tiles, rounding as the mma.sync kernel does">,
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::bufferization::BufferizationDialect",
    "::mlir::func::FuncDialect", "::mlir::gpu::GPUDialect", "::mlir::math::MathDialect",
    "::mlir::memref::MemRefDialect", "::mlir::NVVM::NVVMDialect",
    "::mlir::scf::SCFDialect", "::mlir::vector::VectorDialect",
    "::mlir::LLVM::LLVMDialect"
  ];
}

def FrondFillPerUse : Pass<"frond-fill-per-use", "func::FuncOp"> {
  let summary = "give every user of a linalg.fill on tensors its own fill, next to it";
  let description = [{
    CSE merges identical fills (the zero accumulator of every sum over the
    same shape), and one-shot bufferization can then write only one user
    in place: each other user gets a fresh buffer and a `memref.copy` of
    the filled one. On the GPU path such copies run on the host over
    managed memory, and the fill sits far from the reduction that reads
    it, so `scf-parallel-loop-fusion` cannot merge the two. Run right
    before bufferization (after the last CSE), this pass clones each fill
    in front of every user and erases the original: each reduction fills
    its own buffer in place, in the loop nest next to it.
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect"];
}

def FrondReductionsInnermost : Pass<"frond-reductions-innermost", "func::FuncOp"> {
  let summary = "interchange linalg.generic loops so the parallel ones come first";
  let description = [{
    `convert-linalg-to-parallel-loops` keeps the loop order: a sum over
    the leading dimensions (a bias gradient, summed over batch and time)
    becomes host `scf.for` loops around a small `scf.parallel`, which on
    the GPU is one kernel launch per batch × time step. This pass
    reorders each `linalg.generic`'s loops (upstream
    `linalg::interchangeGenericOp`) so every parallel dimension is outside
    every reduction dimension, each group in its original order: one
    kernel, each thread summing its own output over the reduced
    dimensions. Nothing changes for ops whose reductions are already
    innermost.
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect"];
}

def FrondParallelScanScatter : Pass<"frond-parallel-scan-scatter", "func::FuncOp"> {
  let summary = "cumsum and embedding_grad as one parallel loop nest each (for the GPU)";
  let description = [{
    `frond-lower-to-linalg` lowers `cumsum` and `embedding_grad` to
    tensor-level `scf.for` loops over positions or tokens, a slice per
    step: vectorized rows on the CPU, but on the GPU one or two kernel
    launches per step. Run before it on the GPU path, this pass lowers
    each to a single `scf.parallel` that writes a fresh buffer, taken as
    the op's tensor (`bufferization.to_tensor restrict writable`):
    `cumsum` has a thread per position of the other dimensions looping
    over the scanned one (floats accumulate in f64, as on the CPU);
    `embedding_grad` zero-fills the table and has a thread per (token,
    column) adding its gradient into its id's row with
    `memref.atomic_rmw addf` (on the GPU the order of the additions, and
    so the last bits, vary from run to run). A single id's
    `embedding_grad` is left to `frond-lower-to-linalg`.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect", "::mlir::bufferization::BufferizationDialect",
                           "::mlir::linalg::LinalgDialect", "::mlir::memref::MemRefDialect",
                           "::mlir::scf::SCFDialect", "::mlir::tensor::TensorDialect"];
}

def FrondSplitReductions : Pass<"frond-split-reductions", "func::FuncOp"> {
  let summary = "a reduction into few outputs as two parallel stages";
  let description = [{
    Mapped as it is, a `linalg.generic` reduction runs a thread per output
    value folding every reduced element in turn. A reduction into scalars
    (a loss summed over batch and time) then has no parallel loop at all
    (`convert-linalg-to-parallel-loops` makes host `scf.for` loops of it,
    which on the GPU path read the buffers on the host), and a reduction
    into a few columns (a bias or layer-norm gradient summed over batch x
    time into [d]) is one block of d threads, each walking every row, on
    one of the GPU's multiprocessors. This pass splits such an op (on
    buffers, its parallel loops first, each output indexed by exactly
    them) into two `scf.parallel` nests: C chunks x the outputs' positions
    fold the body over every C-th element of the flattened reduced loops,
    starting from the combiner's neutral element, into a [C, outputs]
    buffer; then a thread per output position folds its C partial results
    into the output's value.

    A reduction into scalars gets C = `partials`. One into outputs of
    static extent N ≤ `max-outputs` whose reduced loops are dynamic or
    span at least 4096 elements gets C = 65536 / N clamped to
    [2, `partials`] (enough threads to fill the GPU; consecutive threads
    read consecutive columns). Other reductions, and ops whose combiner is
    not a single binary op with a known neutral element (`matchReduction`,
    `arith::getNeutralElement`), are left as they are. The sum's order
    changes, so floating-point results differ in the last bits.
  }];
  let options = [
    Option<"partials", "partials", "int64_t", /*default=*/"256",
           "chunks of a reduction into scalars, and at most that many for others">,
    Option<"maxOutputs", "max-outputs", "int64_t", /*default=*/"4096",
           "largest number of output values a reduction split into chunks may have">,
  ];
  let dependentDialects = ["::mlir::affine::AffineDialect", "::mlir::scf::SCFDialect",
                           "::mlir::memref::MemRefDialect", "::mlir::arith::ArithDialect"];
}

def FrondContractionsToGPU : Pass<"frond-contractions-to-gpu", "ModuleOp"> {
  let summary = "f32 contractions on buffers (matmuls) as tiled GPU kernels";
  let description = [{
    `convert-linalg-to-parallel-loops` makes a contraction one GPU thread
    per output element, each reading a whole row of A and column of B from
    global memory. This pass turns every f32 `linalg` contraction on
    buffers with at least one M, one N and one K loop
    (`linalg::inferContractionDims`; batch loops allowed, maps projected
    permutations, several loops per group flattened) into a tiled kernel:

    ```
    grid (ceil(N / tile-n), ceil(M / tile-m), batch), 16 x 16 threads
    acc[4][4] = 0                       -- rows ty + 16 i, columns tx + 16 j
    for k0 in [0, K) step tile-k:
      all threads stage A[m0 .. + tile-m, k0 .. + tile-k] and
      B[k0 .., n0 ..] in workgroup memory (zero past M, N and K)
      acc[i][j] += As[kk][ty + 16 i] * Bs[kk][tx + 16 j]  for kk < tile-k
    C[m][n] += acc                      -- inside M and N
    ```

    so each element of A and B is read from global memory
    N / tile-n (M / tile-m) times instead of N (M) times. The tile sizes
    are multiples of 16. Split-K: when M, N and the batch loops are static
    and make fewer than 128 output tiles (a weight gradient [d, d] summed
    over every token), the grid's z also counts S splits of the depth
    tiles (S = ceil(K tiles / 8) at run time, at most 16 and at most what
    brings the blocks to 128); each block stores its partial sums to a
    workspace [S, batch, M, N] (memref.alloc'ed around the launch), and a
    second kernel, one thread per output, adds them to C in split order,
    so the result does not depend on the order blocks run in. Contractions of the same indexing maps and
    operand types (a layer's q, k and v projections, every layer's) launch
    one kernel; the kernels share `gpu.module`s of at most 64
    (`@frond_matmuls`, ...) and their workgroup tiles, so
    `gpu-module-to-binary` sets LLVM up once per module. With `emulate`, the same kernel is built as host
    loops (one emulated thread after another between the stages, the
    accumulators in a buffer per thread), so the CPU JIT can check its
    numbers against the reference. Contractions already inside a kernel or
    a parallel loop, and the others (a sum of products into a vector, a
    non-f32 type), are left as they are.

    `element-type=tf32|bf16|f16`: tensor cores. The operands are rounded
    to that type as they are staged (tf32 to nearest, ties away, as
    cvt.rna.tf32.f32; kept in f32 bits), and the block's 8 warps compute
    the tile with `nvvm.mma.sync` (m16n8k8 tf32, m16n8k16 bf16/f16) into
    f32 accumulators: tile-m / 16 warps along M, the rest along N, the
    tiles staged as [rows][tile-k + 16 bytes] (ContractionMma.h). With
    `emulate`, the f32 kernel rounds the staged operands the same way.
  }];
  let options = [
    Option<"tileM", "tile-m", "int64_t", /*default=*/"64", "Output rows per block">,
    Option<"tileN", "tile-n", "int64_t", /*default=*/"64", "Output columns per block">,
    Option<"tileK", "tile-k", "int64_t", /*default=*/"16",
           "Reduction depth of the workgroup tiles">,
    Option<"emulate", "emulate", "bool", /*default=*/"false",
           "Build the kernel as host loops (to run it on the CPU)">,
    Option<"elementType", "element-type", "std::string", /*default=*/"\"f32\"",
           "The products' type: f32 (CUDA cores), or tf32, bf16, f16 (mma.sync "
           "tensor cores, f32 accumulation)">,
  ];
  let dependentDialects = [
    "::mlir::affine::AffineDialect", "::mlir::arith::ArithDialect",
    "::mlir::func::FuncDialect", "::mlir::gpu::GPUDialect", "::mlir::math::MathDialect",
    "::mlir::memref::MemRefDialect", "::mlir::scf::SCFDialect",
    "::mlir::LLVM::LLVMDialect", "::mlir::NVVM::NVVMDialect",
    "::mlir::vector::VectorDialect"
  ];
}

def FrondHostOpsToParallel : Pass<"frond-host-ops-to-parallel", "func::FuncOp"> {
  let summary = "buffer copies and loop-free linalg ops as parallel loops";
  let description = [{
    On the GPU path only `scf.parallel` nests become kernels; what is left
    runs on the host and reads device buffers there. This pass turns each
    `memref.copy` (a concatenation's slices, a buffer kept alive across a
    loop) into `linalg.copy`, and moves each linalg op without loops (a
    fill of a rank-0 buffer, a loss divided by its token count) into a
    one-iteration `scf.parallel`, so both become kernels. Ops already in
    an `scf.parallel` or a `gpu.launch` are left alone.
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect", "::mlir::scf::SCFDialect",
                           "::mlir::arith::ArithDialect"];
}

def FrondMergeGPUModules : Pass<"frond-merge-gpu-modules", "ModuleOp"> {
  let summary = "gather the outlined kernels into one gpu.module";
  let description = [{
    `gpu-kernel-outlining` puts each kernel in a `gpu.module` of its own,
    and `gpu-module-to-binary` serializes each module on its own: an LLVM
    module, its optimisation pipeline, libdevice linked and the NVPTX
    backend set up once per kernel, which dominated a gradient's compile
    time (hundreds of small kernels). This pass moves every kernel that is
    alone in its module (no workgroup globals, no other symbols) into one
    `gpu.module @frond_kernels`, named after its old module, and points
    the `gpu.launch_func` ops at it; the attention kernels, which have
    workgroup tiles, keep their modules. At run time the merged module is
    loaded once. First, a module of one kernel (and its workgroup tiles)
    whose text (signature, attributes, constants, body and tiles, names
    left out) is that of one already kept is dropped and its launches take
    the kept kernel: a layer's elementwise and attention kernels repeat in
    every layer, and the gradient recomputes the forward's, each of which
    would be compiled again.

    A gradient has hundreds of kernels: they are gathered into modules of
    at most `kernels-per-module` (`@frond_kernels`, `@frond_kernels_0`,
    ...), so `frond-serialize-gpu-modules` can run the NVPTX backend on
    several of them at once. A fixed size, not the core count, keeps the
    PTX the same on every machine.
  }];
  let options = [
    Option<"kernelsPerModule", "kernels-per-module", "int64_t", /*default=*/"64",
           "the most kernels one merged module holds">,
  ];
  let dependentDialects = ["::mlir::gpu::GPUDialect"];
}

def FrondSerializeGPUModules : Pass<"frond-serialize-gpu-modules", "ModuleOp"> {
  let summary = "gpu-module-to-binary (format=isa), the modules compiled concurrently";
  let description = [{
    Does what upstream `gpu-module-to-binary{format=isa}` does: each
    `gpu.module` becomes a `gpu.binary` holding one object per target
    attribute (PTX for `#nvvm.target`), made by the target's
    `serializeToObject` (LLVM IR translation, libdevice linked, the LLVM
    optimisation pipeline and the NVPTX backend). Upstream serializes the
    modules one after another; here they are serialized on MLIR's thread
    pool, one module per task, since each is translated into an
    `llvm::LLVMContext` and a TargetMachine of its own. The binaries are
    then created in the modules' order, so the output does not depend on
    the number of threads (`--mlir-disable-threading` gives the same PTX).
  }];
  let dependentDialects = ["::mlir::gpu::GPUDialect"];
}

def FrondLaunchGPUKernels : Pass<"frond-launch-gpu-kernels", "ModuleOp"> {
  let summary = "turn calls of frond.gpu_kernel declarations into gpu.launch_func";
  let description = [{
    Replaces each `func.call` of a declaration carrying
    `frond.gpu_kernel = @module::@kernel` (as `frond-lower-attention-to-gpu`
    leaves them) by `gpu.launch_func` of that kernel: the first three
    operands are the grid sizes, the block size is the kernel's
    `known_block_size`, the other operands are the kernel's arguments. The
    declarations are erased. Run after buffer deallocation.
  }];
  let dependentDialects = ["::mlir::gpu::GPUDialect"];
}

def FrondHostBuffersToGPU : Pass<"frond-host-buffers-to-gpu", "ModuleOp"> {
  let summary = "host buffers of a CUDA module become device or managed GPU memory";
  let description = [{
    In the host functions of a module that launches GPU kernels (func.func
    directly in the module, after the CUDA pipeline), every `memref.alloc`
    becomes a GPU allocation: device memory (`gpu.alloc`, cuMemAlloc) when
    only kernels use the buffer, and managed memory (`gpu.alloc
    host_shared`, cuMemAllocManaged) when host code touches it or a view
    of it: a load, a store or a copy on the host, a returned result (the
    caller reads it), a call or a loop-carried value. Every
    `memref.dealloc` becomes `gpu.dealloc`. Upstream lowers device
    allocations and deallocations only in the asynchronous form, so each
    gets a stream of its own (`gpu.wait async`, the op `async`, `gpu.wait`).
    Function arguments must be managed or device memory too: the caller
    (the JIT) allocates them so. A stack buffer (`memref.alloca`) or a
    global (`memref.get_global`) reaching a `gpu.launch_func` is an error:
    the GPU cannot read host memory.
  }];
  let dependentDialects = ["::mlir::gpu::GPUDialect"];
}

def FrondAsyncGPULaunches : Pass<"frond-async-gpu-launches", "ModuleOp"> {
  let summary = "kernel launches, device allocations and frees queued on one stream, waited for only where the host needs it";
  let description = [{
    A synchronous `gpu.launch_func` becomes, in the LLVM IR translation, a
    stream created, the launch, a stream synchronization and a destroy: the
    host waits for every kernel before it queues the next, and the GPU idles
    for the launch latency in between. This pass chains, within each block
    of the host functions (after `frond-host-buffers-to-gpu`), every run of
    GPU work into one asynchronous stream: launches become `gpu.launch_func
    async [%token]`, the device allocations and frees that pass left on a
    stream of their own (`gpu.wait async`, the op, `gpu.wait`) join the
    chain, and a blocking `gpu.wait [%token]` is placed only before the
    first op that needs the work done: one that reads or writes memory on
    the host (a load, a store, a copy, a call, anything with unknown
    effects or a region) and the block's terminator (a return hands the
    buffers to the caller). Ops without memory effects, views, `memref.dim`
    and managed allocations (`gpu.alloc host_shared`, no stream) do not
    break the chain. Each chain is a single token, so gpu-to-llvm lowers it
    to one stream (mgpuStreamCreate ... mgpuStreamSynchronize) with no
    events; stream order keeps the kernels, allocations and frees in
    program order.
  }];
  let dependentDialects = ["::mlir::gpu::GPUDialect"];
}

def FrondMarkReplayable : Pass<"frond-mark-replayable", "func::FuncOp"> {
  let summary = "mark host functions that read and write no memory themselves (a CUDA graph can replay them)";
  let description = [{
    A CUDA graph records the GPU work a call queues (launches, device
    copies) and replays it with the same arguments; host code the call
    ran is not replayed, and during the capture no kernel runs, so host
    code that reads a buffer would read stale values. This pass marks a
    host function `frond.replayable` when everything outside its kernels
    is GPU work, allocations and frees, or free of memory effects (views,
    `memref.dim`, index arithmetic, control flow over them): its calls then
    queue the same work whenever the arguments have the same shapes and
    addresses. Otherwise it sets `frond.not_replayable` to the first op
    that touches memory on the host and its location, which the runtime
    reports. Run it on host code whose buffers are GPU allocations
    (after `frond-host-buffers-to-gpu`).
  }];
}

def FrondTileParallelLoopsForGPU : Pass<"frond-tile-parallel-loops-for-gpu", "func::FuncOp"> {
  let summary = "split outermost scf.parallel loops into blocks of GPU threads";
  let description = [{
    Tiles every outermost `scf.parallel` (as `convert-linalg-to-parallel-
    loops` makes them) by `block-size` along its innermost dimension and by
    1 along the others (`scf::tileParallelLoop` with an in-bounds guard), so
    the inner loop has static extents: `gpu-map-parallel-loops` with the
    innermost-first policy then maps the tile loop to blocks and the inner
    loop's innermost dimension to threads x. A static innermost extent
    smaller than `block-size` uses that extent rounded up to a warp. A
    loop of more than three dimensions first has its leading dimensions
    merged into one (the mapping runs a fourth dimension serially in each
    thread, and innermost-first that would be the threads' own) and is
    mapped here: those rows to blocks x (up to 2^31 - 1 of them), the
    innermost dimension's tiles to blocks y, its threads to threads x. A
    loop whose static innermost extent is below a warp (a `[b, t, 1]`
    fill: 31 of 32 threads idle) is merged into one dimension instead,
    tiled by `block-size`.
  }];
  let options = [
    Option<"blockSize", "block-size", "int64_t", /*default=*/"256",
           "Threads per block along the innermost dimension">,
  ];
  let dependentDialects = ["::mlir::arith::ArithDialect", "::mlir::scf::SCFDialect",
                           "::mlir::gpu::GPUDialect", "::mlir::affine::AffineDialect"];
}

def FrondNVVMApproxMath : Pass<"frond-nvvm-approx-math", "gpu::GPUModuleOp"> {
  let summary = "f32 math.exp2/log2 marked `afn` → PTX ex2.approx/lg2.approx";
  let description = [{
    Rewrites `math.exp2` and `math.log2` on f32 that carry the `afn`
    fast-math flag (approximate functions allowed; the attention kernels
    mark theirs) into `nvvm.inline_ptx` of `ex2.approx.ftz.f32` /
    `lg2.approx.ftz.f32`. Run inside gpu.modules before
    `convert-gpu-to-nvvm`, which would otherwise call libdevice's
    `__nv_exp2f`/`__nv_log2f`: kernels built this way need no CUDA toolkit
    to become PTX. (The op is introduced this late because inline PTX has
    unknown memory effects, which buffer deallocation rejects.)
  }];
  let dependentDialects = ["::mlir::NVVM::NVVMDialect"];
}

#endif // FROND_TRANSFORMS_GPUPASSES_TD
