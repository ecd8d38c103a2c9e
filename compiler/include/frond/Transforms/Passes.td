//===- Passes.td - frond lowering passes -------------------*- tablegen -*-===//
//
// The passes that lower the frond dialect towards executable code: attention
// to tiled online-softmax loops, then every other op to linalg/tensor/arith/
// math/scf on tensors. Pipelines built from them live in frond/Pipelines.
//
//===----------------------------------------------------------------------===//
#ifndef FROND_TRANSFORMS_PASSES_TD
#define FROND_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def FrondLowerToLinalg : Pass<"frond-lower-to-linalg", "func::FuncOp"> {
  let summary = "lower frond ops (except attention) to linalg/tensor/arith/math/scf";
  let description = [{
    Rewrites every frond op but `frond.attention` into tensor-level upstream
    dialects, so one-shot bufferization and the linalg-to-loops passes can
    take over:

    - elementwise ops (`unary`, `binary`, `compare`, `select`, `softcap`,
      `clamp`, `swiglu`, `cast`, `iota`) become one `linalg.generic` each
      whose body comes from a table keyed by the op's kind enum; numpy
      broadcasting is expressed in the indexing maps (a static extent of 1
      against a larger extent reads index 0; a dynamic extent is assumed
      not to broadcast);
    - `fill` is `linalg.fill`; `split_heads`/`merge_heads` are
      `tensor.expand_shape`/`collapse_shape`; `transpose` is
      `linalg.transpose`; `slice` is `tensor.extract_slice` (static or
      `index` bounds; per-sample tensor bounds are rejected with an error);
      `concat` is a chain of `tensor.insert_slice`; `cache_write` is an
      `scf.for` over the samples inserting each one's update at its own
      position (`tensor.insert_slice`, in place after bufferization);
    - `linear`, `lowrank_linear` and `matmul` are contraction
      `linalg.generic`s (batch broadcasting in the maps), bias as the init;
    - `embedding` and `cross_entropy` gather with `tensor.extract` inside a
      `linalg.generic`; `rms_norm`, `layer_norm`, `softmax`, `reduce` and
      `cross_entropy` use reduction `linalg.generic`s, accumulating in at
      least f32; `cumsum` is an `scf.for` over the scanned dimension;
    - `rope` is one `linalg.generic` that reads each element's partner with
      `tensor.extract` (static head dimension required).

    Dynamic extents are read with `tensor.dim` and passed to `tensor.empty`.
    Run `frond-lower-attention` first: attention is left to that pass and is
    an error here.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect", "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect"
  ];
}

def FrondChunkLinearAttention : Pass<"frond-chunk-linear-attention", "func::FuncOp"> {
  let summary = "linear, relaxed_linear and aft attention as chunked scans";
  let description = [{
    Without a `score` region the linear kinds' pair weight is bilinear in q
    and k (`aft`: 1), so under a mask that is exactly `k <= q` (or no mask)
    the output is a running sum and needs no [t, t] sweep. For
    `relaxed_linear` (and `linear`, run over `[v | 1]` so the last column
    is the normaliser Z), with time cut into chunks of `chunk` positions:

    ```
    L[n]    = Σ_{c in chunk n} k_c v_cᵀ                  [D, E] per chunk
    S[n]    = Σ_{n' < n} L[n']                           frond.cumsum, shifted
    out[i]  = q_i S[n(i)] + Σ_{j in chunk, j <= i} (q_i · k_j) v_j
    ```

    then `scale · out` (relaxed) or `N / Z` (linear; the scale cancels).
    Queries and keys are zero-padded to whole chunks of the longer one and
    viewed as `[b, Hkv, group, n, C, D]` / `[b, Hkv, n, C, D]`, so grouped
    query heads share their kv head's states. Every product is a
    contraction with projected-permutation maps (tiled GPU kernels), the
    mask an elementwise select, the running sum a scan. The cost is
    O(t (C + D) E) per head instead of O(t² D).

    `frond.attention_grad` of such an op becomes the same scan three times:
    dq = scale · scan(dout, v, k) over j <= i; dk = scale · scan(v, dout, q)
    and dv = scale · scan(k, q, dout) over i >= j, the query heads of a
    group summing into their kv head (for `linear`, dout is first mapped to
    d[N | Z] = [dout / Z | -(dout · N) / Z²]). With no mask every sweep
    covers all positions: a single state, no chunk blocks. `aft` needs no
    chunks: out = scale · q ⊙ cumsum_t(k ⊙ v), dkv = reverse cumsum of
    scale · Σ_group dout ⊙ q.

    Ops with a `score` region, any other mask, captures, another element
    type than f32 or dynamic head counts are left to the attention kernels.
    The GPU pipeline runs this pass with `chunk` = its key tile, and so
    does the CPU pipeline unless `chunk-linear-attention=false`.
  }];
  let options = [
    Option<"chunk", "chunk", "int64_t", /*default=*/"64", "Positions per chunk">,
  ];
  let dependentDialects = ["::mlir::arith::ArithDialect", "::mlir::linalg::LinalgDialect",
                           "::mlir::tensor::TensorDialect"];
}

def FrondLowerAttention : Pass<"frond-lower-attention", "func::FuncOp"> {
  let summary = "lower frond.attention to tiled online-softmax (flash-style) loops";
  let description = [{
    Lowers `frond.attention` of kind `softmax`, `power_law`, `linear` and
    `relaxed_linear` to loops on tensors that never materialise the
    `[tq, tk]` score matrix:

    ```
    for b, h:                                  (scf.for, head h reads kv head h / (H / Hkv))
      for q0 in 0..tq step Tq:                 (query tile, qlen = min(Tq, tq - q0))
        m = -inf [qlen]; l = 0 [qlen]; acc = 0 [qlen, Dv]
        for k0 in 0..tk step Tk:               (key tile,   klen = min(Tk, tk - k0))
          if tile not provably masked:         (scf.if on the tile bounds)
            s[i, j] = score(scale · q[q0+i] · k[k0+j])       ([qlen, klen] only)
            s[i, j] = mask(b, h, q0+i, k0+j) ? s : -inf      (skipped on full tiles)
            m' = max(m, max_j s);  p = exp(s - m');  α = exp(m - m')
            l = α l + Σ_j p;       acc = α acc + p · v[k0 .. k0+klen]
        out[b, h, q0 .. q0+qlen] = l == 0 ? 0 : acc / l
    ```

    `power_law` first multiplies the query tile by `metric[b, h]`
    (`q G kᵀ = (q G) kᵀ`). `linear`/`relaxed_linear` use the same loops with
    `p = mask ? s : 0`, no running max, and (for `linear`) the division by
    `l`. A `-inf` running max is replaced by 0 before exponentiating, so a
    fully masked row stays at zero instead of NaN.

    The `mask` and `score` regions are inlined per score element inside
    the tile's `linalg.generic`: their bodies are cloned with `b, h, q, k`
    bound to the loop and tile indices and the captures to the op's
    operands. When the whole mask body is `arith.cmpi sle/ule %k, %q` (or
    `slt/ult`, or the same with operands swapped as `sge/uge/sgt/ugt`), a
    key tile starting after the query tile's last row is skipped; when the
    mask is a disjunction (`arith.ori`) containing such a comparison (PALM's
    prefix mask), nothing is skipped but tiles the comparison fully covers
    are still known fully visible. Provably full tiles compute scores
    without evaluating the mask.

    `aft` uses the same loops without the `q·k` product: the pair weight is
    `score(1.0)` (then `mask ? w : 0`), the value tile is `k ⊙ v`, and the
    query tile's sum is multiplied by `scale · q` at the end.
  }];
  let options = [
    Option<"queryTile", "query-tile", "int64_t", /*default=*/"64",
           "Rows of queries processed per tile">,
    Option<"keyTile", "key-tile", "int64_t", /*default=*/"64",
           "Keys processed per inner tile">,
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect", "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect"
  ];
}

def FrondShapeInference : Pass<"frond-shape-inference", "func::FuncOp"> {
  let summary = "make frond result types as static as their operands allow";
  let description = [{
    Walks the function in order and, for each frond op whose result shape
    follows from its operands (elementwise ops with numpy broadcasting,
    norms, softmax, cumsum, rope, clamp, cast, transpose, split/merge heads,
    linear, matmul, embedding), replaces dynamic result extents by the
    static extents its operands imply; the function's result types follow.
    Static extents are never changed, so a verified module stays verified.
    With a function whose arguments were given static shapes (a JIT
    specialising for one batch shape), the static extents reach every op,
    which lets tiling and vectorisation use fixed tile counts.
  }];
}

def FrondAutodiff : Pass<"frond-autodiff", "ModuleOp"> {
  let summary = "reverse-mode gradients of a model's loss, on the frond dialect";
  let description = [{
    For every forward function (a `func.func` with `frond.outputs`) whose
    outputs include a loss (`"loss"`, else the only `"loss:<name>"`), adds
    `@<model>_grad`: the same arguments; results the loss, then the
    gradient of the loss with respect to every argument marked
    `frond.trainable = true`, named `"loss"` and `"grad:<name>"` in
    `frond.outputs`.

    The forward body is cloned, then walked backwards from the loss (seeded
    with 1.0): each op's `DifferentiableOpInterface::buildGradients` gives
    its operands' gradients from its results' gradients, and the gradients
    of a value used several times are added. Only values the loss depends
    on through floats get gradients; frozen parameters and inputs get none,
    and no code is generated for them; an op without float operands (a
    constant) ends a path. An op reached by a float gradient with float
    operands and no rule is an error at its location. The result is ordinary
    frond IR: canonicalize + CSE share the recomputed forward values, and
    the CPU pipeline lowers it like the forward.
  }];
  let dependentDialects = ["::mlir::tensor::TensorDialect"];
}

def FrondFuseElementwise : Pass<"frond-fuse-elementwise", "func::FuncOp"> {
  let summary = "fuse elementwise linalg producers into consumers that compute each value once";
  let description = [{
    The patterns of upstream `-linalg-fuse-elementwise-ops` (elementwise
    producer/consumer fusion, reshape folding by expansion, constant
    folding), except that a producer is fused into a consumer only when the
    consumer reads it through a permutation of all of the consumer's loops.
    A producer read through a projection (a layer norm feeding a `linear`,
    a GELU feeding the next matmul) would otherwise be recomputed for every
    value of the missing loops, and the contraction's body would no longer
    be a multiply-accumulate that `frond-tile-and-vectorize` vectorizes.

    A producer with other users is fused too when both ops are elementwise
    over the same loops (identity maps on the shared values), its other
    users come after the consumer and nothing in between has memory
    effects: the fused op also yields the producer's values, which replace
    the producer's everywhere. (Upstream keeps such a producer and
    recomputes it in the consumer.) An optimizer update, where m and v are
    both read by the parameter's update and written back, becomes one loop
    nest.
  }];
  let dependentDialects = [
    "::mlir::affine::AffineDialect", "::mlir::linalg::LinalgDialect",
    "::mlir::tensor::TensorDialect"
  ];
}

def FrondComputeInDestination : Pass<"frond-compute-in-destination", "func::FuncOp"> {
  let summary = "an elementwise result copied into a function argument is computed there";
  let description = [{
    Runs on buffers, after One-Shot Bufferize. The compiled training step
    writes each updated parameter and optimizer state into its argument
    (`materialize_in_destination` into the argument's buffer), which
    bufferizes to a fresh buffer computed by a `linalg.generic` and then a
    `memref.copy` into the argument. When the generic is elementwise (all
    loops parallel, identity output maps, outputs not read by its payload)
    and the copy's source is a `memref.alloc` that the generic writes and
    nothing reads after the copy, with nothing between the generic and the
    copy touching either buffer (ops free of memory effects, copies between
    other buffers), the generic writes the argument instead and the copy is
    erased. The generic may read the argument, through the identity map
    only: each element is read before it is written. Function arguments are
    taken not to alias one another (frond passes each its own buffer).
  }];
  let dependentDialects = ["::mlir::memref::MemRefDialect"];
}

def FrondTileAndVectorize : Pass<"frond-tile-and-vectorize", "func::FuncOp"> {
  let summary = "register-tile statically shaped linalg contractions and vectorize them";
  let description = [{
    Runs on tensors, after `frond-lower-to-linalg` and before bufferization.
    For every `linalg` contraction (a `linalg.generic` or named op whose body
    is a multiply-accumulate over projected-permutation maps, e.g. `linear`
    and `matmul`) whose innermost n and k extents are static multiples of
    `tile-n` and `tile-k` (the innermost m extent uses `tile-m` when it is a
    static multiple of it and 1 otherwise, e.g. a dynamic batch x sequence):

    - a right-hand side stored `[.., n, k]` (a linear's `[out, in]` weight)
      is transposed once by a `linalg.transpose` to `[.., k, n]`
      (`pack-operands`), so a tile along n is a contiguous row;
    - the op is tiled with `scf.for` loops over `tile-m` rows of the
      innermost m dimension, `tile-n` columns of the innermost n dimension
      and `tile-k` steps of the innermost k dimension (every other
      dimension by 1), reduction loops innermost;
    - the tile is vectorized (`linalg::vectorize`) to a `vector.contract`,
      and the accumulator's transfer read/write pair is hoisted out of the
      k loop, so the output tile stays in vector registers;
    - the resulting `vector.contract` becomes `vector.fma`s: one
      broadcast-multiply-add when the m and k tiles are 1, otherwise outer
      products lowered to one FMA per output row and k step.

    Other ops, and contractions with dynamic or non-divisible n or k
    extents, are left as they are (linalg-to-loops lowers them later).
  }];
  let options = [
    Option<"tileM", "tile-m", "int64_t", /*default=*/"8",
           "Output rows per register tile">,
    Option<"tileN", "tile-n", "int64_t", /*default=*/"32",
           "Output columns per register tile (a multiple of the vector width)">,
    Option<"tileK", "tile-k", "int64_t", /*default=*/"1",
           "Reduction steps per vector.contract">,
    Option<"packOperands", "pack-operands", "bool", /*default=*/"true",
           "Transpose an [n, k] right-hand side to [k, n] first">,
  ];
  let dependentDialects = [
    "::mlir::affine::AffineDialect", "::mlir::arith::ArithDialect",
    "::mlir::linalg::LinalgDialect", "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect", "::mlir::vector::VectorDialect"
  ];
}

def FrondFoldBatchSums : Pass<"frond-fold-batch-sums", "func::FuncOp"> {
  let summary = "a sum over a contraction's parallel loops folded into the contraction";
  let description = [{
    The gradient of a linear layer's weight comes out of autodiff as a
    per-sample product summed over the batch: `frond.matmul` [b, n, t] x
    [b, t, k] → [b, n, k], then `frond.reduce sum` over b. On linalg
    tensors that is a contraction with b a parallel (batch) loop into a
    zero-filled [b, n, k], then a generic summing dimension 0. This pass
    rewrites the pair into one contraction whose loops the sum reduced are
    reductions too, accumulating into the sum's init: no [b, n, k]
    intermediate, and a contraction of K = b x t with a static [n, k]
    output (which frond-contractions-to-gpu can split over K). It applies
    when the sum's input map is the identity, its body is `in + out`, its
    reduced loops are exactly those its output map drops, and the
    contraction (one use, `linalg::isaContractionOpInterface`) accumulates
    into a tensor filled with 0.0. The sum's order changes (one pass over
    b x t instead of per sample, then over b).
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect"];
}

include "GPUPasses.td"

#endif // FROND_TRANSFORMS_PASSES_TD
